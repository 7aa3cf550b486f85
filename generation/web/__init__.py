"""Dashboard pages for generation: submit and follow jobs, pick and download avatar packs
(`views`, `downloads`), the gallery, preset thumbnails, and webhook settings (`webhooks`).
"""
