"""Training and evaluation jobs of every model, for the `train` and `evaluate` rules.

The nets (r2plus1d, conv3d, cnn2d) learn from the grid store; the baselines work on the hit
tables (track_fit) or on handcrafted features (bdt). Each job writes its declared outputs last and
atomically, so an interrupted job leaves nothing that a rerun would trust.
"""

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from junoml.io.atomic import atomic_output

log = logging.getLogger(__name__)

NET_MODELS = ("r2plus1d", "conv3d", "cnn2d")
BASELINE_MODELS = ("track_fit", "bdt")
TRAINING_LOG_COLUMNS = ("epoch", "train_loss", "val_loss", "val_metric", "learning_rate", "seconds", "events_per_s")


def shard_prefixes(grid_files: Sequence[str | os.PathLike]) -> list[Path]:
    """Return the shard prefixes results/grid/{sample}/{chunk} of a list of grid store files."""
    return sorted({_strip_shard_suffix(Path(path)) for path in grid_files})


def _strip_shard_suffix(path: Path) -> Path:
    name = path.name
    for suffix in (".index.parquet", ".meta.json", ".grid"):
        if name.endswith(suffix):
            return path.with_name(name[: -len(suffix)])
    raise ValueError(f"{path} is not a grid store file (.grid, .index.parquet or .meta.json)")


def baseline_config(model_settings: dict) -> dict:
    """Return the config subset that the baselines' parameter classes read (baselines and detector)."""
    detector = {"photon_speed_mm_per_ns": model_settings["photon_speed_mm_per_ns"]}
    if "ls_radius_mm" in model_settings:
        detector["ls_radius_mm"] = model_settings["ls_radius_mm"]
    return {"baselines": model_settings.get("baselines", {}), "detector": detector}


def _write_json(path: str | os.PathLike, payload: dict) -> None:
    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps(payload, indent=2, sort_keys=True, default=str))


def _write_csv(path: str | os.PathLike, table: pd.DataFrame) -> None:
    with atomic_output(path) as tmp:
        table.to_csv(tmp, index=False)


# ---- training --------------------------------------------------------------------------------


def train_job(task: str, model: str, *, inputs: dict, out_summary: str | os.PathLike, out_log: str | os.PathLike,
              params: dict) -> dict:
    """Train one model of one task and write its training summary and log.

    Args:
        inputs: the rule's inputs: `train`, `val`, `test` split files, plus `grid` (nets) or
            `features` (bdt).
        params: {"seed", "model": the model settings, "training": the training section, "task": the
            task's split settings}.
    """
    model_dir = Path(out_summary).parent
    model_dir.mkdir(parents=True, exist_ok=True)
    if model in NET_MODELS:
        summary = _train_net(task, model, model_dir, inputs, params)
        summary["model_file"] = "model.pt"
    elif model == "track_fit":
        summary = _prepare_track_fit(model_dir, out_log, params)
    elif model == "bdt":
        summary = _train_bdt(model_dir, out_log, inputs, params)
    else:
        raise ValueError(f"unknown model {model!r}; use one of {', '.join(NET_MODELS + BASELINE_MODELS)}")
    summary.update({"task": task, "model": model})
    _write_json(out_summary, summary)
    return summary


def _train_net(task: str, model: str, model_dir: Path, inputs: dict, params: dict) -> dict:
    """Train a network in this process, or in training.n_gpus processes started by torchrun."""
    from junoml.learn.distributed import launch_torchrun
    from junoml.learn.runtime import select_device
    from junoml.learn.settings import TrainingSettings
    from junoml.learn.train import train_model

    kwargs = {
        "grid_prefixes": [str(prefix) for prefix in shard_prefixes(inputs["grid"])],
        "split_dir": str(Path(inputs["train"]).parent),
        "out_dir": str(model_dir),
        "params": {"seed": params["seed"], "models": params["model"], "training": params["training"]},
    }
    settings = TrainingSettings.from_dict(params["training"])
    if settings.n_gpus == 1:
        return train_model(task, model, **kwargs)
    # One process per GPU; on a machine without CUDA (device cpu, or auto and on_missing_gpu warn)
    # the processes train on the CPU and talk through gloo.
    device = select_device(settings.device, on_missing_gpu=settings.on_missing_gpu, key="training").type
    log.info("training %s/%s with %d data-parallel processes on %s", task, model, settings.n_gpus, device)
    return launch_torchrun("junoml.learn.train:train_model", {"task": task, "model": model, **kwargs}, n_processes=settings.n_gpus, device=device)


def _prepare_track_fit(model_dir: Path, out_log, params: dict) -> dict:
    """Record the parameters of the track fit, which learns nothing, and write an empty training log."""
    from dataclasses import asdict

    from junoml.baselines.params import TrackFitParams

    fit_params = TrackFitParams.from_config(baseline_config(params["model"]))
    _write_csv(out_log, pd.DataFrame(columns=list(TRAINING_LOG_COLUMNS)))
    return {"trained": False, "fit_parameters": asdict(fit_params)}


