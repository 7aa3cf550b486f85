import os

from django.core.asgi import get_asgi_application

from generation.prompts import warmup

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "avatarsaas.settings")
application = get_asgi_application()

# Load the demand parser's dictionaries now, off the request path (see generation.prompts.warmup).
warmup.start_in_background()
