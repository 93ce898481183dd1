"""Tests of the Levenberg-Marquardt robust minimiser."""

import numpy as np
import pytest

from junoml.baselines.robust_fit import loss_and_weight, minimise_robust


def line_with_outliers():
    rng = np.random.default_rng(4)
    x = np.linspace(0.0, 10.0, 200)
    y = 2.0 * x - 1.0 + rng.normal(0.0, 0.1, x.size)
    y[::10] += 50.0  # 10% outliers far above the line
    return x, y


def fit_line(loss: str) -> np.ndarray:
    x, y = line_with_outliers()
    result = minimise_robust(
        lambda p: (y - p[0] * x - p[1]) / 0.1,
        np.array([0.0, 0.0]),
        x_scale=np.array([1.0, 1.0]),
        lower=np.array([-np.inf, -np.inf]),
        upper=np.array([np.inf, np.inf]),
        loss=loss,
        loss_scale=2.0,
    )
    return result.x


def test_minimise_robust_cauchy_ignores_outliers():
    assert fit_line("cauchy") == pytest.approx([2.0, -1.0], abs=0.05)


def test_minimise_robust_linear_pulled_by_outliers():
    assert abs(fit_line("linear")[1] - (-1.0)) > 1.0


def test_minimise_robust_respects_bounds():
    x, y = line_with_outliers()
    result = minimise_robust(
        lambda p: y - p[0] * x - p[1],
        np.array([0.0, 0.0]),
        x_scale=np.array([1.0, 1.0]),
        lower=np.array([-np.inf, 0.0]),
        upper=np.array([np.inf, np.inf]),
        loss="cauchy",
    )
    assert result.x[1] >= 0.0


def test_loss_and_weight_unknown_loss_raises():
    with pytest.raises(ValueError, match="huber"):
        loss_and_weight(np.ones(3), "huber", 1.0)
