"""Sentence embeddings (mean-pooled, L2-normalised) from a local transformers model directory.

Used by the parser's optional refiner; the ML libraries stay here, imported when the model is
first used, so the parser itself never imports them.
"""

from __future__ import annotations

from pathlib import Path


class SentenceEmbedder:
    def __init__(self, directory: Path):
        from transformers import AutoModel, AutoTokenizer

        path = str(directory)
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self.model = AutoModel.from_pretrained(path, local_files_only=True).eval()

    def embed(self, texts: list[str]):
        """One unit vector per text (a torch tensor, rows in input order)."""
        import torch

        batch = self.tokenizer(texts, padding=True, truncation=True, return_tensors="pt")
        with torch.inference_mode():
            hidden = self.model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)  # mean pooling
        return torch.nn.functional.normalize(pooled, dim=-1)
