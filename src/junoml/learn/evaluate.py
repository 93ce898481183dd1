"""Test-split predictions of a trained network, and the metrics.json of any model's predictions table."""

import json
import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd

from junoml.grid.store import GridStore
from junoml.io.atomic import atomic_output
from junoml.learn import tasks as task_defs
from junoml.learn.data import GridDataset, make_loader, read_split
from junoml.learn.metrics import direction_metrics, flavour_metrics
from junoml.learn.runtime import memory_format, predict_outputs, select_device, set_cpu_threads
from junoml.learn.settings import EvaluationSettings, TrainingSettings
from junoml.learn.train import load_trained_model
from junoml.rng import stage_rng

log = logging.getLogger(__name__)

# Tasks on the atmospheric sample, whose `weight` column turns sampled events into a flux-weighted rate.
WEIGHTED_TASKS = ("flavour", "nu_direction")
# Split columns that identify storage, not the event; they stay out of the predictions table.
NON_TRUTH_COLUMNS = ("chunk",)


def evaluate_model(
    task: str,
    model: str,
    *,
    model_dir: str | os.PathLike,
    grid_prefixes: list,
    split_dir: str | os.PathLike,
    out_predictions: str | os.PathLike,
    out_metrics: str | os.PathLike,
    params: dict,
) -> dict:
    """Predict the test split with the trained network of model_dir and write predictions and metrics.

    Args:
        params: {"seed": int, "evaluation": the `evaluation` config section,
            "energy_bin_edges_gev": the task's bin edges (flavour's for nu_direction)}.
    Returns:
        The metrics dict written to out_metrics.
    """
    task_defs.check_task(task)
    settings = EvaluationSettings.from_dict(params.get("evaluation"))
    device = select_device(settings.device, on_missing_gpu=settings.on_missing_gpu, key="evaluation")
    set_cpu_threads(device, settings.cpu_threads)
    network, meta = load_trained_model(model_dir, device=device)
    if meta["task"] != task or meta["model"] != model:
        raise ValueError(f"{model_dir}/model.pt was trained for {meta['task']}/{meta['model']}, not {task}/{model}; check the model_dir path")

    store = GridStore(grid_prefixes)
    table, path = read_split(split_dir, "test")
    training: TrainingSettings = meta["training"]
    layout = task_defs.head_layout(task, training)
    targets = task_defs.targets_from_table(task, table, training, source=str(path))
    dataset = GridDataset(store, table["event_id"].to_numpy(), targets, meta["normalisation"])
    loader = make_loader(dataset, batch_size=settings.batch_size, num_workers=settings.num_workers, pin_memory=device.type == "cuda")
    outputs, _ = predict_outputs(network, loader, device=device, fmt=memory_format(model, device), bf16=training.bf16, description=f"{task}/{model} test")
    store.close()

    truth = table.drop(columns=[c for c in NON_TRUTH_COLUMNS if c in table.columns])
    predictions = pd.concat([truth, pd.DataFrame(task_defs.predictions_from_outputs(task, outputs, layout))], axis=1)
    return write_evaluation(
        task,
        model,
        predictions,
        energy_bin_edges_gev=params["energy_bin_edges_gev"],
        out_predictions=out_predictions,
        out_metrics=out_metrics,
        params=params,
    )


