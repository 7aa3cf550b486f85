"""`manage.py` commands for generation: `generate` renders avatars directly with an engine, and
`build_tiny_models` writes the tiny random models used by tests and development.
"""
