"""Submitting jobs: the request, its validation and quote, idempotent submission with credits."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Subquery
from django.utils import timezone
from django.utils.translation import gettext

from core.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotFound
from core.model_settings import fast_mode, native_size, offered_schedulers, offered_sizes
from core.vocabulary import ALLOWED_SIZES, MAX_N, SPEEDS
from generation.engines import few_step
from generation.engines import registry as engine_registry
from generation.jobs import pricing
from generation.jobs.cache import cache_key_for, cached_sources, fill_from_cache
from generation.jobs.controls import ControlUpload, PlannedControl, plan_controls, store_controls
from generation.jobs.dispatch import nudge_new_job
from generation.jobs.render_config import PresetRenderConfig, enforce_lock, render_config_for
from generation.models import GenerationJob, JobStatus
from generation.prompts import describe as describing
from generation.webhooks import delivery as webhooks
from generation.worker import model_hashes
from styles.models import StylePreset
from tenants import credits, key_policy
from tenants.actors import Actor
from tenants.audit import record_event
from tenants.billing.notifications import maybe_notify_low_balance
from tenants.models import Tenant
from tenants.roles import Perm, role_allows
from tenants.selectors import role_of

MAX_DESCRIPTION = 1000
MIN_STRENGTH = 0.05


@dataclass(frozen=True)
class JobRequest:
    """What a caller asks for; None means "use the preset's default"."""

    description: str
    preset_id: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    engine: str | None = None
    n: int = 4
    seed: int | None = None
    size: int | None = None
    steps: int | None = None
    guidance_scale: float | None = None
    scheduler: str | None = None
    speed: str = "standard"
    circle: bool = False
    adapter_strength: float | None = None
    # ControlNet: the job's own control image; the preset's control images apply unless off.
    control: ControlUpload | None = None
    use_preset_controls: bool = True
    # Internal (re-render): replay exactly these seeds, skip the cache, remember the source.
    seeds: tuple[int, ...] | None = None
    rerender_of: str | None = None
    # Internal (re-render, seed variation): replay these stored controls instead of new maps.
    controls: tuple[dict, ...] | None = None
    # Variations and region edits (set by generation.jobs.variations / edits): the parent
    # image, how much of it is re-drawn, and an edit's stored mask (name, sha256).
    mode: str = "generate"
    parent_image_id: str | None = None
    strength: float | None = None
    mask: tuple[str, str] | None = None

    @classmethod
    def from_job(cls, job: GenerationJob, **overrides: Any) -> JobRequest:
        """The request that made `job`, with `overrides` (e.g. new seeds) applied."""
        fields: dict[str, Any] = {
            "description": job.description,
            "preset_id": str(job.preset_id) if job.preset_id else None,
            "attributes": job.attributes,
            "engine": job.engine,
            "n": job.n,
            "size": job.size,
            "steps": job.steps,
            "guidance_scale": job.guidance_scale,
            "scheduler": job.scheduler,
            "speed": job.speed,
            "circle": job.circle,
            "adapter_strength": job.adapter_strength,
            "controls": tuple(job.controls or ()),
            "mode": job.mode,
            "parent_image_id": str(job.parent_image_id) if job.parent_image_id else None,
            "strength": job.strength,
            "mask": (job.mask.name, job.mask_hash) if job.mask else None,
        }
        return cls(**{**fields, **overrides})


@dataclass(frozen=True)
class Quote:
    engine: str
    cost: int
    described: describing.Described
    config: PresetRenderConfig
    size: int
    steps: int
    guidance_scale: float
    scheduler: str
    controls: tuple[PlannedControl, ...] = ()
    speed: str = "standard"


def require_access(actor: Actor, tenant: Tenant, perm: str, scope: str) -> None:
    """An API key needs `scope`; a member's role needs `perm`."""
    if actor.api_key is not None:
        if not actor.api_key.has_scope(scope):
            raise NotAllowed(
                gettext("This API key lacks the '%(scope)s' scope.") % {"scope": scope}
            )
        return

    if not role_allows(role_of(tenant=tenant, actor=actor), perm):
        raise NotAllowed(gettext("Your role does not allow generating avatars."))


