"""Figures of the direction tasks: opening angle and cos(zenith) versus energy, distributions, vMF calibration."""

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import LogNorm

from junoml.plotting.inputs import cos_zenith, metric_arrays, opening_angle_deg
from junoml.plotting.style import CLASS_LABELS, PlotParams, energy_bin_centres, model_label, plain_log_ticks

DIRECTION_METRICS = (
    ("opening_angle_median_deg", "median opening angle [deg]"),
    ("opening_angle_68_deg", "68% opening angle [deg]"),
    ("cos_zenith_resolution", r"$\cos\theta_z$ resolution"),
)


def figure_metrics_vs_energy(
    rows: Mapping[str, Mapping[str, Sequence[Mapping]]],
    metrics: Sequence[tuple[str, str]],
    colours: Mapping[str, tuple],
    *,
    log_y: bool = False,
) -> tuple[plt.Figure, dict]:
    """Plot metrics with their bootstrap errors versus true energy: one panel per (row, metric), one line per model.

    Args:
        rows: row title -> model -> the metrics.json "bins" entries of that model and row.
        metrics: (metric name in metrics.json, axis label) per column.
        colours: model -> colour.
        log_y: log scale on the y axes.

    Returns:
        The figure and the plotted numbers: data[row][model][metric] = {"energy_gev", "value", "err"}.
    """
    n_rows, n_cols = len(rows), len(metrics)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(4.2 * n_cols, 3.4 * n_rows), squeeze=False)
    data: dict = {}

    for i, (row_title, by_model) in enumerate(rows.items()):
        data[row_title] = {}
        for model, entries in by_model.items():
            centre, x_err = energy_bin_centres(entries)
            data[row_title][model] = {}
            for j, (name, _) in enumerate(metrics):
                values, errors = metric_arrays(list(entries), name)
                axes[i, j].errorbar(
                    centre,
                    values,
                    xerr=x_err,
                    yerr=None if np.all(np.isnan(errors)) else errors,
                    marker="o",
                    markersize=4,
                    capsize=2,
                    color=colours[model],
                    label=model_label(model),
                )
                data[row_title][model][name] = {
                    "energy_gev": centre.tolist(),
                    "value": values.tolist(),
                    "err": errors.tolist(),
                }

        for j, (_, ylabel) in enumerate(metrics):
            ax = axes[i, j]
            ax.set_xscale("log")
            plain_log_ticks(ax.xaxis)
            if log_y:
                ax.set_yscale("log")
                plain_log_ticks(ax.yaxis)
            ax.set_xlabel("true energy [GeV]")
            ax.set_ylabel(ylabel)
            if row_title:
                ax.set_title(row_title)
    axes[0, 0].legend()
    return fig, data


def figure_opening_angle_distributions(
    predictions: Mapping[str, pd.DataFrame],
    bins: Sequence[Mapping],
    colours: Mapping[str, tuple],
    params: PlotParams,
) -> tuple[plt.Figure, dict]:
    """Plot the opening-angle distribution per energy bin, one step histogram per model (log-spaced angle bins)."""
    edges = np.geomspace(*params.opening_angle_range_deg, params.n_opening_angle_bins + 1)
    n_panels = len(bins)
    n_cols = min(n_panels, 4)
    n_rows = int(np.ceil(n_panels / n_cols))
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(4.0 * n_cols, 3.3 * n_rows), squeeze=False, sharey=True)
    data: dict = {"angle_edges_deg": edges.tolist(), "bins": {}}

    for ax, entry in zip(axes.flat, bins):
        k = entry["energy_bin"]
        data["bins"][k] = {}
        for model, table in predictions.items():
            angles = opening_angle_deg(table[table["energy_bin"] == k])
            if angles.size == 0:
                continue
            fraction, _ = np.histogram(np.clip(angles, edges[0], edges[-1]), bins=edges)
            fraction = fraction / angles.size
            ax.stairs(fraction, edges, color=colours[model], label=model_label(model), linewidth=1.5)
            data["bins"][k][model] = fraction.tolist()
        ax.set_xscale("log")
        plain_log_ticks(ax.xaxis, subs=(1.0,))
        ax.set_xlabel("opening angle [deg]")
        ax.set_title(f"{entry['energy_min_gev']:.3g} to {entry['energy_max_gev']:.3g} GeV")

    for ax in axes[:, 0]:
        ax.set_ylabel("fraction of events per bin")
    for ax in list(axes.flat)[n_panels:]:
        ax.set_visible(False)
    axes[0, 0].legend()
    return fig, data


def figure_cos_zenith_reco_vs_true(
    predictions: Mapping[str, pd.DataFrame],
    params: PlotParams,
) -> tuple[plt.Figure, dict]:
    """Plot reconstructed versus true cos(zenith) as a 2D histogram, one panel per model."""
    edges = np.linspace(-1.0, 1.0, params.n_cos_zenith_bins + 1)
    n_panels = len(predictions)
    fig, axes = plt.subplots(1, n_panels, figsize=(4.2 * n_panels, 3.8), squeeze=False)
    data: dict = {"cos_zenith_edges": edges.tolist(), "counts": {}}

    for ax, (model, table) in zip(axes[0], predictions.items()):
        counts, _, _ = np.histogram2d(cos_zenith(table), cos_zenith(table, prefix="pred_"), bins=[edges, edges])
        mesh = ax.pcolormesh(
            edges, edges, np.ma.masked_equal(counts.T, 0.0), norm=LogNorm(vmin=1.0), cmap="viridis"
        )
        ax.plot([-1.0, 1.0], [-1.0, 1.0], color="white", linestyle="--", linewidth=1.0)
        ax.set_aspect("equal")
        ax.set_xlabel(r"true $\cos\theta_z$")
        ax.set_ylabel(r"reconstructed $\cos\theta_z$")
        ax.set_title(model_label(model))
        ax.grid(False)
        fig.colorbar(mesh, ax=ax, label="events per bin", shrink=0.8)
        data["counts"][model] = counts.tolist()
    return fig, data


