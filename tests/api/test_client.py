"""avatarsaas_client.py against a live server: key -> submit -> wait -> downloaded pack."""

import pytest

from avatarsaas_client import ApiError, AvatarSaaS
from generation.worker import runner
from tests.factories import make_api_key, make_tenant

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def client(live_server):
    tenant = make_tenant("Client Bots", credits_amount=500)
    _, plaintext = make_api_key(tenant, ["jobs:read", "jobs:write"])
    return AvatarSaaS(plaintext, base_url=f"{live_server.url}/api/v1/")


def test_submit_wait_download(client, tmp_path):
    job = client.submit("a friendly blue robot with round glasses", engine="vector", n=2, size=256)
    assert job["status"] == "queued"
    runner.process_one()  # stands in for the GPU worker
    job = client.wait(job["id"], timeout=30, first_delay=0.05)
    assert job["status"] == "succeeded"
    paths = client.download_pack(job, tmp_path / "pack")
    assert paths and all(p.stat().st_size > 0 for p in paths)
    assert paths[0].read_bytes()[:4] in (b"\x89PNG", b"RIFF")


def test_errors_carry_the_envelope(client):
    with pytest.raises(ApiError) as info:
        client.submit("a robot", n=99)
    assert info.value.status == 400
    assert info.value.field == "n"
    assert info.value.request_id
    assert client.me()["api_key"]["scopes"] == ["jobs:read", "jobs:write"]


def test_submit_with_wait_then_follow_the_event_stream(client):
    body = {"engine": "vector", "n": 1, "size": 256, "seed": 7}
    job = client.submit("a friendly blue robot", wait=1, **body)
    assert job["status"] == "queued"  # answered (202) after the 1 s wait, still queued
    runner.process_one()
    events = list(client.events(job["id"]))
    assert [e["event"] for e in events] == ["done"]
    assert events[0]["data"]["status"] == "succeeded" and events[0]["id"]
    assert client.follow(job["id"])["images"]
    finished = client.submit("a friendly blue robot", wait=5, **body)  # a cache hit
    assert finished["status"] == "succeeded" and finished["cache_hit"] is True
