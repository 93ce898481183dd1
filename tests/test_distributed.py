"""Data-parallel training: two gloo processes on the CPU reproduce single-process steps of the real r2plus1d net,
and the train job with training.n_gpus = 2 runs through torchrun to the same outputs as one process."""

import os
import socket
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch
import torch.multiprocessing as mp
from torch.utils.data import SequentialSampler

from junoml.jobs import train_job
from junoml.learn import distributed
from junoml.learn.distributed import DistributedContext, GlobalBatchShardSampler
from junoml.learn.nets import ARCHITECTURE_KEYS, build_network, resolve_architecture
from junoml.learn.settings import TrainingSettings
from junoml.learn.synthetic import write_synthetic_task
from junoml.learn.train import CHECKPOINT_NAME, LOG_NAME, MODEL_NAME, load_trained_model, train_model

WORLD_SIZE = 2
GLOBAL_BATCH = 8
# Input [C, T, H, W]: small enough for a CPU step in milliseconds, large enough for two strided stages.
INPUT_SHAPE = (2, 8, 8, 16)
N_OUTPUTS = 3
# Largest relative difference between the two-process and the single-process results: the norm of
# the difference over the norm of the reference, per parameter tensor. Float32 sums in another
# order stay far below it (about 1e-6 measured on the gradients).
RELATIVE_TOLERANCE = 1e-5
TINY_R2PLUS1D = {
    "stem_channels": 4,
    "stem_kernel_size": [3, 3, 3],
    "stem_stride": [1, 1, 1],
    "stage_channels": [4, 8],
    "blocks_per_stage": [1, 1],
    "stage_strides": [[1, 1, 1], [2, 2, 2]],
    "kernel_size": [3, 3, 3],
    "dropout": 0.2,
    "position_channels": False,
}


def build_tiny_net() -> torch.nn.Module:
    """Build the real r2plus1d net at tiny widths, with the same weights on every call."""
    section = {key: TINY_R2PLUS1D[key] for key in ARCHITECTURE_KEYS}
    architecture = resolve_architecture("r2plus1d", {"r2plus1d": section}, in_channels=INPUT_SHAPE[0], n_outputs=N_OUTPUTS, grid_hw=INPUT_SHAPE[2:])
    torch.manual_seed(1234)
    return build_network(architecture)


