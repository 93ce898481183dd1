"""Benchmark hits_to_parquet against a bare uproot read of the same branches, on a large simulation file.

The input is built from simulated 1 GeV muons (junoml's own simulation, JUNO PMT positions when
--geometry-csv is given): --n-sim events are simulated, then repeated with new event ids and
written with the simulation's writer until the file reaches --size-gb. Each measurement runs in
its own process, so its peak resident memory (ru_maxrss) is its own.

Usage:
    python benchmarks/bench_ingest.py --workdir /tmp/bench_ingest --size-gb 2.0 \
        [--geometry-csv PMTPos_CD_LPMT.csv]
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
import yaml

ROOT_DIR = Path(__file__).resolve().parents[1]
HIT_BRANCHES = ["event_id", "pmt_id", "hit_time_ns", "charge_pe"]


def load_config() -> dict:
    return yaml.safe_load((ROOT_DIR / "config" / "config.yaml").read_text())


def build_pmts(config: dict, geometry_csv: str | None) -> pd.DataFrame:
    from junoml.detector.geometry import build_geometry

    geometry = dict(config["geometry"])
    if geometry_csv:
        geometry["pmt_positions_csv"] = geometry_csv
    return build_geometry(geometry, config["detector"], seed=config["seed"])


def simulate_muons(config: dict, pmts: pd.DataFrame, out: Path, *, n_events: int, energy_gev: float, seed: int, first_event_id: int = 0) -> None:
    from junoml.detector.params import DetectorParams
    from junoml.detector.simulation import Detector, simulate_chunk
    from junoml.detector.sources import MuonGun

    detector = Detector(pmts, DetectorParams.from_config(config["detector"]))
    gun = MuonGun(energy_min_gev=energy_gev, energy_max_gev=energy_gev)
    simulate_chunk(gun, detector, sample="muon", seed=seed, first_event_id=first_event_id, n_events=n_events, out_path=out, metadata={})


def build_large_file(small: Path, large: Path, size_gb: float) -> int:
    """Repeat the events of `small` with new event ids until `large` reaches size_gb; return the number of events."""
    from junoml.io.simroot import SimRootWriter, read_events

    columns, hits, _ = read_events(small)
    hit_lists = {name: [np.asarray(v) for v in hits[name].to_list()] for name in hits}
    n_small = len(columns["event_id"])
    # The small file's size per event estimates the large file's; compression does not depend on repetition.
    repeats = int(np.ceil(size_gb * 1e9 / small.stat().st_size))
    with SimRootWriter(large, {}) as writer:
        for k in range(repeats):
            batch = {**columns, "event_id": np.arange(k * n_small, (k + 1) * n_small, dtype=np.int64)}
            writer.extend(batch, hit_lists)
    return repeats * n_small


def run_bare(path: Path, step_size: str) -> dict:
    import awkward as ak
    import uproot

    started = time.perf_counter()
    n_hits = 0
    with uproot.open(path) as file:
        tree = file["events"]
        n_events = tree.num_entries
        for arrays in tree.iterate(HIT_BRANCHES, step_size=step_size, library="ak"):
            for name in HIT_BRANCHES[1:]:
                values = ak.to_numpy(ak.flatten(arrays[name]))
            n_hits += len(values)
    return {"seconds": time.perf_counter() - started, "events": n_events, "hits": n_hits}


def run_ingest(path: Path, pmts_path: Path, out_dir: Path, step_size: str) -> dict:
    from junoml.ingest import hits_to_parquet

    config = load_config()
    pmts = pd.read_parquet(pmts_path)
    started = time.perf_counter()
    summary = hits_to_parquet(
        [str(path)], reader={**config["reader"], "step_size": step_size}, pmts=pmts, out_hits=out_dir / "hits.parquet",
        out_events=out_dir / "events.parquet", sample="muon", seed=config["seed"], trigger=config["detector"]["trigger"],
    )
    return {"seconds": time.perf_counter() - started, "events": summary["events"], "hits": summary["hits_written"]}


def child(mode: str, args) -> None:
    if mode == "bare":
        result = run_bare(Path(args.input), args.step_size)
    else:
        result = run_ingest(Path(args.input), Path(args.pmts), Path(args.workdir), args.step_size)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["peak_rss_mb"] = usage.ru_maxrss / 1024.0
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    print(json.dumps(result))


def measure(mode: str, args, path: Path, pmts_path: Path) -> dict:
    command = [sys.executable, __file__, "--child", mode, "--input", str(path), "--pmts", str(pmts_path),
               "--workdir", str(args.workdir), "--step-size", args.step_size]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", default="/tmp/bench_ingest", help="folder for the generated files")
    parser.add_argument("--size-gb", type=float, default=2.0, help="size of the large ROOT file, GB")
    parser.add_argument("--n-sim", type=int, default=20, help="simulated 1 GeV muon events repeated into the large file")
    parser.add_argument("--geometry-csv", default=None, help="JUNO PMT position CSV; default: the generated layout")
    parser.add_argument("--step-size", default="100 MB", help="reader step size for both reads")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--input", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--pmts", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args)
        return

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    config = load_config()
    pmts = build_pmts(config, args.geometry_csv)
    pmts_path = workdir / "pmts.parquet"
    pmts.to_parquet(pmts_path, index=False)

    small, large = workdir / "muons_1gev.root", workdir / "large.root"
    if not small.exists():
        simulate_muons(config, pmts, small, n_events=args.n_sim, energy_gev=1.0, seed=config["seed"])
    if not large.exists() or large.stat().st_size < args.size_gb * 1e9:
        n_events = build_large_file(small, large, args.size_gb)
        logging.info("wrote %s: %d events, %.2f GB", large, n_events, large.stat().st_size / 1e9)

    bare = measure("bare", args, large, pmts_path)
    ingest = measure("ingest", args, large, pmts_path)
    root_bytes = large.stat().st_size
    results = {
        "input_gb": root_bytes / 1e9,
        "events": ingest["events"],
        "hits_per_event": ingest["hits"] / max(ingest["events"], 1),
        "bare_uproot": {**bare, "events_per_s": bare["events"] / bare["seconds"], "mb_per_s": root_bytes / 1e6 / bare["seconds"]},
        "hits_to_parquet": {**ingest, "events_per_s": ingest["events"] / ingest["seconds"], "mb_per_s": root_bytes / 1e6 / ingest["seconds"]},
        "speed_ratio": bare["seconds"] / ingest["seconds"],
        "cpu_ratio": bare["cpu_seconds"] / ingest["cpu_seconds"],
        "bytes_per_event": {
            "root": root_bytes / ingest["events"],
            "hits_parquet": (workdir / "hits.parquet").stat().st_size / ingest["events"],
            "events_parquet": (workdir / "events.parquet").stat().st_size / ingest["events"],
        },
    }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
