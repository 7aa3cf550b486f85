"""Dashboard pages for generation: submit and follow jobs, pick and download avatar packs
(`views`, `downloads`), thumbs up/down on a candidate (`feedback`), the gallery with the
workspace's satisfaction panel, preset thumbnails, and webhook settings (`webhooks`).
"""
