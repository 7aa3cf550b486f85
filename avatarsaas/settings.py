"""One settings module, driven by the environment (12-factor).

Defaults are the embedded ones: SQLite and media under ``var/``, the django-q2 ORM broker,
the weight-free vector engine. ``DATABASE_URL``, ``REDIS_URL``, ``AWS_STORAGE_BUCKET_NAME`` and the
``AVATARSAAS_*`` model paths switch to the scaled-out setup.
"""

import ipaddress
import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from core.logging_json import logging_config
from core.outbound import parse_networks
from core.vocabulary import CONTROL_TYPES


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_networks(name: str) -> list[str]:
    """A comma-separated list of addresses or CIDR networks, checked at start-up."""
    values = env_list(name)
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError as exc:
            raise ImproperlyConfigured(f"{name}: {value!r} is not an address or network") from exc
    return values


BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("AVATARSAAS_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # embedded SQLite and media live here

# Off unless asked for: a process started without DEBUG=1 (`make run` and bin/dev-run set it)
# is a production process and refuses to start on unsafe defaults below.
DEBUG = env_bool("DEBUG", False)
TESTING = env_bool("AVATARSAAS_TESTING", False) or "pytest" in sys.modules
# Local conveniences (a dev secret key, loopback hosts, readable logs, report-only CSP, cookies
# over plain HTTP) for DEBUG and the test suite only; an explicit DEBUG=0 always gets none.
LOCAL = DEBUG or (TESTING and not os.environ.get("DEBUG", "").strip())

SECRET_KEY = os.environ.get("SECRET_KEY", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not LOCAL:
    # Production refuses to start on defaults that would be unsafe on the internet.
    if not SECRET_KEY:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set: DEBUG is off unless DEBUG=1 (use `make run` or "
            "DEBUG=1 for local development)."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off (comma-separated).")
else:
    SECRET_KEY = SECRET_KEY or "dev-insecure-avatarsaas-key-change-me-in-production-0123456789"
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "testserver", "[::1]"]

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "tenants",
    "styles",
    "generation",
]

MIDDLEWARE = [
    "core.request_id.RequestIdMiddleware",
    "avatarsaas.throttling.RateLimitHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After sessions (it may read them), before CommonMiddleware (which may redirect).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tenants.middleware.ActiveTenantMiddleware",
    "tenants.language.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "avatarsaas.urls"
WSGI_APPLICATION = "avatarsaas.wsgi.application"
ASGI_APPLICATION = "avatarsaas.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenants.context_processors.active_tenant",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Workers and web share one SQLite file in the embedded setup; wait instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 30
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "avatarsaas"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# English is the source language; a new language is one entry here plus a catalog in locale/
# (README: "Adding a language"). The first visit follows Accept-Language, a signed-in user's
# choice is kept on their profile (tenants.UserProfile) and in the language cookie.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("zh-hans", "简体中文"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"  # never served directly: files go through permission-checked views
# Signed file links (core.signed_files): stable for a window of this many seconds, valid for
# one to two windows.
AVATARSAAS_FILE_URL_TTL = int(os.environ.get("AVATARSAAS_FILE_URL_TTL", "3600"))

AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
if AWS_STORAGE_BUCKET_NAME:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": int(os.environ.get("AWS_QUERYSTRING_EXPIRE", "300")),
            "file_overwrite": False,
            "signature_version": os.environ.get("AWS_S3_SIGNATURE_VERSION", "s3v4"),
            # Stored names are never rewritten with other bytes (see core.storage).
            "object_parameters": {"CacheControl": "private, max-age=31536000, immutable"},
        },
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT)},
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "AvatarSaaS <no-reply@avatarsaas.local>")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tenants.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Fail closed: a view that forgets its scopes answers 405 to every method.
    "DEFAULT_PERMISSION_CLASSES": ["tenants.permissions.HasScope"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api_errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Per workspace (Plan.requests_per_minute) and per key (ApiKey.requests_per_minute, capped
    # by the plan), counted in the default cache: Redis when REDIS_URL is set.
    "DEFAULT_THROTTLE_CLASSES": [
        "avatarsaas.throttling.TenantRateThrottle",
        "avatarsaas.throttling.ApiKeyRateThrottle",
    ],
}
API_RATE_LIMIT_WINDOW_SECONDS = 60
# API key rows cached after a lookup (tenants/auth_cache.py); every write path forgets them.
AUTH_CACHE_SECONDS = int(os.environ.get("AUTH_CACHE_SECONDS", "30"))
# Job event streams (generation/api/job_events.py).
AVATARSAAS_EVENTS_HEARTBEAT_SECONDS = float(
    os.environ.get("AVATARSAAS_EVENTS_HEARTBEAT_SECONDS", "15")
)
AVATARSAAS_EVENTS_MAX_SECONDS = float(os.environ.get("AVATARSAAS_EVENTS_MAX_SECONDS", "600"))

SPECTACULAR_SETTINGS = {
    "TITLE": "AvatarSaaS API",
    "DESCRIPTION": (
        "Design AI avatars for your bots. Authenticate with `Authorization: Bearer ask_...`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SCHEMA_PATH_PREFIX_TRIM": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # The schema and docs are public (no key needed); assets are vendored, no CDN.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True, "displayOperationId": False},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api_schema.add_common_responses",
    ],
}

# django-q2: the default cluster does CPU work (sweeps, purges, schedules); the "gpu" cluster
# generation and training; the "webhooks" cluster webhook deliveries. Start the latter two with
# Q_CLUSTER_NAME=gpu / Q_CLUSTER_NAME=webhooks. The DB row is the source of truth for
# jobs; a queue message is only a nudge, so losing one is repaired by the sweeper.
Q_WORKERS = int(os.environ.get("Q_WORKERS", "2"))
Q_GPU_WORKERS = int(os.environ.get("Q_GPU_WORKERS", "1"))
Q_WEBHOOK_WORKERS = int(os.environ.get("Q_WEBHOOK_WORKERS", "2"))
_q_common = {
    "timeout": int(os.environ.get("Q_TIMEOUT", "1800")),
    "retry": int(os.environ.get("Q_RETRY", "1900")),
    "max_attempts": 1,
    "catch_up": False,
    "save_limit": 500,
    "ack_failures": True,
}
if REDIS_URL:
    _q_common["redis"] = REDIS_URL
else:
    _q_common["orm"] = "default"
    _q_common["poll"] = float(os.environ.get("Q_POLL", "0.5"))
Q_CLUSTER = {
    "name": "default",
    "workers": Q_WORKERS,
    **_q_common,
    "ALT_CLUSTERS": {
        "gpu": {"workers": Q_GPU_WORKERS, "recycle": 10000, **_q_common},
        # Webhook deliveries talk to hosts tenants choose: on their own workers, a slow or
        # hostile receiver can only delay other webhooks, never sweeps, purges or schedules.
        # One attempt lasts at most generation.webhooks.delivery.DEADLINE_S (10 s).
        "webhooks": {**_q_common, "workers": Q_WEBHOOK_WORKERS, "timeout": 60, "retry": 90},
    },
}

# Webhooks reach public addresses only (core/outbound.py). An operator who wants deliveries to
# an internal service on purpose lists its networks here (comma-separated CIDRs); plain http is
# then allowed to them too. Public hosts need https, except with DEBUG=1.
try:
    AVATARSAAS_WEBHOOK_ALLOWED_CIDRS = [
        str(net) for net in parse_networks(env_list("AVATARSAAS_WEBHOOK_ALLOWED_CIDRS"))
    ]
except ValueError as exc:
    raise ImproperlyConfigured(f"AVATARSAAS_WEBHOOK_ALLOWED_CIDRS: {exc}") from exc

# Models: local directories only (no hub at run time). Empty = not configured.
AVATARSAAS_SD_MODEL = os.environ.get("AVATARSAAS_SD_MODEL", "")
AVATARSAAS_CLIP_ARCH = os.environ.get("AVATARSAAS_CLIP_ARCH", "ViT-B-32")
AVATARSAAS_CLIP_CHECKPOINT = os.environ.get("AVATARSAAS_CLIP_CHECKPOINT", "")
AVATARSAAS_SAFETY_CHECKER = os.environ.get("AVATARSAAS_SAFETY_CHECKER", "")
AVATARSAAS_DEVICE = os.environ.get("AVATARSAAS_DEVICE", "auto")
AVATARSAAS_LORA_CACHE_SIZE = int(os.environ.get("AVATARSAAS_LORA_CACHE_SIZE", "8"))
# ControlNet weights, one local diffusers directory per control type
# (AVATARSAAS_CONTROLNET_CANNY, _LINEART, _SCRIBBLE, _SILHOUETTE, _POSE); empty = that type is off.
AVATARSAAS_CONTROLNET_MODELS = {
    t: os.environ.get(f"AVATARSAAS_CONTROLNET_{t.upper()}", "") for t in CONTROL_TYPES
}
# A dedicated inpainting pipeline (9-channel UNet) for region edits; empty = the base model
# through diffusers' standard inpainting path.
AVATARSAAS_INPAINT_MODEL = os.environ.get("AVATARSAAS_INPAINT_MODEL", "")
# An fp16-safe VAE directory replacing the model's own (SDXL's stock VAE overflows in fp16).
AVATARSAAS_VAE_MODEL = os.environ.get("AVATARSAAS_VAE_MODEL", "")
# Speed options (generation/engines/speed.py): "auto" = channels_last + cudnn.benchmark on CUDA;
# or a comma list of channels_last, cudnn_benchmark, fuse_qkv, compile, fuse_lora; or "none".
AVATARSAAS_SPEED = os.environ.get("AVATARSAAS_SPEED", "auto")
AVATARSAAS_COMPILE_MODE = os.environ.get("AVATARSAAS_COMPILE_MODE", "default")
# VAE slicing (batches) and tiling (large sizes): auto = on CUDA only; on; off.
AVATARSAAS_VAE_MEMORY = os.environ.get("AVATARSAAS_VAE_MEMORY", "auto")
# Few-step "fast" renders (generation/engines/few_step.py): empty = off; lcm_lora (with
# AVATARSAAS_FAST_LORA, the LCM-LoRA's path); or lcm / turbo / lightning when AVATARSAAS_SD_MODEL
# itself is such a distilled model.
AVATARSAAS_FAST_MODE = os.environ.get("AVATARSAAS_FAST_MODE", "")
AVATARSAAS_FAST_LORA = os.environ.get("AVATARSAAS_FAST_LORA", "")
# GPU workers load the pipeline and run one step before claiming their first job.
AVATARSAAS_WARM_UP = env_bool("AVATARSAAS_WARM_UP", True)
# A running job's lease; the worker renews it as it renders. A worker silent for this long is
# presumed dead and its job is retried (up to the job's max_attempts).
AVATARSAAS_JOB_LEASE_SECONDS = int(os.environ.get("AVATARSAAS_JOB_LEASE_SECONDS", "60"))
# Packing (CLIP scoring, PNG/WebP encoding, uploads, settling) runs in a background stage while
# the worker renders the next job; off = each job is packed inline on the render loop. The
# queue depth bounds rendered jobs waiting for packing (memory); one queue message runs jobs
# for at most the batch seconds before leaving the rest to the next message.
AVATARSAAS_PACKING_OVERLAP = env_bool("AVATARSAAS_PACKING_OVERLAP", True)
AVATARSAAS_PACKING_QUEUE = int(os.environ.get("AVATARSAAS_PACKING_QUEUE", "1"))
AVATARSAAS_WORKER_BATCH_SECONDS = float(os.environ.get("AVATARSAAS_WORKER_BATCH_SECONDS", "300"))
# Set when the configured weights are real trained ones; tiny test models leave it off so the
# product never presents random-weight scores as quality.
AVATARSAAS_WEIGHTS_ARE_REAL = env_bool("AVATARSAAS_WEIGHTS_ARE_REAL", False)

# Styles: brand-consistency share of best-of-N when a preset has reference images (0..1) and
# the preset sets no weight of its own; LoRA datasets and fine-tunes.
AVATARSAAS_BRAND_WEIGHT = float(os.environ.get("AVATARSAAS_BRAND_WEIGHT", "0.5"))
# Avatar pack downloads (generation/web/downloads.py): per workspace and minute, downloads and
# in-memory renders of shapes that were not built at job end; renders are cached this long, up
# to this size each.
AVATARSAAS_PACK_DOWNLOADS_PER_MINUTE = int(
    os.environ.get("AVATARSAAS_PACK_DOWNLOADS_PER_MINUTE", "30")
)
AVATARSAAS_PACK_RENDERS_PER_MINUTE = int(os.environ.get("AVATARSAAS_PACK_RENDERS_PER_MINUTE", "6"))
AVATARSAAS_PACK_CACHE_SECONDS = int(os.environ.get("AVATARSAAS_PACK_CACHE_SECONDS", "900"))
AVATARSAAS_PACK_CACHE_MAX_BYTES = int(
    os.environ.get("AVATARSAAS_PACK_CACHE_MAX_BYTES", str(16 * 1024 * 1024))
)
# Live sketch on the generate page (generation/jobs/sketch.py): vector renders per workspace
# and minute (cache hits are free), and how long a finished sketch is cached.
AVATARSAAS_SKETCH_RENDERS_PER_MINUTE = int(
    os.environ.get("AVATARSAAS_SKETCH_RENDERS_PER_MINUTE", "60")
)
AVATARSAAS_SKETCH_CACHE_SECONDS = int(os.environ.get("AVATARSAAS_SKETCH_CACHE_SECONDS", "600"))
# Quality control and learned ranking (generation/quality/): extra renders a job may spend on
# replacing rejected candidates, reference-embedding cache entries per worker, and when a
# workspace's ranker trains (picks needed, then retrained every so many new picks).
AVATARSAAS_QUALITY_MAX_REROLLS = int(os.environ.get("AVATARSAAS_QUALITY_MAX_REROLLS", "4"))
AVATARSAAS_REFERENCE_CACHE_SIZE = int(os.environ.get("AVATARSAAS_REFERENCE_CACHE_SIZE", "64"))
AVATARSAAS_RANKER_MIN_PICKS = int(os.environ.get("AVATARSAAS_RANKER_MIN_PICKS", "30"))
AVATARSAAS_RANKER_RETRAIN_EVERY = int(os.environ.get("AVATARSAAS_RANKER_RETRAIN_EVERY", "10"))
AVATARSAAS_DATASET_MIN_SIDE = int(os.environ.get("AVATARSAAS_DATASET_MIN_SIDE", "256"))
AVATARSAAS_FINETUNE_MIN_IMAGES = int(os.environ.get("AVATARSAAS_FINETUNE_MIN_IMAGES", "5"))
AVATARSAAS_VALIDATION_STEPS = int(os.environ.get("AVATARSAAS_VALIDATION_STEPS", "25"))
AVATARSAAS_ADAPTER_CACHE = Path(os.environ.get("AVATARSAAS_ADAPTER_CACHE", VAR_DIR / "adapters"))
# Imported LoRA files (styles.services.adapter_imports): the size cap (an SD 1.5 LoRA of rank
# 64 is ~75 MB in fp16; keep it under MAX_REQUEST_BODY_BYTES) and the preview grid's size.
AVATARSAAS_LORA_IMPORT_MAX_MB = int(os.environ.get("AVATARSAAS_LORA_IMPORT_MAX_MB", "96"))
AVATARSAAS_IMPORT_PREVIEW_SIZE = int(os.environ.get("AVATARSAAS_IMPORT_PREVIEW_SIZE", "512"))

# State packs (generation/statepacks/): the CLIP image-image similarity to the source avatar
# under which a diffusion state is re-rolled, extra renders a pack may spend doing so, the
# img2img strength of each state, and the background matting: "border_key" (colour keyed on the
# border) or the name of a matter registered with generation.statepacks.matting, which gets
# AVATARSAAS_MATTING_MODEL (a local segmentation model path).
AVATARSAAS_STATEPACK_IDENTITY_THRESHOLD = float(
    os.environ.get("AVATARSAAS_STATEPACK_IDENTITY_THRESHOLD", "0.8")
)
AVATARSAAS_STATEPACK_MAX_REROLLS = int(os.environ.get("AVATARSAAS_STATEPACK_MAX_REROLLS", "3"))
AVATARSAAS_STATEPACK_STRENGTH = float(os.environ.get("AVATARSAAS_STATEPACK_STRENGTH", "0.5"))
AVATARSAAS_MATTING = os.environ.get("AVATARSAAS_MATTING", "border_key")
AVATARSAAS_MATTING_MODEL = os.environ.get("AVATARSAAS_MATTING_MODEL", "")

AVATARSAAS_API_KEY_PREFIX = "ask"
# A deleted workspace is suspended at once and purged (rows and files) after this many days,
# so a mistaken deletion can still be undone by staff.
AVATARSAAS_DELETION_GRACE_DAYS = int(os.environ.get("AVATARSAAS_DELETION_GRACE_DAYS", "7"))
# Workspaces one person may own at once (agencies run several brands).
AVATARSAAS_MAX_OWNED_WORKSPACES = int(os.environ.get("AVATARSAAS_MAX_OWNED_WORKSPACES", "5"))

# Stripe: billing pages say "not configured" until a key is set. STRIPE_API_BASE points the
# library at a local Stripe server (localstripe) in tests.
STRIPE_API_KEY = os.environ.get("STRIPE_API_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")
STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY", "")

# One JSON object per line (request/tenant/job ids) in production or with LOG_FORMAT=json;
# readable text in DEBUG dev.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text" if LOCAL else "json")
LOGGING = logging_config(
    json_format=LOG_FORMAT == "json", level=os.environ.get("LOG_LEVEL", "INFO")
)

# --- Production hardening and observability (docker/, avatarsaas/security.py, metrics.py) ---
# HTTPS settings come from the environment: the deploy manifests turn them on; plain-HTTP
# loopback setups (benches, dev) keep working. `manage.py check --deploy` is clean with them.
if env_bool("TRUST_X_FORWARDED_PROTO", False):  # only behind a proxy that sets it
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]  # probes and scrapes speak plain HTTP
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not LOCAL)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not LOCAL)
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_HTTPONLY = True  # only the server reads it
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
CSP_REPORT_ONLY = env_bool("CSP_REPORT_ONLY", LOCAL)
CSP_IMG_SRC_EXTRA = env_list("CSP_IMG_SRC_EXTRA")  # e.g. the S3/CDN origin of signed media URLs
CSP_FORM_ACTION_EXTRA = env_list("CSP_FORM_ACTION_EXTRA")
# The client address (core/client_ip.py): X-Forwarded-For is read from the right through
# TRUSTED_PROXY_HOPS proxies (ingress-nginx alone: 1), or through every address in
# TRUSTED_PROXY_CIDRS; with neither, REMOTE_ADDR is the client. Set one, not both.
TRUSTED_PROXY_HOPS = int(os.environ.get("TRUSTED_PROXY_HOPS", "0"))
TRUSTED_PROXY_CIDRS = env_networks("TRUSTED_PROXY_CIDRS")
if TRUSTED_PROXY_HOPS and TRUSTED_PROXY_CIDRS:
    raise ImproperlyConfigured("Set TRUSTED_PROXY_HOPS or TRUSTED_PROXY_CIDRS, not both.")
