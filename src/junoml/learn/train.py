"""Train a network model on one task, with per-epoch checkpoints that a rerun resumes from."""

import csv
import hashlib
import json
import logging
import math
import os
import random
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm import tqdm

from junoml.grid.store import GridStore
from junoml.io.atomic import atomic_output
from junoml.learn import distributed
from junoml.learn import tasks as task_defs
from junoml.learn.data import EpochPermutationSampler, GridDataset, Normalisation, make_loader, normalisation_from_meta, read_split
from junoml.learn.metrics import opening_angle_deg
from junoml.learn.nets import build_network, count_parameters, resolve_architecture
from junoml.learn.runtime import autocast, memory_format, predict_outputs, select_device, set_cpu_threads, show_progress_bar, to_device
from junoml.learn.settings import TrainingSettings
from junoml.rng import sample_key

log = logging.getLogger(__name__)

CHECKPOINT_NAME = "checkpoint_last.pt"
MODEL_NAME = "model.pt"
LOG_NAME = "training_log.csv"
LOG_COLUMNS = ("epoch", "train_loss", "val_loss", "val_metric", "learning_rate", "seconds", "events_per_s")
CHECKPOINT_FORMAT = 1


class CheckpointMismatchError(RuntimeError):
    """The checkpoint in out_dir was written for another config, architecture or split."""


