"""axe-core on every main page, in English and Simplified Chinese, at desktop and phone widths:
no violation of impact "serious" or "critical". Each page's full result (all impacts) is saved
as artifacts/axe/<lang>-<width>-<page>.json and the counts in artifacts/axe/summary.json."""

import json
import os

import pytest

from tests.browser.conftest import AXE, AXE_RESULTS
from tests.cross_tenant.routes_generation import _delivery, _image
from tests.cross_tenant.routes_styles import _dataset, _finetune
from tests.factories import owner_of

pytestmark = pytest.mark.django_db(transaction=True)

LANGUAGES = {"en": "en-US", "zh-hans": "zh-CN"}
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


def _main_pages(tenant) -> dict[str, str]:
    image = _image(tenant)
    dataset = _dataset(tenant)
    finetune = _finetune(tenant)
    _delivery(tenant)
    return {
        "overview": "/dashboard/",
        "generate": "/generate/",
        "jobs": "/jobs/",
        "job": f"/jobs/{image.job_id}/",
        "gallery": "/gallery/",
        "image": f"/gallery/{image.pk}/",
        "presets": "/presets/",
        "datasets": "/datasets/",
        "dataset": f"/datasets/{dataset.pk}/",
        "finetune": f"/finetunes/{finetune.pk}/",
        "team": "/settings/team/",
        "api-keys": "/settings/api-keys/",
        "webhooks": "/settings/webhooks/",
        "billing": "/billing/",
        "developers": "/developers/",
    }


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_no_serious_accessibility_violations(new_page, login, axe_audit, tenant, language, width):
    pages = _main_pages(tenant)
    w, h = WIDTHS[width]
    page = new_page(locale=LANGUAGES[language], width=w, height=h, init_script=AXE)
    blocking, counts = {}, {}
    for name, url in [("login", "/login/"), ("signup", "/signup/")]:
        page.goto(url)
        found = axe_audit(page, f"{language}-{width}-{name}")
        counts[name], blocking[name] = len(found), found
    login(page, owner_of(tenant))
    for name, url in pages.items():
        response = page.goto(url)
        assert response.status == 200, f"{url}: {response.status}"
        assert page.evaluate("document.documentElement.lang") == language
        found = axe_audit(page, f"{language}-{width}-{name}")
        counts[name], blocking[name] = len(found), found
    summary = AXE_RESULTS / "summary.json"
    data = json.loads(summary.read_text()) if summary.exists() else {}
    data[f"{language}-{width}"] = {"serious_or_critical": counts, "total": sum(counts.values())}
    summary.write_text(json.dumps(data, indent=1, sort_keys=True))
    if os.environ.get("AXE_REPORT_ONLY") != "1":  # "1": record the counts without failing
        assert {k: v for k, v in blocking.items() if v} == {}