ADMIN_IP_ALLOWLIST = env_networks("ADMIN_IP_ALLOWLIST")
LOGIN_THROTTLE_PER_USER = int(os.environ.get("LOGIN_THROTTLE_PER_USER", "5"))
LOGIN_THROTTLE_PER_IP = int(os.environ.get("LOGIN_THROTTLE_PER_IP", "50"))
LOGIN_THROTTLE_WINDOW_SECONDS = int(os.environ.get("LOGIN_THROTTLE_WINDOW_SECONDS", "900"))
# One account, from any address: after this many failures each further attempt waits
# (1 s, 2 s, 4 s ... up to the maximum); browsers that signed in to it before are exempt.
LOGIN_THROTTLE_PER_ACCOUNT = int(os.environ.get("LOGIN_THROTTLE_PER_ACCOUNT", "10"))
LOGIN_ACCOUNT_MAX_DELAY_SECONDS = int(os.environ.get("LOGIN_ACCOUNT_MAX_DELAY_SECONDS", "300"))
SIGNUP_THROTTLE_PER_IP = int(os.environ.get("SIGNUP_THROTTLE_PER_IP", "10"))
SIGNUP_THROTTLE_WINDOW_SECONDS = int(os.environ.get("SIGNUP_THROTTLE_WINDOW_SECONDS", "3600"))
# Sign-up's email verification link (welcome credits are granted when it is used).
EMAIL_VERIFICATION_MAX_AGE_SECONDS = int(
    os.environ.get("EMAIL_VERIFICATION_MAX_AGE_SECONDS", str(3 * 24 * 3600))
)
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DATA_UPLOAD_MAX_MEMORY_SIZE", str(2_621_440)))
FILE_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("FILE_UPLOAD_MAX_MEMORY_SIZE", str(2_621_440)))
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_NUMBER_FILES = int(os.environ.get("DATA_UPLOAD_MAX_NUMBER_FILES", "200"))
MAX_REQUEST_BODY_BYTES = int(os.environ.get("MAX_REQUEST_BODY_BYTES", str(100 * 1024 * 1024)))
# Signed-out requests outside the API (sign-in, sign-up, webhooks) are small; bigger ones are
# refused before the CSRF check reads (and spools) them. 0 turns the limit off.
MAX_SIGNED_OUT_BODY_BYTES = int(os.environ.get("MAX_SIGNED_OUT_BODY_BYTES", str(2_621_440)))
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_ALLOWED_IPS = env_networks("METRICS_ALLOWED_IPS")
METRICS_WINDOW_SECONDS = int(os.environ.get("METRICS_WINDOW_SECONDS", "900"))
# Picks and votes are sparse: the satisfaction gauges look back further than the job gauges.
AVATARSAAS_SATISFACTION_WINDOW_SECONDS = int(
    os.environ.get("AVATARSAAS_SATISFACTION_WINDOW_SECONDS", "86400")
)
# Inserted by name so the list above stays the one place others edit.
MIDDLEWARE.insert(0, "avatarsaas.metrics.RequestMetricsMiddleware")
MIDDLEWARE.insert(
    MIDDLEWARE.index("core.request_id.RequestIdMiddleware") + 1,
    "core.logging_json.LogContextMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "avatarsaas.security.RequestSizeLimitMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("avatarsaas.security.RequestSizeLimitMiddleware") + 1,
    "avatarsaas.security.ContentSecurityPolicyMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("avatarsaas.security.ContentSecurityPolicyMiddleware") + 1,
    "avatarsaas.security.AdminAllowlistMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "avatarsaas.security.SignedOutBodyLimitMiddleware",
)
MIDDLEWARE.append("avatarsaas.auth_throttle.LoginThrottleMiddleware")
MIDDLEWARE.append("avatarsaas.auth_throttle.SignupThrottleMiddleware")
# Production serves /static/ from the app itself (collected at image build); no nginx needed.
if env_bool("SERVE_STATIC", not LOCAL):
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
        "avatarsaas.static_files.HybridWhiteNoiseMiddleware",
    )
