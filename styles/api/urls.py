from django.urls import path

from styles.api import views

urlpatterns = [
    path("presets/", views.PresetListCreateView.as_view(), name="api_presets"),
    path("presets/<uuid:preset_id>/", views.PresetDetailView.as_view(), name="api_preset_detail"),
    path(
        "presets/<uuid:preset_id>/activate-adapter/",
        views.PresetActivateAdapterView.as_view(),
        name="api_preset_activate_adapter",
    ),
    path(
        "presets/<uuid:preset_id>/rollback-adapter/",
        views.PresetRollbackAdapterView.as_view(),
        name="api_preset_rollback_adapter",
    ),
    path(
        "presets/<uuid:preset_id>/references/",
        views.PresetReferencesView.as_view(),
        name="api_preset_references",
    ),
    path(
        "references/<uuid:reference_id>/",
        views.ReferenceDetailView.as_view(),
        name="api_reference_detail",
    ),
    path(
        "references/<uuid:reference_id>/file/",
        views.ReferenceFileView.as_view(),
        name="api_reference_file",
    ),
    path("brand-kit/", views.BrandKitView.as_view(), name="api_brand_kit"),
    path("datasets/", views.DatasetListCreateView.as_view(), name="api_datasets"),
    path(
        "datasets/<uuid:dataset_id>/", views.DatasetDetailView.as_view(), name="api_dataset_detail"
    ),
    path(
        "datasets/<uuid:dataset_id>/images/",
        views.DatasetUploadView.as_view(),
        name="api_dataset_upload",
    ),
    path(
        "datasets/<uuid:dataset_id>/images/<uuid:image_id>/",
        views.DatasetImageDetailView.as_view(),
        name="api_dataset_image_detail",
    ),
    path(
        "datasets/<uuid:dataset_id>/captions/",
        views.DatasetCaptionsView.as_view(),
        name="api_dataset_captions",
    ),
    path("finetunes/", views.FineTuneListCreateView.as_view(), name="api_finetunes"),
    path(
        "finetunes/<uuid:finetune_id>/",
        views.FineTuneDetailView.as_view(),
        name="api_finetune_detail",
    ),
    path(
        "finetunes/<uuid:finetune_id>/submit/",
        views.FineTuneSubmitView.as_view(),
        name="api_finetune_submit",
    ),
    path(
        "finetunes/<uuid:finetune_id>/cancel/",
        views.FineTuneCancelView.as_view(),
        name="api_finetune_cancel",
    ),
    path("adapters/", views.AdapterListView.as_view(), name="api_adapters"),
    path(
        "adapters/<uuid:adapter_id>/", views.AdapterDetailView.as_view(), name="api_adapter_detail"
    ),
    path(
        "adapters/<uuid:adapter_id>/deprecate/",
        views.AdapterDeprecateView.as_view(),
        name="api_adapter_deprecate",
    ),
]