def find_preset(tenant: Tenant, preset_id) -> StylePreset | None:
    """The preset if this tenant may use it (its own or a built-in one), else NotFound."""
    if not preset_id:
        return None
    try:
        return StylePreset.objects.available_to(tenant).get(pk=preset_id)
    except (StylePreset.DoesNotExist, ValidationError, ValueError) as exc:
        raise NotFound(gettext("No such style preset in this workspace."), field="preset") from exc


def _validate(request: JobRequest) -> None:
    text = (request.description or "").strip()
    if not text:
        raise InvalidInput(
            gettext("Describe the bot, e.g. 'a friendly blue robot'."), field="description"
        )
    if len(text) > MAX_DESCRIPTION:
        raise InvalidInput(
            gettext("Keep the description under %(max_description)s characters.")
            % {"max_description": MAX_DESCRIPTION},
            field="description",
        )
    if not 1 <= request.n <= MAX_N:
        raise InvalidInput(
            gettext("n must be between 1 and %(max_n)s.") % {"max_n": MAX_N}, field="n"
        )
    if request.size is not None and request.size not in ALLOWED_SIZES:
        raise InvalidInput(
            gettext("size must be one of %(allowed_sizes)s.")
            % {"allowed_sizes": ", ".join(map(str, ALLOWED_SIZES))},
            field="size",
        )
    if request.steps is not None and not 1 <= request.steps <= 100:
        raise InvalidInput(gettext("steps must be between 1 and 100."), field="steps")
    if request.guidance_scale is not None and not 0 <= request.guidance_scale <= 30:
        raise InvalidInput(
            gettext("guidance_scale must be between 0 and 30."), field="guidance_scale"
        )
    if request.seed is not None and not 0 <= request.seed < 2**31:
        raise InvalidInput(gettext("seed must be between 0 and 2147483647."), field="seed")
    if request.adapter_strength is not None and not 0 <= request.adapter_strength <= 2:
        raise InvalidInput(
            gettext("adapter_strength must be between 0 and 2."), field="adapter_strength"
        )
    if not isinstance(request.attributes, dict):
        raise InvalidInput(gettext("attributes must be an object."), field="attributes")
    if request.speed not in SPEEDS:
        raise InvalidInput(
            gettext("speed must be one of %(speeds)s.") % {"speeds": ", ".join(SPEEDS)},
            field="speed",
        )
    if request.mode != "generate":
        _validate_strength(request)


def _default_size(engine: str, config: PresetRenderConfig) -> int:
    # A preset's own size wins; otherwise diffusion renders at the model's native size
    # (1024 for SDXL, 512 for SD 1.x), where it draws best.
    if config.preset_id is None and engine == "diffusers":
        return native_size() or config.size
    return config.size


def _speed_settings(request: JobRequest, engine: str, steps, guidance, scheduler):
    """(steps, guidance, scheduler) after the speed choice, or a 400 naming the field."""
    if engine == "diffusers" and scheduler not in offered_schedulers():
        raise InvalidInput(
            gettext(
                "scheduler %(scheduler)s only works on an LCM-distilled model, which this server "
                "does not run; use one of %(offered)s, or speed 'fast'."
            )
            % {"scheduler": scheduler, "offered": ", ".join(offered_schedulers())},
            field="scheduler",
        )
    if request.speed != "fast":
        return steps, guidance, scheduler
    kind = fast_mode()
    if engine != "diffusers" or kind is None:
        raise InvalidInput(
            gettext(
                "speed 'fast' needs the diffusion engine with a few-step model configured "
                "(AVATARSAAS_FAST_MODE); the vector engine is fast already."
            ),
            field="speed",
        )
    plan = few_step.plan_for(kind)
    return plan.steps, plan.guidance_scale, scheduler


def _validate_strength(request: JobRequest) -> None:
    if request.strength is None or not MIN_STRENGTH <= request.strength <= 1:
        raise InvalidInput(
            gettext("strength must be between %(min_strength)s and 1.")
            % {"min_strength": MIN_STRENGTH},
            field="strength",
        )


