"""/metrics reports rejected renders and the ranking's satisfaction, from the database at scrape
time: top-1 agreement of choices and thumbs-up share in the window, across workspaces."""

from datetime import timedelta

import pytest
from django.utils import timezone

from generation.models import GenerationJob, ImageFeedback
from tests.factories import api_client_for
from tests.generation.quality.test_feedback import _job, _ranked, _vote
from tests.ops.test_metrics import TOKEN, _samples, _scrape

pytestmark = pytest.mark.django_db


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_IPS = []
    return settings


def test_quality_families_are_scraped_with_real_values(
    client, metrics_on, no_models, tenant, other_tenant, spoiling_engine
):
    families = _scrape(client)
    ratio = families["avatarsaas_satisfaction_ratio"]
    assert ratio.type == "gauge" and ratio.samples == []  # nothing to divide yet

    spoiling_engine.spoil = {11: "blank"}
    job = _job(tenant, n=2, seed=10)  # seed 11 is rejected and re-rolled
    top, second = _ranked(job)
    _vote(api_client_for(tenant), second, "up")  # their choice: not the top-ranked one
    _vote(api_client_for(tenant), top, "down")
    theirs = _ranked(_job(other_tenant, n=2, seed=20))[0]
    _vote(api_client_for(other_tenant), theirs, "up")  # chosen and ranked first
    stale = _ranked(_job(other_tenant, n=2, seed=30))[0]
    _vote(api_client_for(other_tenant), stale, "up")
    old = timezone.now() - timedelta(days=3)  # outside the window
    ImageFeedback.objects.filter(image=stale).update(voted_at=old)
    GenerationJob.objects.filter(pk=stale.job_id).update(chosen_at=old)

    families = _scrape(client)
    rejected = families["avatarsaas_candidates_rejected"]
    assert _samples(rejected, "avatarsaas_candidates_rejected") == [1]
    choices = families["avatarsaas_ranking_choices"]
    assert _samples(choices, "avatarsaas_ranking_choices", top_ranked="yes") == [1]
    assert _samples(choices, "avatarsaas_ranking_choices", top_ranked="no") == [1]
    votes = families["avatarsaas_feedback_votes"]
    assert _samples(votes, "avatarsaas_feedback_votes", vote="up") == [2]
    assert _samples(votes, "avatarsaas_feedback_votes", vote="down") == [1]
    ratio = families["avatarsaas_satisfaction_ratio"]
    assert _samples(ratio, "avatarsaas_satisfaction_ratio", measure="top1_agreement") == [0.5]
    assert _samples(ratio, "avatarsaas_satisfaction_ratio", measure="thumbs_up") == [
        pytest.approx(2 / 3)
    ]
