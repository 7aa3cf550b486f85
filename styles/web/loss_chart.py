"""The fine-tune page's loss chart, drawn on the server as SVG geometry: no charting library
and no script, so it renders under the CSP and on the auto-refreshing training page.

Per-step loss is noisy (one small batch per step), so the chart shows the raw curve faintly
and an exponential moving average on top; the trend is what a brand manager should read.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT = 640, 200
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 56, 12, 10, 26


@dataclass(frozen=True)
class LossChart:
    raw_points: str
    smooth_points: str
    loss_min: float
    loss_max: float
    first_step: int
    last_step: int
    smoothed_first: float
    smoothed_last: float
    width: int = WIDTH
    height: int = HEIGHT
    left: int = PAD_LEFT
    right: int = WIDTH - PAD_RIGHT
    top: int = PAD_TOP
    bottom: int = HEIGHT - PAD_BOTTOM

    @property
    def change_pct(self) -> float | None:
        """Smoothed change over the run, in percent (None when it starts at 0)."""
        if not self.smoothed_first:
            return None
        return 100 * (self.smoothed_last - self.smoothed_first) / self.smoothed_first


def smoothing_weight(n: int) -> float:
    """EMA weight of the history for a curve of n points: a span of about a tenth of the run,
    so a 10-point curve is drawn as is and a 500-point one averages over ~50 steps."""
    span = max(1.0, n / 10)
    return min(0.98, 1 - 2 / (span + 1))


def smooth(losses: list[float], weight: float | None = None) -> list[float]:
    if weight is None:
        weight = smoothing_weight(len(losses))
    out: list[float] = []
    for loss in losses:
        out.append(loss if not out else weight * out[-1] + (1 - weight) * loss)
    return out


def build(curve: list[list[float]]) -> LossChart | None:
    """`curve` is the fine-tune's [step, loss] pairs; None when there is nothing to draw."""
    points = [(int(step), float(loss)) for step, loss in curve if loss == loss]  # drop NaN
    if len(points) < 2:
        return None
    steps = [s for s, _ in points]
    losses = [v for _, v in points]
    smoothed = smooth(losses)
    low, high = min(losses), max(losses)
    span_y = (high - low) or 1.0
    span_x = (steps[-1] - steps[0]) or 1
    x0, x1 = PAD_LEFT, WIDTH - PAD_RIGHT
    y0, y1 = PAD_TOP, HEIGHT - PAD_BOTTOM

    def fmt(values: list[float]) -> str:
        return " ".join(
            f"{x0 + (x1 - x0) * (s - steps[0]) / span_x:.1f},"
            f"{y1 - (y1 - y0) * (v - low) / span_y:.1f}"
            for s, v in zip(steps, values, strict=True)
        )

    return LossChart(
        raw_points=fmt(losses),
        smooth_points=fmt(smoothed),
        loss_min=low,
        loss_max=high,
        first_step=steps[0],
        last_step=steps[-1],
        smoothed_first=smoothed[0],
        smoothed_last=smoothed[-1],
    )
