"""Staff admin for generation: images to review, jobs to follow and retry, webhook deliveries to
redeliver (`site`), and the "Engine & models" status page (`engine_status`). Importing `site`
here registers the model admins when Django autodiscovers this package.
"""

from generation.admin import site  # noqa: F401  (Django autodiscovers this package)
