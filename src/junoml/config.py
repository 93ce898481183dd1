"""Checks of the workflow config beyond its JSON schema, and the sizes derived from it.

The JSON schema (workflow/schemas/config.schema.yaml) checks keys, types and ranges. The checks here
need more than one key at a time: increasing bin edges, models that exist for a task, files that
exist, simulation sizes that can fill the splits. Both run before any job starts.
"""

import math
import os
from pathlib import Path

TASK_SAMPLES = {"muon_direction": "muon", "flavour": "atmospheric", "nu_direction": "atmospheric"}
# nu_direction trains and tests on the events and splits of flavour.
TASK_SPLIT_OWNER = {"muon_direction": "muon_direction", "flavour": "flavour", "nu_direction": "flavour"}
DIRECTION_TASKS = ("muon_direction", "nu_direction")
NET_MODELS = ("r2plus1d", "conv3d", "cnn2d")
TASK_MODELS = {
    "muon_direction": (*NET_MODELS, "track_fit"),
    "nu_direction": (*NET_MODELS, "track_fit"),
    "flavour": (*NET_MODELS, "bdt"),
}
SOURCES = ("muon_gun", "through_going_muons", "electrons", "atmospheric", "external")
SPLITS = ("train", "val", "test")


class ConfigError(ValueError):
    """An invalid config value; the message names the key, the value and the fix."""


def _fail(key: str, value, fix: str) -> None:
    raise ConfigError(f"invalid config value {key} = {value!r}: {fix}")


def check_config(config: dict, *, base_dir: str | os.PathLike = ".") -> None:
    """Raise ConfigError on the first value that the schema cannot catch.

    Relative file paths are resolved against base_dir (the working directory of the workflow).
    """
    base_dir = Path(base_dir)
    for key in ("pmt_positions_csv", "hamamatsu_positions_csv"):
        path = config["geometry"].get(key)
        if path and not (base_dir / path).is_file():
            _fail(f"geometry.{key}", path, "the file does not exist; give the path of a JUNO-format CSV (id x y z theta phi) or null")
    if config["geometry"].get("hamamatsu_positions_csv") and not config["geometry"].get("pmt_positions_csv"):
        _fail("geometry.hamamatsu_positions_csv", config["geometry"]["hamamatsu_positions_csv"],
              "a Hamamatsu list needs geometry.pmt_positions_csv as well; set both or neither")

    for name, sample in config["samples"].items():
        _check_sample(name, sample, base_dir)

    for task, task_cfg in config["tasks"].items():
        _check_task(config, task, task_cfg)


def _check_sample(name: str, sample: dict, base_dir: Path) -> None:
    source = sample["source"]
    if source not in SOURCES:
        _fail(f"samples.{name}.source", source, f"use one of {', '.join(SOURCES)}")
    low, high = sample.get("energy_min_gev"), sample.get("energy_max_gev")
    if low is not None and high is not None and not 0 < low < high:
        _fail(f"samples.{name}.energy_min_gev", low, f"energies must satisfy 0 < energy_min_gev < energy_max_gev (= {high})")
    if source == "external":
        files = sample.get("files") or []
        if not files:
            _fail(f"samples.{name}.files", files, "list the ROOT files of the external sample")
        for path in files:
            if not (base_dir / path).is_file():
                _fail(f"samples.{name}.files", path, "the file does not exist; fix the path")


def _check_task(config: dict, task: str, task_cfg: dict) -> None:
    if task not in TASK_MODELS:
        _fail(f"tasks.{task}", task, f"unknown task; use {', '.join(TASK_MODELS)}")
    for model in task_cfg.get("models", []):
        if model not in TASK_MODELS[task]:
            _fail(f"tasks.{task}.models", model, f"no such model for {task}; use {', '.join(TASK_MODELS[task])}")
    if task == "nu_direction":
        if "flavour" not in config["tasks"]:
            _fail("tasks.nu_direction", "present", "nu_direction uses the flavour split; configure tasks.flavour too")
        return

    edges = task_cfg["energy_bin_edges_gev"]
    if len(edges) < 2 or any(b <= a for a, b in zip(edges, edges[1:])) or edges[0] <= 0:
        _fail(f"tasks.{task}.energy_bin_edges_gev", edges, "give at least two positive, strictly increasing edges in GeV")
    sample = config["samples"].get(task_cfg["sample"])
    if sample is None:
        _fail(f"tasks.{task}.sample", task_cfg["sample"], f"no such sample; define it under samples: ({', '.join(config['samples'])})")
    low, high = sample.get("energy_min_gev"), sample.get("energy_max_gev")
    if low is not None and (edges[0] < low * (1 - 1e-9) or edges[-1] > high * (1 + 1e-9)):
        _fail(f"tasks.{task}.energy_bin_edges_gev", edges,
              f"the bins must lie within the simulated energy range {low} to {high} GeV of samples.{task_cfg['sample']}")
    n_events = sample.get("n_events")
    needed = sum(task_cfg["split_sizes"].values())
    if n_events is not None and n_events < needed:
        _fail(f"samples.{task_cfg['sample']}.n_events", n_events,
              f"tasks.{task}.split_sizes need {needed} events in total; raise n_events or set it to null to derive it")


def split_demand(config: dict, sample: str) -> tuple[int, int]:
    """Return (events that the splits of the tasks on this sample need, energy bins of that task)."""
    demands = [
        (sum(task_cfg["split_sizes"].values()), len(task_cfg["energy_bin_edges_gev"]) - 1)
        for task, task_cfg in config["tasks"].items()
        if task != "nu_direction" and task_cfg["sample"] == sample
    ]
    return max(demands, default=(0, 1))


def sample_size(config: dict, sample: str) -> int:
    """Return the number of events to simulate for a sample.

    An explicit samples.{sample}.n_events wins. Otherwise the size follows from the split sizes
    N = train + val + test over B energy bins: (N * simulation_margin + 3 * sqrt(N * B)) /
    selection_efficiency. The square-root term covers a three-sigma downward fluctuation of the
    N / B events that each bin needs, so small studies fill their bins as reliably as large ones.
    The efficiency is the expected fraction of events that pass the trigger and the selection.
    """
    sample_cfg = config["samples"][sample]
    if sample_cfg.get("n_events") is not None:
        return int(sample_cfg["n_events"])
    needed, n_bins = split_demand(config, sample)
    efficiency = sample_cfg.get("selection_efficiency", 1.0)
    return math.ceil((needed * config["simulation_margin"] + 3.0 * math.sqrt(needed * n_bins)) / efficiency)


def chunk_ids(config: dict, sample: str) -> list[str]:
    """Return the chunk names of a sample: one per simulation job, or one per external file."""
    sample_cfg = config["samples"][sample]
    if sample_cfg["source"] == "external":
        n_chunks = len(sample_cfg["files"])
    else:
        n_chunks = math.ceil(sample_size(config, sample) / sample_cfg["chunk_size"])
    return [f"{index:04d}" for index in range(n_chunks)]


def chunk_events(config: dict, sample: str, chunk: str) -> tuple[int, int]:
    """Return (first event_id, number of events) of one simulation chunk."""
    chunk_size = config["samples"][sample]["chunk_size"]
    first = int(chunk) * chunk_size
    total = sample_size(config, sample)
    if first >= total:
        raise ConfigError(f"chunk {chunk} of sample {sample} starts at event {first}, beyond the sample size {total}")
    return first, min(chunk_size, total - first)
