"""An image sent to the jobs API either as a multipart file or as base64 text in JSON."""

from __future__ import annotations

import base64
import binascii

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

MAX_UPLOAD_BYTES = 8 * 2**20


@extend_schema_field({"type": "string", "format": "byte"})
class ImageBytesField(serializers.Field):
    """Bytes of an uploaded image: base64 (optionally a `data:image/...;base64,` URL) or a
    file. Only the size is checked here; the services decode and judge the picture."""

    default_error_messages = {
        "invalid": "Send the image as base64 text or as a file upload.",
        "too_large": "The image is larger than {limit} MB.",
    }

    def __init__(self, *, max_bytes: int = MAX_UPLOAD_BYTES, **kwargs):
        self.max_bytes = max_bytes
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> bytes:
        if hasattr(data, "read"):
            raw = data.read(self.max_bytes + 1)
        elif isinstance(data, str):
            text = data.split(",", 1)[1] if data.startswith("data:") else data
            if len(text) > self.max_bytes * 4 // 3 + 8:
                self.fail("too_large", limit=self.max_bytes // 2**20)
            try:
                raw = base64.b64decode(text, validate=True)
            except (binascii.Error, ValueError):
                self.fail("invalid")
        else:
            self.fail("invalid")
        if len(raw) > self.max_bytes:
            self.fail("too_large", limit=self.max_bytes // 2**20)
        return raw

    def to_representation(self, value) -> str:
        return base64.b64encode(value).decode()
