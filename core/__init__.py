"""Shared foundations that import no app: domain errors and the API error envelope, API list
helpers and schema additions, request ids and JSON logging, storage paths, queue nudges, domain
events, metric records, model settings and the product vocabulary. Every app may import from
here; nothing here imports an app.
"""
