"""Job use cases: `submit` (the request, its quote and idempotent, paid submission), `changes`
(look up, cancel, re-render, select), `variations`, staff actions (`staff`), the result
`cache`, the `state` machine, `pricing`, the preset's `render_config` and the queue nudge
(`dispatch`). Running a job on a worker lives in `generation.worker`.
"""
