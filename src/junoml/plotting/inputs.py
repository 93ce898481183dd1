"""Readers of the evaluation and training outputs that the plots and tables are made from."""

import json
import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

DIRECTION_TASKS = ("muon_direction", "nu_direction")
FLAVOUR_TASKS = ("flavour",)
TRAINING_LOG_COLUMNS = ("epoch", "train_loss", "val_loss", "val_metric")


def check_task(task: str) -> None:
    """Raise ValueError unless `task` is one of the known tasks."""
    if task not in DIRECTION_TASKS + FLAVOUR_TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {list(DIRECTION_TASKS + FLAVOUR_TASKS)}")


def read_metrics(path: str | os.PathLike, *, task: str) -> dict:
    """Read a metrics.json and check the keys that the plots rely on."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"metrics file {path} not found; run the evaluation of task {task!r} first")
    with open(path) as file:
        metrics = json.load(file)

    for key in ("bins", "pooled"):
        if key not in metrics:
            raise ValueError(f"{path}: key {key!r} is missing; the evaluation must write the metrics.json contract")
    if metrics.get("task", task) != task:
        raise ValueError(f"{path}: contains task {metrics['task']!r}, but the plots were requested for {task!r}")
    for entry in metrics["bins"]:
        for key in ("energy_bin", "energy_min_gev", "energy_max_gev"):
            if key not in entry:
                raise ValueError(f"{path}: a bin entry is missing {key!r}: {entry}")
    metrics["bins"] = sorted(metrics["bins"], key=lambda entry: entry["energy_bin"])
    return metrics


def read_predictions(path: str | os.PathLike, *, columns: list[str]) -> pd.DataFrame:
    """Read a predictions.parquet and check that it has `columns`, raising ValueError if any is missing."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"predictions file {path} not found; run the evaluation first")
    table = pd.read_parquet(path)
    missing = [column for column in columns if column not in table.columns]
    if missing:
        raise ValueError(f"{path}: columns {missing} are missing; the predictions contract requires them")
    return table


def read_training_log(path: str | os.PathLike) -> pd.DataFrame:
    """Read a training_log.csv. An absent or empty file gives an empty table, because baselines train no epochs."""
    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0:
        logger.info("no training log at %s; the model gets no training curve", path)
        return pd.DataFrame(columns=list(TRAINING_LOG_COLUMNS))
    log = pd.read_csv(path)
    missing = [column for column in TRAINING_LOG_COLUMNS if column not in log.columns]
    if missing:
        raise ValueError(f"{path}: columns {missing} are missing; training_log.csv must have {list(TRAINING_LOG_COLUMNS)}")
    return log.sort_values("epoch").reset_index(drop=True)


def metric_arrays(entries: list[dict], name: str) -> tuple[np.ndarray, np.ndarray]:
    """Return a metric and its bootstrap uncertainty per entry. A missing or null value becomes NaN."""
    values = np.array([entry.get(name, np.nan) for entry in entries], dtype=float)
    errors = np.array([entry.get(f"{name}_err", np.nan) for entry in entries], dtype=float)
    return values, errors


def opening_angle_deg(table: pd.DataFrame) -> np.ndarray:
    """Return the angle (degrees) between the true and the predicted direction of each event."""
    true = table[["dir_x", "dir_y", "dir_z"]].to_numpy(dtype=float)
    pred = table[["pred_dir_x", "pred_dir_y", "pred_dir_z"]].to_numpy(dtype=float)
    true = true / np.linalg.norm(true, axis=1, keepdims=True)
    pred = pred / np.linalg.norm(pred, axis=1, keepdims=True)
    cosine = np.clip(np.sum(true * pred, axis=1), -1.0, 1.0)
    return np.degrees(np.arccos(cosine))


def cos_zenith(table: pd.DataFrame, *, prefix: str = "") -> np.ndarray:
    """Return cos(zenith) of the arrival direction, -dir_z of the unit direction of travel."""
    direction = table[[f"{prefix}dir_x", f"{prefix}dir_y", f"{prefix}dir_z"]].to_numpy(dtype=float)
    return -direction[:, 2] / np.linalg.norm(direction, axis=1)
