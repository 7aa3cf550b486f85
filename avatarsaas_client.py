"""A small client for the AvatarSaaS API (one file; needs only ``requests``).

    from avatarsaas_client import AvatarSaaS

    client = AvatarSaaS("ask_<prefix>_<secret>", base_url="https://avatarsaas.example.com/api/v1/")
    job = client.submit("a friendly blue robot with round glasses", engine="vector", n=4)
    job = client.wait(job["id"])
    paths = client.download_pack(job, "avatars/")

    # Or let the server hold the submit until the job is done (at most 60 s), then follow
    # its progress events if it is still running.
    job = client.submit("a friendly blue robot", engine="vector", wait=60)
    for event in client.events(job["id"]):
        print(event["event"], event["data"])  # progress ..., then done with the final job
    job = client.follow(job["id"])  # the same stream, returning the final job

    # A brand LoRA: dataset -> upload (batched) -> fine-tune -> staff review -> activate.
    dataset = client.create_dataset("Mascots", trigger_word="acmebot")
    report = client.upload_dataset(dataset["id"], Path("mascots/").glob("*.png"))
    finetune = client.submit_finetune(client.create_finetune(dataset["id"], "Acme v1")["id"])
    finetune = client.wait_finetune(finetune["id"], timeout=24 * 3600)
    client.activate_adapter(preset_id, finetune["adapter"])

    # Control and edit: a sketch steers the render; vary a candidate; repaint a region.
    job = client.wait(client.submit("a robot mascot", control_image="sketch.png",
                                    control_type="scribble")["id"])
    image = job["images"][0]
    subtle = client.wait(client.vary_image(image["id"], strength=0.3)["id"])
    edited = client.wait(client.edit_image(image["id"], "mask.png", "a red bow tie")["id"])

Errors raise ``ApiError`` with the envelope's ``code``, ``message``, ``field`` and
``request_id``. Rate-limited requests (429 ``throttled``) are retried after ``Retry-After``;
a spent monthly quota (429 ``quota_exceeded``) is raised at once.
"""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import requests

