"""Benchmark grid_chunk and check the default time window on simulated muons.

1. Speed and size: 1 GeV muons (junoml's own simulation, JUNO PMT positions when
   --geometry-csv is given) are ingested, then gridded at the default grid and at variants
   (more channels, the rings projection). Each variant runs in its own process, after one
   warm-up event, so events/s excludes numba compilation and the peak memory is its own.
2. Time window: muons at the log-centre energy of each default energy bin are gridded at the
   defaults. The script reports which fraction of each event's charge falls before t0, inside
   the T x time_bin_ns window, and after it (the overflow bin).

Usage:
    python benchmarks/bench_grid.py --workdir /tmp/bench_grid [--geometry-csv PMTPos_CD_LPMT.csv]
"""

import argparse
import json
import logging
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import build_pmts, load_config, simulate_muons  # noqa: E402

VARIANTS = {
    "charge": {"channels": ["charge"]},
    "default": {},
    "three_channels": {"channels": ["charge", "first_hit_time", "pmt_mask"]},
    "rings": {"projection": "rings", "width": None},
}


def ingest(config: dict, pmts: pd.DataFrame, root: Path, prefix: Path) -> tuple[Path, Path]:
    from junoml.ingest import hits_to_parquet

    hits, events = prefix.with_suffix(".hits.parquet"), prefix.with_suffix(".events.parquet")
    hits_to_parquet([str(root)], reader=config["reader"], pmts=pmts, out_hits=hits, out_events=events,
                    sample="muon", seed=config["seed"], trigger=config["detector"]["trigger"])
    return hits, events


def child(args) -> None:
    from junoml.grid import EventGridder, GridOptions, grid_chunk

    config = load_config()
    grid = {**config["grid"], **json.loads(args.variant)}
    pmts = pd.read_parquet(args.pmts)
    hits = pd.read_parquet(args.hits)
    first = hits[hits["event_id"] == hits["event_id"].iloc[0]]
    EventGridder(pmts, GridOptions.from_config(grid)).grid(first["pmt_id"].to_numpy(), first["hit_time_ns"].to_numpy(), first["charge_pe"].to_numpy())
    del hits, first
    started = time.perf_counter()
    summary = grid_chunk(args.hits, args.events, pmts, grid, args.out)
    summary["seconds"] = time.perf_counter() - started
    summary["events_per_s"] = summary["events"] / summary["seconds"]
    summary["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps(summary))


def run_variant(name: str, variant: dict, hits: Path, events: Path, pmts_path: Path, workdir: Path) -> dict:
    command = [sys.executable, __file__, "--child", "--variant", json.dumps(variant), "--hits", str(hits), "--events", str(events),
               "--pmts", str(pmts_path), "--out", str(workdir / "grid" / name / "0000")]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def window_fractions(hits: Path, index: Path, window_ns: float) -> dict:
    """Return mean and minimum over events of the charge fractions before t0, in [t0, t0 + window_ns) and after."""
    table = pd.read_parquet(hits).merge(pd.read_parquet(index)[["event_id", "t0_ns"]], on="event_id")
    table = table[np.isfinite(table["t0_ns"])]
    dt = table["hit_time_ns"] - table["t0_ns"]
    table["part"] = np.where(dt < 0, "before_t0", np.where(dt < window_ns, "in_window", "after_window"))
    per_event = table.pivot_table(index="event_id", columns="part", values="charge_pe", aggfunc="sum", fill_value=0.0)
    per_event = per_event.div(per_event.sum(axis=1), axis=0)
    return {part: {"mean": float(per_event[part].mean()), "min": float(per_event[part].min())} for part in per_event.columns}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", default="/tmp/bench_grid", help="folder for the generated files")
    parser.add_argument("--geometry-csv", default=None, help="JUNO PMT position CSV; default: the generated layout")
    parser.add_argument("--n-events", type=int, default=40, help="1 GeV muon events for the speed measurement")
    parser.add_argument("--per-bin", type=int, default=6, help="muon events per energy bin for the time-window check")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    for name in ("--variant", "--hits", "--events", "--pmts", "--out"):
        parser.add_argument(name, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    config = load_config()
    pmts = build_pmts(config, args.geometry_csv)
    pmts_path = workdir / "pmts.parquet"
    pmts.to_parquet(pmts_path, index=False)

    root = workdir / "muons_1gev.root"
    if not root.exists():
        simulate_muons(config, pmts, root, n_events=args.n_events, energy_gev=1.0, seed=config["seed"])
    hits, events = ingest(config, pmts, root, workdir / "muons_1gev")
    pulses = len(pd.read_parquet(hits, columns=["event_id"])) / len(pd.read_parquet(events, columns=["event_id"]))
    speed = {name: run_variant(name, variant, hits, events, pmts_path, workdir) for name, variant in VARIANTS.items()}

    edges = np.asarray(config["tasks"]["muon_direction"]["energy_bin_edges_gev"])
    window_ns = config["grid"]["n_time_bins"] * config["grid"]["time_bin_ns"]
    window = []
    for k, energy in enumerate(np.sqrt(edges[:-1] * edges[1:])):
        root_k = workdir / f"muons_bin{k}.root"
        if not root_k.exists():
            simulate_muons(config, pmts, root_k, n_events=args.per_bin, energy_gev=float(energy), seed=config["seed"] + k + 1)
        hits_k, events_k = ingest(config, pmts, root_k, workdir / f"muons_bin{k}")
        run_variant(f"bin{k}", {}, hits_k, events_k, pmts_path, workdir)
        index_k = workdir / "grid" / f"bin{k}" / "0000.index.parquet"
        window.append({"energy_bin": k, "energy_gev": float(energy), "events": args.per_bin,
                       "events_without_t0": int(pd.read_parquet(index_k)["t0_ns"].isna().sum()),
                       **window_fractions(hits_k, index_k, window_ns)})

    print(json.dumps({"pulses_per_event_1gev": pulses, "speed": speed, "window_ns": window_ns, "window": window}, indent=2))


if __name__ == "__main__":
    main()
