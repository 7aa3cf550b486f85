"""Styles' tables, one module per concern: `presets` (presets, reference images, brand kit),
`datasets` (LoRA datasets and their images), `finetunes` (fine-tunes and adapters) and
`imports` (LoRA files made elsewhere); re-exported here.
"""

from styles.models.controls import PresetControlImage
from styles.models.datasets import DatasetImage, DuplicatePair, LoraDataset
from styles.models.finetunes import FineTune, FineTuneState, LoraAdapter
from styles.models.imports import AdapterImport, AdapterImportState
from styles.models.presets import BrandKitSettings, ReferenceImage, StylePreset

__all__ = [
    "StylePreset",
    "ReferenceImage",
    "PresetControlImage",
    "BrandKitSettings",
    "LoraDataset",
    "DatasetImage",
    "DuplicatePair",
    "FineTune",
    "FineTuneState",
    "LoraAdapter",
    "AdapterImport",
    "AdapterImportState",
]
