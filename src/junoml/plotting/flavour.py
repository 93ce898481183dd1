"""Figures of the flavour task: confusion matrices, ROC curves, efficiency and purity, score distributions."""

import logging
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from sklearn.metrics import roc_curve

from junoml.plotting.style import (
    CLASS_LABELS,
    CLASS_NAMES,
    PROBABILITY_COLUMNS,
    PlotParams,
    energy_bin_centres,
    model_label,
    plain_log_ticks,
)

logger = logging.getLogger(__name__)


def row_normalised(counts: Sequence[Sequence[float]]) -> np.ndarray:
    """Return a confusion matrix with each row (true class) divided by its sum. Empty rows become NaN."""
    counts = np.asarray(counts, dtype=float)
    totals = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0.0, counts / totals, np.nan)


def figure_confusion_matrices(metrics: Mapping, model: str) -> tuple[plt.Figure, dict]:
    """Plot the row-normalised confusion matrix of one model, pooled and per energy bin."""
    panels = [("all energies", metrics["pooled"])] + [
        (f"{entry['energy_min_gev']:.3g} to {entry['energy_max_gev']:.3g} GeV", entry) for entry in metrics["bins"]
    ]
    labels = [CLASS_LABELS[name] for name in CLASS_NAMES]
    fig, axes = plt.subplots(1, len(panels), figsize=(3.4 * len(panels), 3.6), squeeze=False)
    data: dict = {}

    for ax, (title, entry) in zip(axes[0], panels):
        if "confusion_matrix" not in entry:
            raise ValueError(f"model {model!r}: metrics entry {title!r} has no confusion_matrix")
        matrix = row_normalised(entry["confusion_matrix"])
        sns.heatmap(
            matrix,
            ax=ax,
            vmin=0.0,
            vmax=1.0,
            cmap="cividis",
            annot=True,
            fmt=".2f",
            cbar=False,
            square=True,
            xticklabels=labels,
            yticklabels=labels,
        )
        ax.set_xlabel("predicted class")
        ax.set_ylabel("true class")
        ax.set_title(f"{title}\n(n = {int(np.sum(entry['confusion_matrix']))})")
        data[title] = matrix.tolist()
    fig.suptitle(f"{model_label(model)}: fraction of each true class")
    return fig, data


def figure_roc_curves(
    predictions: Mapping[str, pd.DataFrame],
    metrics_by_model: Mapping[str, Mapping],
    colours: Mapping[str, tuple],
) -> tuple[plt.Figure, dict]:
    """Plot one-versus-rest ROC curves, one panel per class, one curve per model, with the AUC of metrics.json."""
    fig, axes = plt.subplots(1, len(CLASS_NAMES), figsize=(4.0 * len(CLASS_NAMES), 4.0), squeeze=False)
    data: dict = {}

    for label, (ax, name, column) in enumerate(zip(axes[0], CLASS_NAMES, PROBABILITY_COLUMNS)):
        data[name] = {}
        for model, table in predictions.items():
            is_class = table["label"].to_numpy() == label
            if is_class.all() or not is_class.any():
                logger.warning("model %s: class %s has no events or all events; no ROC curve", model, name)
                continue
            false_positive, true_positive, _ = roc_curve(is_class, table[column].to_numpy(dtype=float))
            # metrics.json stores null for an AUC it could not compute.
            auc = metrics_by_model[model]["pooled"].get(f"roc_auc_{name}")
            auc = np.nan if auc is None else float(auc)
            ax.plot(
                false_positive,
                true_positive,
                color=colours[model],
                label=f"{model_label(model)} (AUC {auc:.3f})",
            )
            auc_of_curve = float(np.trapezoid(true_positive, false_positive))
            if abs(auc_of_curve - auc) > 0.01:
                logger.warning(
                    "model %s: ROC AUC of class %s is %.4f in metrics.json but %.4f from the predictions",
                    model, name, auc, auc_of_curve,
                )
            data[name][model] = {"auc": auc, "auc_of_curve": auc_of_curve}
        ax.plot([0.0, 1.0], [0.0, 1.0], color="grey", linestyle="--", linewidth=1.0)
        ax.set_xlim(0.0, 1.0)
        ax.set_ylim(0.0, 1.0)
        ax.set_aspect("equal")
        ax.set_xlabel("false positive rate")
        ax.set_ylabel("true positive rate")
        ax.set_title(f"{CLASS_LABELS[name]} versus rest")
        ax.legend(loc="lower right", fontsize="small")
    return fig, data


