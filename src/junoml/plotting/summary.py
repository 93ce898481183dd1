"""Figures shared by all tasks: training and validation curves, pooled results unweighted and flux-weighted."""

import logging
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import matplotlib.ticker as ticker
import numpy as np
import pandas as pd

from junoml.plotting.style import model_label, plain_log_ticks

logger = logging.getLogger(__name__)

VAL_METRIC_LABELS = {
    "muon_direction": "validation median opening angle [deg]",
    "nu_direction": "validation median opening angle [deg]",
    "flavour": "validation accuracy",
}


def figure_training_curves(
    logs: Mapping[str, pd.DataFrame],
    colours: Mapping[str, tuple],
    *,
    task: str,
) -> tuple[plt.Figure, dict] | None:
    """Plot training and validation loss and the validation metric per epoch, one colour per model.

    Models with an empty log (baselines that train no epochs) are left out; None when no model has a log.
    """
    logs = {model: log for model, log in logs.items() if len(log) > 0}
    if not logs:
        logger.info("task %s: no model has training-log rows; no training-curve figure", task)
        return None
    fig, axes = plt.subplots(1, 2, figsize=(10.0, 3.8), squeeze=False)
    loss_ax, metric_ax = axes[0]
    data: dict = {}

    for model, log in logs.items():
        epochs = log["epoch"].to_numpy()
        # A single-row log (a fit without epochs) still shows as one marker.
        marker = "o" if len(log) == 1 else None
        loss_ax.plot(epochs, log["train_loss"], color=colours[model], linestyle="-", marker=marker,
                     label=f"{model_label(model)} train")
        loss_ax.plot(epochs, log["val_loss"], color=colours[model], linestyle="--", marker=marker,
                     label=f"{model_label(model)} validation")
        metric_ax.plot(epochs, log["val_metric"], color=colours[model], marker=marker, label=model_label(model))
        data[model] = {
            "epoch": epochs.tolist(),
            "train_loss": log["train_loss"].tolist(),
            "val_loss": log["val_loss"].tolist(),
            "val_metric": log["val_metric"].tolist(),
        }

    loss_ax.set_ylabel("loss (as minimised by the model)")
    if all(np.all(log[["train_loss", "val_loss"]] > 0) for log in logs.values()):
        loss_ax.set_yscale("log")
        plain_log_ticks(loss_ax.yaxis)
    loss_ax.legend(fontsize="small")
    for ax in (loss_ax, metric_ax):
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    metric_ax.set_ylabel(VAL_METRIC_LABELS.get(task, "validation metric"))
    metric_ax.legend(fontsize="small")
    return fig, data


def figure_pooled_metrics(
    metrics_by_model: Mapping[str, Mapping],
    metrics: Sequence[tuple[str, str]],
    colours: Mapping[str, tuple],
) -> tuple[plt.Figure, dict]:
    """Plot pooled metrics per model: unweighted (circles) and flux-weighted (squares) where metrics.json has both.

    The flux-weighted value weights each event with its `weight`, the physical rate over the sampling density.
    """
    n_cols = min(len(metrics), 4)
    n_rows = int(np.ceil(len(metrics) / n_cols))
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(3.6 * n_cols, 3.2 * n_rows), squeeze=False)
    models = list(metrics_by_model)
    positions = np.arange(len(models))
    data: dict = {}

    for ax, (name, ylabel) in zip(axes.flat, metrics):
        data[name] = {}
        for variant, marker, offset in (("pooled", "o", -0.12), ("pooled_weighted", "s", 0.12)):
            values, errors = [], []
            for model in models:
                entry = metrics_by_model[model].get(variant, {})
                values.append(entry.get(name, np.nan))
                errors.append(entry.get(f"{name}_err", np.nan))
            values, errors = np.array(values, dtype=float), np.array(errors, dtype=float)
            if np.all(np.isnan(values)):
                continue
            for position, model, value, error in zip(positions, models, values, errors):
                ax.errorbar(
                    position + offset,
                    value,
                    yerr=None if np.isnan(error) else error,
                    marker=marker,
                    markersize=6,
                    capsize=2,
                    color=colours[model],
                    markerfacecolor=colours[model] if variant == "pooled" else "white",
                )
            data[name][variant] = {"value": values.tolist(), "err": errors.tolist()}
        ax.set_xticks(positions, [model_label(model) for model in models], rotation=30)
        ax.set_xlim(-0.6, len(models) - 0.4)
        ax.set_ylabel(ylabel)

    for ax in list(axes.flat)[len(metrics):]:
        ax.set_visible(False)
    handles = [plt.Line2D([], [], color="black", marker="o", linestyle="none", label="unweighted")]
    if any("pooled_weighted" in entry for entry in metrics_by_model.values()):
        handles.append(
            plt.Line2D([], [], color="black", marker="s", markerfacecolor="white", linestyle="none", label="flux-weighted")
        )
    fig.legend(handles=handles, loc="outside upper center", ncols=2)
    data["models"] = models
    return fig, data
