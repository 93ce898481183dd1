"""Task definitions: targets read from the split tables, head layout, losses and prediction columns."""

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch.nn import functional as F

from junoml.learn.losses import cosine_loss, kappa_from_raw, vmf_nll
from junoml.learn.settings import TrainingSettings

DIRECTION_TASKS = ("muon_direction", "nu_direction")
TASKS = (*DIRECTION_TASKS, "flavour")
CLASS_NAMES = ("numu_cc", "nue_cc", "nc")
DIRECTION_COLUMNS = ("dir_x", "dir_y", "dir_z")
VERTEX_COLUMNS = ("vertex_x_mm", "vertex_y_mm", "vertex_z_mm")
PROBABILITY_COLUMNS = tuple(f"prob_{name}" for name in CLASS_NAMES)


@dataclass(frozen=True)
class HeadLayout:
    """Slices of the head output: the main target, then kappa, visible energy and vertex when enabled."""

    main: slice
    kappa: int | None
    visible_energy: int | None
    vertex: slice | None

    @property
    def n_outputs(self) -> int:
        ends = [self.main.stop]
        ends += [index + 1 for index in (self.kappa, self.visible_energy) if index is not None]
        if self.vertex is not None:
            ends.append(self.vertex.stop)
        return max(ends)


def check_task(task: str) -> None:
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {TASKS}")


def head_layout(task: str, settings: TrainingSettings) -> HeadLayout:
    """Return where each quantity sits in the head output of `task`."""
    check_task(task)
    width = 3
    main = slice(0, width)
    kappa = None
    if task in DIRECTION_TASKS and settings.direction_loss == "vmf":
        kappa = width
        width += 1
    visible_energy = None
    if settings.aux_visible_energy:
        visible_energy = width
        width += 1
    vertex = None
    if settings.aux_vertex:
        vertex = slice(width, width + 3)
    return HeadLayout(main=main, kappa=kappa, visible_energy=visible_energy, vertex=vertex)


def targets_from_table(task: str, table: pd.DataFrame, settings: TrainingSettings, *, source: str) -> dict[str, np.ndarray]:
    """Return the training targets of every row of a split table, as float32 or int64 arrays.

    Args:
        source: the file the table came from, named in errors.
    Raises:
        KeyError: a needed column is missing.
        ValueError: a needed column contains nulls, or labels lie outside 0, 1, 2.
    """
    check_task(task)
    needed = list(DIRECTION_COLUMNS) if task in DIRECTION_TASKS else ["label"]
    if settings.aux_visible_energy:
        needed.append("visible_energy_mev")
    if settings.aux_vertex:
        needed += list(VERTEX_COLUMNS)
    missing = [column for column in needed if column not in table.columns]
    if missing:
        raise KeyError(f"{source}: missing columns {missing} needed by task {task}; rerun the 'split' rule")
    nulls = [column for column in needed if table[column].isna().any()]
    if nulls:
        raise ValueError(f"{source}: columns {nulls} contain nulls; task {task} needs them for every event")

    targets: dict[str, np.ndarray] = {}
    if task in DIRECTION_TASKS:
        direction = table[list(DIRECTION_COLUMNS)].to_numpy(np.float64)
        norm = np.linalg.norm(direction, axis=1, keepdims=True)
        if (norm == 0).any():
            raise ValueError(f"{source}: an event has a zero direction vector (dir_x = dir_y = dir_z = 0)")
        targets["direction"] = (direction / norm).astype(np.float32)
    else:
        label = table["label"].to_numpy(np.int64)
        bad = sorted(set(label.tolist()) - {0, 1, 2})
        if bad:
            raise ValueError(f"{source}: labels {bad} are outside 0 (nu_mu CC), 1 (nu_e CC), 2 (NC); exclude nu_tau in the split config")
        targets["label"] = label
    if settings.aux_visible_energy:
        # log(E / GeV); events without visible energy are masked out of this loss with NaN.
        energy_gev = table["visible_energy_mev"].to_numpy(np.float64) / 1000.0
        with np.errstate(divide="ignore", invalid="ignore"):
            targets["visible_energy"] = np.where(energy_gev > 0, np.log(energy_gev), np.nan).astype(np.float32)
    if settings.aux_vertex:
        targets["vertex"] = (table[list(VERTEX_COLUMNS)].to_numpy(np.float64) / settings.ls_radius_mm).astype(np.float32)
    return targets


def class_weights_from_labels(labels: np.ndarray) -> np.ndarray:
    """Return N / (3 N_class) per class, so that each class carries the same total weight."""
    counts = np.bincount(labels, minlength=len(CLASS_NAMES)).astype(np.float64)
    if (counts == 0).any():
        raise ValueError(f"class counts {counts.tolist()} in the training split: every class needs events for class weights; set training.class_weights: false")
    return (counts.sum() / (len(CLASS_NAMES) * counts)).astype(np.float32)


def per_event_loss(
    task: str,
    outputs: torch.Tensor,
    targets: dict[str, torch.Tensor],
    layout: HeadLayout,
    settings: TrainingSettings,
    *,
    class_weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """Return the loss of each event [N] in float32: main loss plus the weighted auxiliary losses."""
    outputs = outputs.float()
    main = outputs[:, layout.main]
    if task in DIRECTION_TASKS:
        if layout.kappa is not None:
            loss = vmf_nll(main, kappa_from_raw(outputs[:, layout.kappa]), targets["direction"])
        else:
            loss = cosine_loss(main, targets["direction"])
    else:
        loss = F.cross_entropy(main, targets["label"], weight=class_weights, reduction="none")

    if layout.visible_energy is not None:
        target = targets["visible_energy"]
        valid = torch.isfinite(target)
        error = torch.where(valid, outputs[:, layout.visible_energy] - torch.nan_to_num(target), torch.zeros_like(target))
        loss = loss + settings.aux_loss_weight * error.square()
    if layout.vertex is not None:
        loss = loss + settings.aux_loss_weight * (outputs[:, layout.vertex] - targets["vertex"]).square().sum(dim=1)
    return loss


def predictions_from_outputs(task: str, outputs: torch.Tensor, layout: HeadLayout) -> dict[str, np.ndarray]:
    """Return the prediction columns of docs/contracts.md from head outputs [N, n_outputs]."""
    outputs = outputs.float()
    main = outputs[:, layout.main]
    if task in DIRECTION_TASKS:
        direction = F.normalize(main, dim=1).cpu().numpy().astype(np.float64)
        columns = {f"pred_{name}": direction[:, i] for i, name in enumerate(DIRECTION_COLUMNS)}
        if layout.kappa is not None:
            columns["pred_kappa"] = kappa_from_raw(outputs[:, layout.kappa]).cpu().numpy().astype(np.float64)
        return columns
    probabilities = torch.softmax(main, dim=1).cpu().numpy().astype(np.float64)
    columns = {name: probabilities[:, i] for i, name in enumerate(PROBABILITY_COLUMNS)}
    columns["pred_label"] = probabilities.argmax(axis=1).astype(np.int8)
    return columns
