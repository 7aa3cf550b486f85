"""Generation's tables, one module per concern: `jobs` (GenerationJob and its status), `images`
(candidates and their stored files), `feedback` (votes, picks and downloads per candidate, and
the per-workspace learned ranker) and `webhooks` (endpoints and deliveries); re-exported here.
"""

from generation.models.feedback import ImageFeedback, Vote, WorkspaceRanker
from generation.models.images import GeneratedImage, ImageFile
from generation.models.jobs import GenerationJob, JobMode, JobStatus
from generation.models.webhooks import WebhookDelivery, WebhookEndpoint

__all__ = [
    "GenerationJob",
    "JobStatus",
    "JobMode",
    "GeneratedImage",
    "ImageFile",
    "ImageFeedback",
    "Vote",
    "WorkspaceRanker",
    "WebhookEndpoint",
    "WebhookDelivery",
]
