"""Near-duplicate detection on a brand's dataset: edited copies of a picture are caught,
distinct mascots of one style and layout are not, and a near-duplicate is a warning (both
images kept) while an exact copy is still rejected."""

import numpy as np
import pytest

from bench.brand_renders import (
    brand_attributes,
    brand_render,
    brand_renders,
    edited_copies,
    encoded,
)
from styles.models import DatasetImage, DuplicatePair
from styles.services import dataset_ingest, datasets
from styles.services.near_duplicates import (
    COLOR_MAX_DISTANCE,
    HASH_NEAREST,
    MAX_VERIFIED,
    Fingerprint,
    FingerprintIndex,
)
from tenants.actors import Actor
from tests.styles.conftest import upload

EDITS = (
    "resized",
    "upscaled",
    "jpeg_q70",
    "cropped_5pct_centre",
    "cropped_5pct_corner",
    "brightness_plus_10pct",
    "brightness_minus_10pct",
)


@pytest.fixture(scope="module")
def renders():
    return brand_renders(200, 256)


@pytest.fixture(scope="module")
def fingerprints(renders):
    return [Fingerprint.of(image) for image in renders]


def test_every_edited_copy_is_caught_in_either_upload_order(renders, fingerprints):
    index = FingerprintIndex()
    for i, fp in enumerate(fingerprints[:6]):
        index.add(i, fp)
    for i, image in enumerate(renders[:6]):
        copies = edited_copies(image)
        assert set(copies) == set(EDITS)
        for name, copy in copies.items():
            match = index.nearest(Fingerprint.of(copy))
            assert match is not None and match.key == i, (i, name)
            # The copy uploaded first, the original second: caught the same way.
            reverse = FingerprintIndex()
            reverse.add("copy", Fingerprint.of(copy))
            assert reverse.nearest(fingerprints[i]) is not None, (i, name, "reverse")


def _by_hash(index: FingerprintIndex, fingerprint: Fingerprint) -> np.ndarray:
    """The replaced ranking: every hash candidate, nearest pHash then colour hash first; it
    verified only the first MAX_VERIFIED."""
    phash, color, candidates = index.hash_distances(fingerprint)
    rows = np.flatnonzero(candidates)
    closeness = phash[rows] * (COLOR_MAX_DISTANCE + 1) + color[rows]
    return rows[np.argsort(closeness, kind="stable")]


def test_a_corner_crop_behind_many_hash_closer_renders_is_still_caught(renders, fingerprints):
    """The miss of the 1006-image ingest bench at 200 renders: one style and layout, so many
    distinct renders are closer by hash to a 5 % corner crop than its original is, and the
    hash-ranked cap never verified the original. Ranked by look, the original is verified."""
    index = FingerprintIndex()
    for i, fp in enumerate(fingerprints):
        index.add(i, fp)
    missed_before = []
    for i, image in enumerate(renders):
        crop = Fingerprint.of(edited_copies(image)["cropped_5pct_corner"])
        order = _by_hash(index, crop)
        assert i in order  # the hash stage lets it through; the cap dropped it
        if int(np.flatnonzero(order == i)[0]) >= MAX_VERIFIED:
            missed_before.append((i, crop, order))
    assert len(missed_before) >= 3  # measured: 6 of 200, the original 65th to 102nd by hash
    for i, crop, order in missed_before:
        phash, color, _ = index.hash_distances(crop)
        shortlist = index.shortlist(crop, np.sort(order), phash, color)
        assert len(shortlist) == MAX_VERIFIED and i in shortlist
        match = index.nearest(crop)
        assert match is not None and match.key == i, i


def test_the_shortlist_keeps_the_nearest_by_hash_too(fingerprints):
    index = FingerprintIndex()
    for i, fp in enumerate(fingerprints):
        index.add(i, fp)
    probe = fingerprints[0]
    phash, color, candidates = index.hash_distances(probe)
    rows = np.flatnonzero(candidates)
    assert len(rows) > MAX_VERIFIED
    shortlist = index.shortlist(probe, rows, phash, color)
    assert len(shortlist) == MAX_VERIFIED and len(set(shortlist)) == MAX_VERIFIED
    assert list(shortlist) == sorted(shortlist) and set(shortlist) <= set(rows)
    assert set(_by_hash(index, probe)[:HASH_NEAREST]) <= set(shortlist)


def _flagged_in_order(fingerprints) -> list[tuple[int, object]]:
    index, flagged = FingerprintIndex(), []
    for i, fp in enumerate(fingerprints):
        match = index.nearest(fp)
        if match is not None:
            flagged.append((i, match.key))
        index.add(i, fp)
    return flagged


