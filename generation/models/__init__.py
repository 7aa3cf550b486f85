from generation.models.images import GeneratedImage, ImageFile
from generation.models.jobs import GenerationJob, JobStatus
from generation.models.webhooks import WebhookDelivery, WebhookEndpoint

__all__ = [
    "GenerationJob",
    "JobStatus",
    "GeneratedImage",
    "ImageFile",
    "WebhookEndpoint",
    "WebhookDelivery",
]
