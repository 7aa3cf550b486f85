"""Fine-tune use cases and the one state machine every state change goes through.

draft -> submitted -> approved | rejected -> queued -> training -> validating -> ready,
with failed/canceled exits, and training/validating -> queued when a worker's lease runs out.
`transition_finetune` also moves the credits (release on rejected/canceled/failed, settle on ready)
and notifies the tenant (webhooks `finetune.*`), so no caller can forget either.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from core.events import webhook_event
from core.queue import GPU_CLUSTER, nudge
from core.training_recipe import TrainingRecipe
from styles.models import FineTune, FineTuneState, LoraDataset
from styles.services.datasets import accepted_images, check_trigger_word, dataset_hash, get_dataset
from styles.services.presets import get_own_preset, require_manage
from tenants import credits
from tenants.actors import Actor
from tenants.audit import record_event
from tenants.models import Tenant

ALLOWED: dict[str, set[str]] = {
    FineTuneState.DRAFT: {FineTuneState.SUBMITTED, FineTuneState.CANCELED},
    FineTuneState.SUBMITTED: {
        FineTuneState.APPROVED,
        FineTuneState.REJECTED,
        FineTuneState.CANCELED,
    },
    FineTuneState.APPROVED: {FineTuneState.QUEUED, FineTuneState.CANCELED},
    FineTuneState.REJECTED: set(),
    FineTuneState.QUEUED: {FineTuneState.TRAINING, FineTuneState.CANCELED, FineTuneState.FAILED},
    FineTuneState.TRAINING: {
        FineTuneState.VALIDATING,
        FineTuneState.QUEUED,
        FineTuneState.FAILED,
        FineTuneState.CANCELED,
    },
    FineTuneState.VALIDATING: {
        FineTuneState.READY,
        FineTuneState.QUEUED,
        FineTuneState.FAILED,
        FineTuneState.CANCELED,
    },
    FineTuneState.READY: set(),
    FineTuneState.FAILED: set(),
    FineTuneState.CANCELED: set(),
}
TERMINAL = frozenset(
    {FineTuneState.REJECTED, FineTuneState.READY, FineTuneState.FAILED, FineTuneState.CANCELED}
)
EVENTS = {
    FineTuneState.SUBMITTED: "finetune.submitted",
    FineTuneState.APPROVED: "finetune.approved",
    FineTuneState.REJECTED: "finetune.rejected",
    FineTuneState.READY: "finetune.ready",
    FineTuneState.FAILED: "finetune.failed",
    FineTuneState.CANCELED: "finetune.canceled",
}
SYSTEM = Actor.system()


@dataclass(frozen=True)
class Range:
    low: float
    high: float
    default: Any


# Safe defaults for SD 1.5 style LoRAs; the ranges keep a run from being useless or runaway.
HYPERPARAMETERS: dict[str, Range] = {
    "rank": Range(1, 128, 16),
    "alpha": Range(1, 256, 16),
    "steps": Range(10, 10000, 1000),
    "learning_rate": Range(1e-6, 1e-2, 1e-4),
    "resolution": Range(32, 1024, 512),
    "batch_size": Range(1, 16, 4),
    "checkpoint_every": Range(0, 10000, 100),
}
FLAGS = ("train_text_encoder", "gradient_checkpointing")


def transition_finetune(ft: FineTune, target: str, *, actor: Actor = SYSTEM, **fields) -> FineTune:
    """Move `ft` (a row locked by the caller) to `target`, with its side effects."""
    if target not in ALLOWED.get(ft.state, set()):
        raise Conflict(
            gettext("A %(state)s fine-tune cannot become %(target)s.")
            % {"state": ft.state, "target": target},
            field="state",
            code="invalid_state",
        )
    previous = ft.state
    ft.state = target
    changed = {"state", *fields}
    for name, value in fields.items():
        setattr(ft, name, value)
    if target in TERMINAL or target == FineTuneState.QUEUED:
        ft.lease_owner, ft.lease_expires_at = "", None
        changed |= {"lease_owner", "lease_expires_at"}
    if target in TERMINAL:
        ft.finished_at = timezone.now()
        ft.eta_seconds = None
        changed |= {"finished_at", "eta_seconds"}
    ft.save(update_fields=sorted(changed))
    if target in (FineTuneState.REJECTED, FineTuneState.CANCELED, FineTuneState.FAILED):
        credits.release_credits(tenant=ft.tenant, reference=ft.credit_reference, actor=actor)
    elif target == FineTuneState.READY:
        credits.settle_credits(tenant=ft.tenant, reference=ft.credit_reference, actor=actor)
    record_event(
        tenant=ft.tenant,
        actor=actor,
        action=f"finetune.{target}",
        target=ft,
        metadata={"from": previous, **({"note": ft.review_note} if ft.review_note else {})},
    )
    if target in EVENTS:
        webhook_event.send(
            sender=FineTune, tenant=ft.tenant, event_type=EVENTS[target], data=finetune_payload(ft)
        )
    return ft


def finetune_payload(ft: FineTune) -> dict[str, Any]:
    adapter = getattr(ft, "adapter", None) if ft.state == FineTuneState.READY else None
    return {
        "id": str(ft.pk),
        "name": ft.name,
        "state": ft.state,
        "note": ft.review_note or None,
        "cost_credits": ft.cost_credits,
        "failure": {"code": ft.failure_code, "message": ft.failure_message}
        if ft.state == FineTuneState.FAILED
        else None,
        "adapter": {"id": str(adapter.pk), "version": adapter.version} if adapter else None,
    }


def quote_credits(*, steps: int, batch_size: int, resolution: int, train_text_encoder: bool) -> int:
    """Credits for a run: a base fee plus GPU work, in 512²-image-steps per 20 credits."""
    work = steps * batch_size * (resolution / 512) ** 2 * (1.5 if train_text_encoder else 1.0)
    base = int(getattr(settings, "AVATARSAAS_FINETUNE_BASE_CREDITS", 20))
    return base + math.ceil(work / 20)


def validate_hyperparameters(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, rng in HYPERPARAMETERS.items():
        raw = values.get(name)
        if raw in (None, ""):
            out[name] = rng.default
            continue
        try:
            value = float(raw) if name == "learning_rate" else int(raw)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(
                gettext("%(name)s must be a number.") % {"name": name}, field=name
            ) from exc
        if not rng.low <= value <= rng.high:
            raise InvalidInput(
                gettext("%(name)s must be between %(low)s and %(high)s (default %(default)s).")
                % {
                    "name": name,
                    "low": format(rng.low, "g"),
                    "high": format(rng.high, "g"),
                    "default": format(rng.default, "g"),
                },
                field=name,
            )
        out[name] = value
    if out["resolution"] % 8:
        raise InvalidInput(gettext("resolution must be a multiple of 8."), field="resolution")
    for flag in FLAGS:
        out[flag] = bool(values.get(flag, False))
    return out


def check_trigger_matches(trigger: str, dataset: LoraDataset) -> None:
    """The adapter is called up by the fine-tune's trigger, which goes into every training
    caption; a dataset captioned for another trigger would teach two words for one style."""
    if dataset.trigger_word and trigger != dataset.trigger_word:
        raise InvalidInput(
            gettext(
                "trigger_word '%(trigger)s' differs from the dataset's "
                "'%(trigger_word)s'; use the dataset's trigger word or change the "
                "dataset's first."
            )
            % {"trigger": trigger, "trigger_word": dataset.trigger_word},
            field="trigger_word",
        )


def derived_steps(recipe: TrainingRecipe, *, n_images: int, batch_size: int) -> int:
    """Steps for the recipe's passes over `n_images`, within the allowed steps range."""
    rng = HYPERPARAMETERS["steps"]
    return int(min(rng.high, max(rng.low, recipe.steps_for(n_images, batch_size))))


