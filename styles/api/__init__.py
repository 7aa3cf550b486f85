"""The styles REST API, one module per resource: `presets`, `references`, `brand_kit`,
`datasets`, `finetunes` and `adapters`; `serializers` validate shape only, `examples` feed the
OpenAPI docs, `scopes` names the API-key scopes, and `urls` wires them under /api/v1/.
"""