def _check_steps_for_strength(request: JobRequest, engine: str, steps: int) -> None:
    # Diffusion runs int(steps x strength) denoising steps of the schedule; zero renders nothing.
    if engine == "diffusers" and request.mode != "generate" and int(steps * request.strength) < 1:
        raise InvalidInput(
            gettext(
                "strength %(strength)s of %(steps)s steps is less than one denoising "
                "step; raise the strength or the steps."
            )
            % {"strength": request.strength, "steps": steps},
            field="strength",
        )


def quote_job(*, tenant: Tenant, actor: Actor, request: JobRequest) -> Quote:
    """Validate, parse, compose and price a request without creating anything."""
    _validate(request)
    preset = find_preset(tenant, request.preset_id)
    config = render_config_for(preset)
    engine = engine_registry.resolve_engine_name(request.engine or config.engine)
    size = request.size or _default_size(engine, config)
    if engine == "diffusers" and size not in offered_sizes():
        raise InvalidInput(
            gettext(
                "size %(size)s does not suit this server's diffusion model (native %(native)s "
                "px); use one of %(offered)s."
            )
            % {
                "size": size,
                "native": native_size(),
                "offered": ", ".join(map(str, offered_sizes())),
            },
            field="size",
        )
    steps = request.steps or config.steps
    guidance = (
        request.guidance_scale if request.guidance_scale is not None else config.guidance_scale
    )
    scheduler = request.scheduler or config.scheduler
    steps, guidance, scheduler = _speed_settings(request, engine, steps, guidance, scheduler)
    _check_steps_for_strength(request, engine, steps)
    described = describing.describe(request.description, edits=request.attributes, config=config)
    controls = ()
    if request.controls is None:
        controls = tuple(
            plan_controls(
                engine=engine,
                config=config,
                upload=request.control,
                use_preset=request.use_preset_controls,
            )
        )
    enforce_lock(
        preset=preset,
        params={
            "n": request.n,
            "size": size,
            "steps": steps,
            "guidance_scale": guidance,
            "engine": engine,
            "scheduler": scheduler,
            "attributes": described.attributes,
            "custom_control": request.control is not None,
        },
        role=role_of(tenant=tenant, actor=actor),
        api_key=actor.api_key,
        tenant=tenant,
    )
    n = len(request.seeds) if request.seeds else request.n
    key_policy.enforce_key_policy(
        api_key=actor.api_key,
        use=key_policy.KeyUse(preset_id=config.preset_id, engine=engine, n=n, size=size),
    )
    n_controls = len(request.controls) if request.controls is not None else len(controls)
    cost = pricing.quote_cost(
        engine=engine,
        n=n,
        size=size,
        steps=steps,
        controls=n_controls,
        strength=request.strength if request.mode != "generate" else None,
        edit=request.mode == "edit",
        fast=request.speed == "fast",
    )
    return Quote(
        engine, cost, described, config, size, steps, guidance, scheduler, controls, request.speed
    )


def _fingerprint(request: JobRequest) -> str:
    def encode(value: Any) -> str:
        # Uploaded bytes (control image, mask) count by content, not by their text form.
        if isinstance(value, bytes | bytearray):
            return hashlib.sha256(value).hexdigest()
        return str(value)

    fields = asdict(request)
    if fields.get("mask"):
        fields["mask"] = fields["mask"][1]  # the stored name is fresh on every call; the hash
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=encode).encode()).hexdigest()


def _model_hash(engine: str) -> str:
    if engine != "diffusers":
        return ""

    return model_hashes.for_submit(settings.AVATARSAAS_SD_MODEL)


def submit_job(
    *, tenant: Tenant, actor: Actor, request: JobRequest, idempotency_key: str | None = None
) -> tuple[GenerationJob, bool]:
    """Create a job (or return the one this idempotency key already made).

    Returns (job, created). Credits are reserved in the same transaction as the job row, and
    the queue is nudged only after commit, so a job is never queued unpaid or paid unqueued.
    """
    require_access(actor, tenant, Perm.GENERATE, "jobs:write")
    return _submit(tenant, actor, request, idempotency_key)


