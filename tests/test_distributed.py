"""Data-parallel training helpers: two gloo processes on the CPU reproduce single-process steps of the real r2plus1d net."""

import os
import socket
import sys
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp
from torch.utils.data import SequentialSampler

from junoml.learn import distributed
from junoml.learn.distributed import DistributedContext, GlobalBatchShardSampler
from junoml.learn.nets import ARCHITECTURE_KEYS, build_network, resolve_architecture

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


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
