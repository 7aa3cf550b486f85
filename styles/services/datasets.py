"""LoRA datasets: create, look up, edit captions, delete (refused while a fine-tune uses one).

Uploads into a dataset are ingested by `dataset_ingest`.
"""

from __future__ import annotations

import hashlib
import re
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from core import storage
from core.errors import Conflict, InvalidInput, NotFound
from styles.models import DatasetImage, FineTune, FineTuneState, LoraDataset
from styles.services.plan_limits import require_room
from styles.services.presets import require_manage
from tenants.actors import Actor
from tenants.audit import record_event
from tenants.models import Tenant

MAX_CAPTION = 500


def get_dataset(*, tenant: Tenant, dataset_id) -> LoraDataset:
    try:
        return LoraDataset.objects.for_tenant(tenant).get(pk=dataset_id)
    except (LoraDataset.DoesNotExist, ValidationError, ValueError) as exc:
        raise NotFound(gettext("No such dataset in this workspace.")) from exc


@transaction.atomic
def create_dataset(
    *, tenant: Tenant, actor: Actor, name: str, trigger_word: str = ""
) -> LoraDataset:
    require_manage(tenant, actor)
    name = (name or "").strip()
    if not name:
        raise InvalidInput(gettext("Give the dataset a name."), field="name")
    trigger_word = check_trigger_word(trigger_word)
    require_room(
        tenant=tenant,
        rows=LoraDataset.objects.for_tenant(tenant),
        limit_field="max_datasets",
        noun="datasets",
    )
    dataset = LoraDataset.objects.create(
        tenant=tenant, name=name[:100], trigger_word=trigger_word, created_by=actor.user
    )
    record_event(tenant=tenant, actor=actor, action="dataset.created", target=dataset)
    return dataset


def check_trigger_word(word: str) -> str:
    """The trigger word, stripped; a clear error unless it is 2-40 letters, digits, _ or -."""
    word = (word or "").strip()
    if word and not re.fullmatch(r"[A-Za-z0-9_-]{2,40}", word):
        raise InvalidInput(
            gettext("trigger_word must be 2-40 letters, digits, '_' or '-', e.g. 'acmebot'."),
            field="trigger_word",
        )
    return word


# A fine-tune in these states reads the dataset (review shows it; training loads it), so the
# dataset and its images stay as they are until it ends or is canceled.
IN_USE = (
    FineTuneState.SUBMITTED,
    FineTuneState.APPROVED,
    FineTuneState.QUEUED,
    FineTuneState.TRAINING,
    FineTuneState.VALIDATING,
)


def _lock_unused(tenant: Tenant, dataset_id) -> LoraDataset:
    """Lock the dataset row (uploads and new fine-tunes wait on it), then every fine-tune of
    it, and refuse while one is in review or training."""
    dataset = get_dataset(tenant=tenant, dataset_id=dataset_id)
    dataset = LoraDataset.objects.select_for_update().get(pk=dataset.pk)
    busy = list(
        FineTune.objects.select_for_update()
        .filter(dataset=dataset, state__in=IN_USE)
        .values_list("name", "state")
    )
    if busy:
        name, state = busy[0]
        raise Conflict(
            gettext(
                "Fine-tune '%(name)s' uses this dataset (%(state)s); cancel it or wait "
                "for it to end."
            )
            % {"name": name, "state": state},
            code="dataset_in_use",
        )
    return dataset


def delete_dataset(*, tenant: Tenant, actor: Actor, dataset_id) -> dict:
    """Delete a dataset, its images and their stored files.

    Draft fine-tunes of it go too (nothing was reserved for them); finished ones keep their
    adapter and lineage (`dataset_hash`) and show the dataset as deleted."""
    require_manage(tenant, actor)
    with transaction.atomic():
        dataset = _lock_unused(tenant, dataset_id)
        files = list(dataset.images.exclude(file="").values_list("file", flat=True))
        images = dataset.images.count()
        drafts, _ = FineTune.objects.filter(dataset=dataset, state=FineTuneState.DRAFT).delete()
        record_event(
            tenant=tenant,
            actor=actor,
            action="dataset.deleted",
            target=dataset,
            metadata={"name": dataset.name, "images": images, "draft_finetunes": drafts},
        )
        dataset.delete()
        storage.delete_after_commit(files)
    return {"images": images, "draft_finetunes": drafts}


def get_dataset_image(*, tenant: Tenant, image_id) -> DatasetImage:
    try:
        return DatasetImage.objects.for_tenant(tenant).select_related("dataset").get(pk=image_id)
    except (DatasetImage.DoesNotExist, ValidationError, ValueError) as exc:
        raise NotFound(gettext("No such dataset image in this workspace.")) from exc


def delete_dataset_image(*, tenant: Tenant, actor: Actor, image_id) -> LoraDataset:
    """Remove one image (accepted or rejected) and its stored file from a dataset."""
    require_manage(tenant, actor)
    image = get_dataset_image(tenant=tenant, image_id=image_id)
    with transaction.atomic():
        dataset = _lock_unused(tenant, image.dataset_id)
        image = DatasetImage.objects.filter(pk=image.pk, dataset=dataset).first()
        if image is None:
            raise NotFound(gettext("No such dataset image in this workspace."))
        record_event(
            tenant=tenant,
            actor=actor,
            action="dataset.image_removed",
            target=dataset,
            metadata={"image": str(image.pk), "name": image.original_name},
        )
        image.delete()
        storage.delete_after_commit([image.file.name])
    return dataset


@transaction.atomic
def update_captions(*, tenant: Tenant, actor: Actor, dataset_id, captions: dict) -> int:
    """Set captions by image id; returns how many changed."""
    require_manage(tenant, actor)
    dataset = get_dataset(tenant=tenant, dataset_id=dataset_id)
    rows = {
        str(img.pk): img
        for img in DatasetImage.objects.for_tenant(tenant).filter(
            dataset=dataset, pk__in=[k for k in captions if _is_uuid(k)]
        )
    }
    changed = 0
    for key, caption in captions.items():
        img = rows.get(str(key))
        if img is None:
            raise NotFound(gettext("No image %(key)s in this dataset.") % {"key": key})
        caption = " ".join(str(caption).split())[:MAX_CAPTION]
        if caption != img.caption:
            img.caption = caption
            img.save(update_fields=["caption"])
            changed += 1
    if changed:
        record_event(
            tenant=tenant,
            actor=actor,
            action="dataset.captions_edited",
            target=dataset,
            metadata={"count": changed},
        )
    return changed


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def accepted_images(dataset: LoraDataset):
    return DatasetImage.objects.filter(
        dataset=dataset, status=DatasetImage.Status.ACCEPTED
    ).order_by("created_at", "original_name")


def dataset_hash(dataset: LoraDataset) -> str:
    """sha256 over the accepted images' content hashes and captions, order-independent."""
    digest = hashlib.sha256()
    for sha, caption in sorted(accepted_images(dataset).values_list("sha256", "caption")):
        digest.update(f"{sha}\0{caption}\n".encode())
    return digest.hexdigest()
