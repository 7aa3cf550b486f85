from django.contrib import admin
from django.urls import include, path

from avatarsaas import admin_views, health, views
from tenants.api import CurrentTenantView

api_v1 = [
    path("me/", CurrentTenantView.as_view(), name="api_me"),
    path("", include("generation.api_urls")),
    path("", include("styles.api_urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("healthz", health.healthz, name="healthz"),
    path("admin/files/<uuid:file_id>/", admin_views.image_file, name="admin_image_file"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("", include("tenants.urls")),
    path("", include("generation.urls")),
    path("", include("styles.urls")),
    path("billing/", include("tenants.billing_urls")),
]
