"""Near-duplicate warnings of a dataset: keep both pictures, or drop one of the pair.

Ingestion (`dataset_ingest`) records a `DuplicatePair` when an accepted image looks like an
edited copy of another; training is never blocked by one. Dropping an image deletes it (and
with it every pair it is in) through `datasets.delete_dataset_image`, so the same rule holds:
not while a fine-tune in review or training uses the dataset.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from core.errors import InvalidInput, NotFound
from styles.models import DuplicatePair
from styles.services.datasets import delete_dataset_image
from styles.services.presets import require_manage
from tenants.actors import Actor
from tenants.audit import record_event
from tenants.models import Tenant

ACTIONS = ("keep_both", "drop")


def get_pair(*, tenant: Tenant, pair_id, dataset_id=None) -> DuplicatePair:
    pairs = DuplicatePair.objects.for_tenant(tenant).select_related("image", "other", "dataset")
    if dataset_id is not None:
        pairs = pairs.filter(dataset_id=dataset_id)
    try:
        return pairs.get(pk=pair_id)
    except (DuplicatePair.DoesNotExist, ValidationError, ValueError) as exc:
        raise NotFound(gettext("No such near-duplicate warning in this workspace.")) from exc


def resolve_duplicate(
    *, tenant: Tenant, actor: Actor, pair_id, action: str, drop=None, dataset_id=None
) -> DuplicatePair | None:
    """`keep_both` dismisses the warning (the pair is returned); `drop` deletes the image
    `drop` (one of the two) and the warning with it (None is returned)."""
    require_manage(tenant, actor)
    pair = get_pair(tenant=tenant, pair_id=pair_id, dataset_id=dataset_id)
    if action == "keep_both":
        with transaction.atomic():
            DuplicatePair.objects.filter(pk=pair.pk, kept_at__isnull=True).update(
                kept_at=timezone.now()
            )
            record_event(
                tenant=tenant,
                actor=actor,
                action="dataset.duplicate_kept",
                target=pair.dataset,
                metadata={"image": str(pair.image_id), "other": str(pair.other_id)},
            )
        pair.refresh_from_db()
        return pair
    if action != "drop":
        raise InvalidInput(gettext("action must be 'keep_both' or 'drop'."), field="action")
    if str(drop) not in (str(pair.image_id), str(pair.other_id)):
        raise InvalidInput(
            gettext("image must be one of the two images of this warning."), field="image"
        )
    delete_dataset_image(tenant=tenant, actor=actor, image_id=drop)
    return None
