from styles.models.datasets import DatasetImage, LoraDataset
from styles.models.finetunes import FineTune, FineTuneState, LoraAdapter
from styles.models.presets import BrandKitSettings, ReferenceImage, StylePreset

__all__ = [
    "StylePreset",
    "ReferenceImage",
    "BrandKitSettings",
    "LoraDataset",
    "DatasetImage",
    "FineTune",
    "FineTuneState",
    "LoraAdapter",
]
