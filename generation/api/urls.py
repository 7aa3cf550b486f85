from django.urls import path

from generation.api import views
from generation.api.adapter_export import AdapterExportView

urlpatterns = [
    path("jobs/", views.JobListCreateView.as_view(), name="api_jobs"),
    path("jobs/<uuid:job_id>/", views.JobDetailView.as_view(), name="api_job_detail"),
    path("jobs/<uuid:job_id>/cancel/", views.JobCancelView.as_view(), name="api_job_cancel"),
    path("jobs/<uuid:job_id>/images/", views.JobImagesView.as_view(), name="api_job_images"),
    path(
        "images/<uuid:image_id>/rerender/",
        views.ImageRerenderView.as_view(),
        name="api_image_rerender",
    ),
    path(
        "images/<uuid:image_id>/select/", views.ImageSelectView.as_view(), name="api_image_select"
    ),
    path("files/<uuid:file_id>/", views.FileDownloadView.as_view(), name="api_file_download"),
    path("parse/", views.ParseView.as_view(), name="api_parse"),
    path(
        "adapters/<uuid:adapter_id>/export/", AdapterExportView.as_view(), name="api_adapter_export"
    ),
    path("webhooks/", views.WebhookListCreateView.as_view(), name="api_webhooks"),
    path(
        "webhooks/<uuid:endpoint_id>/",
        views.WebhookDetailView.as_view(),
        name="api_webhook_detail",
    ),
    path(
        "webhooks/<uuid:endpoint_id>/deliveries/",
        views.WebhookDeliveriesView.as_view(),
        name="api_webhook_deliveries",
    ),
    path(
        "webhook-deliveries/<uuid:delivery_id>/redeliver/",
        views.WebhookRedeliverView.as_view(),
        name="api_webhook_redeliver",
    ),
]
