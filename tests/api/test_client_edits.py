"""avatarsaas_client.py: vary an image and edit a region, against a live server."""

import io

import pytest
from PIL import Image

from avatarsaas_client import ApiError, AvatarSaaS
from generation.worker import runner
from tests.factories import make_api_key, make_tenant

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def client(live_server, no_models):
    tenant = make_tenant("Client Edits", credits_amount=500)
    _, plaintext = make_api_key(tenant, ["jobs:read", "jobs:write"])
    return AvatarSaaS(plaintext, base_url=f"{live_server.url}/api/v1/")


def test_vary_and_edit_an_image(client, tmp_path):
    job = client.submit("a friendly blue robot", engine="vector", n=1, size=128)
    runner.process_one()
    image = client.wait(job["id"], timeout=30, first_delay=0.05)["images"][0]

    varied = client.vary_image(image["id"], strength=0.6)
    assert varied["mode"] == "vary" and varied["parent_image"] == image["id"]

    mask = Image.new("L", (128, 128))
    mask.paste(255, (32, 80, 96, 120))
    path = tmp_path / "mask.png"
    mask.save(path)
    edited = client.edit_image(image["id"], path, "a red bow tie instead")
    assert edited["mode"] == "edit" and edited["mask_hash"]
    runner.process_one()
    runner.process_one()
    assert client.wait(edited["id"], timeout=30, first_delay=0.05)["status"] == "succeeded"

    buf = io.BytesIO()
    Image.new("L", (64, 64), 255).save(buf, format="PNG")
    with pytest.raises(ApiError) as info:
        client.edit_image(image["id"], buf.getvalue(), "a hat")
    assert info.value.status == 400 and info.value.field == "mask"
    with pytest.raises(ApiError) as info:
        client.submit("a robot", engine="vector", control_image=buf.getvalue())
    assert info.value.field == "control_image"
