"""Split a task's events into train, validation and test sets, separately in each energy bin.

Per bin k (energy_gev in [edge_k, edge_k+1), the last bin closed on the right), the candidate
events are the triggered ones with the task's target columns present (and, for `flavour`, label
0, 1 or 2, plus 3 with include_nutau). Each split of total size N gets N // n_bins events per
bin. The remainder N % n_bins goes one event each to the lowest bins. Within a bin, the
candidates (sorted by event_id) are shuffled with a generator seeded from (seed, task, bin), so
the same events and seed give the same split whatever the order of the input files.
With `class_balance` (flavour), each split of a bin contains equal numbers of each class, the
remainder going one event each to the lowest labels.
"""

import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd

from junoml.io.atomic import atomic_output
from junoml.rng import stage_rng

log = logging.getLogger(__name__)

SPLITS = ("train", "val", "test")
TARGET_COLUMNS = {
    "muon_direction": ("dir_x", "dir_y", "dir_z"),
    "nu_direction": ("dir_x", "dir_y", "dir_z"),
    "flavour": ("label",),
}


class SplitError(ValueError):
    """The events cannot fill the requested split."""


def make_splits(events_paths: list, *, task: str, task_cfg: dict, seed: int, out_dir: str | os.PathLike) -> dict:
    """Write {split}.parquet and {split}_bin{k}.parquet for train, val and test under out_dir.

    Args:
        events_paths: the sample's events tables, results/events/{sample}/{chunk}.parquet.
        task: task name; sets the target columns (TARGET_COLUMNS, or task_cfg["target_columns"]).
        task_cfg: the task's config: energy_bin_edges_gev (GeV, increasing), split_sizes
            ({train, val, test}: events over all bins), and for flavour include_nutau and
            class_balance (both default false).
        seed: split seed.
        out_dir: results/splits/{task}.
    Returns:
        summary: per bin, the candidates available and the events of each split.
    Raises:
        SplitError: a needed column is missing or all null, or a bin has too few events.
    """
    edges = _check_edges(task_cfg)
    sizes = _check_sizes(task_cfg)
    targets = tuple(task_cfg.get("target_columns") or TARGET_COLUMNS.get(task, ()))
    if not targets:
        raise SplitError(f"task {task!r} has no known target columns; set tasks.{task}.target_columns or use one of {sorted(TARGET_COLUMNS)}")
    is_flavour = "label" in targets
    labels = (0, 1, 2, 3) if task_cfg.get("include_nutau", False) else (0, 1, 2)
    class_balance = bool(task_cfg.get("class_balance", False))
    if class_balance and not is_flavour:
        raise SplitError(f"tasks.{task}.class_balance is true, but the task has no label column; set it false")

    events = _read_events(events_paths)
    for column in ("energy_gev", "triggered", *targets):
        if column not in events.columns or events[column].isna().all():
            raise SplitError(
                f"task {task!r} needs column {column!r}, which is missing or all null in the events tables "
                f"({len(events_paths)} files, e.g. {events_paths[0]}); use input files that provide it"
            )

    candidates = events[events["triggered"].fillna(False).astype(bool)]
    candidates = candidates[candidates[list(targets)].notna().all(axis=1)]
    if is_flavour:
        candidates = candidates[candidates["label"].isin(labels)]
    energy = candidates["energy_gev"].to_numpy(dtype=np.float64)
    energy_bin = np.searchsorted(edges, energy, side="right") - 1
    energy_bin[energy == edges[-1]] = len(edges) - 2
    inside = (energy_bin >= 0) & (energy_bin < len(edges) - 1)
    candidates = candidates[inside].assign(energy_bin=energy_bin[inside].astype(np.int64))
    candidates = candidates.sort_values("event_id", kind="stable").reset_index(drop=True)

    n_bins = len(edges) - 1
    per_bin = {split: _spread(size, n_bins) for split, size in sizes.items()}
    chosen: dict[str, list[pd.DataFrame]] = {split: [] for split in SPLITS}
    summary_bins = []
    for k in range(n_bins):
        in_bin = candidates[candidates["energy_bin"] == k]
        requested = {split: int(per_bin[split][k]) for split in SPLITS}
        rng = stage_rng(seed, "split", task, f"bin{k}")
        if class_balance:
            parts = _split_balanced(in_bin, requested, labels, rng, task=task, k=k, edges=edges)
        else:
            parts = _split_plain(in_bin, requested, rng, task=task, k=k, edges=edges)
        for split in SPLITS:
            chosen[split].append(parts[split])
        summary_bins.append({"energy_bin": k, "available": len(in_bin), **{split: len(parts[split]) for split in SPLITS}})

    out_dir = Path(out_dir)
    for split in SPLITS:
        for k, part in enumerate(chosen[split]):
            _write(part, out_dir / f"{split}_bin{k}.parquet")
        _write(pd.concat(chosen[split], ignore_index=True), out_dir / f"{split}.parquet")
    log.info("wrote splits of task %s to %s: %s", task, out_dir, {s: sum(len(p) for p in chosen[s]) for s in SPLITS})
    return {
        "task": task,
        "events_read": len(events),
        "candidates": len(candidates),
        "bins": summary_bins,
        **{split: sum(len(p) for p in chosen[split]) for split in SPLITS},
    }


