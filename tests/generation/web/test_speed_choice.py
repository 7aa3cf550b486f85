"""The generate page offers the fast (few-step) speed only where the server runs one."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import api_client_for

pytestmark = pytest.mark.django_db


def test_no_speed_choice_without_a_few_step_model(no_models, owner_client):
    html = owner_client.get(reverse("generate")).content.decode()
    assert 'name="speed"' not in html


def test_speed_choice_where_fast_mode_is_configured(settings, owner_client, tmp_path):
    model = tmp_path / "sd"
    (model / "unet").mkdir(parents=True)
    settings.AVATARSAAS_SD_MODEL = str(model)
    settings.AVATARSAAS_FAST_MODE = "turbo"
    html = owner_client.get(reverse("generate")).content.decode()
    assert 'name="speed"' in html and "Fast (few steps, cheaper)" in html


def test_fast_quote_on_the_parse_preview_is_refused_without_fast_mode(no_models, tenant):
    response = api_client_for(tenant).post(
        "/api/v1/parse/", {"description": "a robot", "speed": "fast"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "speed"