def require_train(tenant: Tenant, actor: Actor) -> None:
    """API keys need `finetunes:write`; people need the manage-styles permission."""
    if actor.api_key is not None:
        if not actor.api_key.has_scope("finetunes:write"):
            raise NotAllowed(gettext("This API key lacks the 'finetunes:write' scope."))
        return
    require_manage(tenant, actor)


def get_finetune(*, tenant: Tenant, finetune_id) -> FineTune:
    try:
        return FineTune.objects.for_tenant(tenant).select_related("dataset").get(pk=finetune_id)
    except (FineTune.DoesNotExist, ValidationError, ValueError) as exc:
        raise NotFound(gettext("No such fine-tune in this workspace.")) from exc


def _locked(finetune_id) -> FineTune:
    return FineTune.objects.select_for_update().select_related("tenant").get(pk=finetune_id)


@transaction.atomic
def create_finetune(
    *,
    tenant: Tenant,
    actor: Actor,
    dataset_id,
    name: str,
    trigger_word: str = "",
    preset_id=None,
    recipe: dict[str, Any] | None = None,
    **hyperparameters: Any,
) -> FineTune:
    """A draft with validated hyperparameters and its cost quote (nothing reserved yet).

    Without `steps`, the step count follows the dataset size (the recipe's passes over its
    accepted images) and is derived again at submit, when the dataset is final.
    """
    require_train(tenant, actor)
    dataset = get_dataset(tenant=tenant, dataset_id=dataset_id)
    # Held to commit: a concurrent deletion of the dataset waits, then sees this draft.
    dataset = LoraDataset.objects.select_for_update().filter(pk=dataset.pk).first()
    if dataset is None:
        raise NotFound(gettext("No such dataset in this workspace."))
    preset = get_own_preset(tenant=tenant, preset_id=preset_id) if preset_id else None
    trigger = check_trigger_word(trigger_word or dataset.trigger_word)
    if not trigger:
        raise InvalidInput(
            gettext("A trigger word is required, e.g. 'acmebot'."), field="trigger_word"
        )
    check_trigger_matches(trigger, dataset)
    params = validate_hyperparameters(hyperparameters)
    training_recipe = TrainingRecipe.from_dict(recipe)
    steps_derived = hyperparameters.get("steps") in (None, "")
    if steps_derived:
        params["steps"] = derived_steps(
            training_recipe,
            n_images=accepted_images(dataset).count(),
            batch_size=params["batch_size"],
        )
    ft = FineTune.objects.create(
        tenant=tenant,
        name=(name or "").strip()[:100] or dataset.name,
        dataset=dataset,
        preset=preset,
        trigger_word=trigger,
        recipe=training_recipe.to_dict(),
        steps_derived=steps_derived,
        created_by=actor.user,
        cost_credits=quote_credits(
            steps=params["steps"],
            batch_size=params["batch_size"],
            resolution=params["resolution"],
            train_text_encoder=params["train_text_encoder"],
        ),
        **params,
    )
    record_event(tenant=tenant, actor=actor, action="finetune.created", target=ft)
    return ft


