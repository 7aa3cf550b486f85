"""The generation app (top of the domain layers): turning a description into avatars. Prompts
are parsed and composed, jobs are priced, queued and claimed by GPU workers, engines render and
score candidates, winners become avatar packs, webhooks tell tenants, and fine-tunes are
trained. It may import styles, tenants and core; nothing below imports it.
"""