def _check_edges(task_cfg: dict) -> np.ndarray:
    if "energy_bin_edges_gev" not in task_cfg:
        raise SplitError("the task config lacks energy_bin_edges_gev; set tasks.<task>.energy_bin_edges_gev")
    edges = np.asarray(task_cfg["energy_bin_edges_gev"], dtype=np.float64)
    if edges.ndim != 1 or len(edges) < 2 or np.any(np.diff(edges) <= 0):
        raise SplitError(f"energy_bin_edges_gev is {task_cfg['energy_bin_edges_gev']}; give at least two increasing edges in GeV")
    return edges


def _check_sizes(task_cfg: dict) -> dict:
    sizes = task_cfg.get("split_sizes")
    if not isinstance(sizes, dict) or set(sizes) != set(SPLITS):
        raise SplitError(f"split_sizes is {sizes!r}; give {{train: N, val: N, test: N}}")
    if any(int(v) < 0 for v in sizes.values()):
        raise SplitError(f"split_sizes is {sizes}; sizes must not be negative")
    return {split: int(sizes[split]) for split in SPLITS}


def _spread(total: int, n_bins: int) -> np.ndarray:
    """Return total // n_bins per bin, with the remainder given one each to the lowest bins."""
    counts = np.full(n_bins, total // n_bins, dtype=np.int64)
    counts[: total % n_bins] += 1
    return counts


def _read_events(events_paths: list) -> pd.DataFrame:
    if not events_paths:
        raise SplitError("no events tables given; run the ingest rule first")
    frames = [pd.read_parquet(path).assign(chunk=Path(path).stem) for path in events_paths]
    events = pd.concat(frames, ignore_index=True)
    duplicated = events["event_id"].duplicated()
    if duplicated.any():
        raise SplitError(f"event_id {int(events.loc[duplicated, 'event_id'].iloc[0])} appears in more than one events table; rerun ingest for the sample")
    return events


def _too_few(task: str, k: int, edges: np.ndarray, needed: int, available: int, subset: str = "") -> SplitError:
    return SplitError(
        f"task {task!r}, energy bin {k} ({edges[k]:g} to {edges[k + 1]:g} GeV){subset}: the split needs {needed} triggered events "
        f"but {available} are available; raise simulation_margin or the sample's n_events, or lower tasks.{task}.split_sizes"
    )


def _split_plain(in_bin: pd.DataFrame, requested: dict, rng: np.random.Generator, *, task: str, k: int, edges: np.ndarray) -> dict:
    needed = sum(requested.values())
    if len(in_bin) < needed:
        raise _too_few(task, k, edges, needed, len(in_bin))
    order = rng.permutation(len(in_bin))
    parts, start = {}, 0
    for split in SPLITS:
        parts[split] = in_bin.iloc[np.sort(order[start: start + requested[split]])]
        start += requested[split]
    return parts


def _split_balanced(in_bin: pd.DataFrame, requested: dict, labels: tuple, rng: np.random.Generator, *, task: str, k: int, edges: np.ndarray) -> dict:
    per_class = {split: _spread(requested[split], len(labels)) for split in SPLITS}
    pieces: dict[str, list] = {split: [] for split in SPLITS}
    for i, label in enumerate(labels):
        of_class = in_bin[in_bin["label"] == label]
        needed = sum(int(per_class[split][i]) for split in SPLITS)
        if len(of_class) < needed:
            raise _too_few(task, k, edges, needed, len(of_class), subset=f", label {label}")
        order = rng.permutation(len(of_class))
        start = 0
        for split in SPLITS:
            n = int(per_class[split][i])
            pieces[split].append(of_class.iloc[order[start: start + n]])
            start += n
    return {split: pd.concat(pieces[split]).sort_values("event_id", kind="stable") for split in SPLITS}


def _write(frame: pd.DataFrame, path: Path) -> None:
    columns = ["event_id", "chunk", "energy_bin"] + [c for c in frame.columns if c not in ("event_id", "chunk", "energy_bin")]
    with atomic_output(path) as tmp:
        frame[columns].reset_index(drop=True).to_parquet(tmp, index=False)