def _check_plan(tenant: Tenant) -> None:
    """Submissions this calendar month (UTC) count against the plan, unless staff rejected
    them or they were canceled before running; the caller holds the fine-tune row lock."""
    allowed = tenant.plan.finetunes_per_month
    start = timezone.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    used = (
        FineTune.objects.for_tenant(tenant)
        .filter(created_at__gte=start)
        .exclude(state__in=[FineTuneState.DRAFT, FineTuneState.REJECTED])
        .exclude(state=FineTuneState.CANCELED, started_at__isnull=True)
        .count()
    )
    if used >= allowed:
        raise NotAllowed(
            gettext(
                "Your %(name)s plan includes %(allowed)s fine-tune(s) a month and "
                "%(used)s ran this month; upgrade to train more."
            )
            % {"name": tenant.plan.name, "allowed": allowed, "used": used},
            code="plan_limit",
        )


def submit_finetune(*, tenant: Tenant, actor: Actor, finetune_id) -> FineTune:
    """Reserve the quoted credits and send the draft to staff review."""
    require_train(tenant, actor)
    with transaction.atomic():
        ft = _locked(get_finetune(tenant=tenant, finetune_id=finetune_id).pk)
        if ft.state != FineTuneState.DRAFT:
            raise Conflict(
                gettext("Only drafts can be submitted; this one is %(state)s.")
                % {"state": ft.state}
            )
        if ft.dataset_id is None:
            raise Conflict(
                gettext("Its dataset was deleted; create a new fine-tune from another one.")
            )
        _check_plan(ft.tenant)
        minimum = int(getattr(settings, "AVATARSAAS_FINETUNE_MIN_IMAGES", 5))
        count = accepted_images(ft.dataset).count()
        if count < minimum:
            raise InvalidInput(
                gettext(
                    "The dataset has %(count)s accepted image(s); at least %(minimum)s are needed."
                )
                % {"count": count, "minimum": minimum},
                field="dataset",
            )
        check_trigger_matches(ft.trigger_word, ft.dataset)
        if ft.steps_derived:  # the dataset may have grown or shrunk since the draft
            _requote(ft, count)
        credits.reserve_credits(
            tenant=ft.tenant, amount=ft.cost_credits, reference=ft.credit_reference, actor=actor
        )
        transition_finetune(
            ft, FineTuneState.SUBMITTED, actor=actor, dataset_hash=dataset_hash(ft.dataset)
        )
    return ft


