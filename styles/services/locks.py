"""Brand kit locks: the rules a locked preset puts on a request, and who must use one.

`lock_rules` shape (every key optional):

    {"steps": {"min": 20, "max": 30}, "guidance_scale": {"min": 5, "max": 8},
     "n": {"max": 4}, "size": {"allowed": [512, 768]}, "engine": {"allowed": ["diffusers"]},
     "scheduler": {"allowed": ["dpmpp_2m_karras"]},
     "attributes": {"style": ["cartoon"], "colors": ["blue", "white"]},
     "custom_control": false}

`custom_control: false` forbids jobs through the preset from bringing their own ControlNet
control image (the preset's own control images still apply).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext

from core.errors import InvalidInput, NotAllowed
from styles.models import StylePreset
from styles.services import brand_kit_cache
from tenants.actors import Actor
from tenants.models import Tenant
from tenants.roles import Role
from tenants.selectors import role_of

RANGE_KEYS = ("steps", "guidance_scale", "n", "size")
CHOICE_KEYS = ("size", "engine", "scheduler")
CUSTOM_CONTROL = "custom_control"
RULE_KEYS = frozenset({*RANGE_KEYS, *CHOICE_KEYS, "attributes", CUSTOM_CONTROL})
LOCK_CODE = "brand_lock"
LOCK_FIELDS = ("is_locked", "lock_rules")
LOCK_DEFAULTS: dict[str, Any] = {"is_locked": False, "lock_rules": {}}
# The brand kit binds members and API keys, so only these roles design it, whatever else a
# role may manage.
LOCK_DESIGNERS = frozenset({Role.OWNER, Role.ADMIN})


def validate_lock_rules(rules: Any) -> dict[str, Any]:
    """Check the shape of `lock_rules`; InvalidInput(field="lock_rules") names the problem."""
    if not isinstance(rules, dict):
        raise InvalidInput(gettext("lock_rules must be an object."), field="lock_rules")
    unknown = sorted(set(rules) - RULE_KEYS)
    if unknown:
        raise InvalidInput(
            gettext("Unknown lock rule(s) %(unknown)s; accepted: %(rule_keys)s.")
            % {"unknown": ", ".join(unknown), "rule_keys": ", ".join(sorted(RULE_KEYS))},
            field="lock_rules",
        )
    for key, rule in rules.items():
        if key == "attributes":
            _validate_attribute_rules(rule)
            continue
        if key == CUSTOM_CONTROL:
            _validate_custom_control_rule(rule)
            continue
        if not isinstance(rule, dict) or not set(rule) <= {"min", "max", "allowed"}:
            raise InvalidInput(
                gettext("lock_rules.%(key)s must be an object with min/max or allowed.")
                % {"key": key},
                field="lock_rules",
            )
        for bound in ("min", "max"):
            if bound in rule and not isinstance(rule[bound], int | float):
                raise InvalidInput(
                    gettext("lock_rules.%(key)s.%(bound)s must be a number.")
                    % {"key": key, "bound": bound},
                    field="lock_rules",
                )
        if "allowed" in rule and not isinstance(rule["allowed"], list):
            raise InvalidInput(
                gettext("lock_rules.%(key)s.allowed must be a list.") % {"key": key},
                field="lock_rules",
            )
    return rules


def _validate_attribute_rules(rule: Any) -> None:
    if not isinstance(rule, dict) or not all(isinstance(v, list) for v in rule.values()):
        raise InvalidInput(
            gettext(
                "lock_rules.attributes must map attribute names to allowed values, e.g. "
                '{"style": ["cartoon"]}.'
            ),
            field="lock_rules",
        )


def check_lock_rules(rules: dict[str, Any], params: dict[str, Any]) -> None:
    for key in (*RANGE_KEYS, "engine", "scheduler"):
        rule = rules.get(key)
        if not rule or params.get(key) is None:
            continue
        value = params[key]
        if "allowed" in rule and value not in rule["allowed"]:
            raise NotAllowed(
                gettext(
                    "This brand preset is locked: %(key)s must be one of %(allowed)s (got "
                    "%(value)s)."
                )
                % {"key": key, "allowed": ", ".join(map(str, rule["allowed"])), "value": value},
                field=key,
                code=LOCK_CODE,
            )
        low, high = rule.get("min"), rule.get("max")
        if (low is not None and value < low) or (high is not None and value > high):
            raise NotAllowed(
                gettext(
                    "This brand preset is locked: %(key)s must be between %(else)s and "
                    "%(else2)s (got %(value)s)."
                )
                % {
                    "key": key,
                    "else": low if low is not None else "-",
                    "else2": high if high is not None else "-",
                    "value": value,
                },
                field=key,
                code=LOCK_CODE,
            )
    _check_attributes(rules.get("attributes") or {}, params.get("attributes") or {})
    check_custom_control(rules, params)


def _validate_custom_control_rule(rule: Any) -> None:
    if not isinstance(rule, bool):
        raise InvalidInput(
            gettext("lock_rules.custom_control must be true or false."), field="lock_rules"
        )


def check_custom_control(rules: dict[str, Any], params: dict[str, Any]) -> None:
    """A locked preset with custom_control: false refuses a job's own control image."""
    if rules.get(CUSTOM_CONTROL) is False and params.get(CUSTOM_CONTROL):
        raise NotAllowed(
            gettext(
                "This brand preset is locked: jobs may not bring their own control image "
                "(the preset's control images apply)."
            ),
            field="control_image",
            code=LOCK_CODE,
        )