def submit_job_for_operator(
    *, tenant: Tenant, actor: Actor, request: JobRequest, idempotency_key: str, audit: dict
) -> tuple[GenerationJob, bool]:
    """Submit on a tenant's behalf from the staff admin (staff are not members, so no role
    check: the admin site is the boundary). ``audit`` = {"action", "metadata"} is recorded in
    the job's transaction; the idempotency key makes a double-clicked action create one job."""
    return _submit(tenant, actor, request, idempotency_key, audit=audit)


def _submit(tenant, actor, request, idempotency_key, audit: dict | None = None):
    # Statement budget (issue 20: at most 8 for an API submit without uploads): the key is
    # authenticated from the cache, the replay check, the result-cache lookup and the queue
    # position share one SELECT, and the transaction is the job INSERT, one conditional UPDATE
    # of the balance, the two ledger rows and the audit row.
    fingerprint = _fingerprint(request)
    if idempotency_key and len(idempotency_key) > 200:
        raise InvalidInput(
            gettext("Idempotency-Key must be at most 200 characters."), field="Idempotency-Key"
        )
    try:
        quote = quote_job(tenant=tenant, actor=actor, request=request)
    except DomainError:
        # A replay answers with its job even when the request would be refused today
        # (credits spent, quota used, preset removed since), as it did before the quote.
        existing = _existing_for_key(tenant, idempotency_key, fingerprint)
        if existing is not None:
            return existing, False
        raise
    job = _new_job(tenant, actor, request, quote, idempotency_key, fingerprint)
    replay_checked = False
    if quote.controls and request.controls is None:
        # Storing control maps writes files: make sure this is no replay before writing them.
        existing = _existing_for_key(tenant, idempotency_key, fingerprint)
        if existing is not None:
            return existing, False
        replay_checked = True
        job.controls = store_controls(tenant.pk, quote.size, list(quote.controls))
    # An unknown model hash (weights not readable here, none published yet) cannot identify
    # the pixels: no cache key, no lookup. The worker fills both in when it renders.
    hash_known = job.engine != "diffusers" or bool(job.model_hash)
    job.cache_key = cache_key_for(job, quote.config.palette) if hash_known else ""
    prior = _prior_reads(
        tenant,
        idempotency_key=None if replay_checked else idempotency_key,
        cache_key=job.cache_key if not request.rerender_of else "",
    )
    if prior.replay_id is not None:
        existing = _existing_for_key(tenant, idempotency_key, fingerprint)
        if existing is not None:
            return existing, False
    job.queued_ahead = prior.queued_ahead
    try:
        with transaction.atomic():
            key_policy.recheck_quota_locked(actor.api_key)
            _save_job(tenant, actor, job, prior.cache_source_id)
            if audit:
                record_event(
                    tenant=tenant,
                    actor=actor,
                    action=audit["action"],
                    target=job,
                    metadata=audit.get("metadata", {}),
                )
    except IntegrityError:
        # A concurrent request with the same key committed first: answer with its job.
        existing = _existing_for_key(tenant, idempotency_key, fingerprint)
        if existing is None:
            raise
        return existing, False
    _after_submit(tenant, job)
    return job, True


def _existing_for_key(tenant, key: str | None, fingerprint: str) -> GenerationJob | None:
    if not key:
        return None
    job = GenerationJob.objects.for_tenant(tenant).filter(idempotency_key=key).first()
    if job is not None and job.request_fingerprint != fingerprint:
        raise Conflict(
            gettext(
                "This Idempotency-Key was already used with a different request body; "
                "use a new key."
            ),
            field="Idempotency-Key",
            code="idempotency_key_reused",
        )
    return job


@dataclass(frozen=True)
class PriorReads:
    replay_id: Any  # the job this Idempotency-Key already made, if any
    cache_source_id: Any  # the latest rendered job with the same pixels, if any
    queued_ahead: int  # jobs waiting in the queue before this one is added