def _requote(ft: FineTune, n_images: int) -> None:
    recipe = TrainingRecipe.from_stored(ft.recipe)
    ft.steps = derived_steps(recipe, n_images=n_images, batch_size=ft.batch_size)
    ft.cost_credits = quote_credits(
        steps=ft.steps,
        batch_size=ft.batch_size,
        resolution=ft.resolution,
        train_text_encoder=ft.train_text_encoder,
    )
    ft.save(update_fields=["steps", "cost_credits"])


def approve_finetune(*, finetune_id, staff_user, note: str = "") -> FineTune:
    """Staff approval: the run is queued on the GPU cluster right away."""
    actor = Actor(user=staff_user)
    with transaction.atomic():
        ft = _locked(finetune_id)
        transition_finetune(
            ft,
            FineTuneState.APPROVED,
            actor=actor,
            reviewed_by=staff_user,
            reviewed_at=timezone.now(),
            review_note=note[:500],
        )
        transition_finetune(ft, FineTuneState.QUEUED, actor=actor)
        transaction.on_commit(lambda: enqueue_training(ft.pk))
    return ft


def reject_finetune(*, finetune_id, staff_user, note: str) -> FineTune:
    note = (note or "").strip()
    if not note:
        raise InvalidInput(
            gettext("Say why the fine-tune is rejected; the tenant sees the note."), field="note"
        )
    with transaction.atomic():
        ft = _locked(finetune_id)
        transition_finetune(
            ft,
            FineTuneState.REJECTED,
            actor=Actor(user=staff_user),
            reviewed_by=staff_user,
            reviewed_at=timezone.now(),
            review_note=note[:500],
        )
    return ft


def cancel_finetune(*, tenant: Tenant, actor: Actor, finetune_id) -> FineTune:
    require_train(tenant, actor)
    with transaction.atomic():
        ft = _locked(get_finetune(tenant=tenant, finetune_id=finetune_id).pk)
        if ft.state in TERMINAL:
            raise Conflict(
                gettext("The fine-tune is already %(state)s.") % {"state": ft.state},
                code="invalid_state",
            )
        transition_finetune(ft, FineTuneState.CANCELED, actor=actor)
    return ft


def enqueue_training(finetune_id) -> None:
    """Nudge the GPU cluster; the FineTune row (state queued), not the message, is the truth."""
    FineTune.objects.filter(pk=finetune_id).update(last_enqueued_at=timezone.now())
    nudge(
        "generation.tasks.run_finetune",
        str(finetune_id),
        what=f"fine-tune {finetune_id}",
        cluster=GPU_CLUSTER,
        task_name=f"finetune-{finetune_id}",
        # Training outlives the cluster's default timeout; the lease, not this, detects death.
        timeout=int(getattr(settings, "AVATARSAAS_FINETUNE_TIMEOUT", 6 * 3600)),
    )
