"""Rejected renders are re-rolled with new seeds within the job's budget, each rejection is
recorded with its reason, the price stays as quoted, and a job with nothing usable fails free."""

import pytest

from generation.engines.base import EngineError, RenderRequest
from generation.models import GenerationJob
from generation.quality.rerolls import max_rerolls, render_checked, reroll_seed
from generation.worker import runner
from tenants.models import CreditEntry, Tenant
from tests.factories import api_client_for
from tests.generation.quality.conftest import SpoilingEngine


def _request(seeds=(11, 12, 13), size=64):
    attrs = {"subject": "robot", "colors": ["green"], "background": "plain"}
    return RenderRequest(prompt="x", attributes=attrs, seeds=seeds, width=size, height=size)


def test_a_blank_render_is_rejected_and_rerolled_in_its_slot():
    engine = SpoilingEngine({12: "blank"})
    result = render_checked(engine, _request())
    assert [c.candidate.seed for c in result.accepted] == [11, reroll_seed(12, 1), 13]
    assert [c.candidate.index for c in result.accepted] == [0, 1, 2]
    assert not any(c.fallback for c in result.accepted)
    [rejection] = result.rejected
    assert (rejection.slot, rejection.seed, rejection.round, rejection.reason) == (
        1,
        12,
        0,
        "blank",
    )
    assert result.extra_renders == 1 and engine.calls == [(11, 12, 13), (reroll_seed(12, 1),)]
    assert result.report()["rejected"][0]["reason"] == "blank"


def test_passing_batches_render_once_and_n1_works():
    engine = SpoilingEngine()
    result = render_checked(engine, _request(seeds=(5,)))
    assert len(result.accepted) == 1 and result.rejected == [] and engine.calls == [(5,)]


def test_the_budget_bounds_extra_renders_then_the_job_fails_with_the_reasons(settings):
    settings.AVATARSAAS_QUALITY_MAX_REROLLS = 2
    engine = SpoilingEngine(spoil_all="blank")
    result = render_checked(engine, _request())
    assert result.accepted == [] and result.extra_renders == max_rerolls(3) == 2
    assert sum(len(seeds) for seeds in engine.calls) == 3 + 2
    assert {r.reason for r in result.rejected} == {"blank"} and len(result.rejected) == 5
    with pytest.raises(EngineError) as exc:
        result.raise_if_empty()
    assert exc.value.code == "quality_rejected" and "blank" in str(exc.value)


def test_a_badly_framed_reject_fills_its_slot_last_when_the_budget_runs_out(settings):
    settings.AVATARSAAS_QUALITY_MAX_REROLLS = 0
    result = render_checked(SpoilingEngine({12: "cut_off"}), _request())
    assert [c.fallback for c in result.accepted] == [False, True, False]
    assert result.rejected[0].reason == "cut_off" and result.report()["fallbacks"] == 1


def test_safety_flagged_renders_are_rejected_and_rerolled():
    result = render_checked(SpoilingEngine({13: "flagged"}), _request())
    assert [c.candidate.seed for c in result.accepted] == [11, 12, reroll_seed(13, 1)]
    assert [(r.seed, r.reason) for r in result.rejected] == [(13, "safety")]


@pytest.mark.ml
def test_real_safety_checker_flags_count_as_rejects(tiny_models, tmp_path, settings):
    from generation.engines.diffusers_engine import DiffusersEngine
    from generation.engines.tiny_models import build_tiny_safety_checker

    settings.AVATARSAAS_QUALITY_MAX_REROLLS = 1
    checker = build_tiny_safety_checker(tmp_path / "checker", flag_everything=True)
    engine = DiffusersEngine(tiny_models.sd_model_dir, device="cpu", safety_checker_dir=checker)
    request = RenderRequest(prompt="a robot", seeds=(1, 2), width=64, height=64, steps=1)
    result = render_checked(engine, request)
    assert result.accepted == [] and [r.reason for r in result.rejected] == ["safety"] * 3
    with pytest.raises(EngineError) as exc:
        result.raise_if_empty()
    assert exc.value.code == "output_blocked"


def test_rerenders_replay_their_batch_without_checks():
    result = render_checked(SpoilingEngine({12: "blank"}), _request(), checks=False)
    assert [c.candidate.seed for c in result.accepted] == [11, 12, 13]
    assert result.rejected == [] and result.accepted[1].verdict.reason == "blank"


@pytest.mark.django_db
def test_worker_rerolls_a_blank_candidate_and_charges_the_quote(no_models, tenant, spoiling_engine):
    spoiling_engine.spoil = {41: "blank"}
    client = api_client_for(tenant)
    before = Tenant.objects.get(pk=tenant.pk).credit_balance
    response = client.post(
        "/api/v1/jobs/",
        {"description": "a green robot", "engine": "vector", "n": 2, "seed": 40, "size": 64},
        format="json",
    )
    assert response.status_code == 201, response.json()
    runner.process_one()
    job = GenerationJob.objects.get(pk=response.json()["id"])
    assert job.status == "succeeded"
    assert sorted(job.images.values_list("index", "seed")) == [(0, 40), (1, reroll_seed(41, 1))]
    assert job.rejected_candidates == 1
    assert job.quality["rejected"] == [
        {
            "slot": 1,
            "seed": 41,
            "round": 0,
            "reason": "blank",
            "detail": job.quality["rejected"][0]["detail"],
        }
    ]
    assert job.quality["extra_renders"] == 1
    charges = CreditEntry.objects.filter(tenant=tenant, reference=f"job:{job.pk}")
    assert [(e.kind, e.amount) for e in charges] == [("reserve", -job.cost_credits)]
    assert job.cost_credits == 2  # the quote for n=2 vector candidates, re-roll included
    assert Tenant.objects.get(pk=tenant.pk).credit_balance == before - 2
    detail = client.get(f"/api/v1/jobs/{job.pk}/").json()
    assert detail["quality"]["rejected"][0]["reason"] == "blank"


@pytest.mark.django_db
def test_worker_fails_a_job_with_nothing_usable_and_releases_its_credits(
    no_models, tenant, spoiling_engine, settings
):
    settings.AVATARSAAS_QUALITY_MAX_REROLLS = 1
    spoiling_engine.spoil_all = "blank"
    client = api_client_for(tenant)
    before = Tenant.objects.get(pk=tenant.pk).credit_balance
    response = client.post(
        "/api/v1/jobs/",
        {"description": "a robot", "engine": "vector", "n": 1, "seed": 3, "size": 64},
        format="json",
    )
    runner.process_one()
    job = GenerationJob.objects.get(pk=response.json()["id"])
    assert job.status == "failed" and job.failure_code == "quality_rejected"
    assert job.images.count() == 0
    assert Tenant.objects.get(pk=tenant.pk).credit_balance == before
