"""Dashboard pages for styles, one module per resource: `presets`, `references`, `brand_kit`,
`adapters`, `datasets` and `finetunes`, with shared `errors` handling, `forms` and the fine-tune
`loss_chart`.
"""