def write_evaluation(
    task: str,
    model_name: str,
    predictions: pd.DataFrame,
    *,
    energy_bin_edges_gev: list[float],
    out_predictions: str | os.PathLike,
    out_metrics: str | os.PathLike,
    params: dict,
) -> dict:
    """Compute metrics.json from a predictions table (format of docs/contracts.md) and write both files.

    Args:
        predictions: one row per test event with event_id, energy_bin, the truth columns and the
            prediction columns of the task (pred_dir_* or prob_* and pred_label).
        energy_bin_edges_gev: the task's energy bin edges; bin k spans edges k and k + 1.
        params: {"seed": int, "evaluation": the `evaluation` section}; the bootstrap is seeded from
            (seed, task, model_name, subset).
    Returns:
        The metrics dict.
    """
    task_defs.check_task(task)
    settings = EvaluationSettings.from_dict(params.get("evaluation"))
    seed = int(params["seed"])
    _check_predictions(task, predictions)
    edges = [float(e) for e in energy_bin_edges_gev]
    if len(edges) < 2 or any(b <= a for a, b in zip(edges, edges[1:])):
        raise ValueError(f"energy_bin_edges_gev must be at least two increasing values, got {edges}")

    def subset_metrics(rows: pd.DataFrame, *, weighted: bool, name: str) -> dict:
        weights = rows["weight"].to_numpy(np.float64) if weighted else None
        if task in task_defs.DIRECTION_TASKS:
            predicted = rows[[f"pred_{c}" for c in task_defs.DIRECTION_COLUMNS]].to_numpy(np.float64)
            # A baseline fit that failed leaves NaN; such events are counted, not hidden in the quantiles.
            fitted = np.isfinite(predicted).all(axis=1) & (np.linalg.norm(predicted, axis=1) > 0)
            values = direction_metrics(
                predicted[fitted],
                rows[list(task_defs.DIRECTION_COLUMNS)].to_numpy(np.float64)[fitted],
                weights=None if weights is None else weights[fitted],
                n_bootstrap=settings.n_bootstrap,
                rng=stage_rng(seed, task, model_name, "bootstrap", name),
            )
            values["n_failed"] = int((~fitted).sum())
        elif len(rows) == 0:
            values = {}
        else:
            values = flavour_metrics(rows["label"].to_numpy(np.int64), rows["pred_label"].to_numpy(np.int64), rows[list(task_defs.PROBABILITY_COLUMNS)].to_numpy(np.float64), task_defs.CLASS_NAMES, weights=weights)
        return {"n_events": int(len(rows)), **values}

    def binned(rows: pd.DataFrame, prefix: str) -> list[dict]:
        result = []
        for k in range(len(edges) - 1):
            in_bin = rows[rows["energy_bin"] == k]
            entry = {"energy_bin": k, "energy_min_gev": edges[k], "energy_max_gev": edges[k + 1]}
            result.append({**entry, **subset_metrics(in_bin, weighted=False, name=f"{prefix}bin{k}")})
        return result

    metrics = {
        "task": task,
        "model": model_name,
        "n_events": int(len(predictions)),
        "energy_bin_edges_gev": edges,
        "bins": binned(predictions, ""),
        "pooled": subset_metrics(predictions, weighted=False, name="pooled"),
    }
    if task in WEIGHTED_TASKS:
        metrics["pooled_weighted"] = subset_metrics(predictions, weighted=True, name="pooled_weighted")
    if task == "nu_direction":
        metrics["per_class"] = {}
        for label, class_name in enumerate(task_defs.CLASS_NAMES):
            rows = predictions[predictions["label"] == label]
            metrics["per_class"][class_name] = {"bins": binned(rows, f"{class_name}_"), "pooled": subset_metrics(rows, weighted=False, name=f"{class_name}_pooled")}

    with atomic_output(out_predictions) as tmp:
        predictions.to_parquet(tmp, index=False)
    with atomic_output(out_metrics) as tmp:
        Path(tmp).write_text(json.dumps(metrics, indent=2) + "\n")
    log.info("%s/%s: metrics of %d test events written to %s", task, model_name, len(predictions), out_metrics)
    return metrics


def _check_predictions(task: str, predictions: pd.DataFrame) -> None:
    needed = ["event_id", "energy_bin"]
    if task in task_defs.DIRECTION_TASKS:
        needed += list(task_defs.DIRECTION_COLUMNS) + [f"pred_{c}" for c in task_defs.DIRECTION_COLUMNS]
    else:
        needed += ["label", *task_defs.PROBABILITY_COLUMNS]
    if task in WEIGHTED_TASKS:
        needed.append("weight")
    if task == "nu_direction":
        needed.append("label")
    missing = [c for c in needed if c not in predictions.columns]
    if missing:
        raise KeyError(f"predictions table for {task} lacks columns {missing}; see the Predictions section of docs/contracts.md")
    if task == "flavour" and "pred_label" not in predictions.columns:
        raise KeyError("predictions table for flavour lacks 'pred_label' (the most probable class)")
