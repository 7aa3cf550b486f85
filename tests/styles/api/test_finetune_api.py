"""Fine-tunes over the API: validated hyperparameters, cost quote, submit reserves credits,
plan limits, scopes. (Training itself is in test_finetune_flow / test_training_resume.)"""

import pytest

from styles.services.finetunes import quote_credits
from tenants.models import CreditReservation
from tests.factories import api_client_for, make_tenant
from tests.styles.conftest import make_dataset

pytestmark = pytest.mark.django_db


def test_create_validates_ranges_and_quotes_cost(pro_tenant, small_images):
    client = api_client_for(pro_tenant)
    dataset = make_dataset(pro_tenant)
    base = {"dataset": str(dataset.pk), "name": "Mascot"}
    for field, value in [
        ("rank", 0),
        ("rank", 512),
        ("steps", 5),
        ("learning_rate", 0.5),
        ("resolution", 500),
        ("batch_size", 64),
    ]:
        response = client.post("/api/v1/finetunes/", {**base, field: value}, format="json")
        assert response.status_code == 400, (field, value)
        assert response.json()["error"]["field"] == field

    response = client.post("/api/v1/finetunes/", base, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    # Steps follow the dataset: 6 images, 200 passes (the cap for small sets), 4 a step.
    assert (body["rank"], body["steps"], body["resolution"], body["state"]) == (
        16,
        300,
        512,
        "draft",
    )
    assert body["steps_derived"] is True and body["recipe"]["bucketing"] is True
    assert body["trigger_word"] == "acmebot"  # from the dataset
    assert body["cost_credits"] == quote_credits(
        steps=300, batch_size=4, resolution=512, train_text_encoder=False
    )

    pro_tenant.refresh_from_db()
    before = pro_tenant.credit_balance
    submitted = client.post(f"/api/v1/finetunes/{body['id']}/submit/")
    assert submitted.status_code == 200 and submitted.json()["state"] == "submitted"
    pro_tenant.refresh_from_db()
    assert pro_tenant.credit_balance == before - body["cost_credits"]
    assert client.post(f"/api/v1/finetunes/{body['id']}/submit/").status_code == 409
    canceled = client.post(f"/api/v1/finetunes/{body['id']}/cancel/")
    assert canceled.json()["state"] == "canceled"
    assert CreditReservation.objects.get(reference=f"finetune:{body['id']}").state == "released"


def test_free_plan_cannot_submit_and_needs_enough_images(small_images):
    tenant = make_tenant("Free Co", credits_amount=1000)
    client = api_client_for(tenant)
    dataset = make_dataset(tenant)
    ft = client.post(
        "/api/v1/finetunes/", {"dataset": str(dataset.pk), "name": "x"}, format="json"
    ).json()
    response = client.post(f"/api/v1/finetunes/{ft['id']}/submit/")
    assert response.status_code == 403 and response.json()["error"]["code"] == "plan_limit"


def test_too_few_images_and_insufficient_credits(pro_tenant, small_images, settings):
    client = api_client_for(pro_tenant)
    settings.AVATARSAAS_FINETUNE_MIN_IMAGES = 50
    dataset = make_dataset(pro_tenant)
    ft = client.post(
        "/api/v1/finetunes/", {"dataset": str(dataset.pk), "name": "x"}, format="json"
    ).json()
    response = client.post(f"/api/v1/finetunes/{ft['id']}/submit/")
    assert response.status_code == 400 and response.json()["error"]["field"] == "dataset"

    settings.AVATARSAAS_FINETUNE_MIN_IMAGES = 4
    big = client.post(
        "/api/v1/finetunes/",
        {"dataset": str(dataset.pk), "name": "y", "steps": 10000, "batch_size": 16},
        format="json",
    ).json()
    assert client.post(f"/api/v1/finetunes/{big['id']}/submit/").status_code == 402


def test_finetune_scope_is_required(pro_tenant, small_images):
    dataset = make_dataset(pro_tenant)
    client = api_client_for(pro_tenant, ["styles:read", "styles:write"])
    response = client.post(
        "/api/v1/finetunes/", {"dataset": str(dataset.pk), "name": "x"}, format="json"
    )
    assert response.status_code == 403 and "finetunes:write" in response.json()["error"]["message"]


def test_plan_limit_counts_this_months_submissions(pro_tenant, small_images):
    client = api_client_for(pro_tenant)
    dataset = make_dataset(pro_tenant)
    ids = [
        client.post(
            "/api/v1/finetunes/", {"dataset": str(dataset.pk), "name": f"n{i}"}, format="json"
        ).json()["id"]
        for i in range(3)
    ]
    assert client.post(f"/api/v1/finetunes/{ids[0]}/submit/").status_code == 200
    assert client.post(f"/api/v1/finetunes/{ids[1]}/submit/").status_code == 200
    third = client.post(f"/api/v1/finetunes/{ids[2]}/submit/")  # Pro includes 2 a month
    assert third.status_code == 403 and third.json()["error"]["code"] == "plan_limit"
    client.post(f"/api/v1/finetunes/{ids[1]}/cancel/")  # canceled before it ran: not counted
    assert client.post(f"/api/v1/finetunes/{ids[2]}/submit/").status_code == 200