def wilson_interval(successes: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the 68.3% Wilson score interval (low, high) of a binomial fraction, NaN where n is 0.

    Unlike sqrt(f (1 - f) / n), the Wilson interval does not shrink to zero width at f = 0 or 1 in small bins
    (Wilson, JASA 22 (1927) 209).
    """
    successes = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    z = 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        fraction = successes / n
        centre = (fraction + z**2 / (2.0 * n)) / (1.0 + z**2 / n)
        half_width = z / (1.0 + z**2 / n) * np.sqrt(fraction * (1.0 - fraction) / n + z**2 / (4.0 * n**2))
    low = np.where(n > 0, centre - half_width, np.nan)
    high = np.where(n > 0, centre + half_width, np.nan)
    return low, high


def efficiency_purity_from_counts(counts: np.ndarray) -> dict[str, np.ndarray]:
    """Return efficiency and purity per class with their Wilson intervals from a confusion matrix [true, predicted].

    Efficiency of class c: correct c among true c. Purity: correct c among predicted c. The keys
    `{quantity}_low` and `{quantity}_high` hold the interval ends.
    """
    counts = np.asarray(counts, dtype=float)
    correct = np.diag(counts)
    result = {}
    for quantity, n in (("efficiency", counts.sum(axis=1)), ("purity", counts.sum(axis=0))):
        with np.errstate(invalid="ignore", divide="ignore"):
            result[quantity] = np.where(n > 0, correct / n, np.nan)
        result[f"{quantity}_low"], result[f"{quantity}_high"] = wilson_interval(correct, n)
    return result


def plot_efficiency_purity_panels(
    axes: np.ndarray,
    centre: np.ndarray,
    x_err: np.ndarray,
    values: Mapping[str, np.ndarray],
    colour: tuple,
    model: str,
) -> None:
    """Draw efficiency (top row) and purity (bottom row) per class (columns) for one model."""
    for row, quantity in enumerate(("efficiency", "purity")):
        for col, name in enumerate(CLASS_NAMES):
            value = values[quantity][:, col]
            y_err = np.vstack([value - values[f"{quantity}_low"][:, col], values[f"{quantity}_high"][:, col] - value])
            # Rounding leaves values like -1e-17 where the fraction sits on the interval end (0 or 1).
            y_err = np.clip(y_err, 0.0, None)
            axes[row, col].errorbar(
                centre,
                value,
                xerr=x_err,
                yerr=y_err,
                marker="o",
                markersize=4,
                capsize=2,
                color=colour,
                label=model_label(model),
            )


def label_efficiency_purity_axes(axes: np.ndarray, xlabel: str) -> None:
    """Set the scales, limits, labels and titles of an efficiency and purity grid."""
    for row, quantity in enumerate(("efficiency", "purity")):
        for col, name in enumerate(CLASS_NAMES):
            ax = axes[row, col]
            ax.set_xscale("log")
            plain_log_ticks(ax.xaxis)
            ax.set_ylim(0.0, 1.05)
            ax.set_xlabel(xlabel)
            ax.set_ylabel(quantity)
            ax.set_title(CLASS_LABELS[name])
    axes[0, 0].legend()


def figure_efficiency_purity_vs_true_energy(
    metrics_by_model: Mapping[str, Mapping],
    colours: Mapping[str, tuple],
) -> tuple[plt.Figure, dict]:
    """Plot efficiency and purity per class versus true neutrino energy from metrics.json.

    The values are those of metrics.json; the error bars are 68.3% Wilson intervals from the per-bin confusion
    matrix.
    """
    fig, axes = plt.subplots(2, len(CLASS_NAMES), figsize=(4.0 * len(CLASS_NAMES), 6.6), squeeze=False)
    data: dict = {}

    for model, metrics in metrics_by_model.items():
        entries = metrics["bins"]
        centre, x_err = energy_bin_centres(entries)
        from_counts = [efficiency_purity_from_counts(entry["confusion_matrix"]) for entry in entries]
        values = {}
        for quantity in ("efficiency", "purity"):
            values[quantity] = np.array(
                [[entry.get(f"{quantity}_{name}", np.nan) for name in CLASS_NAMES] for entry in entries], dtype=float
            )
            for end in ("low", "high"):
                values[f"{quantity}_{end}"] = np.array([counts[f"{quantity}_{end}"] for counts in from_counts])
            recomputed = np.array([counts[quantity] for counts in from_counts])
            if not np.allclose(values[quantity], recomputed, atol=1e-6, equal_nan=True):
                logger.warning(
                    "model %s: %s in metrics.json differs from its confusion matrix (%s against %s)",
                    model,
                    quantity,
                    values[quantity].round(4).tolist(),
                    recomputed.round(4).tolist(),
                )
        plot_efficiency_purity_panels(axes, centre, x_err, values, colours[model], model)
        data[model] = {key: value.tolist() for key, value in values.items()} | {"energy_gev": centre.tolist()}

    label_efficiency_purity_axes(axes, "true neutrino energy [GeV]")
    return fig, data


def figure_efficiency_purity_vs_visible_energy(
    predictions: Mapping[str, pd.DataFrame],
    colours: Mapping[str, tuple],
    params: PlotParams,
) -> tuple[plt.Figure, dict]:
    """Plot efficiency and purity per class versus visible energy, computed from the predictions.

    NC events deposit only part of the neutrino energy, so their visible energy sits lower than for CC events
    of the same neutrino energy. Events outside the configured visible-energy bins are left out.
    """
    edges = np.asarray(params.visible_energy_bin_edges_gev, dtype=float)
    centre = np.sqrt(edges[:-1] * edges[1:])
    x_err = np.vstack([centre - edges[:-1], edges[1:] - centre])
    fig, axes = plt.subplots(2, len(CLASS_NAMES), figsize=(4.0 * len(CLASS_NAMES), 6.6), squeeze=False)
    data: dict = {"visible_energy_edges_gev": edges.tolist()}

    for model, table in predictions.items():
        visible_gev = table["visible_energy_mev"].to_numpy(dtype=float) / 1000.0
        bin_index = np.digitize(visible_gev, edges) - 1
        outside = (bin_index < 0) | (bin_index >= len(centre))
        if outside.any():
            logger.info("model %s: %d events lie outside the visible-energy bins %s GeV", model, outside.sum(), edges)
        per_bin = []
        for k in range(len(centre)):
            selected = table[bin_index == k]
            counts = np.zeros((len(CLASS_NAMES), len(CLASS_NAMES)))
            np.add.at(counts, (selected["label"].to_numpy(int), selected["pred_label"].to_numpy(int)), 1.0)
            per_bin.append(efficiency_purity_from_counts(counts))
        values = {key: np.array([entry[key] for entry in per_bin]) for key in per_bin[0]}
        plot_efficiency_purity_panels(axes, centre, x_err, values, colours[model], model)
        data[model] = {key: value.tolist() for key, value in values.items()}

    label_efficiency_purity_axes(axes, "visible energy [GeV]")
    return fig, data


def figure_score_distributions(table: pd.DataFrame, model: str, params: PlotParams) -> tuple[plt.Figure, dict]:
    """Plot each class score of one model as a histogram per true class, normalised to unit area."""
    edges = np.linspace(0.0, 1.0, params.n_score_bins + 1)
    palette = sns.color_palette("colorblind", 10)
    # Class colours sit after the model slots so that they never read as a model.
    class_colours = dict(zip(CLASS_NAMES, palette[5:8]))
    fig, axes = plt.subplots(1, len(PROBABILITY_COLUMNS), figsize=(4.0 * len(PROBABILITY_COLUMNS), 3.6), squeeze=False)
    data: dict = {"score_edges": edges.tolist()}

    for ax, (score_index, column) in zip(axes[0], enumerate(PROBABILITY_COLUMNS)):
        data[column] = {}
        for label, name in enumerate(CLASS_NAMES):
            scores = table.loc[table["label"] == label, column].to_numpy(dtype=float)
            if scores.size == 0:
                continue
            density, _ = np.histogram(scores, bins=edges, density=True)
            ax.stairs(density, edges, color=class_colours[name], label=f"true {CLASS_LABELS[name]}", linewidth=1.5)
            data[column][name] = density.tolist()
        ax.set_yscale("log")
        ax.set_xlabel(f"score {CLASS_LABELS[CLASS_NAMES[score_index]]}")
        ax.set_ylabel("probability density")
    axes[0, 0].legend()
    fig.suptitle(model_label(model))
    return fig, data