__all__ = ["ApiError", "AvatarSaaS"]
TERMINAL = {"succeeded", "failed", "canceled"}
FINETUNE_TERMINAL = {"ready", "failed", "canceled", "rejected"}
# Under the server's default per-request limits (200 files, 100 MB), with room for the form.
UPLOAD_BATCH_FILES = 100
UPLOAD_BATCH_BYTES = 50 * 1024 * 1024


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
        kwargs.setdefault("timeout", self.timeout)
        for attempt in range(self.max_retries + 1):
            response = self.session.request(method, url, **kwargs)
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

    def post(self, path: str, body: dict | None = None, **kwargs) -> Any:
        return self.request("POST", path, json=body or {}, **kwargs).json()

    def iterate(self, path: str, **params) -> Iterator[dict]:
        """Every item of a paginated list, following the cursor links."""
        page = self.get(path, **params)
        while True:
            yield from page["results"]
            if not page.get("next"):
                return
            page = self.get(page["next"])

    def _poll(self, path: str, terminal: set[str], field: str, timeout: float, delays) -> dict:
        first_delay, max_delay = delays
        deadline = time.monotonic() + timeout
        delay = first_delay
        while True:
            item = self.get(path)
            if item[field] in terminal:
                return item
            if time.monotonic() + delay > deadline:
                raise TimeoutError(f"{path} still {item[field]} after {timeout:.0f} s.")
            time.sleep(delay)
            delay = min(max_delay, delay * 1.6)

    # -- use cases -----------------------------------------------------------------------------

    def me(self) -> dict:
        return self.get("me/")

    def submit(
        self,
        description: str,
        *,
        idempotency_key: str | None = None,
        wait: int | None = None,
        **options,
    ) -> dict:
        """Submit a job (options: preset, engine, n, size, seed, steps, circle, attributes...).

        `control_image` may be a path or bytes (sent base64), with `control_type` (canny,
        lineart, scribble, silhouette, pose), `control_scale` and `control_preprocess`.
        An idempotency key is always sent, so the built-in retry never creates a second job.
        `wait=N` (seconds, at most 60) sends `Prefer: wait=N`: the server answers when the job
        finishes or N seconds pass, whichever is first; check the returned job's `status`."""
        headers = {"Idempotency-Key": idempotency_key or uuid.uuid4().hex}
        timeout = self.timeout
        if wait:
            headers["Prefer"] = f"wait={int(wait)}"
            timeout = max(self.timeout, min(int(wait), 60) + 30.0)
        body = {"description": description, **options}
        if body.get("control_image") is not None:
            body["control_image"] = _base64_of(body["control_image"])
        return self.request("POST", "jobs/", json=body, headers=headers, timeout=timeout).json()

    def vary_image(
        self,
        image_id: str,
        *,
        strength: float = 0.3,
        seed: int | None = None,
        idempotency_key: str | None = None,
    ) -> dict:
        """Image-to-image from one image: 0.3 is "Vary (subtle)", 0.6 "Vary (strong)"."""
        body: dict[str, Any] = {"strength": strength}
        if seed is not None:
            body["seed"] = seed
        headers = {"Idempotency-Key": idempotency_key or uuid.uuid4().hex}
        return self.request("POST", f"images/{image_id}/vary/", json=body, headers=headers).json()

    def edit_image(
        self,
        image_id: str,
        mask: str | os.PathLike | bytes,
        prompt: str,
        *,
        strength: float | None = None,
        idempotency_key: str | None = None,
    ) -> dict:
        """Repaint the region a mask marks (a PNG the image's size, white = change) with what
        `prompt` says ("a red bow tie instead"); the rest stays pixel for pixel."""
        body: dict[str, Any] = {"mask": _base64_of(mask), "prompt": prompt}
        if strength is not None:
            body["strength"] = strength
        headers = {"Idempotency-Key": idempotency_key or uuid.uuid4().hex}
        return self.request("POST", f"images/{image_id}/edit/", json=body, headers=headers).json()

    def make_state_pack(self, image_id: str, *, idempotency_key: str | None = None) -> dict:
        """One priced job that redraws an avatar in each state of its preset (neutral, happy,
        thinking, surprised, sorry, talking, sleeping by default); returns the pack."""
        headers = {"Idempotency-Key": idempotency_key or uuid.uuid4().hex}
        return self.request("POST", f"images/{image_id}/state-pack/", headers=headers).json()

    def state_pack(self, pack_id: str) -> dict:
        return self.get(f"state-packs/{pack_id}/")

    def wait_state_pack(self, pack_id: str, *, timeout: float = 600.0) -> dict:
        """Poll until the pack's job finishes; a succeeded pack has its files and manifest."""
        return self._poll(f"state-packs/{pack_id}/", TERMINAL, "status", timeout, (0.5, 10.0))

    def download_state_pack(
        self, pack: dict, directory: str | os.PathLike, kinds: tuple[str, ...] = ("zip",)
    ) -> list[Path]:
        """Save the pack's files of these kinds (zip, sprite, manifest, blink.webp, ...)."""
        if not pack.get("ready"):
            raise ValueError(f"State pack {pack['id']} is {pack['status']}, not ready.")
        target = Path(directory)
        target.mkdir(parents=True, exist_ok=True)
        paths = []
        for kind in kinds:
            response = self.request("GET", pack["files"][kind], stream=True)
            path = target / _pack_file_name(pack, kind)
            with path.open("wb") as out:
                for chunk in response.iter_content(64 * 1024):
                    out.write(chunk)
            paths.append(path)
        return paths

    def add_control_image(
        self,
        preset_id: str,
        path: str | os.PathLike,
        control_type: str,
        *,
        conditioning_scale: float = 1.0,
        preprocess: bool = True,
    ) -> dict:
        """Give a preset a control image: its diffusion jobs then follow it (ControlNet)."""
        data = {
            "control_type": control_type,
            "conditioning_scale": str(conditioning_scale),
            "preprocess": "true" if preprocess else "false",
        }
        with Path(path).open("rb") as fh:
            files = {"file": (Path(path).name, fh, "application/octet-stream")}
            response = self.request(
                "POST", f"presets/{preset_id}/control-images/", data=data, files=files
            )
        return response.json()

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
        return self._poll(f"jobs/{job_id}/", TERMINAL, "status", timeout, (first_delay, max_delay))

    def events(self, job_id: str, *, last_event_id: str | None = None) -> Iterator[dict]:
        """The job's server-sent events, as {"event", "id", "data"} (data decoded from JSON):
        `progress` events while it waits and renders, then one `done` with the final job.
        A stream the server ends early (its maximum length) is resumed with Last-Event-ID."""
        while True:
            headers = {"Accept": "text/event-stream"}
            if last_event_id:
                headers["Last-Event-ID"] = last_event_id
            response = self.request(
                "GET", f"jobs/{job_id}/events/", headers=headers, stream=True,
                timeout=(self.timeout, 120.0),  # between bytes: heartbeats come every 15 s
            )  # fmt: skip
            with response:
                for event in _server_sent_events(response.iter_lines(decode_unicode=True)):
                    last_event_id = event["id"] or last_event_id
                    yield event
                    if event["event"] in ("done", "gone"):
                        return

    def follow(self, job_id: str) -> dict:
        """Follow the job's event stream until it finishes; return the final job."""
        for event in self.events(job_id):
            if event["event"] == "done":
                return event["data"]
        raise ApiError(404, {"code": "not_found", "message": "The job no longer exists."})

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

    # -- brand LoRAs -----------------------------------------------------------------------------

    def create_dataset(self, name: str, *, trigger_word: str = "") -> dict:
        return self.post("datasets/", {"name": name, "trigger_word": trigger_word})

    def upload_dataset(
        self,
        dataset_id: str,
        paths: Iterable[str | os.PathLike],
        *,
        batch_files: int = UPLOAD_BATCH_FILES,
        batch_bytes: int = UPLOAD_BATCH_BYTES,
    ) -> dict:
        """Upload images, `.txt` caption sidecars or zips, in as many requests as the server's
        per-request limits need. Every request adds to the dataset (duplicates are caught
        across requests), so the merged report is the same as for one big upload."""
        report: dict[str, Any] = {"accepted": 0, "rejected": 0, "errors": [], "requests": 0}
        batch: list[Path] = []
        size = 0

        def flush() -> None:
            handles = [p.open("rb") for p in batch]
            try:
                files = [("files", (p.name, h)) for p, h in zip(batch, handles, strict=True)]
                part = self.request("POST", f"datasets/{dataset_id}/images/", files=files).json()
            finally:
                for handle in handles:
                    handle.close()
            report["accepted"] += part["accepted"]
            report["rejected"] += part["rejected"]
            report["errors"].extend(part["errors"])
            report["requests"] += 1

        for path in map(Path, paths):
            length = path.stat().st_size
            if batch and (len(batch) >= batch_files or size + length > batch_bytes):
                flush()
                batch, size = [], 0
            batch.append(path)
            size += length
        if batch:
            flush()
        return report

    def create_finetune(self, dataset_id: str, name: str, **options) -> dict:
        """Options: trigger_word, preset, rank, alpha, steps, learning_rate, resolution,
        batch_size, train_text_encoder, gradient_checkpointing (see the API reference)."""
        return self.post("finetunes/", {"dataset": dataset_id, "name": name, **options})

    def submit_finetune(self, finetune_id: str) -> dict:
        """Send a draft for staff review; credits are reserved then."""
        return self.post(f"finetunes/{finetune_id}/submit/")

    def wait_finetune(
        self,
        finetune_id: str,
        *,
        timeout: float = 24 * 3600.0,
        first_delay: float = 2.0,
        max_delay: float = 60.0,
    ) -> dict:
        """Poll until the fine-tune is ready, failed, canceled or rejected (staff review
        included, which can take a while: hence the long default timeout)."""
        return self._poll(
            f"finetunes/{finetune_id}/",
            FINETUNE_TERMINAL,
            "state",
            timeout,
            (first_delay, max_delay),
        )

    def activate_adapter(
        self, preset_id: str, adapter_id: str, *, strength: float | None = None
    ) -> dict:
        body: dict[str, Any] = {"adapter": adapter_id}
        if strength is not None:
            body["strength"] = strength
        return self.post(f"presets/{preset_id}/activate-adapter/", body)


def _pack_file_name(pack: dict, kind: str) -> str:
    short = pack["id"][:8]
    named = {"zip": "zip", "sprite": "png", "manifest": "json"}
    if kind in named:
        return f"statepack-{short}-{kind}.{named[kind]}"
    loop, _, fmt = kind.partition(".")
    return f"statepack-{short}-{loop}.{'png' if fmt in ('strip', 'apng') else fmt}"


def _base64_of(value: str | os.PathLike | bytes) -> str:
    data = value if isinstance(value, bytes | bytearray) else Path(value).read_bytes()
    return base64.b64encode(data).decode()


def _server_sent_events(lines: Iterable[str]) -> Iterator[dict]:
    event: dict[str, Any] = {"event": "message", "id": None, "data": ""}
    for line in lines:
        if line is None:
            continue
        if not line:  # a blank line ends an event
            if event["data"]:
                event["data"] = json.loads(event["data"])
                yield event
            event = {"event": "message", "id": None, "data": ""}
        elif not line.startswith(":"):  # ":" starts a heartbeat comment
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "data":
                event["data"] += value
            elif name in ("event", "id"):
                event[name] = value


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
