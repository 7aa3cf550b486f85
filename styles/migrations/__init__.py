"""Database migrations of the styles app (presets, datasets, fine-tunes, adapters, the built-in
preset seed and the fine-tune sweep schedule).
"""
