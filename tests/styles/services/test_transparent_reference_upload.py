"""A transparent reference logo is stored over the preset's background colour (or white),
not over the black that `convert("RGB")` gives transparent pixels."""

import io

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from styles.models import StylePreset
from tests.factories import api_client_for
from tests.styles.conftest import upload

pytestmark = pytest.mark.django_db


def _transparent_logo() -> bytes:
    logo = Image.new("RGBA", (96, 96), (0, 0, 0, 0))
    logo.paste((220, 30, 30, 255), (32, 32, 64, 64))
    buf = io.BytesIO()
    logo.save(buf, format="PNG")
    return buf.getvalue()


@pytest.mark.parametrize(
    "attributes,background",
    [({}, (255, 255, 255)), ({"background_color": "#112233"}, (17, 34, 51))],
)
def test_transparent_reference_is_flattened_over_the_background(tenant, attributes, background):
    preset = StylePreset.objects.create(
        tenant=tenant, slug="acme", name="Acme", default_attributes=attributes
    )
    client = api_client_for(tenant, ["styles:read", "styles:write"])
    response = client.post(
        f"/api/v1/presets/{preset.pk}/references/",
        {"file": upload("logo.png", _transparent_logo())},
    )
    assert response.status_code == 201, response.content
    with default_storage.open(preset.references.get().file.name, "rb") as fh:
        stored = Image.open(fh)
        stored.load()
    assert stored.mode == "RGB"
    assert stored.getpixel((5, 5)) == background != (0, 0, 0)
    assert stored.getpixel((48, 48)) == (220, 30, 30)
