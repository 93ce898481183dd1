"""Training throughput (events/s) and peak memory of r2plus1d and conv3d side by side, on the CPU.

Each model runs in its own child process, so that the peak resident memory (ru_maxrss) of one
does not hide the other's. Inputs are random tensors of the full-config grid shape; the models
and optimiser come from the `models` and `training` sections of the config.

    .venv/bin/python benchmarks/bench_training.py --config config/config.yaml --batch-size 4 --steps 3
"""

import argparse
import json
import logging
import resource
import subprocess
import sys
import time

import torch
import yaml

from junoml.learn import tasks as task_defs
from junoml.learn.nets import build_network, count_parameters, resolve_architecture
from junoml.learn.settings import TrainingSettings

log = logging.getLogger("bench_training")


def measure(model: str, *, config: dict, shape: list[int], batch_size: int, steps: int, threads: int) -> dict:
    """Time `steps` optimiser steps (after one warm-up step) of `model` on the muon_direction task."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    settings = TrainingSettings.from_dict(config.get("training"))
    layout = task_defs.head_layout("muon_direction", settings)
    architecture = resolve_architecture(model, config["models"], in_channels=shape[0], n_outputs=layout.n_outputs, grid_hw=shape[2:])
    network = build_network(architecture)
    optimizer = torch.optim.AdamW(network.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay)
    inputs = torch.rand(batch_size, *shape)
    targets = {"direction": torch.nn.functional.normalize(torch.randn(batch_size, 3), dim=1)}

    def step() -> None:
        loss = task_defs.per_event_loss("muon_direction", network(inputs), targets, layout, settings).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    seconds = time.perf_counter() - start
    return {
        "model": model,
        "parameters": count_parameters(network),
        "stage_channels": architecture["stage_channels"],
        "input_shape": shape,
        "batch_size": batch_size,
        "threads": threads,
        "events_per_s": steps * batch_size / seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="config/config.yaml", help="config with models, training and grid sections")
    parser.add_argument("--batch-size", type=int, default=4, help="events per step")
    parser.add_argument("--steps", type=int, default=3, help="timed steps per model, after one warm-up step")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--models", nargs="+", default=["r2plus1d", "conv3d"])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    with open(args.config) as handle:
        config = yaml.safe_load(handle)
    grid = config["grid"]
    shape = [len(grid["channels"]), grid["n_time_bins"], grid["height"], grid["width"]]

    if args.child:
        result = measure(args.child, config=config, shape=shape, batch_size=args.batch_size, steps=args.steps, threads=args.threads)
        print(json.dumps(result))
        return

    results = []
    for model in args.models:
        command = [sys.executable, __file__, "--config", args.config, "--batch-size", str(args.batch_size), "--steps", str(args.steps), "--threads", str(args.threads), "--child", model]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        results.append(json.loads(output.strip().splitlines()[-1]))
        log.info("%s", results[-1])

    print("| model | parameters | input [C, T, H, W] | batch | threads | events/s | peak RSS (MB) |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['model']} | {r['parameters']:,} | {r['input_shape']} | {r['batch_size']} | {r['threads']} | {r['events_per_s']:.2f} | {r['peak_rss_mb']:.0f} |")


if __name__ == "__main__":
    main()
