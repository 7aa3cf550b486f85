"""Undo and redo for the generate page's attribute edits.

The history is a list of states (each the user's attribute overrides on top of what the parser
understood) and a cursor. An edit drops everything after the cursor (redo is gone once you
change something new) and appends; undo and redo move the cursor. The page carries it in the
hidden `attr_history` field, so it works the same with and without JavaScript
(static/js/generate.js keeps the same shape). It comes back from the browser, so it is parsed
strictly and capped in size: a bad one is refused naming the field, never trusted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext

from core.attributes import LIST_ATTRIBUTES, clean_edits
from core.errors import InvalidInput

FIELD = "attr_history"
MAX_FIELD_CHARS = 16_000
MAX_STATES = 30  # older states fall off the undo end
ACTIONS = ("generate", "preview", "undo", "redo")

Edits = dict[str, Any]


@dataclass(frozen=True)
class AttributeHistory:
    states: tuple[Edits, ...] = ({},)
    at: int = 0

    @property
    def current(self) -> Edits:
        return dict(self.states[self.at])

    @property
    def can_undo(self) -> bool:
        return self.at > 0

    @property
    def can_redo(self) -> bool:
        return self.at < len(self.states) - 1

    def edit(self, changes: dict[str, str]) -> AttributeHistory:
        """Apply chip changes (an empty value drops that override); a no-op adds no state."""
        new = self.current
        for name, value in changes.items():
            if value:
                new[name] = value
            else:
                new.pop(name, None)
        new = clean_edits(new, prefix="attr")
        if new == self.current:
            return self
        states = (*self.states[: self.at + 1], new)[-MAX_STATES:]
        return AttributeHistory(states, len(states) - 1)

    def undo(self) -> AttributeHistory:
        return AttributeHistory(self.states, max(0, self.at - 1))

    def redo(self) -> AttributeHistory:
        return AttributeHistory(self.states, min(len(self.states) - 1, self.at + 1))

    def to_field(self) -> str:
        return json.dumps(
            {"states": list(self.states), "at": self.at}, ensure_ascii=False, separators=(",", ":")
        )

    @classmethod
    def from_field(cls, text: str | None) -> AttributeHistory:
        """Parse the hidden field; InvalidInput naming `attr_history` for anything malformed."""
        if not text:
            return cls()
        if len(text) > MAX_FIELD_CHARS:
            raise InvalidInput(
                gettext("The edit history is too long (at most %(max_chars)s characters).")
                % {"max_chars": MAX_FIELD_CHARS},
                field=FIELD,
            )
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise InvalidInput(gettext("The edit history is not valid JSON."), field=FIELD) from exc
        if not isinstance(data, dict) or set(data) != {"states", "at"}:
            raise InvalidInput(
                gettext('The edit history must be {"states": [...], "at": n}.'), field=FIELD
            )
        states, at = data["states"], data["at"]
        if not isinstance(states, list) or not 1 <= len(states) <= MAX_STATES:
            raise InvalidInput(
                gettext("The edit history must hold 1 to %(max_states)s states.")
                % {"max_states": MAX_STATES},
                field=FIELD,
            )
        if isinstance(at, bool) or not isinstance(at, int) or not 0 <= at < len(states):
            raise InvalidInput(gettext("The edit history's position is out of range."), field=FIELD)
        cleaned = tuple(
            clean_edits(state, prefix=f"{FIELD}.states.{i}") for i, state in enumerate(states)
        )
        return cls(cleaned, at)


def chip_text(value: Any) -> str:
    """An attribute value as its chip shows it ("red, blue" for lists)."""
    return ", ".join(value) if isinstance(value, list) else str(value)


def pending_changes(post) -> dict[str, str]:
    """Chip values the user changed since the page showed them.

    Each chip `attr_<name>` travels with `shown_<name>`, the value the page showed; a chip
    without one (an older page, an API-style post) counts as changed when it is non-empty.
    """
    changes: dict[str, str] = {}
    for key in post:
        if not key.startswith("attr_") or key == FIELD:
            continue
        name, value = key[5:], post.get(key, "").strip()
        shown = post.get(f"shown_{name}")
        if shown is None and not value:
            continue
        if shown is not None and _same(name, value, shown.strip()):
            continue
        changes[name] = value
    return changes


def _same(name: str, value: str, shown: str) -> bool:
    if name in LIST_ATTRIBUTES:  # "red,blue" and "red, blue" are one list
        return [v.strip() for v in value.split(",")] == [v.strip() for v in shown.split(",")]
    return value == shown


def history_from_post(post) -> tuple[AttributeHistory, str]:
    """The history after this submission's chip changes and its action, and the action.

    Pending chip changes are an edit made before the button was pressed, so "Undo" after
    changing a chip takes back that change, and "Redo" after one finds nothing to redo.
    """
    action = post.get("action") or "generate"
    if action not in ACTIONS:
        raise InvalidInput(
            gettext("action must be one of %(actions)s.") % {"actions": ", ".join(ACTIONS)},
            field="action",
        )
    history = AttributeHistory.from_field(post.get(FIELD)).edit(pending_changes(post))
    if action == "undo":
        history = history.undo()
    elif action == "redo":
        history = history.redo()
    return history, action
