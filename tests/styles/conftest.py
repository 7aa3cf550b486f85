"""Helpers for the styles suite: image bytes, zips, a dataset of distinct pictures."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile


def png_bytes(seed: int, size: int = 64, fmt: str = "PNG") -> bytes:
    """A distinct picture per seed: blocky random noise, so dHashes differ by many bits."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
    image = Image.fromarray(blocks).resize((size, size), Image.Resampling.NEAREST)
    buf = io.BytesIO()
    image.save(buf, format=fmt)
    return buf.getvalue()


def zip_bytes(entries: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


@pytest.fixture
def small_images(settings):
    """Tiny-model friendly limits: 32 px minimum side, 4 images are enough to train."""
    settings.AVATARSAAS_DATASET_MIN_SIDE = 32
    settings.AVATARSAAS_FINETUNE_MIN_IMAGES = 4
    settings.AVATARSAAS_VALIDATION_STEPS = 2


@pytest.fixture
def pro_tenant(db):
    from tests.factories import make_tenant

    return make_tenant("Acme Pro", credits_amount=1000, plan="pro")


@pytest.fixture
def staff_user(db):
    from tests.factories import make_user

    return make_user("staff@example.com", is_staff=True, is_superuser=True)


def make_dataset(tenant, n: int = 6, trigger: str = "acmebot"):
    from styles.services import dataset_ingest, datasets
    from tenants.actors import Actor

    dataset = datasets.create_dataset(
        tenant=tenant, actor=Actor.system(), name="Mascots", trigger_word=trigger
    )
    files = {f"mascot_{i}.png": png_bytes(i) for i in range(n)}
    files["mascot_0.txt"] = b"acmebot, the blue mascot waving"
    dataset_ingest.ingest_uploads(
        tenant=tenant,
        actor=Actor.system(),
        dataset_id=dataset.pk,
        files=[upload("set.zip", zip_bytes(files))],
    )
    return dataset


TINY_HYPERPARAMETERS = {
    "rank": 4,
    "alpha": 4,
    "steps": 40,
    "learning_rate": 1e-2,
    "resolution": 32,
    "batch_size": 2,
    "checkpoint_every": 10,
}