def train_model(
    task: str,
    model: str,
    *,
    grid_prefixes: list,
    split_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    params: dict,
    on_epoch_end=None,
) -> dict:
    """Train `model` on `task` and write model.pt, training_log.csv and checkpoint_last.pt to out_dir.

    Resumes from out_dir/checkpoint_last.pt when it exists and its fingerprint matches.

    Inside a torchrun launch (junoml.learn.distributed.launch_torchrun, with as many processes as
    training.n_gpus) every process trains a DistributedDataParallel copy on its share of each
    global batch of training.batch_size events; only rank 0 writes files, the others wait for it.

    Args:
        task: muon_direction, nu_direction or flavour.
        model: r2plus1d, conv3d or cnn2d.
        grid_prefixes: shard prefixes results/grid/{sample}/{chunk} of the task's sample.
        split_dir: folder with train.parquet and val.parquet.
        out_dir: results/models/{task}/{model}/.
        params: {"seed": int, "models": the `models` config section, "training": the `training` section}.
        on_epoch_end: optional callable, given the log row of each finished epoch after its checkpoint is written.
    Returns:
        A summary: epochs run, best epoch, best validation loss and metric, parameter count,
        device, training throughput (events/s) and the fraction of step time spent waiting for data.
    Raises:
        CheckpointMismatchError: checkpoint_last.pt belongs to another config or split.
        ValueError: the number of processes differs from training.n_gpus.
    """
    task_defs.check_task(task)
    if "seed" not in params:
        raise KeyError("params needs 'seed' (the global seed of the config)")
    settings = TrainingSettings.from_dict(params.get("training"))
    context = distributed.current_context()
    if context.world_size != settings.n_gpus:
        raise ValueError(
            f"training.n_gpus = {settings.n_gpus} but {context.world_size} process(es) are running; "
            "start n_gpus processes through junoml.jobs.train_job or junoml.learn.distributed.launch_torchrun"
        )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    seed = int(params["seed"]) ^ sample_key(f"{task}/{model}")

    if context.is_distributed:
        device = context.device
    else:
        device = select_device(settings.device, on_missing_gpu=settings.on_missing_gpu, key="training")
    set_cpu_threads(device, settings.cpu_threads)
    fmt = memory_format(model, device)
    store = GridStore(grid_prefixes)
    normalisation = normalisation_from_meta(store.meta, time_integrate=model == "cnn2d")
    layout = task_defs.head_layout(task, settings)
    architecture = resolve_architecture(model, params.get("models", {}), in_channels=normalisation.n_input_channels, n_outputs=layout.n_outputs, grid_hw=store.shape[2:])

    train_table, train_path = read_split(split_dir, "train")
    val_table, val_path = read_split(split_dir, "val")
    for table, path in ((train_table, train_path), (val_table, val_path)):
        if table.empty:
            raise ValueError(f"{path} contains no events; check the task's split_sizes and rerun the 'split' rule")
    train_targets = task_defs.targets_from_table(task, train_table, settings, source=str(train_path))
    val_targets = task_defs.targets_from_table(task, val_table, settings, source=str(val_path))
    class_weights = None
    if task == "flavour" and settings.class_weights:
        class_weights = torch.from_numpy(task_defs.class_weights_from_labels(train_targets["label"])).to(device)
        log.info("class weights %s for %s", class_weights.tolist(), task_defs.CLASS_NAMES)

    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    random.seed(seed)
    network = build_network(architecture).to(device).to(memory_format=fmt)
    n_parameters = count_parameters(network)
    train_network = distributed.wrap_model(network, context)
    if context.is_distributed:
        # Dropout masks of the processes must differ; the weights come from rank 0 (DDP broadcast).
        torch.manual_seed(_rank_seed(seed, context.rank))
    log.info("%s/%s: %d parameters, %d training and %d validation events, device %s", task, model, n_parameters, len(train_table), len(val_table), device)

    train_set = GridDataset(store, train_table["event_id"].to_numpy(), train_targets, normalisation)
    val_set = GridDataset(store, val_table["event_id"].to_numpy(), val_targets, normalisation)
    azimuth_columns = int(store.shape[-1]) if settings.augment_azimuth else 0
    sampler = EpochPermutationSampler(len(train_set), seed=seed, azimuth_columns=azimuth_columns)
    if context.is_distributed:
        sampler = distributed.GlobalBatchShardSampler(sampler, global_batch_size=settings.batch_size, context=context)
        if len(sampler) == 0:
            raise ValueError(f"{train_path} contains {len(train_set)} events, fewer than one global batch of training.batch_size = {settings.batch_size}; lower batch_size")
    pin = device.type == "cuda"
    train_loader = make_loader(train_set, batch_size=context.shard_size(settings.batch_size), num_workers=settings.num_workers, pin_memory=pin, sampler=sampler)
    val_loader = make_loader(val_set, batch_size=settings.eval_batch_size, num_workers=settings.num_workers, pin_memory=pin)

    optimizer = torch.optim.AdamW(network.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay)
    scheduler = _make_scheduler(optimizer, settings, steps_per_epoch=len(train_loader))

    fingerprint_inputs = {
        "task": task,
        "model": model,
        "seed": int(params["seed"]),
        "architecture": architecture,
        "training": settings.result_dict(),
        "normalisation": normalisation.to_dict(),
        "train_events": _hash_ids(train_table["event_id"]),
        "val_events": _hash_ids(val_table["event_id"]),
    }
    fingerprint = _fingerprint(fingerprint_inputs)
    state = _initial_state(network)
    checkpoint_path = out_dir / CHECKPOINT_NAME
    stale = checkpoint_path.exists() and _finished_elsewhere(checkpoint_path, fingerprint)
    # Every process has read the checkpoint before rank 0 may delete it.
    distributed.barrier(context)
    if stale and context.is_main:
        # A finished training of another setup has no work left to resume. A config change reruns
        # the rule, so the new training starts from scratch.
        log.info("%s belongs to a finished training of another setup; training from scratch", checkpoint_path)
        checkpoint_path.unlink()
    distributed.barrier(context)
    if checkpoint_path.exists():
        state = _resume(checkpoint_path, fingerprint, fingerprint_inputs, network, optimizer, scheduler, context)

    loop = _EpochLoop(task, network, train_network, layout, settings, device, fmt, class_weights, context)
    while not state["finished"]:
        epoch = state["epoch"] + 1
        sampler.set_epoch(epoch)
        row = loop.run_epoch(epoch, train_loader, val_loader, optimizer, scheduler)
        _update_state(state, row, network, settings)
        # Every process gives its random state, so that each continues its own streams on resume.
        rng_ranks = distributed.gather_objects(_rng_states(), context) if context.is_distributed else None
        if context.is_main:
            _write_checkpoint(checkpoint_path, state, fingerprint, fingerprint_inputs, network, optimizer, scheduler, rng_ranks=rng_ranks)
            _write_log(out_dir / LOG_NAME, state["log_rows"])
        distributed.barrier(context)
        if on_epoch_end is not None:
            on_epoch_end(row)

    if context.is_main:
        _write_log(out_dir / LOG_NAME, state["log_rows"])
        _write_model(out_dir / MODEL_NAME, state, task, model, architecture, normalisation, settings, fingerprint)
    distributed.barrier(context)
    store.close()

    best_row = state["log_rows"][state["best_epoch"] - 1]
    summary = {
        "task": task,
        "model": model,
        "epochs": state["epoch"],
        "best_epoch": state["best_epoch"],
        "best_val_loss": state["best_val_loss"],
        "best_val_metric": best_row["val_metric"],
        "n_parameters": n_parameters,
        "device": str(device),
        "processes": context.world_size,
        "events_per_s": float(np.mean([r["events_per_s"] for r in state["log_rows"]])),
        "data_wait_fraction": loop.data_wait_fraction,
    }
    log.info("%s/%s finished: %s", task, model, summary)
    return summary


