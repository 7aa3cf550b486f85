"""avatarsaas_client.py: make a state pack, wait for it, download its zip and manifest."""

import json
import zipfile

import pytest

from avatarsaas_client import AvatarSaaS
from generation.worker import runner
from tests.factories import make_api_key, make_tenant

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_state_pack_helpers(live_server, no_models, tmp_path):
    tenant = make_tenant("Client Packs", credits_amount=500)
    _, plaintext = make_api_key(tenant, ["jobs:read", "jobs:write"])
    client = AvatarSaaS(plaintext, base_url=f"{live_server.url}/api/v1/")
    job = client.submit("a friendly blue robot", engine="vector", n=1, size=64)
    runner.process_one()
    image = client.wait(job["id"], timeout=30, first_delay=0.05)["images"][0]
    pack = client.make_state_pack(image["id"], idempotency_key="p1")
    assert client.make_state_pack(image["id"], idempotency_key="p1")["id"] == pack["id"]
    runner.process_one()
    ready = client.wait_state_pack(pack["id"], timeout=30)
    assert ready["status"] == "succeeded" and ready["ready"]
    paths = client.download_state_pack(ready, tmp_path, kinds=("zip", "manifest", "blink.gif"))
    archive = zipfile.ZipFile(paths[0])
    assert "sprite.png" in archive.namelist()
    assert json.loads(paths[1].read_text())["states"][0]["name"] == "neutral"
    assert paths[2].read_bytes()[:6] == b"GIF89a"
