"""Styles use cases (the writes), one module per entity or process: `presets`, `adapters`,
`datasets`, `dataset_ingest` (uploads and zips), `finetunes` (and their state machine), with
`imaging` (checking untrusted image files) and `locks` (the rules a locked preset enforces).
"""
