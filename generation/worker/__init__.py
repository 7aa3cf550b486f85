"""What a GPU worker does with a job: claim it fairly under a lease (`claim`), render, score and
store it and settle its credits exactly once (`runner`, `packs`, `postprocess`), and publish
the hash of the weights it rendered with (`model_hashes`).
"""
