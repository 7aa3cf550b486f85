"""Staff see each state's identity score: in the state pack admin and the image review list."""

import pytest

from generation.models import StatePack
from generation.worker import runner
from tests.factories import api_client_for

pytestmark = pytest.mark.django_db


def test_staff_review_shows_identity_scores(use_tiny_models, tenant, make_picked, admin_client):
    image = make_picked(tenant, size=64, steps=4)  # tiny diffusion, scored by the tiny CLIP
    body = api_client_for(tenant).post(f"/api/v1/images/{image.pk}/state-pack/").json()
    runner.process_one("t")
    pack = StatePack.objects.get(pk=body["id"])
    scores = [r["identity_score"] for r in pack.results]
    assert all(isinstance(s, float) for s in scores)
    page = admin_client.get(f"/admin/generation/statepack/{pack.pk}/change/").content.decode()
    assert "Identity per state" in page and f"{scores[0]:.3f}" in page
    assert "untrained (test) CLIP weights" in page
    listing = admin_client.get(f"/admin/generation/generatedimage/?job__id__exact={pack.job_id}")
    assert listing.status_code == 200 and f"{scores[1]:.3f}" in listing.content.decode()
