"""Quality control of a job's candidates and learning from what users pick.

Worker side: `image_checks` (blank, near-uniform and badly framed images) and `rerolls` (reject
them before ranking and render replacements within the job's budget), `meaning` (the text the
CLIP score is taken against: what the user asked for, not the prompt's boilerplate), `blend`
(scores normalised within the batch, then blended by the preset's weight), `reference_cache`
(a preset's reference embeddings, computed once per reference set and CLIP model) and
`ranker` (a pure-numpy choice model over the score features) trained per workspace by
`learning`. Web side: `feedback` (votes, picks and downloads, audited) and `satisfaction` (how
often the first-ranked candidate is the one chosen, and the thumbs-up rate).
"""
