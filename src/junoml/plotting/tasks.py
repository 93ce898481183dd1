"""All summary figures of one task, from the evaluation outputs of every model given."""

import json
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from junoml.io.atomic import atomic_output
from junoml.plotting import direction, flavour, summary
from junoml.plotting.inputs import (
    DIRECTION_TASKS,
    check_task,
    read_metrics,
    read_predictions,
    read_training_log,
)
from junoml.plotting.style import CLASS_NAMES, PROBABILITY_COLUMNS, PlotParams, apply_style, model_colours, save_figure

logger = logging.getLogger(__name__)

PLOT_DATA_NAME = "plot_data.json"
DIRECTION_COLUMNS = ["event_id", "energy_bin", "dir_x", "dir_y", "dir_z", "pred_dir_x", "pred_dir_y", "pred_dir_z"]
FLAVOUR_COLUMNS = ["event_id", "energy_bin", "label", "visible_energy_mev", "pred_label", *PROBABILITY_COLUMNS]
FLAVOUR_POOLED_METRICS = (
    [("accuracy", "accuracy")]
    + [(f"efficiency_{name}", f"efficiency {name}") for name in CLASS_NAMES]
    + [(f"purity_{name}", f"purity {name}") for name in CLASS_NAMES]
    + [(f"roc_auc_{name}", f"ROC AUC {name}") for name in CLASS_NAMES]
)


def make_task_plots(
    task: str,
    *,
    models: Sequence[str],
    eval_dirs: Mapping[str, str | os.PathLike],
    model_dirs: Mapping[str, str | os.PathLike],
    out_dir: str | os.PathLike,
    params: Mapping | PlotParams | None = None,
) -> list[Path]:
    """Write every summary figure of a task to out_dir and return the paths written.

    Args:
        task: muon_direction, nu_direction or flavour.
        models: the models to compare, in legend order; each has a fixed colour in every figure.
        eval_dirs: model -> results/eval/{task}/{model}/ (predictions.parquet, metrics.json).
        model_dirs: model -> results/models/{task}/{model}/ (training_log.csv; may be absent for baselines).
        out_dir: results/plots/{task}/.
        params: the config's `plots` section.

    Besides the figures (one file per configured format), out_dir receives plot_data.json with the plotted
    numbers of each figure, so that a figure can be checked against metrics.json.
    """
    check_task(task)
    if not models:
        raise ValueError(f"task {task!r}: no models given; list at least one under tasks.{task}.models")
    missing = [model for model in models if model not in eval_dirs]
    if missing:
        raise ValueError(f"task {task!r}: models {missing} have no entry in eval_dirs; pass results/eval/{task}/<model>/")
    params = PlotParams.from_mapping(params)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    apply_style()
    colours = model_colours(models)

    metrics_by_model = {model: read_metrics(Path(eval_dirs[model]) / "metrics.json", task=task) for model in models}
    logs = {model: read_training_log(Path(model_dirs.get(model, "")) / "training_log.csv") for model in models}
    figures: dict[str, tuple] = {}

    if task in DIRECTION_TASKS:
        figures.update(direction_figures(task, models, eval_dirs, metrics_by_model, colours, params))
    else:
        figures.update(flavour_figures(models, eval_dirs, metrics_by_model, colours, params))

    training = summary.figure_training_curves(logs, colours, task=task)
    if training is not None:
        figures["training_curves"] = training
    pooled_metrics = direction.DIRECTION_METRICS if task in DIRECTION_TASKS else FLAVOUR_POOLED_METRICS
    figures["pooled_metrics"] = summary.figure_pooled_metrics(metrics_by_model, pooled_metrics, colours)

    paths: list[Path] = []
    plot_data = {}
    for name, (fig, data) in figures.items():
        paths.extend(save_figure(fig, out_dir, name, params))
        plot_data[name] = data
    plot_data_path = out_dir / PLOT_DATA_NAME
    with atomic_output(plot_data_path) as tmp:
        tmp.write_text(json.dumps(strict_json(plot_data), indent=1, allow_nan=False))
    paths.append(plot_data_path)
    logger.info("task %s: wrote %d figures for models %s to %s", task, len(figures), list(models), out_dir)
    return paths


