"""The styles app: what brands design before generating. Style presets (and the built-in
library), brand reference images and the brand-kit policy, LoRA datasets, fine-tune requests
and the adapters they produce. It may import tenants and core; generation builds on it.
"""
