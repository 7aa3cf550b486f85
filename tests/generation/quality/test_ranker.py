"""The per-workspace ranker: a conditional-logit choice model over the stored score features.
It learns a workspace's taste from a synthetic pick history (offline replay: its top-1 agreement
on later picks beats the blended score's), switches on only once it has enough picks and beats
the blend, and then reorders the workspace's candidates on the worker."""

from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from bench.ranker_bench import replay, synthetic_history
from generation.models import GeneratedImage, GenerationJob, WorkspaceRanker
from generation.quality import learning
from generation.quality.ranker import FEATURES, Choice, RankerModel, features_of, fit, matrix
from generation.worker import runner
from tests.factories import api_client_for


def test_offline_replay_learned_beats_blended_on_later_picks():
    history = synthetic_history(500, seed=3)
    result = replay(history[:250], history[250:])
    assert result["learned_top1"] > result["blended_top1"] + 0.03, result
    weights = result["weights"]
    assert weights["brand_z"] > weights["text_z"] > 0  # the synthetic taste: brand over text
    assert weights["colour"] > 0.5


def test_the_unlearned_ranker_orders_like_the_blended_score_fallbacks_last():
    rows = [
        features_of(blended=b, text_z=0.0, brand_z=0.0, image={}, fallback=f)
        for b, f in ((0.5, False), (1.5, True), (-0.2, False), (0.5, False))
    ]
    assert RankerModel.prior().order(matrix(rows)) == [0, 3, 2, 1]  # ties keep batch order


def test_without_picks_the_fit_is_the_prior():
    assert np.allclose(fit([]).weights, RankerModel.prior().weights)
    one = Choice(matrix([{"blended": 1.0}]), 0)  # a single candidate teaches nothing
    assert np.allclose(fit([one]).weights, RankerModel.prior().weights)
    assert RankerModel.from_dict(RankerModel.prior().as_dict()).as_dict() == (
        RankerModel.prior().as_dict()
    )


def _store_history(tenant, history):
    """The synthetic picks as real rows: jobs, their ranked images, the chosen one."""
    now = timezone.now()
    for n, choice in enumerate(history):
        job = GenerationJob.objects.create(
            tenant=tenant,
            description="a robot",
            engine="vector",
            n=len(choice.features),
            seeds=list(range(len(choice.features))),
            status="succeeded",
        )
        order = RankerModel.prior().order(choice.features)
        images = [
            GeneratedImage.objects.create(
                tenant=tenant,
                job=job,
                index=i,
                seed=i,
                engine="vector",
                original=f"tenants/{tenant.pk}/images/{job.pk}-{i}.png",
                rank=order.index(i) + 1,
                quality={"features": dict(zip(FEATURES, row.tolist(), strict=True))},
            )
            for i, row in enumerate(choice.features)
        ]
        chosen = images[choice.chosen]
        GenerationJob.objects.filter(pk=job.pk).update(
            chosen_image=chosen,
            chosen_rank=chosen.rank,
            chosen_at=now - timedelta(minutes=len(history) - n),
        )


@pytest.mark.django_db
def test_workspace_ranker_trains_past_the_threshold_and_retrains_on_new_picks(
    tenant, other_tenant, settings
):
    settings.AVATARSAAS_RANKER_MIN_PICKS = 60
    settings.AVATARSAAS_RANKER_RETRAIN_EVERY = 10
    history = synthetic_history(90, seed=5)
    _store_history(tenant, history[:59])
    assert learning.ranker_for(tenant.pk) == (None, None)  # below the threshold: blended ranks
    _store_history(tenant, history[59:80])
    model, ranker = learning.ranker_for(tenant.pk)
    assert ranker.version == 1 and ranker.trained_on == 80
    assert ranker.holdout["choices"] == 20
    assert ranker.active and model is not None
    assert ranker.holdout["learned_top1"] >= ranker.holdout["blended_top1"]
    assert model.as_dict() == ranker.weights and ranker.weights != RankerModel.prior().as_dict()
    # Not due again until RETRAIN_EVERY more picks arrive.
    _store_history(tenant, history[80:85])
    assert learning.ranker_for(tenant.pk)[1].version == 1
    _store_history(tenant, history[85:])
    assert learning.ranker_for(tenant.pk)[1].version == 2
    # Stored per workspace: the other one has none.
    assert learning.ranker_for(other_tenant.pk) == (None, None)
    assert WorkspaceRanker.objects.filter(tenant=other_tenant).count() == 0


@pytest.mark.django_db
def test_a_ranker_that_loses_to_the_blend_on_later_picks_stays_off(tenant, settings):
    settings.AVATARSAAS_RANKER_MIN_PICKS = 30
    rng = np.random.default_rng(0)
    history = []
    for n in range(40):
        x = matrix(
            [
                features_of(
                    blended=float(rng.normal()), text_z=0.0, brand_z=0.0, image={}, fallback=False
                )
                for _ in range(3)
            ]
        )
        order = RankerModel.prior().order(x)
        # Tastes changed: the older picks went against the blend, the newer ones follow it.
        history.append(Choice(x, order[-1] if n < 30 else order[0]))
    _store_history(tenant, history)
    model, ranker = learning.ranker_for(tenant.pk)
    assert ranker.holdout == {"choices": 10, "learned_top1": 0.0, "blended_top1": 1.0}
    assert ranker.version == 1 and not ranker.active and model is None


@pytest.mark.django_db
@pytest.mark.ml
def test_an_active_ranker_reorders_the_workspaces_candidates(tenant, use_tiny_models, settings):
    settings.AVATARSAAS_RANKER_MIN_PICKS = 1000  # no retraining in this test
    inverse = {**RankerModel.prior().as_dict(), "blended": -1.0}  # a taste against the blend
    WorkspaceRanker.objects.create(tenant=tenant, weights=inverse, active=True, version=7)
    response = api_client_for(tenant).post(
        "/api/v1/jobs/",
        {"description": "a red robot", "engine": "vector", "n": 3, "size": 64, "seed": 2},
        format="json",
    )
    runner.process_one()
    job = GenerationJob.objects.get(pk=response.json()["id"])
    assert job.quality["ranked_by"] == "learned" and job.quality["ranker_version"] == 7
    images = list(job.images.order_by("rank"))
    finals = [i.final_score for i in images]
    assert finals == sorted(finals)  # the learned order: lowest blended score first
    assert images[0].selected and images[0].quality["ranker_score"] == pytest.approx(-finals[0])