class _EpochLoop:
    """One training epoch plus validation; tracks the time spent waiting for data.

    `train_network` is the module that takes the training steps (DDP around `network` on several
    processes); validation runs `network` itself, on every process over the whole validation split.
    """

    def __init__(self, task, network, train_network, layout, settings, device, fmt, class_weights, context):
        self.task = task
        self.network = network
        self.train_network = train_network
        self.context = context
        self.layout = layout
        self.settings = settings
        self.device = device
        self.fmt = fmt
        self.class_weights = class_weights
        self.wait_seconds = 0.0
        self.step_seconds = 0.0

    @property
    def data_wait_fraction(self) -> float | None:
        """Fraction of training step time spent waiting for the next batch (this process only)."""
        return self.wait_seconds / self.step_seconds if self.step_seconds > 0 else None

    def run_epoch(self, epoch: int, train_loader, val_loader, optimizer, scheduler) -> dict:
        start = time.perf_counter()
        train_loss, n_events, wait = self._train(epoch, train_loader, optimizer, scheduler)
        train_seconds = time.perf_counter() - start
        if self.context.is_distributed:
            # The shards are equal, so the mean of the processes' means is the global batch mean.
            train_loss = distributed.all_reduce_mean(train_loss, self.context)
            n_events *= self.context.world_size
            train_seconds = distributed.all_reduce_mean(train_seconds, self.context)
            # Each process updated its batch-norm statistics from its own shard, so all validate with rank 0's.
            distributed.broadcast_buffers(self.network, self.context)
        val_loss, val_metric = self._validate(val_loader)
        # Equal on every process; the mean makes the numbers behind early stopping bit-identical.
        val_loss = distributed.all_reduce_mean(val_loss, self.context)
        val_metric = distributed.all_reduce_mean(val_metric, self.context)
        row = {
            "epoch": epoch,
            "train_loss": train_loss,
            "val_loss": val_loss,
            "val_metric": val_metric,
            "learning_rate": optimizer.param_groups[0]["lr"],
            "seconds": time.perf_counter() - start,
            "events_per_s": n_events / max(train_seconds, 1e-9),
        }
        log.info(
            "epoch %d: train_loss %.4f, val_loss %.4f, val_metric %.4f, lr %.2e, %.1f s, %.1f events/s, %.0f%% of step time waiting for data",
            epoch, train_loss, val_loss, val_metric, row["learning_rate"], row["seconds"], row["events_per_s"], 100 * wait / max(train_seconds, 1e-9),
        )
        return row

    def _train(self, epoch, loader, optimizer, scheduler) -> tuple[float, int, float]:
        self.train_network.train()
        total_loss, n_events, wait = 0.0, 0, 0.0
        batches = iter(loader)
        bar = tqdm(total=len(loader), desc=f"epoch {epoch}", unit="batch", disable=not show_progress_bar() or not self.context.is_main)
        for step in range(len(loader)):
            step_start = time.perf_counter()
            inputs, targets, _rows = next(batches)
            inputs = to_device(inputs, self.device, self.fmt)
            targets = {name: values.to(self.device, non_blocking=True) for name, values in targets.items()}
            wait += time.perf_counter() - step_start

            with autocast(self.device, bf16=self.settings.bf16):
                outputs = self.train_network(inputs)
            loss = task_defs.per_event_loss(self.task, outputs, targets, self.layout, self.settings, class_weights=self.class_weights).mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if self.settings.grad_clip_norm > 0:
                nn.utils.clip_grad_norm_(self.network.parameters(), self.settings.grad_clip_norm)
            optimizer.step()
            scheduler.step()

            batch_loss = loss.item()
            if not math.isfinite(batch_loss):
                raise FloatingPointError(f"epoch {epoch}, step {step}: training loss is {batch_loss}; lower training.learning_rate")
            total_loss += batch_loss * len(inputs)
            n_events += len(inputs)
            self.step_seconds += time.perf_counter() - step_start
            bar.update(1)
            if not bar.disable:
                bar.set_postfix(loss=f"{batch_loss:.4f}")
            elif (step + 1) % self.settings.log_every_steps == 0 and self.context.is_main:
                log.info("epoch %d: step %d of %d, loss %.4f", epoch, step + 1, len(loader), batch_loss)
        bar.close()
        self.wait_seconds += wait
        return total_loss / max(n_events, 1), n_events, wait

    def _validate(self, loader) -> tuple[float, float]:
        outputs, targets = predict_outputs(self.network, loader, device=self.device, fmt=self.fmt, bf16=self.settings.bf16, description="validation")
        loss = task_defs.per_event_loss(self.task, outputs, targets, self.layout, self.settings, class_weights=None if self.class_weights is None else self.class_weights.cpu())
        predictions = task_defs.predictions_from_outputs(self.task, outputs, self.layout)
        if self.task in task_defs.DIRECTION_TASKS:
            predicted = np.stack([predictions[f"pred_{c}"] for c in task_defs.DIRECTION_COLUMNS], axis=1)
            metric = float(np.median(opening_angle_deg(predicted, targets["direction"].numpy().astype(np.float64))))
        else:
            metric = float((predictions["pred_label"] == targets["label"].numpy()).mean())
        return float(loss.mean()), metric


