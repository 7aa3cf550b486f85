"""Generation's tables, one module per concern: `jobs` (GenerationJob and its status), `images`
(candidates and their stored files), `feedback` (votes, picks and downloads per candidate, and
the per-workspace learned ranker), `webhooks` (endpoints and deliveries) and `statepacks` (one
avatar in several expressions, with its deliverables); re-exported here.
"""

from generation.models.feedback import ImageFeedback, Vote, WorkspaceRanker
from generation.models.images import GeneratedImage, ImageFile
from generation.models.jobs import GenerationJob, JobMode, JobStatus
from generation.models.statepacks import StatePack
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
    "StatePack",
]
