from django.urls import path

from generation import file_responses
from generation.web import edits, preview, statepacks, views
from generation.web import feedback as feedback_views
from generation.web import gallery as gallery_views
from generation.web import webhooks as webhook_views
from generation.web.adapter_export import adapter_export

urlpatterns = [
    path("generate/", views.generate, name="generate"),
    path(
        "generate/presets/<uuid:preset_id>/thumbnail.png",
        views.preset_thumbnail,
        name="preset_thumbnail",
    ),
    path("generate/sketch.png", preview.sketch, name="generate_sketch"),
    path(
        "generate/presets/<uuid:preset_id>/sketch.png",
        preview.sketch,
        name="generate_preset_sketch",
    ),
    path("jobs/", views.job_list, name="job_list"),
    path("jobs/<uuid:job_id>/", views.job_detail, name="job_detail"),
    path("jobs/<uuid:job_id>/status.json", views.job_status, name="job_status"),
    path("jobs/<uuid:job_id>/cancel/", views.job_cancel, name="job_cancel"),
    path("jobs/<uuid:job_id>/vary/", views.job_vary, name="job_vary"),
    path(
        "jobs/<uuid:job_id>/controls/<int:index>.png",
        edits.job_control_map,
        name="job_control_map",
    ),
    path("images/<uuid:image_id>/select/", views.image_select, name="image_select"),
    path("images/<uuid:image_id>/rerender/", views.image_rerender, name="image_rerender"),
    path("images/<uuid:image_id>/vary/", edits.image_vary, name="image_vary"),
    path("images/<uuid:image_id>/edit/", edits.image_edit, name="image_edit"),
    path("images/<uuid:image_id>/pack.zip", views.image_pack, name="image_pack"),
    path(
        "images/<uuid:image_id>/state-pack/",
        statepacks.image_state_pack,
        name="image_state_pack",
    ),
    path("state-packs/<uuid:pack_id>/", statepacks.state_pack_detail, name="state_pack_detail"),
    path(
        "state-packs/<uuid:pack_id>/files/<str:kind>",
        statepacks.state_pack_file,
        name="state_pack_file",
    ),
    path("images/<uuid:image_id>/feedback/", feedback_views.image_feedback, name="image_feedback"),
    path("files/<uuid:file_id>/", views.file_download, name="file_download"),
    # core.signed_files.PREFIX: signed links to stored files (the signature is the grant)
    path("files/<path:name>", file_responses.signed_file, name="signed_file"),
    path("adapters/<uuid:adapter_id>/<str:fmt>.safetensors", adapter_export, name="adapter_export"),
    path("gallery/", gallery_views.gallery, name="gallery"),
    path("gallery/<uuid:image_id>/", gallery_views.image_detail, name="image_detail"),
    path("settings/webhooks/", webhook_views.webhook_list, name="webhook_list"),
    path(
        "settings/webhooks/<uuid:endpoint_id>/",
        webhook_views.webhook_detail,
        name="webhook_detail",
    ),
    path(
        "settings/webhooks/<uuid:endpoint_id>/delete/",
        webhook_views.webhook_delete,
        name="webhook_delete",
    ),
    path(
        "settings/webhooks/deliveries/<uuid:delivery_id>/redeliver/",
        webhook_views.webhook_redeliver,
        name="webhook_redeliver",
    ),
]