def _check_attributes(rules: dict[str, list], attributes: dict[str, Any]) -> None:
    for name, allowed in rules.items():
        if name not in attributes:
            continue
        value = attributes[name]
        values = value if isinstance(value, list) else [value]
        bad = [v for v in values if v not in allowed]
        if bad:
            raise NotAllowed(
                gettext(
                    "This brand preset is locked: attribute '%(name)s' may only be "
                    "%(allowed)s (got %(bad)s)."
                )
                % {
                    "name": name,
                    "allowed": ", ".join(map(str, allowed)),
                    "bad": ", ".join(map(str, bad)),
                },
                field="attributes",
                code=LOCK_CODE,
            )


def check_locked_presets_only(*, preset, role: str | None, api_key, tenant) -> None:
    """When the workspace requires it, keys and members must pick a locked preset."""
    if api_key is None and role != "member":
        return  # owners/admins design the brand kit; viewers cannot generate anyway
    tenant_id = getattr(tenant, "pk", None) or getattr(api_key, "tenant_id", None)
    if tenant_id is None:
        return

    if not brand_kit_cache.locked_presets_only(tenant_id):
        return
    if preset is None or not preset.is_locked:
        who = "API keys" if api_key is not None else "members"
        raise NotAllowed(
            gettext(
                "This workspace's brand kit requires %(who)s to generate through a "
                "locked style preset; pick one of the locked presets."
            )
            % {"who": who},
            field="preset",
            code=LOCK_CODE,
        )


def lock_changes(preset: StylePreset | None, changes: Mapping[str, Any]) -> list[str]:
    """The lock fields in `changes` whose value differs from the preset's (or, for a new
    preset, from the unlocked default): sending the current value back changes nothing."""
    return [
        name
        for name in LOCK_FIELDS
        if name in changes
        and changes[name] != (getattr(preset, name) if preset else LOCK_DEFAULTS[name])
    ]


def require_lock_rights(
    *,
    tenant: Tenant,
    actor: Actor,
    preset: StylePreset | None,
    changes: Mapping[str, Any] | None = None,
) -> None:
    """Who may change a preset's brand-kit lock, and a locked preset at all.

    Called by every service that writes a preset (edit, delete, references, adapters) with the
    preset it writes, or with `preset=None` on create. Raises NotAllowed when:

    * an API key would change `is_locked` or `lock_rules` (field names the first one);
    * an API key would change anything of a locked preset (field "preset");
    * an API key restricted to presets (`allowed_presets`) would change one of those
      (code "key_restricted"): a key must not rewrite the preset that restrains it;
    * a signed-in user who is not an owner or admin would do either of the first two.

    The system actor (admin actions, tasks) passes.
    """
    changed = lock_changes(preset, changes or {})
    key = actor.api_key
    if key is not None:
        restricted = {str(p) for p in key.allowed_presets or []}
        if preset is not None and str(preset.pk) in restricted:
            raise NotAllowed(
                gettext(
                    "This API key is restricted to this preset (brand lock), so it cannot "
                    "modify it; an owner or admin edits it in the dashboard."
                ),
                field="preset",
                code="key_restricted",
            )
        if changed:
            raise NotAllowed(
                gettext(
                    "API keys cannot change %(changed)s: locking and lock rules are set by "
                    "an owner or admin, signed in to the dashboard."
                )
                % {"changed": changed[0]},
                field=changed[0],
                code=LOCK_CODE,
            )
        if preset is not None and preset.is_locked:
            raise NotAllowed(
                gettext(
                    "This preset is locked by the brand kit: only an owner or admin, signed "
                    "in, can change it."
                ),
                field="preset",
                code=LOCK_CODE,
            )
        return
    if actor.user is None:
        return  # the system actor
    if (changed or (preset is not None and preset.is_locked)) and role_of(
        tenant=tenant, actor=actor
    ) not in LOCK_DESIGNERS:
        raise NotAllowed(
            gettext("Only owners and admins can lock presets or change a locked one."),
            field=changed[0] if changed else "preset",
            code=LOCK_CODE,
        )
