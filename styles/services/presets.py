"""Preset use cases: copy a built-in, edit, delete, reference images, brand-kit policy."""

from __future__ import annotations

import io
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext

from core import storage
from core.attributes import clean_edits
from core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from core.images import NEUTRAL_BACKGROUND, flatten_alpha, parse_colour
from core.model_settings import offered_schedulers
from core.vocabulary import MAX_STATE_PACK_STATES, STATE_PACK_STATES
from styles.models import BrandKitSettings, ReferenceImage, StylePreset
from styles.services.imaging import ImageRejected, open_image
from styles.services.locks import LOCK_CODE, require_lock_rights, validate_lock_rules
from styles.services.plan_limits import require_room
from tenants.actors import Actor
from tenants.audit import record_event
from tenants.models import Tenant
from tenants.roles import Perm
from tenants.selectors import actor_can

HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
SIZES = (64, 128, 256, 512, 768, 1024)
MAX_REFERENCES = 8
EDITABLE = (
    "name",
    "description",
    "prompt_template",
    "negative_prompt",
    "trigger_word",
    "palette",
    "default_attributes",
    "engine",
    "scheduler",
    "steps",
    "guidance_scale",
    "size",
    "is_locked",
    "lock_rules",
    "adapter_strength",
    "brand_weight",
    "state_pack_states",
    "palette_weight",
    "palette_recolor",
)
COPIED = (*EDITABLE, "base_style")


def require_manage(tenant: Tenant, actor: Actor) -> None:
    if actor.api_key is not None:
        if not actor.api_key.has_scope("styles:write"):
            raise NotAllowed(gettext("This API key lacks the 'styles:write' scope."))
        return
    if actor.user is None:
        return  # system actor (admin actions, tasks)

    if not actor_can(tenant=tenant, actor=actor, perm=Perm.MANAGE_STYLES):
        raise NotAllowed(gettext("Your role does not allow managing styles."))


def get_preset(*, tenant: Tenant, preset_id) -> StylePreset:
    """A built-in or one of the tenant's presets."""
    try:
        return StylePreset.objects.available_to(tenant).get(pk=preset_id)
    except (StylePreset.DoesNotExist, ValidationError, ValueError) as exc:
        raise NotFound(gettext("No such style preset in this workspace.")) from exc


def get_own_preset(*, tenant: Tenant, preset_id) -> StylePreset:
    """One of the tenant's own presets; built-ins are read-only (copy them to edit)."""
    preset = get_preset(tenant=tenant, preset_id=preset_id)
    if preset.is_builtin:
        raise NotAllowed(gettext("Built-in presets are read-only; copy this one to edit it."))
    return preset


def validate_strength(value: Any) -> float:
    try:
        strength = float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            gettext("adapter_strength must be a number."), field="adapter_strength"
        ) from exc
    if not 0.0 <= strength <= 2.0:
        raise InvalidInput(
            gettext("adapter_strength must be between 0 and 2."), field="adapter_strength"
        )
    return strength


def validate_brand_weight(value: Any) -> float | None:
    """Share of the brand score in the ranking, 0-1; None means the server default."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InvalidInput(gettext("brand_weight must be a number or null."), field="brand_weight")
    try:
        weight = float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            gettext("brand_weight must be a number or null."), field="brand_weight"
        ) from exc
    if not 0.0 <= weight <= 1.0:
        raise InvalidInput(gettext("brand_weight must be between 0 and 1."), field="brand_weight")
    return weight


def validate_state_pack_states(value: Any) -> list[str]:
    """A list of distinct state names from the product's vocabulary (empty: the default set)."""
    known = ", ".join(STATE_PACK_STATES)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(
            f"state_pack_states must be a list of state names ({known}).",
            field="state_pack_states",
        )
    unknown = [v for v in value if v not in STATE_PACK_STATES]
    if unknown:
        raise InvalidInput(
            f"Unknown state '{unknown[0]}' in state_pack_states; known states: {known}.",
            field="state_pack_states",
        )
    if len(set(value)) != len(value):
        raise InvalidInput("state_pack_states lists a state twice.", field="state_pack_states")
    if len(value) > MAX_STATE_PACK_STATES:
        raise InvalidInput(
            f"state_pack_states holds at most {MAX_STATE_PACK_STATES} states.",
            field="state_pack_states",
        )
    return list(value)


