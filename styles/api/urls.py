from django.urls import path

from styles.api import (
    adapters,
    brand_kit,
    control_images,
    datasets,
    finetunes,
    presets,
    references,
)

urlpatterns = [
    path("presets/", presets.PresetListCreateView.as_view(), name="api_presets"),
    path("presets/<uuid:preset_id>/", presets.PresetDetailView.as_view(), name="api_preset_detail"),
    path(
        "presets/<uuid:preset_id>/activate-adapter/",
        adapters.PresetActivateAdapterView.as_view(),
        name="api_preset_activate_adapter",
    ),
    path(
        "presets/<uuid:preset_id>/rollback-adapter/",
        adapters.PresetRollbackAdapterView.as_view(),
        name="api_preset_rollback_adapter",
    ),
    path(
        "presets/<uuid:preset_id>/references/",
        references.PresetReferencesView.as_view(),
        name="api_preset_references",
    ),
    path(
        "references/<uuid:reference_id>/",
        references.ReferenceDetailView.as_view(),
        name="api_reference_detail",
    ),
    path(
        "references/<uuid:reference_id>/file/",
        references.ReferenceFileView.as_view(),
        name="api_reference_file",
    ),
    path(
        "presets/<uuid:preset_id>/control-images/",
        control_images.PresetControlImagesView.as_view(),
        name="api_preset_control_images",
    ),
    path(
        "control-images/<uuid:control_id>/",
        control_images.ControlImageDetailView.as_view(),
        name="api_control_image_detail",
    ),
    path(
        "control-images/<uuid:control_id>/file/",
        control_images.ControlImageFileView.as_view(),
        name="api_control_image_file",
    ),
    path("brand-kit/", brand_kit.BrandKitView.as_view(), name="api_brand_kit"),
    path("datasets/", datasets.DatasetListCreateView.as_view(), name="api_datasets"),
    path(
        "datasets/<uuid:dataset_id>/",
        datasets.DatasetDetailView.as_view(),
        name="api_dataset_detail",
    ),
    path(
        "datasets/<uuid:dataset_id>/images/",
        datasets.DatasetUploadView.as_view(),
        name="api_dataset_upload",
    ),
    path(
        "datasets/<uuid:dataset_id>/images/<uuid:image_id>/",
        datasets.DatasetImageDetailView.as_view(),
        name="api_dataset_image_detail",
    ),
    path(
        "datasets/<uuid:dataset_id>/duplicates/<uuid:pair_id>/resolve/",
        datasets.DatasetDuplicateResolveView.as_view(),
        name="api_dataset_duplicate_resolve",
    ),
    path(
        "datasets/<uuid:dataset_id>/captions/",
        datasets.DatasetCaptionsView.as_view(),
        name="api_dataset_captions",
    ),
    path("finetunes/", finetunes.FineTuneListCreateView.as_view(), name="api_finetunes"),
    path(
        "finetunes/<uuid:finetune_id>/",
        finetunes.FineTuneDetailView.as_view(),
        name="api_finetune_detail",
    ),
    path(
        "finetunes/<uuid:finetune_id>/submit/",
        finetunes.FineTuneSubmitView.as_view(),
        name="api_finetune_submit",
    ),
    path(
        "finetunes/<uuid:finetune_id>/cancel/",
        finetunes.FineTuneCancelView.as_view(),
        name="api_finetune_cancel",
    ),
    path("adapters/", adapters.AdapterListView.as_view(), name="api_adapters"),
    path("adapters/import/", adapters.AdapterImportCreateView.as_view(), name="api_adapter_import"),
    path("adapters/imports/", adapters.AdapterImportListView.as_view(), name="api_adapter_imports"),
    path(
        "adapters/imports/<uuid:import_id>/",
        adapters.AdapterImportDetailView.as_view(),
        name="api_adapter_import_detail",
    ),
    path(
        "adapters/<uuid:adapter_id>/",
        adapters.AdapterDetailView.as_view(),
        name="api_adapter_detail",
    ),
    path(
        "adapters/<uuid:adapter_id>/deprecate/",
        adapters.AdapterDeprecateView.as_view(),
        name="api_adapter_deprecate",
    ),
]
