"""Thumbs up/down on candidates (API and dashboard), picks and downloads: one row per member or
key per image, audited, tenant-scoped; the job's choice and the satisfaction measure follow."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from generation.models import GeneratedImage, GenerationJob, ImageFeedback, WorkspaceRanker
from generation.quality import satisfaction
from generation.worker import runner
from tenants.models import AuditEvent
from tests.factories import api_client_for, make_member, make_user, owner_of

pytestmark = pytest.mark.django_db


def _job(tenant, n=3, seed=7) -> GenerationJob:
    response = api_client_for(tenant).post(
        "/api/v1/jobs/",
        {"description": "a green robot", "engine": "vector", "n": n, "seed": seed, "size": 64},
        format="json",
    )
    assert response.status_code == 201, response.json()
    runner.process_one()
    return GenerationJob.objects.get(pk=response.json()["id"])


def _ranked(job) -> list[GeneratedImage]:
    return list(job.images.order_by("rank"))


def _vote(client, image, vote):
    return client.post(f"/api/v1/images/{image.pk}/feedback/", {"vote": vote}, format="json")


def test_api_vote_up_down_and_withdraw_keep_one_audited_row(no_models, tenant):
    job = _job(tenant)
    image = _ranked(job)[0]
    client = api_client_for(tenant)
    response = _vote(client, image, "up")
    assert response.status_code == 200, response.json()
    assert response.json()["vote"] == "up" and response.json()["image"] == str(image.pk)
    assert _vote(client, image, "down").json()["vote"] == "down"
    assert _vote(client, image, "down").status_code == 200  # the same vote again: no change
    row = ImageFeedback.objects.get(image=image)
    assert (row.vote, row.tenant_id, row.job_id) == ("down", tenant.pk, job.pk)
    assert row.api_key is not None and row.user is None
    withdrawn = _vote(client, image, None).json()
    assert withdrawn["vote"] is None and withdrawn["voted_at"] is None
    assert ImageFeedback.objects.filter(image=image).count() == 1
    events = AuditEvent.objects.filter(tenant=tenant, action="image.voted", target_id=str(image.pk))
    assert [e.metadata["vote"] for e in events.order_by("created_at")] == ["up", "down", None]


def test_bad_votes_get_the_error_envelope_with_the_field(no_models, tenant):
    image = _ranked(_job(tenant, n=1))[0]
    response = _vote(api_client_for(tenant), image, "meh")
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "vote"
    assert not ImageFeedback.objects.exists()


def test_another_tenants_image_answers_404_and_gets_no_feedback(no_models, tenant, other_tenant):
    theirs = _ranked(_job(other_tenant, n=1))[0]
    response = _vote(api_client_for(tenant), theirs, "up")
    assert response.status_code == 404
    web = Client()
    web.force_login(owner_of(tenant))
    assert web.post(f"/images/{theirs.pk}/feedback/", {"vote": "up"}).status_code == 404
    assert not ImageFeedback.objects.exists()


def test_one_vote_per_key_and_per_member(no_models, tenant):
    image = _ranked(_job(tenant, n=1))[0]
    _vote(api_client_for(tenant), image, "up")
    _vote(api_client_for(tenant), image, "down")  # a second key
    web = Client()
    web.force_login(owner_of(tenant))
    web.post(f"/images/{image.pk}/feedback/", {"vote": "up"})
    web.post(f"/images/{image.pk}/feedback/", {"vote": "up"})
    rows = ImageFeedback.objects.filter(image=image)
    assert rows.count() == 3
    assert sorted(rows.values_list("vote", flat=True)) == ["down", "up", "up"]
    assert rows.filter(user=owner_of(tenant)).count() == 1


def test_votes_need_the_write_scope_or_a_generating_role(no_models, tenant):
    image = _ranked(_job(tenant, n=1))[0]
    read_only = api_client_for(tenant, scopes=["jobs:read"])
    assert _vote(read_only, image, "up").status_code == 403
    viewer = Client()
    viewer.force_login(make_member(tenant, role="viewer"))
    assert viewer.post(f"/images/{image.pk}/feedback/", {"vote": "up"}).status_code == 403
    assert not ImageFeedback.objects.exists()


def test_dashboard_buttons_show_and_toggle_the_members_vote(no_models, tenant):
    job = _job(tenant, n=2)
    first, second = _ranked(job)
    web = Client()
    web.force_login(owner_of(tenant))
    page = web.get(f"/jobs/{job.pk}/").content.decode()
    assert page.count('aria-pressed="false"') == 4 and 'aria-pressed="true"' not in page
    response = web.post(f"/images/{second.pk}/feedback/", {"vote": "up"})
    assert response.status_code == 302 and response["Location"].endswith(f"#image-{second.pk}")
    page = web.get(f"/jobs/{job.pk}/").content.decode()
    assert page.count('aria-pressed="true"') == 1 and "Withdraw your thumbs up" in page
    web.post(f"/images/{second.pk}/feedback/", {"vote": ""})  # pressing it again withdraws
    assert ImageFeedback.objects.get(image=second).vote == ""
    # Another member's vote is theirs alone.
    other = Client()
    other.force_login(make_member(tenant))
    assert 'aria-pressed="true"' not in other.get(f"/jobs/{job.pk}/").content.decode()
    assert first.rank == 1


def test_picks_and_downloads_make_the_jobs_choice(no_models, tenant):
    job = _job(tenant)
    top, second, third = _ranked(job)
    client = api_client_for(tenant)
    # Looking at thumbnails is not a download; the pack zip and a PNG are.
    thumb = top.files.get(format="webp")
    assert client.get(f"/api/v1/files/{thumb.pk}/").status_code == 200
    assert not ImageFeedback.objects.exists()
    web = Client()
    web.force_login(owner_of(tenant))
    assert web.get(f"/images/{top.pk}/pack.zip").status_code == 200
    job.refresh_from_db()
    assert (job.chosen_image_id, job.chosen_rank) == (top.pk, 1)
    assert AuditEvent.objects.filter(action="image.downloaded", target_id=str(top.pk)).count() == 1
    # A thumbs up elsewhere does not outweigh a download; a pick outweighs both.
    _vote(client, third, "up")
    job.refresh_from_db()
    assert job.chosen_image_id == top.pk
    assert client.post(f"/api/v1/images/{second.pk}/select/").status_code == 200
    job.refresh_from_db()
    assert (job.chosen_image_id, job.chosen_rank) == (second.pk, 2)
    assert AuditEvent.objects.filter(action="image.picked", target_id=str(second.pk)).exists()
    png = second.files.get(format="png", size=64)
    assert client.get(f"/api/v1/files/{png.pk}/").status_code == 200
    assert ImageFeedback.objects.get(image=second, api_key__isnull=False).downloads == 1
    assert WorkspaceRanker.objects.filter(tenant=tenant).exists()  # listed for staff


def test_satisfaction_is_per_workspace(no_models, tenant, other_tenant):
    web = Client()
    web.force_login(owner_of(tenant))
    for seed in (1, 2):
        top, second, _ = _ranked(_job(tenant, seed=seed))
        web.get(f"/images/{top.pk}/pack.zip")
        _vote(api_client_for(tenant), second, "down")
    web.post(f"/images/{_ranked(_job(tenant, seed=3))[1].pk}/select/")
    theirs = _ranked(_job(other_tenant, n=2))
    _vote(api_client_for(other_tenant), theirs[0], "up")

    since = timezone.now() - timedelta(days=1)
    mine = satisfaction.measure(since=since, tenant=tenant)
    assert (mine.choices, mine.top_ranked_chosen, mine.votes_up, mine.votes_down) == (3, 2, 0, 2)
    assert mine.top1_rate == pytest.approx(2 / 3) and mine.thumbs_up_rate == 0.0
    assert satisfaction.measure(since=since, tenant=other_tenant).thumbs_up_rate == 1.0
    everyone = satisfaction.measure(since=since)
    assert (everyone.choices, everyone.votes) == (4, 3)  # their thumbs up is a choice too
    assert satisfaction.measure(since=timezone.now() + timedelta(seconds=1)).choices == 0

    page = web.get("/gallery/").content.decode()
    assert 'id="top1-rate">67%' in page and 'id="thumbs-up-rate">0%' in page
    assert "blended CLIP score" in page or "render order" in page


def test_staff_see_each_workspaces_ranker_and_satisfaction(no_models, tenant):
    top = _ranked(_job(tenant, n=2))[0]
    _vote(api_client_for(tenant), top, "up")
    staff = Client()
    staff.force_login(make_user("ops@avatarsaas.local", is_staff=True, is_superuser=True))
    page = staff.get("/admin/generation/workspaceranker/").content.decode()
    assert tenant.name in page and "blended (untrained)" in page and "100% of 1" in page
    assert staff.get("/admin/generation/imagefeedback/").status_code == 200