def vmf_angle_cdf(angle_rad: np.ndarray, kappa: np.ndarray) -> np.ndarray:
    """Return P(theta <= angle) of a von Mises-Fisher distribution on the sphere (3D) with concentration kappa.

    P = (1 - exp(-kappa (1 - cos a))) / (1 - exp(-2 kappa)); expm1 keeps it exact for small kappa, where it
    tends to the uniform-sphere value (1 - cos a) / 2.
    """
    angle_rad = np.asarray(angle_rad, dtype=float)
    kappa = np.asarray(kappa, dtype=float)
    return np.expm1(-kappa * (1.0 - np.cos(angle_rad))) / np.expm1(-2.0 * kappa)


def calibration_coverage(angle_deg: np.ndarray, kappa: np.ndarray, levels: Sequence[float]) -> np.ndarray:
    """Return, per credible level p, the fraction of events whose opening angle lies inside the predicted p region."""
    cdf = vmf_angle_cdf(np.radians(angle_deg), kappa)
    return np.array([np.mean(cdf <= p) for p in levels])


def figure_kappa_calibration(
    predictions: Mapping[str, pd.DataFrame],
    bins: Sequence[Mapping],
    colours: Mapping[str, tuple],
    params: PlotParams,
) -> tuple[plt.Figure, dict]:
    """Plot the coverage of the predicted vMF regions versus their credible level, pooled and per energy bin.

    Only models whose predictions have pred_kappa belong in `predictions`. A calibrated model lies on the
    diagonal; a curve below it means the predicted regions are too small (kappa too large).
    """
    levels = np.asarray(params.calibration_levels, dtype=float)
    panels = [("all energies", None)] + [
        (f"{entry['energy_min_gev']:.3g} to {entry['energy_max_gev']:.3g} GeV", entry["energy_bin"]) for entry in bins
    ]
    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 3.6), squeeze=False, sharey=True)
    data: dict = {"levels": levels.tolist(), "coverage": {}}

    for ax, (title, k) in zip(axes[0], panels):
        key = "pooled" if k is None else k
        data["coverage"][key] = {}
        for model, table in predictions.items():
            selected = table if k is None else table[table["energy_bin"] == k]
            if len(selected) == 0:
                continue
            kappa = selected["pred_kappa"].to_numpy(dtype=float)
            coverage = calibration_coverage(opening_angle_deg(selected), kappa, levels)
            error = np.sqrt(coverage * (1.0 - coverage) / len(selected))
            ax.plot(levels, coverage, marker="o", markersize=3, color=colours[model], label=model_label(model))
            ax.fill_between(levels, coverage - error, coverage + error, color=colours[model], alpha=0.25, linewidth=0)
            data["coverage"][key][model] = coverage.tolist()
        ax.plot([0.0, 1.0], [0.0, 1.0], color="grey", linestyle="--", linewidth=1.0)
        ax.set_xlim(0.0, 1.0)
        ax.set_ylim(0.0, 1.0)
        ax.set_aspect("equal")
        ax.set_xlabel("credible level p of the vMF region")
        ax.set_title(title)
    axes[0, 0].set_ylabel("fraction of events inside")
    axes[0, 0].legend(loc="upper left")
    return fig, data


def check_kappa(table: pd.DataFrame, model: str) -> None:
    """Raise ValueError if a model's pred_kappa has values that are not positive and finite."""
    kappa = table["pred_kappa"].to_numpy(dtype=float)
    bad = ~np.isfinite(kappa) | (kappa <= 0.0)
    if np.any(bad):
        raise ValueError(
            f"model {model!r}: {int(bad.sum())} events have pred_kappa that is not positive and finite "
            f"(first {kappa[bad][:3].tolist()}); the vMF concentration must be > 0"
        )


def per_class_rows(metrics_by_model: Mapping[str, Mapping]) -> dict[str, dict[str, list]]:
    """Return the per-class "bins" entries of nu_direction metrics as row title -> model -> entries."""
    rows: dict[str, dict[str, list]] = {}
    for model, metrics in metrics_by_model.items():
        # Per-class entries may omit the bin edges, which are those of the pooled bins.
        edges = {entry["energy_bin"]: entry for entry in metrics["bins"]}
        for class_name, class_metrics in metrics.get("per_class", {}).items():
            title = CLASS_LABELS.get(class_name, class_name)
            entries = []
            for entry in sorted(class_metrics["bins"], key=lambda entry: entry["energy_bin"]):
                bin_edges = edges[entry["energy_bin"]]
                entries.append(
                    {
                        "energy_min_gev": bin_edges["energy_min_gev"],
                        "energy_max_gev": bin_edges["energy_max_gev"],
                        **entry,
                    }
                )
            rows.setdefault(title, {})[model] = entries
    return rows
