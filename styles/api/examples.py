"""Request/response examples for the styles API (rendered in /api/docs/)."""

from drf_spectacular.utils import OpenApiExample

PRESET_ID = "5d2f8a90-1b3c-4d5e-8f70-9a1b2c3d4e5f"
ADAPTER_ID = "8e3c1f0a-2b4d-4c6e-9f81-0a2b3c4d5e6f"
DATASET_ID = "2a7b9c1d-3e5f-4a6b-8c9d-1e2f3a4b5c6d"
FINETUNE_ID = "6f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f"

PRESET = {
    "id": PRESET_ID,
    "slug": "acme-cartoon",
    "name": "Acme cartoon",
    "description": "Our mascot look.",
    "is_builtin": False,
    "base_style": "cartoon",
    "prompt_template": "avatar of {subject}, {style}, centered head and shoulders",
    "negative_prompt": "photo, realistic, blurry",
    "trigger_word": "acmebot",
    "palette": ["#1e40af", "#f59e0b"],
    "default_attributes": {"style": "cartoon"},
    "engine": "diffusers",
    "scheduler": "dpmpp_2m_karras",
    "steps": 25,
    "guidance_scale": 7.0,
    "size": 512,
    "is_locked": True,
    "lock_rules": {"steps": {"min": 20, "max": 30}, "attributes": {"style": ["cartoon"]}},
    "active_adapter": ADAPTER_ID,
    "adapter_strength": 0.8,
    "brand_weight": 0.4,
    "reference_images": [],
    "control_images": [],
    "created_at": "2026-11-20T10:00:00Z",
    "updated_at": "2026-11-21T09:30:00Z",
}
PRESET_RESPONSE = OpenApiExample("Preset", value=PRESET, response_only=True)
PRESET_CREATE = OpenApiExample(
    "Copy a built-in",
    value={"copy_of": PRESET_ID, "name": "Acme cartoon", "palette": ["#1e40af", "#f59e0b"]},
    request_only=True,
)
PRESET_LOCK = OpenApiExample(
    "Lock it (owners and admins signed in; API keys get 403)",
    value={"is_locked": True, "lock_rules": {"steps": {"min": 20, "max": 30}}},
    request_only=True,
)
ACTIVATE = OpenApiExample(
    "Activate v3", value={"adapter": ADAPTER_ID, "strength": 0.8}, request_only=True
)

DATASET = {
    "id": DATASET_ID,
    "name": "Mascot shots",
    "trigger_word": "acmebot",
    "accepted": 48,
    "rejected": 2,
    "near_duplicates": 1,
    "clip_check": {
        "status": "not_run",
        "checked": 0,
        "pending": 0,
        "message": "The CLIP check was not run: no real CLIP weights are configured on this "
        "server, so image hashes alone found these near-duplicates.",
    },
    "created_at": "2026-11-20T10:00:00Z",
}
DATASET_RESPONSE = OpenApiExample("Dataset", value=DATASET, response_only=True)
DATASET_CREATE = OpenApiExample(
    "New dataset", value={"name": "Mascot shots", "trigger_word": "acmebot"}, request_only=True
)
REPORT = OpenApiExample(
    "Upload report",
    value={
        "accepted": 48,
        "rejected": 2,
        "errors": [
            {"name": "../evil.png", "code": "unsafe_path", "message": "Zip slip: ..."},
            {"name": "scan.png", "code": "not_an_image", "message": "Not an image file."},
        ],
        "warnings": [
            {
                "name": "mascot_small.jpg",
                "code": "near_duplicate",
                "message": "Accepted, but it looks like an edited copy of mascot.png: ...",
            }
        ],
    },
    response_only=True,
)
RESOLVE_KEEP = OpenApiExample("Keep both", value={"action": "keep_both"}, request_only=True)
RESOLVE_DROP = OpenApiExample(
    "Drop one",
    value={"action": "drop", "image": "0b9a4d1e-4a55-4c59-9a43-2fd1b1b7e2a1"},
    request_only=True,
)
CAPTIONS = OpenApiExample(
    "Edit captions",
    value={"captions": {"0b9a4d1e-4a55-4c59-9a43-2fd1b1b7e2a1": "acmebot waving, blue"}},
    request_only=True,
)

