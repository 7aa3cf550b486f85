"""Packing off the render loop: the packing stage (scoring, encoding, uploads, settling) runs
while the next job renders, and changes nothing a client can see except when it happens.

The tests that run the stage's thread need a database two threads can write to at once
(PostgreSQL, as CI runs them); the inline path and the stage's own bounds run anywhere."""

import hashlib
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from core import storage
from generation.models import GenerationJob, ImageFile
from generation.worker import claim, packs, pipeline, runner
from tenants.models import CreditReservation, Plan, Tenant
from tests.factories import api_client_for, make_tenant


def _submit(tenant, seed=1, n=1, size=256):
    response = api_client_for(tenant).post(
        "/api/v1/jobs/",
        {"description": "a robot", "n": n, "seed": seed, "size": size},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def _digest(name: str) -> str:
    return hashlib.sha256(storage.read_bytes(name)).hexdigest()


def _files_of(job_id) -> dict:
    """Every stored file of a job, by what it is, as content hashes (names differ by tenant)."""
    job = GenerationJob.objects.get(pk=job_id)
    out = {}
    for image in job.images.order_by("index"):
        out[("original", image.index)] = _digest(image.original.name)
        out[("selected", image.index)] = image.selected
        for f in image.files.all():
            out[(image.index, f.size, f.shape, f.format)] = (_digest(f.file.name), f.bytes)
    return out


def _settled_once(job_id) -> bool:
    reservation = CreditReservation.objects.get(reference=f"job:{job_id}")
    return reservation.state == CreditReservation.State.SETTLED


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("the stage's thread writes while the render loop does: PostgreSQL (CI)")


# --- anywhere: the inline path (overlap off) and the stage's bounds -------------------------


@pytest.mark.django_db
def test_pack_encoded_off_the_loop_matches_the_pack_re_encoded_from_storage(no_models, tenant):
    """The stage encodes the winner's pack from the in-memory render; the on-demand path
    (`ensure_pack`) re-encodes it from the stored original: the same bytes either way."""
    job_id = _submit(tenant, seed=5)
    runner.process_one("w")
    image = GenerationJob.objects.get(pk=job_id).images.get(selected=True)
    from_stage = {(f.size, f.shape, f.format): _digest(f.file.name) for f in image.files.all()}
    assert len(from_stage) == 6  # 256, 128, 64 px x png/webp; the thumbnail counted once
    image.files.all().delete()
    packs.ensure_pack(image, circle=False)
    from_storage = {(f.size, f.shape, f.format): _digest(f.file.name) for f in image.files.all()}
    assert from_stage == from_storage


@pytest.mark.django_db
def test_a_packing_failure_fails_that_job_with_its_own_code(no_models, tenant, monkeypatch):
    job_id = _submit(tenant, seed=2)
    balance = Tenant.objects.get(pk=tenant.pk).credit_balance

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(packs, "encode_pack", full_disk)
    runner.process_one("w")
    job = GenerationJob.objects.get(pk=job_id)
    assert job.status == "failed" and job.failure_code == "packing_failed"
    assert "OSError" in job.failure_message and job.images.count() == 0
    assert Tenant.objects.get(pk=tenant.pk).credit_balance == balance + job.cost_credits
    reservation = CreditReservation.objects.get(reference=f"job:{job_id}")
    assert reservation.state == CreditReservation.State.RELEASED


@pytest.mark.django_db
def test_a_worker_that_dies_after_rendering_leaves_the_job_to_the_sweeper(no_models, tenant):
    """Rendered, not yet packed, then the process is gone: nothing is stored as a result,
    nothing settled; the lease runs out, the job is re-queued and charged exactly once."""
    job_id = _submit(tenant, seed=3)
    job = claim.claim_next_job("dead-worker")
    runner._render(job, "dead-worker")  # the render finishes; packing never starts
    job.refresh_from_db()
    assert job.status == "running" and job.images.count() == 0
    assert CreditReservation.objects.get(reference=f"job:{job_id}").state == "held"
    GenerationJob.objects.filter(pk=job_id).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert runner.sweep_stale_jobs()["requeued"] == 1
    runner.process_one("live-worker")
    job.refresh_from_db()
    assert job.status == "succeeded" and job.attempts == 2 and job.images.count() == 1
    assert _settled_once(job_id)


@pytest.mark.django_db
def test_packing_renews_the_lease_and_stops_when_it_is_lost(no_models, tenant, monkeypatch):
    job_id = _submit(tenant, seed=4, n=2)
    job = claim.claim_next_job("w")
    rendered = runner._render(job, "w")
    # A lease about to run out (a long queue in front of packing): packing renews it.
    GenerationJob.objects.filter(pk=job_id).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    seen = []
    real_renew = runner.renew_lease

    def recording_renew(job_id, owner):
        real_renew(job_id, owner)
        seen.append(GenerationJob.objects.get(pk=job_id).lease_expires_at)

    monkeypatch.setattr(runner, "renew_lease", recording_renew)
    runner._pack_and_finalize(rendered)
    assert len(seen) >= 4  # before scoring, after scoring, after each of 2 candidates, ...
    assert all(at > timezone.now() for at in seen)
    assert GenerationJob.objects.get(pk=job_id).status == "succeeded"

    # Another worker took the job over (the sweeper re-queued it): packing stops at the next
    # renewal and nothing is written or settled.
    other_id = _submit(tenant, seed=6)
    job = claim.claim_next_job("w")
    assert str(job.pk) == other_id
    rendered = runner._render(job, "w")
    GenerationJob.objects.filter(pk=other_id).update(lease_owner="someone-else")
    runner._pack_and_finalize(rendered)
    job.refresh_from_db()
    assert job.status == "running" and job.images.count() == 0
    assert CreditReservation.objects.get(reference=f"job:{other_id}").state == "held"


@pytest.mark.django_db
def test_overlap_off_runs_one_job_per_message(no_models, tenant, settings):
    settings.AVATARSAAS_PACKING_OVERLAP = False
    Plan.objects.filter(pk="free").update(max_concurrent_jobs=5)
    first, second = _submit(tenant, seed=1), _submit(tenant, seed=2)
    assert runner.process_queue("w") == 1
    statuses = dict(GenerationJob.objects.values_list("pk", "status"))
    assert sorted(str(k) for k, v in statuses.items() if v == "succeeded") in ([first], [second])
    assert "queued" in statuses.values()


def test_stage_backpressure_bounds_the_rendered_jobs_in_flight():
    """With depth 1, handing on a second rendered job blocks the render loop until the one
    packing is done; with depth 2 one may wait in the stage."""
    release = threading.Event()
    started = []

    def slow_pack(i):
        started.append(i)
        release.wait(5)

    with pipeline.PackingStage(depth=1) as stage:
        stage.submit(slow_pack, 1)
        loop = threading.Thread(target=stage.submit, args=(slow_pack, 2))
        loop.start()
        loop.join(0.3)
        assert loop.is_alive() and started == [1]  # the render loop is held back
        release.set()
        loop.join(5)
        assert not loop.is_alive()
    assert started == [1, 2] and stage.max_in_flight == 1 and stage.in_flight == 0

    release.clear()
    with pipeline.PackingStage(depth=2) as stage:
        stage.submit(slow_pack, 3)
        stage.submit(slow_pack, 4)  # returns at once: one may wait
        assert stage.max_in_flight == 2
        release.set()
    with pytest.raises(ValueError, match="depth"):
        pipeline.PackingStage(depth=0)


def test_stage_keeps_going_after_an_unhandled_error_and_finishes_in_order():
    done = []

    def pack(i):
        if i == 2:
            raise RuntimeError("boom")
        time.sleep(0.01 * (5 - i))  # later jobs are quicker: order still holds
        done.append(i)

    with pipeline.PackingStage(depth=3) as stage:
        for i in range(5):
            stage.submit(pack, i)
    assert done == [0, 1, 3, 4]


# --- PostgreSQL: the stage's thread packing while the loop renders -------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_overlap_on_and_off_store_identical_files(postgres_only, no_models, settings):
    inline, overlapped = (make_tenant(f"T{i}", credits_amount=500) for i in range(2))
    # After the tenants: an earlier transactional test may have flushed the plan rows, which
    # creating a tenant restores with their defaults. (The free plan's cap of one would hold
    # each next job back until the previous one is packed: a packing job is running.)
    Plan.objects.filter(pk="free").update(max_concurrent_jobs=5)
    seeds = (11, 12, 13)
    inline_ids = [_submit(inline, seed=s, n=2) for s in seeds]
    for _ in seeds:
        runner.process_one("inline")
    overlap_ids = [_submit(overlapped, seed=s, n=2) for s in seeds]
    assert runner.process_available("overlap") == 3
    for a, b in zip(inline_ids, overlap_ids, strict=True):
        assert GenerationJob.objects.get(pk=b).status == "succeeded"
        assert _files_of(a) == _files_of(b) and _files_of(b)
        assert _settled_once(a) and _settled_once(b)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_overlapped_jobs_finish_in_claim_order_within_their_leases(postgres_only, no_models):
    tenant = make_tenant("Order", credits_amount=500)
    Plan.objects.filter(pk="free").update(max_concurrent_jobs=5)
    ids = [_submit(tenant, seed=s) for s in (21, 22, 23)]
    assert runner.process_available("w") == 3
    jobs = sorted(GenerationJob.objects.filter(pk__in=ids), key=lambda j: j.started_at)
    assert [j.status for j in jobs] == ["succeeded"] * 3
    finished = [j.finished_at for j in jobs]
    assert finished == sorted(finished)
    # The next job was claimed before the previous one finished packing: they overlapped.
    assert jobs[1].started_at < jobs[0].finished_at
    assert ImageFile.objects.filter(image__job__in=jobs, image__selected=True).count() == 18


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_packing_failure_in_the_stage_fails_only_that_job(postgres_only, no_models, monkeypatch):
    tenant = make_tenant("Fails", credits_amount=500)
    Plan.objects.filter(pk="free").update(max_concurrent_jobs=5)
    ids = [_submit(tenant, seed=s) for s in (31, 32, 33)]
    real = packs.encode_pack
    calls = []

    def fails_the_second(image, *, circle):
        calls.append(threading.current_thread().name)
        if len(calls) == 2:
            raise OSError(5, "Input/output error")
        return real(image, circle=circle)

    monkeypatch.setattr(packs, "encode_pack", fails_the_second)
    assert runner.process_available("w") == 3
    assert all(name.startswith("packing") for name in calls)  # off the render loop
    jobs = sorted(GenerationJob.objects.filter(pk__in=ids), key=lambda j: j.started_at)
    assert [j.status for j in jobs] == ["succeeded", "failed", "succeeded"]
    assert jobs[1].failure_code == "packing_failed" and jobs[1].images.count() == 0
    assert _settled_once(jobs[0].pk) and _settled_once(jobs[2].pk)
    assert CreditReservation.objects.get(reference=f"job:{jobs[1].pk}").state == "released"
