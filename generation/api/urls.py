from django.urls import path

from generation.api import (
    edits,
    feedback,
    images,
    job_events,
    jobs,
    parse,
    statepacks,
    waiting,
    webhooks,
)
from generation.api.adapter_export import AdapterExportView

urlpatterns = [
    path("jobs/", waiting.jobs_collection, name="api_jobs"),
    path("jobs/<uuid:job_id>/", jobs.JobDetailView.as_view(), name="api_job_detail"),
    path("jobs/<uuid:job_id>/cancel/", jobs.JobCancelView.as_view(), name="api_job_cancel"),
    path("jobs/<uuid:job_id>/images/", jobs.JobImagesView.as_view(), name="api_job_images"),
    path("jobs/<uuid:job_id>/events/", job_events.JobEventsView.as_view(), name="api_job_events"),
    path(
        "images/<uuid:image_id>/rerender/",
        images.ImageRerenderView.as_view(),
        name="api_image_rerender",
    ),
    path("images/<uuid:image_id>/vary/", edits.ImageVaryView.as_view(), name="api_image_vary"),
    path("images/<uuid:image_id>/edit/", edits.ImageEditView.as_view(), name="api_image_edit"),
    path(
        "images/<uuid:image_id>/select/", images.ImageSelectView.as_view(), name="api_image_select"
    ),
    path(
        "images/<uuid:image_id>/feedback/",
        feedback.ImageFeedbackView.as_view(),
        name="api_image_feedback",
    ),
    path(
        "images/<uuid:image_id>/state-pack/",
        statepacks.ImageStatePackView.as_view(),
        name="api_image_state_pack",
    ),
    path(
        "state-packs/<uuid:pack_id>/",
        statepacks.StatePackDetailView.as_view(),
        name="api_state_pack_detail",
    ),
    path(
        "state-packs/<uuid:pack_id>/files/<str:kind>/",
        statepacks.StatePackFileView.as_view(),
        name="api_state_pack_file",
    ),
    path("files/<uuid:file_id>/", images.FileDownloadView.as_view(), name="api_file_download"),
    path("parse/", parse.ParseView.as_view(), name="api_parse"),
    path(
        "adapters/<uuid:adapter_id>/export/", AdapterExportView.as_view(), name="api_adapter_export"
    ),
    path("webhooks/", webhooks.WebhookListCreateView.as_view(), name="api_webhooks"),
    path(
        "webhooks/<uuid:endpoint_id>/",
        webhooks.WebhookDetailView.as_view(),
        name="api_webhook_detail",
    ),
    path(
        "webhooks/<uuid:endpoint_id>/deliveries/",
        webhooks.WebhookDeliveriesView.as_view(),
        name="api_webhook_deliveries",
    ),
    path(
        "webhook-deliveries/<uuid:delivery_id>/redeliver/",
        webhooks.WebhookRedeliverView.as_view(),
        name="api_webhook_redeliver",
    ),
]