def direction_figures(
    task: str,
    models: Sequence[str],
    eval_dirs: Mapping[str, str | os.PathLike],
    metrics_by_model: Mapping[str, dict],
    colours: Mapping[str, tuple],
    params: PlotParams,
) -> dict[str, tuple]:
    """Build the figures of a direction task: name -> (figure, plotted numbers)."""
    predictions = {}
    for model in models:
        table = read_predictions(Path(eval_dirs[model]) / "predictions.parquet", columns=DIRECTION_COLUMNS)
        predictions[model] = table
    with_kappa = {model: table for model, table in predictions.items() if "pred_kappa" in table.columns}
    for model, table in with_kappa.items():
        direction.check_kappa(table, model)
    bins = metrics_by_model[models[0]]["bins"]

    by_energy = {"": {model: metrics["bins"] for model, metrics in metrics_by_model.items()}}
    figures = {
        "opening_angle_vs_energy": direction.figure_metrics_vs_energy(
            by_energy, direction.DIRECTION_METRICS[:2], colours, log_y=True
        ),
        "opening_angle_distributions": direction.figure_opening_angle_distributions(
            predictions, bins, colours, params
        ),
        "cos_zenith_reco_vs_true": direction.figure_cos_zenith_reco_vs_true(predictions, params),
        "cos_zenith_resolution_vs_energy": direction.figure_metrics_vs_energy(
            by_energy, direction.DIRECTION_METRICS[2:], colours
        ),
    }
    if with_kappa:
        figures["kappa_calibration"] = direction.figure_kappa_calibration(with_kappa, bins, colours, params)
    else:
        logger.info("task %s: no model gives pred_kappa; no calibration figure", task)

    per_class = direction.per_class_rows(metrics_by_model)
    if task == "nu_direction" and per_class:
        figures["opening_angle_vs_energy_per_class"] = direction.figure_metrics_vs_energy(
            per_class, direction.DIRECTION_METRICS, colours
        )
    elif task == "nu_direction":
        logger.warning("task nu_direction: metrics.json has no per_class section; no per-class figure")
    return figures


def flavour_figures(
    models: Sequence[str],
    eval_dirs: Mapping[str, str | os.PathLike],
    metrics_by_model: Mapping[str, dict],
    colours: Mapping[str, tuple],
    params: PlotParams,
) -> dict[str, tuple]:
    """Build the figures of the flavour task: name -> (figure, plotted numbers)."""
    predictions = {}
    for model in models:
        table = read_predictions(Path(eval_dirs[model]) / "predictions.parquet", columns=FLAVOUR_COLUMNS)
        predictions[model] = three_class_events(table, model)

    figures = {}
    for model in models:
        figures[f"confusion_matrix_{model}"] = flavour.figure_confusion_matrices(metrics_by_model[model], model)
    figures["roc_curves"] = flavour.figure_roc_curves(predictions, metrics_by_model, colours)
    figures["efficiency_purity_vs_true_energy"] = flavour.figure_efficiency_purity_vs_true_energy(
        metrics_by_model, colours
    )
    figures["efficiency_purity_vs_visible_energy"] = flavour.figure_efficiency_purity_vs_visible_energy(
        predictions, colours, params
    )
    for model in models:
        figures[f"score_distributions_{model}"] = flavour.figure_score_distributions(predictions[model], model, params)
    return figures


def three_class_events(table: pd.DataFrame, model: str) -> pd.DataFrame:
    """Keep the events of the three flavour classes (labels 0, 1, 2), because nu_tau CC (label 3) has no score."""
    keep = table["label"].isin(range(len(CLASS_NAMES)))
    if not keep.all():
        logger.info("model %s: %d events with labels outside 0-2 are left out of the flavour plots", model, (~keep).sum())
    return table[keep]


def strict_json(value):
    """Return `value` with numpy scalars made Python numbers and NaN or infinity made None (JSON null)."""
    if isinstance(value, dict):
        return {str(key): strict_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
