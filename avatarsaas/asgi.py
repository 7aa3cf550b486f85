import os

from django.core.asgi import get_asgi_application

from generation.prompts import warmup

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "avatarsaas.settings")
# Under ASGI every request's sync code runs on a new thread with a new connection, so a
# persistent connection outlives its thread unused (Django's docs: disable them under ASGI).
os.environ.setdefault("DB_CONN_MAX_AGE", "0")
application = get_asgi_application()

# Load the demand parser's dictionaries now, off the request path (see generation.prompts.warmup).
warmup.start_in_background()
