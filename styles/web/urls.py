from django.urls import path

from styles.web import (
    adapters,
    brand_kit,
    control_images,
    datasets,
    finetunes,
    presets,
    references,
)

urlpatterns = [
    path("presets/", presets.preset_list, name="preset_list"),
    path("presets/new/", presets.preset_create, name="preset_create"),
    path("presets/brand-kit/", brand_kit.brand_kit, name="brand_kit"),
    path("presets/<uuid:preset_id>/", presets.preset_detail, name="preset_detail"),
    path("presets/<uuid:preset_id>/edit/", presets.preset_edit, name="preset_edit"),
    path("presets/<uuid:preset_id>/copy/", presets.preset_copy, name="preset_copy"),
    path("presets/<uuid:preset_id>/delete/", presets.preset_delete, name="preset_delete"),
    path(
        "presets/<uuid:preset_id>/references/",
        references.preset_reference_add,
        name="preset_reference_add",
    ),
    path("presets/<uuid:preset_id>/activate/", adapters.preset_activate, name="preset_activate"),
    path("presets/<uuid:preset_id>/rollback/", adapters.preset_rollback, name="preset_rollback"),
    path("references/<uuid:reference_id>/", references.reference_file, name="reference_file"),
    path(
        "references/<uuid:reference_id>/delete/",
        references.reference_delete,
        name="reference_delete",
    ),
    path(
        "presets/<uuid:preset_id>/control-images/",
        control_images.preset_control_add,
        name="preset_control_add",
    ),
    path(
        "control-images/<uuid:control_id>/",
        control_images.control_image_file,
        name="control_image_file",
    ),
    path(
        "control-images/<uuid:control_id>/delete/",
        control_images.control_image_delete,
        name="control_image_delete",
    ),
    path("datasets/", datasets.dataset_list, name="dataset_list"),
    path("datasets/<uuid:dataset_id>/", datasets.dataset_detail, name="dataset_detail"),
    path("datasets/<uuid:dataset_id>/upload/", datasets.dataset_upload, name="dataset_upload"),
    path("datasets/<uuid:dataset_id>/delete/", datasets.dataset_delete, name="dataset_delete"),
    path("dataset-images/<uuid:image_id>/", datasets.dataset_image_file, name="dataset_image_file"),
    path(
        "dataset-images/<uuid:image_id>/delete/",
        datasets.dataset_image_delete,
        name="dataset_image_delete",
    ),
    path(
        "dataset-duplicates/<uuid:pair_id>/resolve/",
        datasets.dataset_duplicate_resolve,
        name="dataset_duplicate_resolve",
    ),
    path("finetunes/", finetunes.finetune_list, name="finetune_list"),
    path("adapters/import/", adapters.adapter_import, name="adapter_import"),
    path("finetunes/new/", finetunes.finetune_create, name="finetune_create"),
    path("finetunes/<uuid:finetune_id>/", finetunes.finetune_detail, name="finetune_detail"),
    path("finetunes/<uuid:finetune_id>/submit/", finetunes.finetune_submit, name="finetune_submit"),
    path("finetunes/<uuid:finetune_id>/cancel/", finetunes.finetune_cancel, name="finetune_cancel"),
    path(
        "finetunes/<uuid:finetune_id>/validation/<int:index>.png",
        finetunes.finetune_validation_image,
        name="finetune_validation_image",
    ),
    path(
        "adapters/<uuid:adapter_id>/deprecate/",
        adapters.adapter_deprecate,
        name="adapter_deprecate",
    ),
]
