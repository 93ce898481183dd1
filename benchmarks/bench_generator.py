"""Benchmark the atmospheric generator alone and with the detector simulation, in events per second per core.

Energies follow the default sampling density of config/config.yaml (log-uniform, 0.1 to 10 GeV).
The detector uses a generated JUNO-like PMT layout (or the JUNO positions with --geometry-csv).
One warm-up event runs before each timing, so numba compilation is not counted. The script runs
on one thread: NUMBA_NUM_THREADS and the BLAS thread count are set to 1 before numpy loads.

Usage:
    python benchmarks/bench_generator.py --flux-dir results/flux/honda2014_kamioka \
        [--n-generator 2000] [--n-detector 100] [--geometry-csv PMTPos_CD_LPMT.csv]
"""

import os

for variable in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import yaml  # noqa: E402

from junoml.generator.flux import fetch_honda_tables, nuflux_file_name  # noqa: E402
from junoml.generator.source import AtmosphericSource  # noqa: E402
from junoml.rng import event_rng  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flux-dir", type=Path, required=True,
                        help="folder of the Honda tables; downloaded there with pip when absent")
    parser.add_argument("--n-generator", type=int, default=2000, help="events timed for the generator alone")
    parser.add_argument("--n-detector", type=int, default=100, help="events timed for generator plus detector")
    parser.add_argument("--geometry-csv", type=Path, default=None, help="JUNO PMT positions (id x y z theta phi)")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args()


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    args = parse_args()
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    sample = config["samples"]["atmospheric"]
    if not (args.flux_dir / nuflux_file_name(14)).is_file():
        fetch_honda_tables(args.flux_dir, checksums=sample["flux"]["sha256"])
    source = AtmosphericSource(sample, args.flux_dir)
    results = {"n_generator": args.n_generator, "n_detector": args.n_detector}

    source.generate(0, event_rng(args.seed, "atmospheric", 0))
    started, started_cpu = time.perf_counter(), time.process_time()
    for event_id in range(args.n_generator):
        source.generate(event_id, event_rng(args.seed, "atmospheric", event_id))
    results["generator_events_per_wall_s"] = args.n_generator / (time.perf_counter() - started)
    results["generator_events_per_cpu_s"] = args.n_generator / (time.process_time() - started_cpu)

    from junoml.detector.geometry import build_geometry
    from junoml.detector.params import DetectorParams
    from junoml.detector.simulation import Detector

    geometry = dict(config["geometry"])
    if args.geometry_csv:
        geometry["pmt_positions_csv"] = str(args.geometry_csv)
    detector = Detector(build_geometry(geometry, config["detector"], seed=args.seed),
                        DetectorParams.from_config(config["detector"]))
    rng = event_rng(args.seed, "atmospheric", 0)
    detector.simulate_event(source.generate(0, rng)[1], rng)

    seconds, visible, pulses = [], [], []
    started_cpu = time.process_time()
    for event_id in range(args.n_detector):
        rng = event_rng(args.seed, "atmospheric", event_id)
        started = time.perf_counter()
        truth, particles = source.generate(event_id, rng)
        result = detector.simulate_event(particles, rng)
        seconds.append(time.perf_counter() - started)
        visible.append(result.visible_energy_mev)
        pulses.append(len(result.pmt_id))
    cpu_seconds = time.process_time() - started_cpu
    seconds = np.array(seconds)
    results.update({
        "generator_plus_detector_events_per_wall_s": args.n_detector / seconds.sum(),
        "generator_plus_detector_events_per_cpu_s": args.n_detector / cpu_seconds,
        "wall_seconds_per_event_median": float(np.median(seconds)),
        "wall_seconds_per_event_max": float(seconds.max()),
        "visible_energy_mev_median": float(np.median(visible)),
        "pulses_per_event_median": float(np.median(pulses)),
    })
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
