"""Staff admin for generation: images to review, jobs to follow and retry, webhook deliveries to
redeliver (`site`), each workspace's learned ranker, satisfaction and feedback (`quality`), and
the "Engine & models" status page (`engine_status`), and state packs with their identity scores
(`statepacks`). Importing `site` and `quality` here
registers the model admins when Django autodiscovers this package.
"""

from generation.admin import (  # noqa: F401  (Django autodiscovers this package)
    quality,
    site,
    statepacks,
)
