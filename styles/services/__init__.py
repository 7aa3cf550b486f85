"""Styles use cases (the writes), one module per entity or process: `presets`, `adapters`,
`datasets`, `dataset_ingest` (uploads and zips), `finetunes` (and their state machine), with
`imaging` (checking untrusted image files), `locks` (the rules a locked preset enforces, and
who may change them) and `plan_limits` (how many presets and datasets a plan keeps).
"""
