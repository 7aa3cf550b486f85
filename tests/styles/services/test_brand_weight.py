"""A preset's blend weight (the brand score's share in the ranking): set and validated through
the service, the API and the dashboard form; empty means the server default."""

import pytest

from core.errors import InvalidInput
from generation.jobs.render_config import render_config_for
from styles.models import StylePreset
from styles.services import presets
from tenants.actors import Actor
from tests.factories import api_client_for, owner_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def preset(tenant):
    cartoon = StylePreset.objects.get(tenant=None, slug="cartoon")
    return presets.create_preset(
        tenant=tenant, actor=Actor(user=owner_of(tenant)), copy_of=cartoon.pk, name="Acme"
    )


@pytest.mark.parametrize("bad", [-0.1, 1.5, "heavy", True, [0.5]])
def test_the_service_refuses_weights_outside_0_to_1(tenant, preset, bad):
    with pytest.raises(InvalidInput) as exc:
        presets.update_preset(
            tenant=tenant, actor=Actor(user=owner_of(tenant)), preset_id=preset.pk, brand_weight=bad
        )
    assert exc.value.field == "brand_weight"
    preset.refresh_from_db()
    assert preset.brand_weight is None


def test_the_preset_weight_reaches_the_render_config_else_the_setting(tenant, preset, settings):
    settings.AVATARSAAS_BRAND_WEIGHT = 0.35
    assert render_config_for(preset).brand_weight == 0.35
    owner = Actor(user=owner_of(tenant))
    presets.update_preset(tenant=tenant, actor=owner, preset_id=preset.pk, brand_weight="0.8")
    preset.refresh_from_db()
    assert preset.brand_weight == 0.8 and render_config_for(preset).brand_weight == 0.8
    presets.update_preset(tenant=tenant, actor=owner, preset_id=preset.pk, brand_weight=0)
    assert render_config_for(StylePreset.objects.get(pk=preset.pk)).brand_weight == 0.0
    presets.update_preset(tenant=tenant, actor=owner, preset_id=preset.pk, brand_weight=None)
    assert render_config_for(StylePreset.objects.get(pk=preset.pk)).brand_weight == 0.35


def test_api_sets_shows_and_validates_the_weight(tenant, preset):
    client = api_client_for(tenant, ["styles:read", "styles:write"])
    url = f"/api/v1/presets/{preset.pk}/"
    assert client.get(url).json()["brand_weight"] is None
    response = client.patch(url, {"brand_weight": 0.25}, format="json")
    assert response.status_code == 200 and response.json()["brand_weight"] == 0.25
    bad = client.patch(url, {"brand_weight": 2}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "brand_weight"
    assert client.patch(url, {"brand_weight": None}, format="json").json()["brand_weight"] is None
    copy = client.post(
        "/api/v1/presets/", {"copy_of": str(preset.pk), "brand_weight": 0.6}, format="json"
    )
    assert copy.status_code == 201 and copy.json()["brand_weight"] == 0.6


def test_dashboard_form_edits_the_weight(owner_client, preset):
    form = {
        "name": "Acme",
        "prompt_template": "{subject}, flat mascot",
        "palette": "",
        "default_attributes": "{}",
        "engine": "vector",
        "scheduler": "euler_a",
        "steps": 24,
        "guidance_scale": 6.5,
        "size": 512,
        "adapter_strength": 1.0,
        "lock_rules": "{}",
    }
    edit = owner_client.get(f"/presets/{preset.pk}/edit/").content.decode()
    assert 'id="id_brand_weight"' in edit
    response = owner_client.post(f"/presets/{preset.pk}/edit/", {**form, "brand_weight": "0.4"})
    assert response.status_code == 302
    preset.refresh_from_db()
    assert preset.brand_weight == 0.4
    assert 'id="brand-weight">40%' in owner_client.get(f"/presets/{preset.pk}/").content.decode()
    bad = owner_client.post(f"/presets/{preset.pk}/edit/", {**form, "brand_weight": "3"})
    assert bad.status_code == 200 and 'id="id_brand_weight"' in bad.content.decode()
    preset.refresh_from_db()
    assert preset.brand_weight == 0.4
    owner_client.post(f"/presets/{preset.pk}/edit/", {**form, "brand_weight": ""})
    preset.refresh_from_db()
    assert preset.brand_weight is None
