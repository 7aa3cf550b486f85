"""Database migrations of the generation app (jobs, images, files, webhooks, task schedules)."""
