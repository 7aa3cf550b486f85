"""OpenAPI additions common to every endpoint: the API-key security scheme, the error envelope
(with an example) on every operation, and the rate-limit headers on every success response."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "request_id"],
            "properties": {
                "code": {"type": "string", "description": "Stable, machine-readable reason."},
                "message": {"type": "string", "description": "What went wrong, for people."},
                "field": {"type": "string", "description": "The input at fault, when one is."},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    "description": "Every field error (validation errors only).",
                },
                "request_id": {"type": "string", "description": "Quote it to support."},
                "retry_after": {
                    "type": "integer",
                    "description": "Seconds to wait before retrying (429 only).",
                },
            },
            "additionalProperties": True,
        }
    },
}

RATE_LIMIT_HEADERS = {
    "X-RateLimit-Limit": "Requests allowed per minute (the tighter of the key's and plan's).",
    "X-RateLimit-Remaining": "Requests left in the current window.",
    "X-RateLimit-Reset": "Epoch seconds at which the window resets.",
}

# status -> (description, example code, example message, extra)
ERRORS = {
    "400": ("Invalid input.", "invalid", "n: Ensure this value is less than or equal to 8.", {}),
    "401": ("Missing, malformed, revoked or expired API key.", "not_authenticated", "", {}),
    "403": (
        "The key lacks the scope, or a key restriction forbids the request.",
        "permission_denied",
        "This API key lacks the 'jobs:write' scope.",
        {},
    ),
    "402": (
        "Not enough credits.",
        "insufficient_credits",
        "This job costs 8 credits; the workspace has 3.",
        {},
    ),
    "404": ("No such object in this workspace.", "not_found", "Job not found.", {}),
    "409": (
        "The object's state forbids it, or the Idempotency-Key was reused with another body.",
        "invalid_state",
        "The job already succeeded; nothing to cancel.",
        {},
    ),
    "415": (
        "Send JSON.",
        "unsupported_media_type",
        'Unsupported media type "text/plain" in request.',
        {},
    ),
    "429": (
        "Rate limit (code `throttled`) or the key's monthly quota (code `quota_exceeded`).",
        "throttled",
        "Rate limit of 60 requests per minute for this API key exceeded; retry in 12 s.",
        {"retry_after": 12},
    ),
}
_UNAUTH_MESSAGE = "Authentication credentials were not provided."


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "tenants.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "ask_<prefix>_<secret>",
            "description": "An API key from Settings → API keys: `Authorization: Bearer ask_...`.",
        }


def _error_response(status: str) -> dict:
    description, code, message, extra = ERRORS[status]
    example = {
        "error": {
            "code": code,
            "message": message or _UNAUTH_MESSAGE,
            "request_id": "3f2a9c1e5b7d4e0f8a6b2c4d1e3f5a7b",
            **extra,
        }
    }
    content = {"schema": {"$ref": "#/components/schemas/Error"}, "example": example}
    response = {"description": description, "content": {"application/json": content}}
    if status == "429":
        response["headers"] = {
            "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}
        }
    return response


def domain_errors(*statuses: int) -> dict:
    """``extend_schema(extensions=domain_errors(402, 409))``: errors specific to an operation."""
    return {"x-errors": [str(s) for s in statuses]}


def add_common_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook."""
    components = result.setdefault("components", {})
    components.setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    headers = {
        name: {"schema": {"type": "integer"}, "description": text}
        for name, text in RATE_LIMIT_HEADERS.items()
    }
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for status, response in responses.items():
                if status.startswith("2"):
                    response.setdefault("headers", {}).update(headers)
            wanted = ["401", "403", "429", *operation.pop("x-errors", [])]
            if "{" in path:
                wanted.append("404")
            if method in {"post", "put", "patch"} or operation.get("parameters"):
                wanted.append("400")
            if "requestBody" in operation:
                wanted.append("415")
            for status in wanted:
                responses.setdefault(status, _error_response(status))
    return result