def _make_scheduler(optimizer, settings: TrainingSettings, *, steps_per_epoch: int):
    total_steps = max(1, settings.max_epochs * steps_per_epoch)
    warmup_steps = min(total_steps - 1, round(settings.warmup_epochs * steps_per_epoch))
    if settings.schedule == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(
            optimizer,
            max_lr=settings.learning_rate,
            total_steps=total_steps,
            pct_start=max(warmup_steps, 1) / total_steps,
            final_div_factor=1.0 / settings.min_learning_rate_fraction / 25.0,
        )
    return torch.optim.lr_scheduler.LambdaLR(optimizer, _WarmupCosine(warmup_steps, total_steps, settings.min_learning_rate_fraction))


class _WarmupCosine:
    """Learning-rate factor: linear warm-up over warmup_steps, then cosine decay to min_fraction."""

    def __init__(self, warmup_steps: int, total_steps: int, min_fraction: float):
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps
        self.min_fraction = min_fraction

    def __call__(self, step: int) -> float:
        if step < self.warmup_steps:
            return (step + 1) / self.warmup_steps
        progress = min(1.0, (step - self.warmup_steps) / max(1, self.total_steps - self.warmup_steps))
        return self.min_fraction + (1.0 - self.min_fraction) * 0.5 * (1.0 + math.cos(math.pi * progress))


def _initial_state(network: nn.Module) -> dict:
    return {
        "epoch": 0,
        "best_val_loss": math.inf,
        "best_epoch": 0,
        "best_model": _cpu_state(network),
        "epochs_without_improvement": 0,
        "log_rows": [],
        "finished": False,
    }


