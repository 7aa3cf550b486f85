"""Helpers for state pack tests: a picked avatar made by the real worker."""

from __future__ import annotations

import pytest

from generation.models import GenerationJob
from generation.worker import runner
from tests.factories import api_client_for


def picked_image(tenant, **body):
    """Submit a one-candidate job over the API, run it on the worker, return its image."""
    client = api_client_for(tenant)
    fields = {"description": "a friendly blue robot", "n": 1, "size": 128, "seed": 5, **body}
    response = client.post("/api/v1/jobs/", fields, format="json")
    assert response.status_code == 201, response.json()
    runner.process_one("t")
    job = GenerationJob.objects.get(pk=response.json()["id"])
    assert job.status == "succeeded", job.failure_message
    return job.images.get(index=0)


@pytest.fixture
def make_picked():
    return picked_image
