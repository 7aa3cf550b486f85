from django.contrib import admin
from django.urls import include, path, re_path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

import core.api_schema  # noqa: F401  (registers the API-key security scheme)
from avatarsaas import admin_views, health, metrics, views
from core import api_errors
from tenants import developer_views, language_views
from tenants.api import CurrentTenantView

api_v1 = [
    path("me/", CurrentTenantView.as_view(), name="api_me"),
    path("", include("generation.api.urls")),
    path("", include("styles.api.urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("i18n/setlang/", language_views.set_language, name="set_language"),
    # The JS strings as a same-origin script (the CSP allows no inline script).
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript_catalog"),
    path("healthz", health.healthz, name="healthz"),
    path("livez", health.livez, name="livez"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("admin/files/<uuid:file_id>/", admin_views.image_file, name="admin_image_file"),
    path(
        "admin/dataset-images/<uuid:image_id>/",
        admin_views.dataset_image,
        name="admin_dataset_image",
    ),
    path(
        "admin/finetunes/<uuid:finetune_id>/validation/<int:index>/",
        admin_views.finetune_validation,
        name="admin_finetune_validation",
    ),
    path(
        "admin/lora-imports/<uuid:import_id>/preview/<int:index>/",
        admin_views.import_preview,
        name="admin_import_preview",
    ),
    path("admin/engine/", admin_views.engine_status_view, name="admin_engine_status"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # The split view serves its init script from a URL, so the CSP needs no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api_schema"), name="api_redoc"),
    re_path(r"^api/(?P<unmatched>[\s\S]*)$", api_errors.api_not_found),  # JSON 404, not HTML
    path("developers/", developer_views.developers, name="developers"),
    path("", include("tenants.urls")),
    path("", include("generation.web.urls")),
    path("", include("styles.web.urls")),
    path("billing/", include("tenants.billing.urls")),
]

handler400 = "core.api_errors.bad_request"
handler403 = "core.api_errors.permission_denied"
handler404 = "core.api_errors.page_not_found"
handler500 = "core.api_errors.server_error"
