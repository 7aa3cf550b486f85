"""The server-drawn loss chart: geometry inside the plot box, a smoothed trend, and the page."""

import pytest

from styles.web import loss_chart
from tests.cross_tenant.routes_styles import _finetune


def _coords(points: str) -> list[tuple[float, float]]:
    return [tuple(map(float, p.split(","))) for p in points.split()]


def test_nothing_to_draw_below_two_points():
    assert loss_chart.build([]) is None
    assert loss_chart.build([[1, 0.5]]) is None
    assert loss_chart.build([[1, float("nan")], [2, 0.5]]) is None


def test_points_span_the_plot_box_and_lower_loss_is_drawn_lower():
    chart = loss_chart.build([[10, 1.0], [20, 0.5], [30, 0.25]])
    raw = _coords(chart.raw_points)
    assert raw[0] == (chart.left, chart.top)  # first step, highest loss: top left
    assert raw[-1] == (chart.right, chart.bottom)  # last step, lowest loss: bottom right
    assert raw[0][1] < raw[1][1] < raw[2][1]  # SVG y grows downwards
    assert (chart.first_step, chart.last_step) == (10, 30)
    assert (chart.loss_min, chart.loss_max) == (0.25, 1.0)


def test_smoothing_follows_the_trend_not_the_noise():
    noisy = [[s, 1.0 - s / 200 + (0.3 if s % 2 else -0.3)] for s in range(1, 101)]
    chart = loss_chart.build(noisy)
    smooth = [y for _, y in _coords(chart.smooth_points)]
    raw = [y for _, y in _coords(chart.raw_points)]
    jumps = lambda ys: sum(abs(a - b) for a, b in zip(ys, ys[1:], strict=False))  # noqa: E731
    assert jumps(smooth) < jumps(raw) / 5
    assert chart.smoothed_last < chart.smoothed_first


def test_flat_curve_does_not_divide_by_zero():
    chart = loss_chart.build([[1, 0.7], [2, 0.7]])
    assert all(0 <= y <= chart.height for _, y in _coords(chart.raw_points))


@pytest.mark.django_db
def test_finetune_page_shows_the_chart_and_the_change(owner_client, tenant):
    ft = _finetune(tenant, state="training", loss_curve=[[s, 1.0 - s / 100] for s in range(1, 41)])
    page = owner_client.get(f"/finetunes/{ft.pk}/").content.decode()
    assert 'id="loss-chart"' in page and "<polyline" in page
    assert "over steps 1–40" in page and "%)" in page
    assert 'id="loss-table"' in page  # the values stay available, folded


def test_smoothing_span_grows_with_the_run():
    assert loss_chart.smoothing_weight(10) == 0  # a short run is drawn as recorded
    assert loss_chart.smooth([1.0, 3.0]) == [1.0, 3.0]
    assert 0.95 < loss_chart.smoothing_weight(500) <= 0.98
