from django.urls import path

from styles.web import views

urlpatterns = [
    path("presets/", views.preset_list, name="preset_list"),
    path("presets/new/", views.preset_create, name="preset_create"),
    path("presets/brand-kit/", views.brand_kit, name="brand_kit"),
    path("presets/<uuid:preset_id>/", views.preset_detail, name="preset_detail"),
    path("presets/<uuid:preset_id>/edit/", views.preset_edit, name="preset_edit"),
    path("presets/<uuid:preset_id>/copy/", views.preset_copy, name="preset_copy"),
    path("presets/<uuid:preset_id>/delete/", views.preset_delete, name="preset_delete"),
    path(
        "presets/<uuid:preset_id>/references/",
        views.preset_reference_add,
        name="preset_reference_add",
    ),
    path("presets/<uuid:preset_id>/activate/", views.preset_activate, name="preset_activate"),
    path("presets/<uuid:preset_id>/rollback/", views.preset_rollback, name="preset_rollback"),
    path("references/<uuid:reference_id>/", views.reference_file, name="reference_file"),
    path("references/<uuid:reference_id>/delete/", views.reference_delete, name="reference_delete"),
    path("datasets/", views.dataset_list, name="dataset_list"),
    path("datasets/<uuid:dataset_id>/", views.dataset_detail, name="dataset_detail"),
    path("datasets/<uuid:dataset_id>/upload/", views.dataset_upload, name="dataset_upload"),
    path("datasets/<uuid:dataset_id>/delete/", views.dataset_delete, name="dataset_delete"),
    path("dataset-images/<uuid:image_id>/", views.dataset_image_file, name="dataset_image_file"),
    path(
        "dataset-images/<uuid:image_id>/delete/",
        views.dataset_image_delete,
        name="dataset_image_delete",
    ),
    path("finetunes/", views.finetune_list, name="finetune_list"),
    path("finetunes/new/", views.finetune_create, name="finetune_create"),
    path("finetunes/<uuid:finetune_id>/", views.finetune_detail, name="finetune_detail"),
    path("finetunes/<uuid:finetune_id>/submit/", views.finetune_submit, name="finetune_submit"),
    path("finetunes/<uuid:finetune_id>/cancel/", views.finetune_cancel, name="finetune_cancel"),
    path(
        "finetunes/<uuid:finetune_id>/validation/<int:index>.png",
        views.finetune_validation_image,
        name="finetune_validation_image",
    ),
    path(
        "adapters/<uuid:adapter_id>/deprecate/", views.adapter_deprecate, name="adapter_deprecate"
    ),
]
