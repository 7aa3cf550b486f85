"""avatarsaas_client.py's brand-LoRA calls against a live server: batched dataset upload with a
merged report, cursor iteration, fine-tune create/submit/wait, adapter activation."""

import threading

import pytest
from django.db import connection

from avatarsaas_client import ApiError, AvatarSaaS
from styles.services import finetunes
from tests.cross_tenant.routes_styles import _adapter, _dataset, _preset
from tests.factories import make_api_key
from tests.styles.conftest import TINY_HYPERPARAMETERS, png_bytes

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def client(live_server, pro_tenant, small_images):
    _, plaintext = make_api_key(pro_tenant)
    return AvatarSaaS(plaintext, base_url=f"{live_server.url}/api/v1/")


def _pictures(directory, n):
    directory.mkdir()
    paths = []
    for i in range(n):
        path = directory / f"a_{i}.png"
        path.write_bytes(png_bytes(i))
        paths.append(path)
    bad = directory / "b_notes.png"
    bad.write_text("not a picture")
    duplicate = directory / "z_copy_of_a_0.png"
    duplicate.write_bytes(png_bytes(0))
    return [*paths, bad, duplicate]


def test_upload_is_batched_and_the_reports_merge(client, tmp_path):
    dataset = client.create_dataset("Mascots", trigger_word="acmebot")
    report = client.upload_dataset(dataset["id"], _pictures(tmp_path / "set", 7), batch_files=3)
    assert report["requests"] == 3  # 9 files, 3 per request
    assert (report["accepted"], report["rejected"]) == (7, 2)
    names = {e["name"] for e in report["errors"]}
    assert names == {"b_notes.png", "z_copy_of_a_0.png"}  # the copy was caught across requests
    assert client.get(f"datasets/{dataset['id']}/")["accepted"] == 7


def test_iterate_follows_the_cursor(client):
    made = {client.create_dataset(f"Set {i}")["id"] for i in range(3)}
    assert {d["id"] for d in client.iterate("datasets/", page_size=1)} == made


def test_finetune_submit_and_wait_for_the_review(client, pro_tenant, staff_user, tmp_path):
    dataset = client.create_dataset("Mascots", trigger_word="acmebot")
    client.upload_dataset(dataset["id"], _pictures(tmp_path / "set", 5))
    hyper = {k: v for k, v in TINY_HYPERPARAMETERS.items() if k != "checkpoint_every"}
    draft = client.create_finetune(dataset["id"], "Acme v1", **hyper)
    assert draft["state"] == "draft"
    submitted = client.submit_finetune(draft["id"])
    assert submitted["state"] == "submitted" and submitted["cost_credits"] > 0

    def review():
        finetunes.reject_finetune(
            finetune_id=draft["id"], staff_user=staff_user, note="Use on-brand colours only."
        )
        connection.close()

    reviewer = threading.Timer(0.3, review)
    reviewer.start()
    done = client.wait_finetune(draft["id"], timeout=30, first_delay=0.05, max_delay=0.2)
    reviewer.join()
    assert done["state"] == "rejected" and done["review_note"] == "Use on-brand colours only."


def test_activate_adapter_and_tenant_scoping(client, pro_tenant, other_tenant, tmp_path):
    preset, adapter = _preset(pro_tenant), _adapter(pro_tenant)
    activated = client.activate_adapter(str(preset.pk), str(adapter.pk), strength=0.6)
    assert activated["active_adapter"] == str(adapter.pk) and activated["adapter_strength"] == 0.6

    theirs = _dataset(other_tenant)
    with pytest.raises(ApiError) as info:
        client.upload_dataset(str(theirs.pk), _pictures(tmp_path / "set", 1))
    assert info.value.status == 404
