"""Generation's tables, one module per concern: `jobs` (GenerationJob and its status), `images`
(candidates and their stored files) and `webhooks` (endpoints and deliveries); re-exported here.
"""

from generation.models.images import GeneratedImage, ImageFile
from generation.models.jobs import GenerationJob, JobMode, JobStatus
from generation.models.webhooks import WebhookDelivery, WebhookEndpoint

__all__ = [
    "GenerationJob",
    "JobStatus",
    "JobMode",
    "GeneratedImage",
    "ImageFile",
    "WebhookEndpoint",
    "WebhookDelivery",
]
