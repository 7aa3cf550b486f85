"""The avatar attribute vocabulary, shared by the parser, presets' default attributes and the
API, and the one check that user-supplied attribute values pass before they reach a prompt."""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext

from core.errors import InvalidInput

SINGLE_ATTRIBUTES = (
    "style",
    "subject",
    "animal",
    "gender",
    "age",
    "role",  # what the character is or does: "doctor", "barista", "pirate"
    "expression",
    "hair_style",
    "hair_color",
    "eye_color",
    "eye_style",
    "head_shape",
    "clothing",
    "background",
    "background_color",
)
LIST_ATTRIBUTES = ("accessories", "colors")

MAX_VALUE_CHARS = 80
MAX_LIST_ITEMS = 12


def clean_edits(edits: dict[str, Any] | None, *, prefix: str = "attributes") -> dict[str, Any]:
    """Attribute overrides from a user: known names only, short printable text values.

    They end up in prompts, JSON columns and cache keys, so anything else is refused here with
    the attribute's name rather than failing later (PostgreSQL rejects NUL in jsonb).
    """
    if edits is None:
        return {}
    if not isinstance(edits, dict):
        raise InvalidInput(
            gettext("%(prefix)s must be an object.") % {"prefix": prefix}, field=prefix
        )
    cleaned: dict[str, Any] = {}
    for name, value in edits.items():
        field_name = f"{prefix}.{name}"
        if name not in SINGLE_ATTRIBUTES and name not in LIST_ATTRIBUTES:
            known = ", ".join(SINGLE_ATTRIBUTES + LIST_ATTRIBUTES)
            raise InvalidInput(
                gettext("Unknown attribute '%(name)s'. Known: %(known)s.")
                % {"name": name[:40], "known": known},
                field=prefix,
            )
        if value in (None, "", []):
            continue
        if name in LIST_ATTRIBUTES:
            if isinstance(value, str):  # the dashboard's chips send "red, blue"
                value = [v for v in re.split(r"[,，、]", value) if v.strip()]
            if not isinstance(value, list) or len(value) > MAX_LIST_ITEMS:
                raise InvalidInput(
                    gettext("%(name)s must be a list of at most %(max_list_items)s words.")
                    % {"name": name, "max_list_items": MAX_LIST_ITEMS},
                    field=field_name,
                )
            cleaned[name] = [_text_value(v, field_name) for v in value]
        else:
            cleaned[name] = _text_value(value, field_name)
    return cleaned


def _text_value(value: Any, field_name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(
            gettext('Use a short non-empty text value, e.g. "blue".'), field=field_name
        )
    if len(value) > MAX_VALUE_CHARS or not value.isprintable():
        raise InvalidInput(
            gettext("Use printable text of at most %(max_value_chars)s characters.")
            % {"max_value_chars": MAX_VALUE_CHARS},
            field=field_name,
        )
    return value.strip()