def _update_state(state: dict, row: dict, network: nn.Module, settings: TrainingSettings) -> None:
    if not math.isfinite(row["val_loss"]):
        raise FloatingPointError(f"epoch {row['epoch']}: validation loss is {row['val_loss']}; lower training.learning_rate")
    state["epoch"] = row["epoch"]
    state["log_rows"].append(row)
    if row["val_loss"] < state["best_val_loss"] - settings.early_stopping_min_delta:
        state["best_val_loss"] = row["val_loss"]
        state["best_epoch"] = row["epoch"]
        state["best_model"] = _cpu_state(network)
        state["epochs_without_improvement"] = 0
    else:
        state["epochs_without_improvement"] += 1
    if state["epoch"] >= settings.max_epochs:
        state["finished"] = True
    elif state["epochs_without_improvement"] >= settings.early_stopping_patience:
        log.info("early stopping after epoch %d: no validation loss improvement for %d epochs (best %.4f at epoch %d)", state["epoch"], settings.early_stopping_patience, state["best_val_loss"], state["best_epoch"])
        state["finished"] = True


def _cpu_state(network: nn.Module) -> dict:
    return {name: value.detach().to("cpu", copy=True) for name, value in network.state_dict().items()}


def _rank_seed(seed: int, rank: int) -> int:
    """Return the torch seed of one process of a data-parallel run (a 63-bit integer)."""
    return int(np.random.SeedSequence([seed, rank]).generate_state(2, dtype=np.uint64)[0] >> np.uint64(1))


def _hash_ids(event_ids: pd.Series) -> str:
    return hashlib.sha256(np.ascontiguousarray(event_ids.to_numpy(np.int64)).tobytes()).hexdigest()


def _fingerprint(inputs: dict) -> str:
    return hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()


def _rng_states() -> dict:
    numpy_state = np.random.get_state()
    python_version, python_internal, python_gauss = random.getstate()
    return {
        "torch": torch.get_rng_state(),
        "torch_cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "numpy": {"name": numpy_state[0], "keys": torch.from_numpy(numpy_state[1].astype(np.int64)), "pos": int(numpy_state[2]), "has_gauss": int(numpy_state[3]), "cached_gaussian": float(numpy_state[4])},
        "python": {"version": python_version, "internal": list(python_internal), "gauss_next": python_gauss},
    }


def _restore_rng_states(states: dict) -> None:
    torch.set_rng_state(states["torch"])
    if torch.cuda.is_available() and states["torch_cuda"]:
        torch.cuda.set_rng_state_all(states["torch_cuda"])
    numpy_state = states["numpy"]
    np.random.set_state((numpy_state["name"], numpy_state["keys"].numpy().astype(np.uint32), numpy_state["pos"], numpy_state["has_gauss"], numpy_state["cached_gaussian"]))
    python_state = states["python"]
    random.setstate((python_state["version"], tuple(python_state["internal"]), python_state["gauss_next"]))


def _finished_elsewhere(path: Path, fingerprint: str) -> bool:
    """Return whether the checkpoint at path records a finished training with another fingerprint."""
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    return bool(checkpoint.get("finished")) and checkpoint.get("fingerprint") != fingerprint


def _write_checkpoint(path: Path, state: dict, fingerprint: str, fingerprint_inputs: dict, network, optimizer, scheduler, *, rng_ranks: list | None = None) -> None:
    """Write the resumable state; rng_ranks contains the random states of every process of a data-parallel run."""
    checkpoint = {
        "format": CHECKPOINT_FORMAT,
        "fingerprint": fingerprint,
        # JSON text, so that a mismatch can be explained key by key without unpickling objects.
        "fingerprint_inputs": json.dumps(fingerprint_inputs, sort_keys=True, default=str),
        "model": _cpu_state(network),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "rng": _rng_states(),
        # The data order of epoch e is a permutation seeded by (seed, e), so the epoch number fixes it.
        "data_order": {"next_epoch": state["epoch"] + 1},
        **state,
    }
    if rng_ranks is not None:
        checkpoint["rng_ranks"] = rng_ranks
    with atomic_output(path) as tmp:
        torch.save(checkpoint, tmp)
    log.info("checkpoint after epoch %d written to %s", state["epoch"], path)