FINETUNE = {
    "id": FINETUNE_ID,
    "name": "Acme mascot",
    "dataset": DATASET_ID,
    "preset": None,
    "trigger_word": "acmebot",
    "rank": 16,
    "alpha": 16,
    "steps": 1000,
    "learning_rate": 0.0001,
    "resolution": 512,
    "batch_size": 4,
    "train_text_encoder": False,
    "gradient_checkpointing": False,
    "state": "training",
    "review_note": "",
    "cost_credits": 220,
    "progress": 42,
    "progress_step": 470,
    "loss_curve": [[1, 0.182], [2, 0.171]],
    "eta_seconds": 380,
    "failure_code": "",
    "failure_message": "",
    "validation": [],
    "adapter": None,
    "created_at": "2026-11-20T10:00:00Z",
    "finished_at": None,
}
FINETUNE_RESPONSE = OpenApiExample("Fine-tune", value=FINETUNE, response_only=True)
FINETUNE_CREATE = OpenApiExample(
    "Draft",
    value={"dataset": DATASET_ID, "name": "Acme mascot", "trigger_word": "acmebot", "steps": 1000},
    request_only=True,
)
ADAPTER_RESPONSE = OpenApiExample(
    "Adapter",
    value={
        "id": ADAPTER_ID,
        "name": "Acme mascot",
        "version": 3,
        "status": "ready",
        "lineage": "trained",
        "finetune": FINETUNE_ID,
        "source_import": None,
        "size_bytes": 3281560,
        "sha256": "9b74c9897bac770ffc029102a200c5de9b74c9897bac770ffc029102a200c5de",
        "base_model_hash": "1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c5b6a7988",
        "dataset_hash": "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
        "trigger_word": "acmebot",
        "created_at": "2026-11-21T09:30:00Z",
    },
    response_only=True,
)

REFERENCE_ID = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"
REFERENCE = {
    "id": REFERENCE_ID,
    "preset": PRESET_ID,
    "original_name": "mascot-front.jpg",
    "url": f"https://avatars.example.com/api/v1/references/{REFERENCE_ID}/file/",
    "created_at": "2026-11-21T09:40:00Z",
}
REFERENCE_RESPONSE = OpenApiExample("Reference image", value=REFERENCE, response_only=True)
REFERENCE_LIST = OpenApiExample("Reference images", value=[REFERENCE], response_only=True)
BRAND_KIT = OpenApiExample(
    "Locked presets only",
    value={"locked_presets_only": True, "updated_at": "2026-11-21T09:45:00Z"},
    response_only=True,
)

CONTROL_IMAGE_ID = "6e1d2c3b-4a59-4f68-9b7a-0c1d2e3f4a5b"
CONTROL_IMAGE = {
    "id": CONTROL_IMAGE_ID,
    "preset": PRESET_ID,
    "control_type": "silhouette",
    "conditioning_scale": 0.8,
    "preprocess": True,
    "original_name": "mascot-outline.png",
    "url": f"https://avatarsaas.example.com/api/v1/control-images/{CONTROL_IMAGE_ID}/file/",
    "created_at": "2026-11-21T09:40:00Z",
}
CONTROL_IMAGE_RESPONSE = OpenApiExample("Control image", value=CONTROL_IMAGE, response_only=True)
CONTROL_IMAGE_LIST = OpenApiExample("Control images", value=[CONTROL_IMAGE], response_only=True)
CONTROL_IMAGE_UPDATE = OpenApiExample(
    "Steer more gently", value={"conditioning_scale": 0.5}, request_only=True
)

IMPORT_ID = "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b"
ADAPTER_IMPORT_RESPONSE = OpenApiExample(
    "LoRA import",
    value={
        "id": IMPORT_ID,
        "name": "Acme mascot (kohya)",
        "trigger_word": "acmebot",
        "original_name": "acme_mascot.safetensors",
        "format": "kohya",
        "size_bytes": 3281560,
        "sha256": "9b74c9897bac770ffc029102a200c5de9b74c9897bac770ffc029102a200c5de",
        "state": "pending_review",
        "error_code": "",
        "error_message": "",
        "report": {"format": "kohya", "ranks": [16], "alphas": [8.0], "modules": {"unet": 128}},
        "base_model_hash": "1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c5b6a7988",
        "review_note": "",
        "adapter": None,
        "created_at": "2026-11-21T09:30:00Z",
    },
    response_only=True,
    status_codes=["200", "202"],
)
