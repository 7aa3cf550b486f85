"""The generation REST API, one module per resource: `jobs`, `images` (and their files),
`feedback` (votes on a candidate), `parse` (the description preview) and `webhooks`;
`serializers` validate shape only, `schema_examples` feed the OpenAPI docs, and `urls` wires
them under /api/v1/.
"""
