"""What users tell us about candidates: thumbs up/down, picks and downloads.

One `ImageFeedback` row per (image, member) or (image, API key): a vote (at most one, changed or
withdrawn at will), when the image was picked, how often it was downloaded. Votes and picks, and
an actor's first download of an image, land in the workspace's audit log. The system actor
(staff actions, tasks) leaves no feedback.

After each change the job's *choice* is worked out again: the latest pick, else the latest
download, else the latest thumbs up. Downloads are the dashboard's pack zip and the API's file
downloads other than the small square WebP thumbnails (clients and pages show those as
previews); files served straight from S3 through signed URLs are not seen. It is
stored on the job with the rank the worker had given that candidate (`chosen_image`,
`chosen_rank`, `chosen_at`): the satisfaction measure and the ranker's training data read it.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from core.errors import InvalidInput, NotAllowed, NotFound
from generation.jobs.submit import require_access
from generation.models import (
    GeneratedImage,
    GenerationJob,
    ImageFeedback,
    ImageFile,
    Vote,
    WorkspaceRanker,
)
from tenants.actors import Actor
from tenants.audit import record_event
from tenants.models import Tenant
from tenants.roles import Perm

PREVIEW_MAX = 256  # the thumbnail the worker stores for pages: square WebP, up to 256 px


def _who(actor: Actor) -> dict | None:
    if actor.api_key is not None:
        return {"api_key": actor.api_key}
    if actor.user is not None:
        return {"user": actor.user}
    return None


def _image(tenant: Tenant, image_id) -> GeneratedImage:
    try:
        return GeneratedImage.objects.for_tenant(tenant).select_related("job").get(pk=image_id)
    except (GeneratedImage.DoesNotExist, ValidationError, ValueError) as exc:
        raise NotFound(gettext("Image not found.")) from exc


def _row(image: GeneratedImage, who: dict) -> ImageFeedback:
    """The actor's row for `image`, locked (created on first use; a racing create is retried)."""
    rows = ImageFeedback.objects.select_for_update()
    try:
        with transaction.atomic():
            row, _ = rows.get_or_create(
                image=image, **who, defaults={"tenant_id": image.tenant_id, "job_id": image.job_id}
            )
    except IntegrityError:
        row = rows.get(image=image, **who)
    return row


def clean_vote(value) -> str:
    if value in (None, ""):
        return ""
    if value not in Vote.values:
        raise InvalidInput(gettext('vote must be "up", "down" or null.'), field="vote")
    return value


def vote_image(*, tenant: Tenant, actor: Actor, image_id, vote) -> ImageFeedback:
    """Set (or with None, withdraw) the actor's thumbs up/down on one candidate."""
    require_access(actor, tenant, Perm.GENERATE, "jobs:write")
    value = clean_vote(vote)
    image = _image(tenant, image_id)
    who = _who(actor)
    if who is None:
        raise NotAllowed(gettext("Votes come from a member or an API key."))
    with transaction.atomic():
        row = _row(image, who)
        previous = row.vote
        row.vote = value
        row.voted_at = timezone.now() if value else None
        row.save(update_fields=["vote", "voted_at", "updated_at"])
        if previous != value:
            record_event(
                tenant=tenant,
                actor=actor,
                action="image.voted",
                target=image,
                metadata={"vote": value or None, "previous": previous or None},
            )
        update_choice(image.job_id)
    return row


def record_pick(*, tenant: Tenant, actor: Actor, image: GeneratedImage) -> None:
    """The actor made `image` the job's winner (`generation.jobs.changes.select_image`)."""
    who = _who(actor)
    if who is None or image.tenant_id != tenant.pk:
        return
    with transaction.atomic():
        row = _row(image, who)
        row.picked_at = timezone.now()
        row.save(update_fields=["picked_at", "updated_at"])
        record_event(tenant=tenant, actor=actor, action="image.picked", target=image)
        update_choice(image.job_id)


def is_download(f: ImageFile | None) -> bool:
    """A zip (None) or a pack file is a download; a square WebP thumbnail is a preview."""
    return f is None or not (f.shape == "square" and f.format == "webp" and f.size <= PREVIEW_MAX)


def record_download(
    *, tenant: Tenant, actor: Actor, image: GeneratedImage, file: ImageFile | None = None
) -> None:
    """The actor downloaded `image` (its pack zip, or one of its files other than the preview)."""
    who = _who(actor)
    if who is None or image.tenant_id != tenant.pk or not is_download(file):
        return
    with transaction.atomic():
        row = _row(image, who)
        row.downloads += 1
        row.last_downloaded_at = timezone.now()
        row.save(update_fields=["downloads", "last_downloaded_at", "updated_at"])
        if row.downloads == 1:
            record_event(tenant=tenant, actor=actor, action="image.downloaded", target=image)
        update_choice(image.job_id)


def record_file_download(*, tenant: Tenant, actor: Actor, file: ImageFile) -> None:
    if is_download(file):
        record_download(tenant=tenant, actor=actor, image=file.image, file=file)


def _chosen(job_id):
    """The image id the job's feedback singles out (see the module docstring), or None."""
    rows = ImageFeedback.objects.filter(job_id=job_id)
    for field, extra in (
        ("picked_at", {}),
        ("last_downloaded_at", {"downloads__gt": 0}),
        ("voted_at", {"vote": Vote.UP}),
    ):
        found = (
            rows.filter(**{f"{field}__isnull": False}, **extra)
            .order_by(f"-{field}")
            .values_list("image_id", flat=True)
            .first()
        )
        if found is not None:
            return found
    return None


def _ensure_ranker_row(tenant_id) -> None:
    """The workspace appears in the staff admin (satisfaction, ranker) from its first choice."""
    try:
        with transaction.atomic():
            WorkspaceRanker.objects.get_or_create(tenant_id=tenant_id)
    except IntegrityError:
        pass  # created by a concurrent request


def update_choice(job_id) -> None:
    """Work out the job's chosen candidate again and store it with its rank."""
    image_id = _chosen(job_id)
    jobs = GenerationJob.objects.select_for_update().only("chosen_image_id", "tenant_id")
    job = jobs.get(pk=job_id)
    if image_id == job.chosen_image_id:
        return
    if image_id is None:
        changes = {"chosen_image": None, "chosen_rank": None, "chosen_at": None}
    else:
        rank = GeneratedImage.objects.filter(pk=image_id).values_list("rank", flat=True).first()
        changes = {"chosen_image_id": image_id, "chosen_rank": rank, "chosen_at": timezone.now()}
        _ensure_ranker_row(job.tenant_id)
    GenerationJob.objects.filter(pk=job_id).update(**changes)


def feedback_for(*, actor: Actor, images) -> dict:
    """{image id: the actor's ImageFeedback} for the images on a page (empty for no actor)."""
    who = _who(actor)
    if who is None:
        return {}
    rows = ImageFeedback.objects.filter(image__in=list(images), **who)
    return {row.image_id: row for row in rows}