def make_batches(n_steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(99)
    inputs = torch.randn(n_steps * GLOBAL_BATCH, *INPUT_SHAPE, generator=generator)
    targets = torch.randn(n_steps * GLOBAL_BATCH, N_OUTPUTS, generator=generator)
    return inputs, targets


def train_steps(network: torch.nn.Module, train_module: torch.nn.Module, indices_per_step: list[list[int]]) -> list[dict]:
    """Run AdamW steps on the given events; return the gradients after the first step and the final weights."""
    inputs, targets = make_batches(len(indices_per_step))
    optimizer = torch.optim.AdamW(network.parameters(), lr=1e-2, weight_decay=0.05)
    network.eval()
    first_gradients = None
    for indices in indices_per_step:
        loss = torch.nn.functional.mse_loss(train_module(inputs[indices]), targets[indices])
        optimizer.zero_grad()
        loss.backward()
        if first_gradients is None:
            first_gradients = {name: p.grad.detach().clone() for name, p in network.named_parameters()}
        optimizer.step()
    weights = {name: p.detach().clone() for name, p in network.named_parameters()}
    return [first_gradients, weights]


def _worker(rank: int, port: int, out_dir: str, n_steps: int) -> None:
    """One process of the two-process run: join the gloo group, train, save rank's results."""
    torch.set_num_threads(1)
    os.environ.update({"RANK": str(rank), "LOCAL_RANK": str(rank), "WORLD_SIZE": str(WORLD_SIZE), "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port)})
    context = distributed.init_distributed(backend="gloo", device="cpu")
    try:
        network = build_tiny_net()
        train_module = distributed.wrap_model(network, context)
        sampler = GlobalBatchShardSampler(SequentialSampler(range(n_steps * GLOBAL_BATCH)), global_batch_size=GLOBAL_BATCH, context=context)
        order = list(sampler)
        shard = context.shard_size(GLOBAL_BATCH)
        indices_per_step = [order[step * shard : (step + 1) * shard] for step in range(n_steps)]
        torch.save(train_steps(network, train_module, indices_per_step), Path(out_dir) / f"rank{rank}.pt")
    finally:
        distributed.shutdown_distributed()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def relative_error(value: torch.Tensor, reference: torch.Tensor) -> float:
    return float((value - reference).norm() / reference.norm().clamp_min(1e-30))


@pytest.fixture(scope="module")
def two_process_results(tmp_path_factory) -> list:
    """Gradients of step 1 and weights after 2 steps, from each of the two gloo processes."""
    out_dir = tmp_path_factory.mktemp("ddp")
    mp.spawn(_worker, args=(free_port(), str(out_dir), 2), nprocs=WORLD_SIZE, join=True)
    return [torch.load(out_dir / f"rank{rank}.pt") for rank in range(WORLD_SIZE)]


@pytest.fixture(scope="module")
def single_process_results() -> list:
    torch.set_num_threads(1)
    network = build_tiny_net()
    return train_steps(network, network, [list(range(0, GLOBAL_BATCH)), list(range(GLOBAL_BATCH, 2 * GLOBAL_BATCH))])


def test_ddp_gradient_matches_single_process(two_process_results, single_process_results):
    gradients, reference = two_process_results[0][0], single_process_results[0]

    for name in reference:
        assert relative_error(gradients[name], reference[name]) < RELATIVE_TOLERANCE, name


def test_ddp_gradients_equal_on_both_ranks(two_process_results):
    rank0, rank1 = two_process_results[0][0], two_process_results[1][0]

    for name in rank0:
        assert torch.equal(rank0[name], rank1[name]), name


def test_ddp_two_steps_match_single_process(two_process_results, single_process_results):
    weights, reference = two_process_results[0][1], single_process_results[1]

    for name in reference:
        assert relative_error(weights[name], reference[name]) < RELATIVE_TOLERANCE, name


def test_ddp_two_steps_change_weights(single_process_results):
    initial = dict(build_tiny_net().named_parameters())
    weights = single_process_results[1]

    assert any(not torch.equal(weights[name], initial[name].detach()) for name in weights)


def test_shard_sampler_covers_global_batches():
    contexts = [DistributedContext(rank=rank, local_rank=rank, world_size=2) for rank in range(2)]
    shards = [list(GlobalBatchShardSampler(SequentialSampler(range(10)), global_batch_size=4, context=context)) for context in contexts]

    assert shards[0] == [0, 1, 4, 5]
    assert shards[1] == [2, 3, 6, 7]


def test_shard_sampler_length_drops_partial_batch():
    context = DistributedContext(rank=1, local_rank=1, world_size=2)
    sampler = GlobalBatchShardSampler(SequentialSampler(range(10)), global_batch_size=4, context=context)

    assert len(sampler) == 4


def test_shard_size_rejects_uneven_batch():
    context = DistributedContext(rank=0, local_rank=0, world_size=2)

    with pytest.raises(ValueError, match="multiple of the GPU count"):
        context.shard_size(5)


def test_init_without_torchrun_is_single_process(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    context = distributed.init_distributed(device="cpu")
    network = build_tiny_net()

    assert not context.is_distributed
    assert context.is_main
    assert distributed.wrap_model(network, context) is network
    distributed.shutdown_distributed()


def test_init_rejects_missing_torchrun_variables(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    for name in ("RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)

    with pytest.raises(KeyError, match="torchrun"):
        distributed.init_distributed(device="cpu")


def mean_rank_and_world_size() -> dict:
    """Run inside launch_torchrun's processes: the mean rank over the group and the group size."""
    context = distributed.current_context()
    return {"world_size": context.world_size, "mean_rank": distributed.all_reduce_mean(context.rank, context)}


def test_launch_torchrun_returns_rank0_result(monkeypatch):
    # The torchrun processes import this module by name, from the tests folder.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")

    result = distributed.launch_torchrun(f"{Path(__file__).stem}:mean_rank_and_world_size", {}, n_processes=2, timeout_s=120)

    assert result == {"world_size": 2, "mean_rank": 0.5}


def test_launch_torchrun_reports_failure():
    with pytest.raises(RuntimeError, match="failed with exit code"):
        distributed.launch_torchrun("junoml.learn.distributed:no_such_function", {}, n_processes=1, timeout_s=120)


def test_launch_rejects_zero_processes():
    with pytest.raises(ValueError, match="at least 1"):
        distributed.launch_torchrun("junoml.learn.train:train_model", {}, n_processes=0)


# ---- the train job with training.n_gpus = 2: torchrun, two gloo processes on the CPU -------------

JOB_SHAPE = (1, 4, 8, 16)
# 32 training events make 4 global batches of 8, so no epoch drops an incomplete batch and both
# runs take the same optimiser steps on the same events.
JOB_SPLITS = {"train": 32, "val": 16, "test": 8}
JOB_MODELS = {"r2plus1d": {**TINY_R2PLUS1D, "stage_channels": [8], "blocks_per_stage": [1], "stage_strides": [[2, 2, 2]], "dropout": 0.0, "position_channels": True}}
JOB_TRAINING = {"batch_size": 8, "max_epochs": 2, "num_workers": 0, "cpu_threads": 1, "learning_rate": 3e-3, "warmup_epochs": 0.5, "device": "cpu"}
# Tolerances of the two-process log against the one-process log. Batch norm trains in training
# mode, so each process normalises over its 4 events instead of the global 8. Dropout is off, so
# nothing else differs beyond float rounding. Measured with these settings (2 epochs): training
# loss up to 2.4%, validation loss 0.06% and median opening angle 0.4% apart. The tolerances are
# about twice the training-loss and 2.5 times the opening-angle difference.
TRAIN_LOSS_RTOL = 0.05
VALIDATION_RTOL = 0.01
# The same process count resumes to the same numbers; float32 rounding is the only difference allowed.
RESUME_RTOL = 1e-6
LOGGED_RESULTS = ["epoch", "train_loss", "val_loss", "val_metric", "learning_rate"]


@pytest.fixture(scope="module")
def job_inputs(tmp_path_factory) -> dict:
    prefixes, split_dir = write_synthetic_task(tmp_path_factory.mktemp("ddp_job"), shape=JOB_SHAPE, split_sizes=JOB_SPLITS, seed=3, chunk_size=40)
    inputs = {name: str(split_dir / f"{name}.parquet") for name in ("train", "val", "test")}
    inputs["grid"] = [f"{prefix}.grid" for prefix in prefixes]
    return inputs


@pytest.fixture(scope="module")
def launch_environment():
    """One torch thread per process, and this folder on the path of the torchrun processes."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OMP_NUM_THREADS", "1")
        patch.setenv("PYTHONPATH", os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")]))
        yield


def run_train_job(inputs: dict, model_dir: Path, **training) -> dict:
    params = {"seed": 11, "model": JOB_MODELS, "training": {**JOB_TRAINING, **training}, "task": {}}
    return train_job("muon_direction", "r2plus1d", inputs=inputs, out_summary=model_dir / "training_summary.json", out_log=model_dir / LOG_NAME, params=params)


class Interrupt(Exception):
    pass


def train_until_first_epoch_ends(**kwargs) -> None:
    """Run inside launch_torchrun's processes: train_model, stopped by an exception after epoch 1 like a killed job."""

    def stop(row: dict) -> None:
        if row["epoch"] == 1:
            raise Interrupt

    train_model(on_epoch_end=stop, **kwargs)


@pytest.fixture(scope="module")
def one_process_job(job_inputs, tmp_path_factory) -> Path:
    model_dir = tmp_path_factory.mktemp("one_process")
    run_train_job(job_inputs, model_dir)
    return model_dir


@pytest.fixture(scope="module")
def two_process_job(job_inputs, launch_environment, tmp_path_factory) -> Path:
    model_dir = tmp_path_factory.mktemp("two_processes")
    run_train_job(job_inputs, model_dir, n_gpus=2)
    return model_dir


@pytest.fixture(scope="module")
def resumed_two_process_job(job_inputs, launch_environment, tmp_path_factory) -> Path:
    """Two processes stopped after epoch 1, then the train job rerun in the same folder."""
    model_dir = tmp_path_factory.mktemp("two_processes_resumed")
    kwargs = {
        "task": "muon_direction",
        "model": "r2plus1d",
        "grid_prefixes": [path.removesuffix(".grid") for path in job_inputs["grid"]],
        "split_dir": str(Path(job_inputs["train"]).parent),
        "out_dir": str(model_dir),
        "params": {"seed": 11, "models": JOB_MODELS, "training": {**JOB_TRAINING, "n_gpus": 2}},
    }
    with pytest.raises(RuntimeError, match="failed with exit code"):
        distributed.launch_torchrun(f"{Path(__file__).stem}:train_until_first_epoch_ends", kwargs, n_processes=2, device="cpu", timeout_s=120)
    assert len(pd.read_csv(model_dir / LOG_NAME)) == 1
    run_train_job(job_inputs, model_dir, n_gpus=2)
    return model_dir


def output_names(model_dir: Path) -> set[str]:
    return {path.name for path in model_dir.iterdir()}


def test_two_process_job_writes_same_files(one_process_job, two_process_job):
    assert output_names(two_process_job) == output_names(one_process_job)


def test_two_process_job_writes_model_and_checkpoint(two_process_job):
    assert {MODEL_NAME, CHECKPOINT_NAME, LOG_NAME} <= output_names(two_process_job)


def test_two_process_job_summary_counts_processes(two_process_job):
    summary = pd.read_json(two_process_job / "training_summary.json", typ="series")

    assert summary["processes"] == 2


def test_two_process_job_runs_same_epochs_and_schedule(one_process_job, two_process_job):
    two = pd.read_csv(two_process_job / LOG_NAME)
    single = pd.read_csv(one_process_job / LOG_NAME)

    pd.testing.assert_frame_equal(two[["epoch", "learning_rate"]], single[["epoch", "learning_rate"]], check_exact=False, rtol=1e-12)


def test_two_process_job_training_loss_matches_one_process(one_process_job, two_process_job):
    two = pd.read_csv(two_process_job / LOG_NAME)
    single = pd.read_csv(one_process_job / LOG_NAME)

    pd.testing.assert_series_equal(two["train_loss"], single["train_loss"], check_exact=False, rtol=TRAIN_LOSS_RTOL)


def test_two_process_job_validation_matches_one_process(one_process_job, two_process_job):
    two = pd.read_csv(two_process_job / LOG_NAME)
    single = pd.read_csv(one_process_job / LOG_NAME)

    pd.testing.assert_frame_equal(two[["val_loss", "val_metric"]], single[["val_loss", "val_metric"]], check_exact=False, rtol=VALIDATION_RTOL)


def test_two_process_model_loads_like_one_process(one_process_job, two_process_job):
    network, meta = load_trained_model(two_process_job, device=torch.device("cpu"))
    reference, reference_meta = load_trained_model(one_process_job, device=torch.device("cpu"))

    assert network.state_dict().keys() == reference.state_dict().keys()
    assert meta["training"] == reference_meta["training"]


def test_two_process_job_keeps_fingerprint_of_one_process(one_process_job, two_process_job):
    two = torch.load(two_process_job / CHECKPOINT_NAME, weights_only=True)
    single = torch.load(one_process_job / CHECKPOINT_NAME, weights_only=True)

    assert two["fingerprint"] == single["fingerprint"]


def test_two_process_checkpoint_keeps_rank_rng_states(two_process_job):
    checkpoint = torch.load(two_process_job / CHECKPOINT_NAME, weights_only=True)

    assert len(checkpoint["rng_ranks"]) == 2
    assert not torch.equal(checkpoint["rng_ranks"][0]["torch"], checkpoint["rng_ranks"][1]["torch"])


def test_two_process_resume_matches_uninterrupted_log(two_process_job, resumed_two_process_job):
    resumed = pd.read_csv(resumed_two_process_job / LOG_NAME)[LOGGED_RESULTS]
    uninterrupted = pd.read_csv(two_process_job / LOG_NAME)[LOGGED_RESULTS]

    pd.testing.assert_frame_equal(resumed, uninterrupted, check_exact=False, rtol=RESUME_RTOL)


def test_two_process_resume_matches_uninterrupted_weights(two_process_job, resumed_two_process_job):
    resumed = torch.load(resumed_two_process_job / MODEL_NAME, weights_only=True)["state_dict"]
    uninterrupted = torch.load(two_process_job / MODEL_NAME, weights_only=True)["state_dict"]

    for name in uninterrupted:
        assert torch.allclose(resumed[name].double(), uninterrupted[name].double(), rtol=RESUME_RTOL, atol=1e-9), name


def test_train_model_rejects_n_gpus_without_torchrun(job_inputs, tmp_path):
    params = {"seed": 11, "models": JOB_MODELS, "training": {**JOB_TRAINING, "n_gpus": 2}}

    with pytest.raises(ValueError, match="launch_torchrun"):
        train_model("muon_direction", "r2plus1d", grid_prefixes=[path.removesuffix(".grid") for path in job_inputs["grid"]], split_dir=Path(job_inputs["train"]).parent, out_dir=tmp_path, params=params)


def test_settings_reject_batch_not_divisible_by_n_gpus():
    with pytest.raises(ValueError, match="multiple of n_gpus"):
        TrainingSettings.from_dict({"batch_size": 6, "n_gpus": 4})


def test_settings_leave_n_gpus_out_of_fingerprint():
    assert "n_gpus" not in TrainingSettings(n_gpus=2).result_dict()


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