def _resume(path: Path, fingerprint: str, fingerprint_inputs: dict, network, optimizer, scheduler, context: distributed.DistributedContext) -> dict:
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    if checkpoint.get("format") != CHECKPOINT_FORMAT or checkpoint.get("fingerprint") != fingerprint:
        stored = json.loads(checkpoint.get("fingerprint_inputs", "{}"))
        current = json.loads(json.dumps(fingerprint_inputs, sort_keys=True, default=str))
        differing = sorted(key for key in set(stored) | set(current) if stored.get(key) != current.get(key))
        raise CheckpointMismatchError(
            f"{path} was written for another setup (differing: {differing or ['checkpoint format']}); "
            "restore the config and splits it was trained with, or delete the checkpoint to train from scratch"
        )
    network.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    rng_ranks = checkpoint.get("rng_ranks", [])
    if context.is_distributed and len(rng_ranks) == context.world_size:
        _restore_rng_states(rng_ranks[context.rank])
    else:
        _restore_rng_states(checkpoint["rng"])
        if context.is_distributed:
            # A checkpoint of another process count: give each process its own stream again.
            torch.manual_seed(_rank_seed(int(torch.randint(2**62, (1,))), context.rank))
    log.info("resuming from %s after epoch %d (best validation loss %.4f at epoch %d)", path, checkpoint["epoch"], checkpoint["best_val_loss"], checkpoint["best_epoch"])
    return {key: checkpoint[key] for key in ("epoch", "best_val_loss", "best_epoch", "best_model", "epochs_without_improvement", "log_rows", "finished")}


def _write_log(path: Path, rows: list[dict]) -> None:
    with atomic_output(path) as tmp:
        with open(tmp, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=LOG_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)


def _write_model(path: Path, state: dict, task: str, model: str, architecture: dict, normalisation: Normalisation, settings: TrainingSettings, fingerprint: str) -> None:
    layout = task_defs.head_layout(task, settings)
    payload = {
        "task": task,
        "model": model,
        "architecture": json.dumps(architecture),
        "normalisation": json.dumps(normalisation.to_dict()),
        "training": json.dumps(settings.result_dict()),
        "head_layout": json.dumps({"kappa": layout.kappa, "visible_energy": layout.visible_energy, "vertex": None if layout.vertex is None else [layout.vertex.start, layout.vertex.stop]}),
        "state_dict": state["best_model"],
        "best_epoch": state["best_epoch"],
        "best_val_loss": state["best_val_loss"],
        "fingerprint": fingerprint,
    }
    with atomic_output(path) as tmp:
        torch.save(payload, tmp)
    log.info("best weights (epoch %d) written to %s", state["best_epoch"], path)


def load_trained_model(model_dir: str | os.PathLike, *, device: torch.device) -> tuple[nn.Module, dict]:
    """Load model.pt from a model folder; return the network in eval mode and its metadata (task, architecture, normalisation, training settings)."""
    path = Path(model_dir) / MODEL_NAME
    if not path.exists():
        raise FileNotFoundError(f"trained model not found: {path}; run the 'train' rule for this task and model first")
    payload = torch.load(path, map_location="cpu", weights_only=True)
    meta = {
        "task": payload["task"],
        "model": payload["model"],
        "architecture": json.loads(payload["architecture"]),
        "normalisation": Normalisation.from_dict(json.loads(payload["normalisation"])),
        "training": TrainingSettings.from_dict(json.loads(payload["training"])),
        "best_epoch": payload["best_epoch"],
    }
    network = build_network(meta["architecture"])
    network.load_state_dict(payload["state_dict"])
    network.to(device).to(memory_format=memory_format(meta["model"], device)).eval()
    return network, meta
