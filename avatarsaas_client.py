"""A small client for the AvatarSaaS API (one file; needs only ``requests``).

    from avatarsaas_client import AvatarSaaS

    client = AvatarSaaS("ask_<prefix>_<secret>", base_url="https://avatarsaas.example.com/api/v1/")
    job = client.submit("a friendly blue robot with round glasses", engine="vector", n=4)
    job = client.wait(job["id"])
    paths = client.download_pack(job, "avatars/")

Errors raise ``ApiError`` with the envelope's ``code``, ``message``, ``field`` and
``request_id``. Rate-limited requests (429 ``throttled``) are retried after ``Retry-After``;
a spent monthly quota (429 ``quota_exceeded``) is raised at once.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import Any

import requests

__all__ = ["ApiError", "AvatarSaaS"]
TERMINAL = {"succeeded", "failed", "canceled"}


class ApiError(Exception):
    def __init__(self, status: int, error: dict[str, Any]):
        self.status = status
        self.code = error.get("code", "error")
        self.field = error.get("field")
        self.request_id = error.get("request_id")
        self.error = error
        super().__init__(f"{status} {self.code}: {error.get('message', '')}")


class AvatarSaaS:
    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 3,
        session: requests.Session | None = None,
    ):
        api_key = api_key or os.environ.get("AVATARSAAS_KEY", "")
        if not api_key:
            raise ValueError("Pass an API key or set AVATARSAAS_KEY.")
        base_url = base_url or os.environ.get("AVATARSAAS_URL", "http://127.0.0.1:8000/api/v1/")
        self.base_url = base_url.rstrip("/") + "/"
        self.timeout = timeout
        self.max_retries = max_retries
        self.session = session or requests.Session()
        self.session.headers["Authorization"] = f"Bearer {api_key}"
        self.session.headers["User-Agent"] = "avatarsaas-client/1"

    # -- plumbing ------------------------------------------------------------------------------

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        url = path if path.startswith("http") else self.base_url + path.lstrip("/")
        for attempt in range(self.max_retries + 1):
            response = self.session.request(method, url, timeout=self.timeout, **kwargs)
            if response.status_code < 400:
                return response
            error = _error_of(response)
            retryable = response.status_code == 429 and error.get("code") == "throttled"
            if not retryable or attempt == self.max_retries:
                raise ApiError(response.status_code, error)
            time.sleep(min(60.0, float(response.headers.get("Retry-After", "1"))))
        raise AssertionError("unreachable")

    def get(self, path: str, **params) -> Any:
        return self.request("GET", path, params=params or None).json()

    # -- use cases -----------------------------------------------------------------------------

    def me(self) -> dict:
        return self.get("me/")

    def submit(self, description: str, *, idempotency_key: str | None = None, **options) -> dict:
        """Submit a job (options: preset, engine, n, size, seed, steps, circle, attributes...).

        An idempotency key is always sent, so the built-in retry never creates a second job."""
        headers = {"Idempotency-Key": idempotency_key or uuid.uuid4().hex}
        body = {"description": description, **options}
        return self.request("POST", "jobs/", json=body, headers=headers).json()

    def job(self, job_id: str) -> dict:
        return self.get(f"jobs/{job_id}/")

    def wait(
        self,
        job_id: str,
        *,
        timeout: float = 600.0,
        first_delay: float = 0.5,
        max_delay: float = 10.0,
    ) -> dict:
        """Poll with exponential backoff until the job finishes; raise TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        delay = first_delay
        while True:
            job = self.job(job_id)
            if job["status"] in TERMINAL:
                return job
            if time.monotonic() + delay > deadline:
                raise TimeoutError(f"Job {job_id} still {job['status']} after {timeout:.0f} s.")
            time.sleep(delay)
            delay = min(max_delay, delay * 1.6)

    def download_pack(self, job: dict, directory: str | os.PathLike) -> list[Path]:
        """Save every file of the job's selected image (its avatar pack); returns the paths."""
        if job["status"] != "succeeded":
            raise ValueError(f"Job {job['id']} is {job['status']}, not succeeded.")
        images = job.get("images") or self.get(f"jobs/{job['id']}/images/")
        chosen = next((i for i in images if i["selected"]), images[0] if images else None)
        if chosen is None:
            raise ValueError(f"Job {job['id']} has no images.")
        target = Path(directory)
        target.mkdir(parents=True, exist_ok=True)
        paths = []
        for f in chosen["files"]:
            path = target / f"avatar-{f['size']}-{f['shape']}.{f['format']}"
            response = self.request("GET", f["url"], stream=True)
            with path.open("wb") as out:
                for chunk in response.iter_content(64 * 1024):
                    out.write(chunk)
            paths.append(path)
        return paths


def _error_of(response: requests.Response) -> dict:
    try:
        return response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return {"code": "http_error", "message": response.text[:200]}


if __name__ == "__main__":  # python avatarsaas_client.py "a friendly blue robot"
    import sys

    client = AvatarSaaS()
    submitted = client.submit(" ".join(sys.argv[1:]) or "a friendly blue robot", engine="vector")
    finished = client.wait(submitted["id"])
    print(finished["status"], *client.download_pack(finished, "avatars"), sep="\n")
