"""The validation grid: fixed prompts × seeds rendered with a new adapter, CLIP-scored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from generation.engines.base import AdapterRef, RenderRequest

if TYPE_CHECKING:
    from PIL import Image

    from generation.engines.base import Engine
    from generation.engines.scoring import ClipScorer

VALIDATION_PROMPTS = (
    "{trigger}, avatar of a friendly robot",
    "{trigger}, avatar of a smiling cat mascot",
    "{trigger}, portrait of a helpful assistant",
)
VALIDATION_SEEDS = (11, 22)


@dataclass
class GridCell:
    prompt: str
    seed: int
    image: Image.Image
    clip_score: float | None


def render_grid(
    engine: Engine,
    adapter: AdapterRef,
    *,
    trigger_word: str,
    size: int,
    steps: int,
    scorer: ClipScorer | None = None,
    prompts=VALIDATION_PROMPTS,
    seeds=VALIDATION_SEEDS,
) -> list[GridCell]:
    """One batched render per prompt (all seeds), each image scored against its prompt."""
    cells: list[GridCell] = []
    for template in prompts:
        prompt = template.format(trigger=trigger_word)
        candidates = engine.generate(
            RenderRequest(
                prompt=prompt,
                seeds=tuple(seeds),
                width=size,
                height=size,
                steps=steps,
                adapter=adapter,
            )
        )
        images = [c.image for c in candidates]
        scores = scorer.text_image_scores(prompt, images) if scorer else [None] * len(images)
        cells += [
            GridCell(prompt, c.seed, c.image, s) for c, s in zip(candidates, scores, strict=True)
        ]
    return cells


def grid_image(cells: list[GridCell], columns: int) -> Image.Image:
    """All cells on one sheet, prompts as rows and seeds as columns."""
    from PIL import Image

    w, h = cells[0].image.size
    rows = -(-len(cells) // columns)
    sheet = Image.new("RGB", (w * columns, h * rows), "white")
    for i, cell in enumerate(cells):
        sheet.paste(cell.image.convert("RGB"), ((i % columns) * w, (i // columns) * h))
    return sheet
