"""Resolution and classification metrics, with weighted quantiles and bootstrap uncertainties."""

import numpy as np
from sklearn.metrics import roc_auc_score


def opening_angle_deg(predicted: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Return the angle in degrees between rows of two [N, 3] arrays of (not necessarily unit) vectors."""
    predicted = predicted / np.linalg.norm(predicted, axis=1, keepdims=True)
    true = true / np.linalg.norm(true, axis=1, keepdims=True)
    cosine = np.clip((predicted * true).sum(axis=1), -1.0, 1.0)
    return np.degrees(np.arccos(cosine))


def weighted_quantile(values: np.ndarray, q: float, weights: np.ndarray | None = None) -> float:
    """Return the q-quantile (0 <= q <= 1) of `values`, optionally weighted.

    The weighted quantile interpolates linearly between sorted values placed at
    (S_k - w_k) / (S_N - w_N), with S_k the cumulative weight. With equal weights this is
    numpy's default ("linear") quantile.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return float("nan")
    if weights is None:
        return float(np.quantile(values, q))
    weights = np.asarray(weights, dtype=np.float64)
    if (weights < 0).any():
        raise ValueError(f"weights must be non-negative, got a minimum of {weights.min()}")
    order = np.argsort(values, kind="stable")
    values, weights = values[order], weights[order]
    keep = weights > 0
    values, weights = values[keep], weights[keep]
    if values.size == 0:
        return float("nan")
    if values.size == 1:
        return float(values[0])
    cumulative = np.cumsum(weights)
    positions = (cumulative - weights) / (cumulative[-1] - weights[-1])
    return float(np.interp(q, positions, values))


def direction_metrics(
    predicted: np.ndarray,
    true: np.ndarray,
    *,
    weights: np.ndarray | None,
    n_bootstrap: int,
    rng: np.random.Generator,
) -> dict:
    """Return median and 68% opening angle (degrees) and cos(zenith) resolution, each with a bootstrap `_err`.

    cos(zenith) is that of the arrival direction, -dir_z; its resolution is half the 16-84%
    range of predicted minus true cos(zenith). `_err` is the standard deviation of the metric
    over `n_bootstrap` resamples of the events with replacement. Fewer than 2 events give None.
    """
    if len(true) < 2:
        names = ("opening_angle_median_deg", "opening_angle_68_deg", "cos_zenith_resolution")
        return {key: None for name in names for key in (name, f"{name}_err")}
    angle = opening_angle_deg(predicted, true)
    predicted_unit = predicted / np.linalg.norm(predicted, axis=1, keepdims=True)
    cos_zenith_error = (-predicted_unit[:, 2]) - (-true[:, 2])

    def statistics(rows: np.ndarray | slice) -> tuple[float, float, float]:
        w = None if weights is None else weights[rows]
        return (
            weighted_quantile(angle[rows], 0.5, w),
            weighted_quantile(angle[rows], 0.68, w),
            0.5 * (weighted_quantile(cos_zenith_error[rows], 0.84, w) - weighted_quantile(cos_zenith_error[rows], 0.16, w)),
        )

    central = statistics(slice(None))
    replicas = np.array([statistics(rng.integers(0, len(angle), len(angle))) for _ in range(n_bootstrap)])
    errors = np.nanstd(replicas, axis=0, ddof=1)

    result = {}
    for name, value, error in zip(("opening_angle_median_deg", "opening_angle_68_deg", "cos_zenith_resolution"), central, errors):
        result[name] = _finite_or_none(value)
        result[f"{name}_err"] = _finite_or_none(error)
    return result


def flavour_metrics(
    true_label: np.ndarray,
    predicted_label: np.ndarray,
    probabilities: np.ndarray,
    class_names: tuple[str, ...],
    *,
    weights: np.ndarray | None,
) -> dict:
    """Return accuracy, per-class efficiency, purity and one-vs-rest ROC AUC, and the confusion matrix.

    Args:
        true_label, predicted_label: class indices [N] into class_names.
        probabilities: [N, n_classes] class probabilities, the scores of the ROC curves.
    With weights, every count becomes a sum of
    weights, so the confusion matrix contains weighted counts. A metric whose denominator is empty,
    or an AUC without events of both kinds, is None.
    """
    n_classes = len(class_names)
    w = np.ones(len(true_label)) if weights is None else np.asarray(weights, dtype=np.float64)
    predicted = np.asarray(predicted_label, dtype=np.int64)
    confusion = np.zeros((n_classes, n_classes))
    np.add.at(confusion, (true_label, predicted), w)

    total = confusion.sum()
    result: dict = {"accuracy": _ratio(np.trace(confusion), total)}
    for k, name in enumerate(class_names):
        result[f"efficiency_{name}"] = _ratio(confusion[k, k], confusion[k].sum())
        result[f"purity_{name}"] = _ratio(confusion[k, k], confusion[:, k].sum())
        is_class = true_label == k
        if is_class.all() or not is_class.any():
            result[f"roc_auc_{name}"] = None
        else:
            result[f"roc_auc_{name}"] = float(roc_auc_score(is_class, probabilities[:, k], sample_weight=w))
    if weights is None:
        result["confusion_matrix"] = confusion.astype(np.int64).tolist()
    else:
        result["confusion_matrix"] = confusion.tolist()
    return result


def _ratio(numerator: float, denominator: float) -> float | None:
    return float(numerator / denominator) if denominator > 0 else None


def _finite_or_none(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None
