"""Benchmark of the detector simulation on 1 GeV muons: events/s per core, stage times, memory, ROOT bytes per event.

Usage: python benchmarks/bench_simulation.py [--n-events 20] [--out-dir /tmp/bench_simulation]
Prints a JSON record; the figures of a run are copied by hand into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import uproot
import yaml

from junoml.detector.electronics import apply_pmt_response
from junoml.detector.geometry import build_geometry
from junoml.detector.params import DetectorParams
from junoml.detector.particles import Particle
from junoml.detector.simulation import Detector, simulate_chunk
from junoml.detector.trigger import is_triggered
from junoml.io import simroot

REPO = Path(__file__).resolve().parents[1]


class CentralMuons:
    """1 GeV muons from the centre in isotropic directions (they stop in the LS after about 5.4 m)."""

    result_columns = ("track_length_mm",)

    def generate(self, event_id, rng):
        cos_theta = 2 * rng.random() - 1
        phi = 2 * math.pi * rng.random()
        direction = np.array([math.sqrt(1 - cos_theta**2) * math.cos(phi), math.sqrt(1 - cos_theta**2) * math.sin(phi), cos_theta])
        truth = {"pdg": 13, "energy_gev": 1.0, "dir_x": direction[0], "dir_y": direction[1], "dir_z": direction[2],
                 "vertex_x_mm": 0.0, "vertex_y_mm": 0.0, "vertex_z_mm": 0.0}
        return truth, [Particle(13, 1000.0, np.zeros(3), direction)]


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} logical cores, Python {platform.python_version()}, {platform.system()}"


def stage_times(detector: Detector, n_events: int, seed: int) -> dict:
    """Process (CPU) seconds per event of each stage."""
    source = CentralMuons()
    totals = {"tracking": 0.0, "light": 0.0, "pmt_response": 0.0, "trigger": 0.0}
    n_pe = n_pulses = 0
    for event_id in range(n_events):
        rng = np.random.default_rng([seed, event_id])
        _, particles = source.generate(event_id, rng)
        t0 = time.process_time()
        segments, _, _ = detector.particle_segments(particles[0], rng)
        t1 = time.process_time()
        pe_pmt, pe_time = detector.sample_photoelectrons(segments, rng)
        t2 = time.process_time()
        pmt_id, hit_time, _ = apply_pmt_response(pe_pmt, pe_time, detector.pmts, detector.params, rng)
        t3 = time.process_time()
        is_triggered(hit_time, window_ns=detector.params.trigger_window_ns, threshold_hits=detector.params.trigger_threshold_hits)
        t4 = time.process_time()
        totals["tracking"] += t1 - t0
        totals["light"] += t2 - t1
        totals["pmt_response"] += t3 - t2
        totals["trigger"] += t4 - t3
        n_pe += pe_pmt.size
        n_pulses += pmt_id.size
    record = {name: value / n_events for name, value in totals.items()}
    record["photoelectrons_per_event"] = n_pe / n_events
    record["pulses_per_event"] = n_pulses / n_events
    return record


def compression_comparison(path: Path, out_dir: Path) -> dict:
    """Rewrite the events of `path` with several compressions; return seconds and bytes per event."""
    columns, hits, metadata = simroot.read_events(path)
    hit_lists = {name: [np.asarray(x) for x in hits[name]] for name in hits}
    n_events = len(columns["event_id"])
    results = {}
    original = simroot.compression
    for name, setting in [("ZLIB(1)", uproot.ZLIB(1)), ("LZ4(1)", uproot.LZ4(1)), ("ZSTD(1)", uproot.ZSTD(1)),
                          ("ZSTD(3)", uproot.ZSTD(3)), ("none", None)]:
        simroot.compression = lambda setting=setting: setting
        target = out_dir / f"compression_{name.replace('(', '_').replace(')', '')}.root"
        start = time.perf_counter()
        simroot.write_events(target, columns, hit_lists, metadata)
        seconds = time.perf_counter() - start
        results[name] = {"write_s_per_event": seconds / n_events, "bytes_per_event": target.stat().st_size / n_events}
    simroot.compression = original
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-events", type=int, default=20, help="timed events (default 20)")
    parser.add_argument("--out-dir", type=Path, default=None, help="folder for the ROOT files (default: a temporary folder)")
    args = parser.parse_args()
    out_dir = args.out_dir or Path(tempfile.mkdtemp(prefix="bench_simulation_"))
    out_dir.mkdir(parents=True, exist_ok=True)

    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    pmts = build_geometry(config["geometry"], config["detector"], seed=config["seed"])
    detector = Detector(pmts, DetectorParams.from_config(config["detector"]))

    # Warm-up: compiles (or loads from the numba cache) every kernel once.
    simulate_chunk(CentralMuons(), detector, sample="bench", seed=1, first_event_id=0, n_events=1,
                   out_path=out_dir / "warmup.root", metadata={"junoml_config": config})

    path = out_dir / "muons_1gev.root"
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    simulate_chunk(CentralMuons(), detector, sample="bench", seed=2, first_event_id=0, n_events=args.n_events,
                   out_path=path, metadata={"junoml_config": config})
    cpu_seconds = time.process_time() - cpu_start
    wall_seconds = time.perf_counter() - wall_start

    record = {
        "machine": machine(),
        "n_events": args.n_events,
        "events_per_cpu_second": args.n_events / cpu_seconds,
        "events_per_wall_second": args.n_events / wall_seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "root_bytes_per_event": path.stat().st_size / args.n_events,
        "numba_threads": int(os.environ.get("NUMBA_NUM_THREADS", "0")) or None,
        "stage_cpu_seconds_per_event": stage_times(detector, min(args.n_events, 10), seed=3),
        "compression": compression_comparison(path, out_dir),
    }
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