def read_features(paths: Sequence[str | os.PathLike], event_ids: np.ndarray) -> pd.DataFrame:
    """Return the feature rows of the given events, in the order of event_ids."""
    requested = pd.Index(event_ids)
    parts = []
    for path in paths:
        table = pd.read_parquet(path)
        parts.append(table[table["event_id"].isin(requested)])
    features = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["event_id"])
    missing = requested.difference(features["event_id"])
    if len(missing):
        raise ValueError(f"{len(missing)} split events (first event_id {int(missing[0])}) have no features; rerun the features rule")
    return features.set_index("event_id").loc[event_ids].reset_index()


def _train_bdt(model_dir: Path, out_log, inputs: dict, params: dict) -> dict:
    from junoml.baselines.bdt import train_bdt
    from junoml.baselines.params import BdtParams

    bdt_params = BdtParams.from_config(baseline_config(params["model"]))
    train = pd.read_parquet(inputs["train"])
    val = pd.read_parquet(inputs["val"])
    features_train = read_features(inputs["features"], train["event_id"].to_numpy())
    features_val = read_features(inputs["features"], val["event_id"].to_numpy())
    model_path = model_dir / "model.joblib"
    training_log = train_bdt(
        features_train,
        train["label"].to_numpy(),
        features_val,
        val["label"].to_numpy(),
        bdt_params,
        model_path,
    )
    _write_csv(out_log, training_log)
    last = training_log.iloc[-1] if len(training_log) else {}
    return {
        "trained": True,
        "model_file": model_path.name,
        "iterations": int(len(training_log)),
        "val_accuracy": float(last.get("val_metric", float("nan"))) if len(training_log) else None,
    }


# ---- evaluation ------------------------------------------------------------------------------


def evaluate_job(task: str, model: str, *, inputs: dict, out_predictions: str | os.PathLike,
                 out_metrics: str | os.PathLike, params: dict) -> dict:
    """Predict the test split with a trained model and write predictions.parquet and metrics.json.

    Args:
        inputs: the rule's inputs: split files, `trained` (training summary), and per model `grid`,
            `features`, or `hits`, `events` and `geometry`.
        params: {"seed", "task": split settings with energy_bin_edges_gev, "model": model settings,
            "evaluation": the evaluation section}.
    """
    from junoml.learn.evaluate import evaluate_model, write_evaluation

    edges = list(params["task"]["energy_bin_edges_gev"])
    evaluation_params = {"seed": params["seed"], "evaluation": params["evaluation"], "energy_bin_edges_gev": edges}
    model_dir = Path(inputs["trained"]).parent
    if model in NET_MODELS:
        return evaluate_model(
            task,
            model,
            model_dir=model_dir,
            grid_prefixes=shard_prefixes(inputs["grid"]),
            split_dir=Path(inputs["test"]).parent,
            out_predictions=out_predictions,
            out_metrics=out_metrics,
            params=evaluation_params,
        )

    test = pd.read_parquet(inputs["test"])
    if model == "track_fit":
        predictions = _track_fit_predictions(test, inputs, params)
    elif model == "bdt":
        from junoml.baselines.bdt import flavour_predictions, predict_bdt

        summary = json.loads(Path(inputs["trained"]).read_text())
        features = read_features(inputs["features"], test["event_id"].to_numpy())
        probabilities = predict_bdt(model_dir / summary["model_file"], features)
        predictions = flavour_predictions(test, features, probabilities)
    else:
        raise ValueError(f"unknown model {model!r}; use one of {', '.join(NET_MODELS + BASELINE_MODELS)}")
    return write_evaluation(
        task,
        model,
        predictions,
        energy_bin_edges_gev=edges,
        out_predictions=out_predictions,
        out_metrics=out_metrics,
        params=evaluation_params,
    )


def _track_fit_predictions(test: pd.DataFrame, inputs: dict, params: dict) -> pd.DataFrame:
    """Fit every test event, chunk by chunk, so that only one chunk's hits are in memory at a time."""
    from junoml.baselines.hits import read_split_hits
    from junoml.baselines.params import TrackFitParams
    from junoml.baselines.track_fit import fit_tracks, track_fit_predictions

    fit_params = TrackFitParams.from_config(baseline_config(params["model"]))
    pmts = pd.read_parquet(inputs["geometry"])
    hits_template = str(Path(inputs["hits"][0]).parent / "{chunk}.parquet")
    fits = []
    for chunk, events in test.groupby("chunk", sort=True):
        log.info("track_fit: fitting %d test events of chunk %s", len(events), chunk)
        hits = read_split_hits(events, hits_template)
        fits.append(fit_tracks(hits, events[["event_id"]], pmts, fit_params))
    fit_table = pd.concat(fits, ignore_index=True) if fits else pd.DataFrame()
    return track_fit_predictions(test, fit_table)