def _prior_reads(tenant: Tenant, *, idempotency_key: str | None, cache_key: str) -> PriorReads:
    """Three reads the submit needs, in one statement (scalar subqueries on the tenant row)."""
    jobs = GenerationJob.objects.for_tenant(tenant)
    replay = jobs.filter(idempotency_key=idempotency_key) if idempotency_key else jobs.none()
    source = cached_sources(tenant, cache_key) if cache_key else jobs.none()
    queued = (
        GenerationJob.objects.filter(status=JobStatus.QUEUED)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values("n")
    )
    row = (
        Tenant.objects.filter(pk=tenant.pk)
        .annotate(
            replay_id=Subquery(replay.values("pk")[:1]),
            source_id=Subquery(source.values("pk")[:1]),
            queued=Subquery(queued[:1]),
        )
        .values_list("replay_id", "source_id", "queued")
        .first()
    )
    replay_id, source_id, queued_count = row or (None, None, 0)
    return PriorReads(replay_id, source_id, queued_count or 0)


def _new_job(tenant, actor, request, quote: Quote, idempotency_key, fingerprint) -> GenerationJob:
    """The unsaved row; its stored controls and cache key are filled in by the caller."""
    base_seed = request.seed if request.seed is not None else secrets.randbelow(2**31 - MAX_N)
    seeds = list(request.seeds) if request.seeds else [base_seed + i for i in range(request.n)]
    adapter = quote.config.adapter if quote.engine == "diffusers" else None
    strength = (
        request.adapter_strength
        if request.adapter_strength is not None
        else (adapter.strength if adapter else None)
    )
    return GenerationJob(
        tenant=tenant,
        requested_by_user=actor.user,
        requested_by_key=actor.api_key,
        preset_id=quote.config.preset_id,
        description=request.description.strip(),
        parsed_attributes=quote.described.parsed_attributes,
        attributes=quote.described.attributes,
        unknown_words=quote.described.unknown_words,
        prompt=quote.described.prompt,
        negative_prompt=quote.described.negative_prompt,
        engine=quote.engine,
        n=len(seeds),
        seeds=seeds,
        rerender_of_id=request.rerender_of,
        size=quote.size,
        steps=quote.steps,
        guidance_scale=quote.guidance_scale,
        scheduler=quote.scheduler,
        speed=quote.speed,
        adapter_version_id=adapter.version_id if adapter else "",
        adapter_strength=strength,
        circle=request.circle,
        model_hash=_model_hash(quote.engine),
        cost_credits=quote.cost,
        idempotency_key=idempotency_key or None,
        request_fingerprint=fingerprint,
        mode=request.mode,
        parent_image_id=request.parent_image_id,
        strength=request.strength if request.mode != "generate" else None,
        mask=request.mask[0] if request.mask else "",
        mask_hash=request.mask[1] if request.mask else "",
        controls=list(request.controls) if request.controls is not None else [],
    )


def _save_job(tenant, actor, job: GenerationJob, cache_source_id) -> None:
    """Inside the submit transaction: a cache hit copies the earlier job's images (free);
    otherwise the row is inserted, credits are held for it and the submit is audited."""
    source = None
    if cache_source_id is not None:
        source = GenerationJob.objects.for_tenant(tenant).filter(pk=cache_source_id).first()
    if source is not None:
        fill_from_cache(job, source)
        return
    # Stamped here rather than by an UPDATE after commit: the nudge follows the commit.
    job.last_enqueued_at = timezone.now()
    job.save(force_insert=True)
    credits.reserve_credits_for_new_job(
        tenant=tenant, amount=job.cost_credits, reference=f"job:{job.pk}", actor=actor
    )
    record_event(
        tenant=tenant,
        actor=actor,
        action="job.submitted",
        target=job,
        metadata={"engine": job.engine, "n": job.n, "cost": job.cost_credits},
    )


def _after_submit(tenant: Tenant, job: GenerationJob) -> None:
    if job.status == JobStatus.QUEUED:
        transaction.on_commit(lambda: nudge_new_job(job.pk))
        transaction.on_commit(lambda: maybe_notify_low_balance(tenant, tenant.credit_balance))
    elif job.status == JobStatus.SUCCEEDED:
        webhooks.emit_job_event(job)