def test_distinct_same_style_renders_meet_the_two_percent_bar(fingerprints):
    """200 distinct mascots (species x colour x expression x background, one style), ingested
    in order: at most 2 % flagged (measured 1 %: two pairs that differ only in a small mouth
    shape) against 65 % rejected by the old dHash rule."""
    assert len({tuple(sorted(map(str, a.items()))) for a in brand_attributes(200)}) == 200
    assert len(_flagged_in_order(fingerprints)) <= 4


def test_a_differently_seeded_distinct_set_meets_the_bar_too():
    """Not tuned to one draw: another shuffle of attributes and render seeds."""
    images = [
        brand_render(a, 256, seed=1000 + i) for i, a in enumerate(brand_attributes(200, seed=77))
    ]
    assert len(_flagged_in_order([Fingerprint.of(im) for im in images])) <= 4


def test_edits_of_a_differently_seeded_set_are_all_caught():
    for i, attributes in enumerate(brand_attributes(4, seed=77)):
        original = Fingerprint.of(brand_render(attributes, 256, seed=1000 + i))
        index = FingerprintIndex()
        index.add("original", original)
        for name, copy in edited_copies(brand_render(attributes, 256, seed=1000 + i)).items():
            assert index.nearest(Fingerprint.of(copy)) is not None, (i, name)


def test_the_old_layout_hash_rule_would_have_thrown_them_away(renders):
    """What the issue reported, on the same set: a 64-bit dHash at distance <= 4."""
    from bench.near_duplicate_thresholds import _old_dhash

    hashes = [_old_dhash(image) for image in renders[:100]]
    rejected = sum(
        any((hashes[i] ^ hashes[j]).bit_count() <= 4 for j in range(i)) for i in range(100)
    )
    assert rejected > 10


def test_one_colour_changed_is_not_a_duplicate():
    red = {**brand_attributes(1)[0], "colors": ["red"]}
    index = FingerprintIndex()
    index.add("red", Fingerprint.of(brand_render(red, 256)))
    assert index.nearest(Fingerprint.of(brand_render({**red, "colors": ["green"]}, 256))) is None
    assert index.nearest(Fingerprint.of(brand_render(red, 256))) is not None  # same picture


@pytest.mark.django_db
def test_ingest_warns_for_near_duplicates_and_rejects_exact_copies(tenant, small_images):
    dataset = datasets.create_dataset(
        tenant=tenant, actor=Actor.system(), name="Brand", trigger_word="acmebot"
    )
    originals = [brand_render(a, 256, seed=i) for i, a in enumerate(brand_attributes(3))]
    first = [upload(f"m{i}.png", encoded(im)) for i, im in enumerate(originals)]
    report = dataset_ingest.ingest_uploads(
        tenant=tenant, actor=Actor.system(), dataset_id=dataset.pk, files=first
    )
    assert (report.accepted, report.rejected, report.warnings) == (3, 0, [])
    assert not DuplicatePair.objects.exists()

    copies = edited_copies(originals[0])
    second = [
        upload("m0_small.jpg", encoded(copies["jpeg_q70"].convert("RGB"), "JPEG", quality=90)),
        upload("m1_cropped.png", encoded(edited_copies(originals[1])["cropped_5pct_corner"])),
        upload("m0_again.png", encoded(originals[0])),  # byte-identical: rejected
    ]
    report = dataset_ingest.ingest_uploads(
        tenant=tenant, actor=Actor.system(), dataset_id=dataset.pk, files=second
    )
    assert (report.accepted, report.rejected) == (2, 1)
    assert [(n, c) for n, c, _ in report.errors] == [("m0_again.png", "duplicate")]
    assert "exact duplicate of m0.png" in report.errors[0][2]
    assert {(n, c) for n, c, _ in report.warnings} == {
        ("m0_small.jpg", "near_duplicate"),
        ("m1_cropped.png", "near_duplicate"),
    }
    pairs = {
        (p.image.original_name, p.other.original_name)
        for p in DuplicatePair.objects.filter(dataset=dataset, tenant=tenant)
    }
    assert pairs == {("m0_small.jpg", "m0.png"), ("m1_cropped.png", "m1.png")}
    accepted = DatasetImage.objects.filter(dataset=dataset, status="accepted")
    assert accepted.count() == 5 and all(len(img.thumbnail) == 96 * 96 * 3 for img in accepted)