def validate_unit(value: Any, name: str, *, allow_null: bool) -> float | None:
    """A number between 0 and 1 (or None where `allow_null`)."""
    if allow_null and (value is None or value == ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidInput(f"{name} must be a number between 0 and 1.", field=name)
    try:
        number = float(value)
    except ValueError as exc:
        raise InvalidInput(f"{name} must be a number between 0 and 1.", field=name) from exc
    if not 0.0 <= number <= 1.0:
        raise InvalidInput(f"{name} must be between 0 and 1.", field=name)
    return number


def _clean(changes: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InvalidInput(
            gettext("Cannot set %(unknown)s.") % {"unknown": ", ".join(unknown)}, field=unknown[0]
        )
    out = dict(changes)
    if "name" in out and not str(out["name"]).strip():
        raise InvalidInput(gettext("Give the preset a name."), field="name")
    if "prompt_template" in out and "{subject}" not in out["prompt_template"]:
        raise InvalidInput(
            gettext("prompt_template must contain {subject} (where the description goes)."),
            field="prompt_template",
        )
    if "palette" in out:
        palette = out["palette"]
        if not isinstance(palette, list) or not all(
            isinstance(c, str) and HEX.match(c) for c in palette
        ):
            raise InvalidInput(
                gettext('palette must be a list of "#rrggbb" colours.'), field="palette"
            )
        if len(palette) > 8:
            raise InvalidInput(gettext("palette holds at most 8 colours."), field="palette")
    if "default_attributes" in out:
        out["default_attributes"] = clean_edits(
            out["default_attributes"], prefix="default_attributes"
        )
    if "engine" in out and out["engine"] not in StylePreset.Engine.values:
        raise InvalidInput(
            gettext("engine must be one of %(values)s.")
            % {"values": ", ".join(StylePreset.Engine.values)},
            field="engine",
        )
    if "scheduler" in out and out["scheduler"] not in offered_schedulers():
        raise InvalidInput(
            gettext("scheduler must be one of %(scheduler_names)s.")
            % {"scheduler_names": ", ".join(offered_schedulers())}
            + (
                gettext(" ('lcm' needs an LCM-distilled model)")
                if out["scheduler"] == "lcm"
                else ""
            ),
            field="scheduler",
        )
    if "steps" in out and not (isinstance(out["steps"], int) and 1 <= out["steps"] <= 100):
        raise InvalidInput(gettext("steps must be between 1 and 100."), field="steps")
    if "guidance_scale" in out:
        g = out["guidance_scale"]
        if not isinstance(g, int | float) or not 0 <= g <= 30:
            raise InvalidInput(
                gettext("guidance_scale must be between 0 and 30."), field="guidance_scale"
            )
    if "size" in out and out["size"] not in SIZES:
        raise InvalidInput(
            gettext("size must be one of %(sizes)s.") % {"sizes": ", ".join(map(str, SIZES))},
            field="size",
        )
    if "lock_rules" in out:
        validate_lock_rules(out["lock_rules"])
    if "adapter_strength" in out:
        out["adapter_strength"] = validate_strength(out["adapter_strength"])
    if "brand_weight" in out:
        out["brand_weight"] = validate_brand_weight(out["brand_weight"])
    if "state_pack_states" in out:
        out["state_pack_states"] = validate_state_pack_states(out["state_pack_states"])
    if "palette_weight" in out:
        out["palette_weight"] = validate_unit(
            out["palette_weight"], "palette_weight", allow_null=True
        )
    if "palette_recolor" in out:
        out["palette_recolor"] = validate_unit(
            out["palette_recolor"], "palette_recolor", allow_null=False
        )
    return out


def _unique_slug(tenant: Tenant, name: str) -> str:
    base = slugify(name)[:50] or "preset"
    slug, n = base, 1
    while StylePreset.objects.filter(tenant=tenant, slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def create_preset(*, tenant: Tenant, actor: Actor, copy_of=None, **fields: Any) -> StylePreset:
    """A new tenant preset, blank or copied from a built-in (or another own preset).

    Only owners and admins (signed in) may create it locked; a copy made by an API key starts
    unlocked (it keeps the source's rules, inert until an owner or admin locks it)."""
    require_manage(tenant, actor)
    require_lock_rights(tenant=tenant, actor=actor, preset=None, changes=fields)
    values: dict[str, Any] = {}
    source = None
    if copy_of:
        source = get_preset(tenant=tenant, preset_id=copy_of)
        values = {f: getattr(source, f) for f in COPIED}
        values["name"] = fields.get("name") or f"{source.name} (copy)"
        if actor.api_key is not None:
            values["is_locked"] = False
    values.update(_clean(fields))
    if not values.get("name"):
        raise InvalidInput(gettext("Give the preset a name."), field="name")
    require_room(
        tenant=tenant,
        rows=StylePreset.objects.filter(tenant=tenant),
        limit_field="max_presets",
        noun="presets",
    )
    try:
        with transaction.atomic():
            preset = StylePreset.objects.create(
                tenant=tenant,
                slug=_unique_slug(tenant, values["name"]),
                copied_from=source,
                **values,
            )
    except IntegrityError as exc:  # a concurrent create took the slug
        raise Conflict(gettext("A preset with this name was just created; try again.")) from exc
    record_event(
        tenant=tenant,
        actor=actor,
        action="preset.created",
        target=preset,
        metadata={"copy_of": str(source.pk) if source else None},
    )
    return preset


@transaction.atomic
def update_preset(*, tenant: Tenant, actor: Actor, preset_id, **changes: Any) -> StylePreset:
    require_manage(tenant, actor)
    preset = get_own_preset(tenant=tenant, preset_id=preset_id)
    # Row lock: the rights check and the save see the same lock state (save() writes every
    # field, so an edit racing an owner's lock would otherwise undo it).
    preset = StylePreset.objects.select_for_update().get(pk=preset.pk)
    require_lock_rights(tenant=tenant, actor=actor, preset=preset, changes=changes)
    cleaned = _clean(changes)
    for name, value in cleaned.items():
        setattr(preset, name, value)
    preset.save()
    lock_changed = {"is_locked", "lock_rules"} & set(cleaned)
    record_event(
        tenant=tenant,
        actor=actor,
        action="preset.lock_changed" if lock_changed else "preset.updated",
        target=preset,
        metadata={"fields": sorted(cleaned)},
    )
    return preset


@transaction.atomic
def delete_preset(*, tenant: Tenant, actor: Actor, preset_id) -> None:
    require_manage(tenant, actor)
    preset = get_own_preset(tenant=tenant, preset_id=preset_id)
    preset = StylePreset.objects.select_for_update().get(pk=preset.pk)  # vs a concurrent lock
    require_lock_rights(tenant=tenant, actor=actor, preset=preset)
    record_event(tenant=tenant, actor=actor, action="preset.deleted", target=preset)
    files = list(preset.references.values_list("file", flat=True))
    files += list(preset.control_images.values_list("file", flat=True))
    preset.delete()
    storage.delete_after_commit(files)


def add_reference_image(
    *, tenant: Tenant, actor: Actor, preset_id, upload, original_name: str = ""
) -> ReferenceImage:
    """Store a validated, metadata-free PNG copy of a brand reference image."""
    require_manage(tenant, actor)
    preset = get_own_preset(tenant=tenant, preset_id=preset_id)
    require_lock_rights(tenant=tenant, actor=actor, preset=preset)
    if preset.references.count() >= MAX_REFERENCES:
        raise InvalidInput(
            gettext("A preset holds at most %(max_references)s reference images.")
            % {"max_references": MAX_REFERENCES},
            field="file",
        )

    try:
        image = open_image(upload, min_side=64)
    except ImageRejected as exc:
        raise InvalidInput(exc.message, field="file", code=exc.code) from exc
    buf = io.BytesIO()
    background = parse_colour((preset.default_attributes or {}).get("background_color"))
    flatten_alpha(image, background or NEUTRAL_BACKGROUND).save(buf, format="PNG")
    name = storage.save_bytes(tenant.pk, "references", "png", buf.getvalue())
    with transaction.atomic():
        ref = ReferenceImage.objects.create(
            tenant=tenant, preset=preset, file=name, original_name=original_name[:200]
        )
        record_event(tenant=tenant, actor=actor, action="preset.reference_added", target=preset)
    return ref


def get_reference(*, tenant: Tenant, reference_id) -> ReferenceImage:
    try:
        return ReferenceImage.objects.for_tenant(tenant).get(pk=reference_id)
    except (ReferenceImage.DoesNotExist, ValidationError, ValueError) as exc:
        raise NotFound(gettext("No such reference image.")) from exc


def references_of(*, tenant: Tenant, preset_id) -> list[ReferenceImage]:
    """A preset's reference images (built-ins have none)."""
    preset = get_preset(tenant=tenant, preset_id=preset_id)
    return [] if preset.is_builtin else list(preset.references.all())


@transaction.atomic
def remove_reference_image(*, tenant: Tenant, actor: Actor, reference_id) -> None:
    require_manage(tenant, actor)
    ref = get_reference(tenant=tenant, reference_id=reference_id)
    require_lock_rights(tenant=tenant, actor=actor, preset=ref.preset)
    with transaction.atomic():
        record_event(
            tenant=tenant, actor=actor, action="preset.reference_removed", target=ref.preset
        )
        ref.delete()
        storage.delete_after_commit([ref.file.name])


def brand_kit_of(tenant: Tenant) -> BrandKitSettings:
    return BrandKitSettings.objects.filter(tenant=tenant).first() or BrandKitSettings(tenant=tenant)


@transaction.atomic
def set_locked_presets_only(*, tenant: Tenant, actor: Actor, enabled: bool) -> BrandKitSettings:
    require_manage(tenant, actor)
    if actor.api_key is not None:  # the policy restrains keys: a key must not lift it
        raise NotAllowed(
            gettext(
                "API keys cannot change the brand-kit policy; an owner or admin does, signed in."
            ),
            field="locked_presets_only",
            code=LOCK_CODE,
        )
    kit, _ = BrandKitSettings.objects.update_or_create(
        tenant=tenant, defaults={"locked_presets_only": bool(enabled)}
    )
    record_event(
        tenant=tenant,
        actor=actor,
        action="brand_kit.updated",
        target=kit,
        metadata={"locked_presets_only": kit.locked_presets_only},
    )
    return kit
