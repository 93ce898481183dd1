"""Data-parallel training on the GPUs of one node: torchrun launch, process group, DDP wrapper and batch sharding.

One process runs per GPU, and every process keeps a full copy of the model. Each optimiser step
takes one global batch of `training.batch_size` events from the single-process order
(EpochPermutationSampler) and gives each process an equal, contiguous shard of it.
DistributedDataParallel then averages the gradients. With batch norm in eval mode (or synchronised batch norm) a step therefore equals the
single-process step on the same global batch, up to float rounding.

Use from the training code:

    context = current_context()                    # single process unless launched by torchrun
    train_network = wrap_model(network, context)   # DDP around `network` on several processes
    sampler = GlobalBatchShardSampler(base_sampler, global_batch_size=..., context=context)
    loader = make_loader(..., batch_size=context.shard_size(global_batch_size), sampler=sampler)
    ...  # forward and backward through train_network, validate and save `network` itself
    if context.is_main: write outputs

and from a job script, to train on N GPUs: `launch_torchrun("junoml.learn.train:train_model", kwargs, n_processes=N)`.
"""

import argparse
import collections
import dataclasses
import importlib
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import Sampler

log = logging.getLogger(__name__)

# Environment variables that torchrun sets in every process it starts (PyTorch elastic launch docs).
TORCHRUN_VARIABLES = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")
# Lines of a failed launch's output repeated in the exception message.
FAILURE_TAIL_LINES = 40


@dataclass(frozen=True)
class DistributedContext:
    """Position of this process in a data-parallel run.

    Attributes:
        rank: index of this process among all processes, 0 to world_size - 1.
        local_rank: index on this node; it selects the GPU, cuda:local_rank.
        world_size: number of processes (GPUs); 1 outside torchrun.
        device: the device this process trains on.
        backend: "nccl" (GPUs), "gloo" (CPU) or None for a single process.
    """

    rank: int = 0
    local_rank: int = 0
    world_size: int = 1
    device: torch.device = dataclasses.field(default_factory=lambda: torch.device("cpu"))
    backend: str | None = None

    @property
    def is_distributed(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """True for the process that writes outputs and logs progress (rank 0)."""
        return self.rank == 0

    def shard_size(self, global_batch_size: int) -> int:
        """Return the events per process of one global batch.

        Raises:
            ValueError: global_batch_size is not a multiple of world_size.
        """
        if global_batch_size < 1 or global_batch_size % self.world_size:
            raise ValueError(
                f"training.batch_size = {global_batch_size} cannot be split evenly over {self.world_size} processes; "
                f"set it to a multiple of the GPU count, e.g. {max(1, global_batch_size // self.world_size) * self.world_size}"
            )
        return global_batch_size // self.world_size


_context: DistributedContext | None = None


def init_distributed(*, backend: str | None = None, device: str = "auto") -> DistributedContext:
    """Join the process group that torchrun set up through its environment variables.

    Outside torchrun (no WORLD_SIZE, or WORLD_SIZE=1) this only returns a single-process context.
    The context is stored for current_context().

    Args:
        backend: "nccl" or "gloo"; None picks nccl when CUDA is available, else gloo.
        device: "auto" (cuda:LOCAL_RANK when CUDA is available, else the CPU), "cuda" or "cpu".
    Raises:
        KeyError: WORLD_SIZE > 1 but another torchrun variable is missing.
        RuntimeError: a process group already exists.
    """
    global _context
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        _context = DistributedContext(device=_select_device(device, local_rank=0))
        return _context

    missing = [name for name in TORCHRUN_VARIABLES if name not in os.environ]
    if missing:
        raise KeyError(f"WORLD_SIZE={world_size} but the environment lacks {missing}; start the processes with torchrun")
    if dist.is_initialized():
        raise RuntimeError("a torch.distributed process group already exists; call init_distributed() once per process")

    rank = int(os.environ["RANK"])
    local_rank = int(os.environ["LOCAL_RANK"])
    selected = _select_device(device, local_rank=local_rank)
    if backend is None:
        backend = "nccl" if selected.type == "cuda" else "gloo"
    if selected.type == "cuda":
        torch.cuda.set_device(selected)
    dist.init_process_group(backend=backend, init_method="env://", rank=rank, world_size=world_size)

    _context = DistributedContext(rank=rank, local_rank=local_rank, world_size=world_size, device=selected, backend=backend)
    log.info("process %d of %d (local rank %d) joined the %s process group on %s", rank, world_size, local_rank, backend, selected)
    return _context


def _select_device(requested: str, *, local_rank: int) -> torch.device:
    if requested not in ("auto", "cuda", "cpu"):
        raise ValueError(f"device = {requested!r} is invalid; choose 'auto', 'cuda' or 'cpu'")
    if requested == "cpu" or (requested == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise RuntimeError(f"device 'cuda' requested but torch {torch.__version__} sees no CUDA device; run on a GPU node")
    if local_rank >= torch.cuda.device_count():
        raise RuntimeError(
            f"local rank {local_rank} needs GPU {local_rank}, but only {torch.cuda.device_count()} are visible; "
            "start at most one process per GPU (torchrun --nproc-per-node, the rule's gpu resource)"
        )
    return torch.device("cuda", local_rank)


def current_context() -> DistributedContext:
    """Return the context of init_distributed(), or a single-process CPU context when it was not called."""
    return _context if _context is not None else DistributedContext()


def shutdown_distributed() -> None:
    """Leave and destroy the process group, if any; current_context() is single-process again."""
    global _context
    if dist.is_initialized():
        dist.destroy_process_group()
    _context = None


def wrap_model(network: nn.Module, context: DistributedContext, *, sync_batch_norm: bool = False) -> nn.Module:
    """Return the module to train: `network` itself on one process, DistributedDataParallel around it on several.

    Validate and save `network` itself, not the wrapper: its state_dict keys carry no "module." prefix.

    Args:
        network: the model, already on context.device; every process must build it identically.
        sync_batch_norm: replace batch norms (in place) by SyncBatchNorm, which normalises over
            the global batch (CUDA only), so that training-mode batch norm matches one process.
    """
    if not context.is_distributed:
        return network
    if sync_batch_norm:
        if context.device.type != "cuda":
            raise ValueError("sync_batch_norm needs CUDA devices (SyncBatchNorm has no CPU implementation); set it to false on the CPU")
        network = nn.SyncBatchNorm.convert_sync_batchnorm(network)
    device_ids = [context.device.index] if context.device.type == "cuda" else None
    # DistributedDataParallel broadcasts rank 0's parameters and buffers when it is built, so every
    # process starts from the same weights.
    return DistributedDataParallel(network, device_ids=device_ids)


class GlobalBatchShardSampler(Sampler[int]):
    """This process's share of each global batch of a single-process sampler.

    Global batch k contains positions k*B to (k+1)*B - 1 of the base order (B = global_batch_size);
    process r takes its positions r*b to (r+1)*b - 1 (b = B / world_size). A last global batch
    shorter than B is dropped, so that every process runs the same number of equal steps: that is
    at most B - 1 events per epoch, a different set each epoch when the base order is reshuffled.
    """

    def __init__(self, base: Sampler[int], *, global_batch_size: int, context: DistributedContext):
        self.base = base
        self.global_batch_size = global_batch_size
        self.shard = context.shard_size(global_batch_size)
        self.rank = context.rank

    def set_epoch(self, epoch: int) -> None:
        """Pass the epoch on to the base sampler, whose order may depend on it."""
        if hasattr(self.base, "set_epoch"):
            self.base.set_epoch(epoch)

    def __iter__(self) -> Iterator[int]:
        order = list(self.base)
        n_full = len(order) // self.global_batch_size
        for batch in range(n_full):
            start = batch * self.global_batch_size + self.rank * self.shard
            yield from order[start : start + self.shard]

    def __len__(self) -> int:
        return (len(self.base) // self.global_batch_size) * self.shard


def all_reduce_mean(value: float, context: DistributedContext) -> float:
    """Return the mean of a number over all processes (the number itself on one process)."""
    if not context.is_distributed:
        return float(value)
    tensor = torch.tensor([float(value)], dtype=torch.float64, device=context.device)
    dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return float(tensor.item()) / context.world_size


def barrier(context: DistributedContext) -> None:
    """Block until every process reaches this call; return at once on one process."""
    if context.is_distributed:
        dist.barrier(device_ids=[context.device.index] if context.device.type == "cuda" else None)


def broadcast_buffers(network: nn.Module, context: DistributedContext) -> None:
    """Copy rank 0's buffers (batch-norm running statistics) into every process's `network`, in place.

    In training mode each process updates the running statistics from its own shard, so they
    differ between processes after a step. Validation with rank 0's copies gives equal results
    on every process.
    """
    if not context.is_distributed:
        return
    for buffer in network.buffers():
        dist.broadcast(buffer, src=0)


def gather_objects(value: object, context: DistributedContext) -> list:
    """Collect `value` from every process (pickled) into a list in rank order, [value] on one process."""
    if not context.is_distributed:
        return [value]
    gathered: list = [None] * context.world_size
    dist.all_gather_object(gathered, value)
    return gathered


# ---- launching: one torchrun process per GPU, from a job script ---------------------------------


def launch_torchrun(function: str, kwargs: dict, *, n_processes: int, device: str = "auto", timeout_s: float | None = None) -> object:
    """Run `function(**kwargs)` in n_processes processes started by torchrun on this node; return rank 0's result.

    Each process joins the process group (init_distributed) before the call and leaves it after.
    torchrun's --standalone rendezvous listens on a free port of this node only. The processes'
    output is logged line by line as it comes.

    Args:
        function: "package.module:name" of an importable function.
        kwargs: its keyword arguments; they travel as JSON, so they must be JSON values.
        n_processes: processes to start, one per GPU (the rule's `gpu` resource).
        device: "auto", "cuda" or "cpu", as for init_distributed.
        timeout_s: seconds before the launch is killed; None waits without limit.
    Returns:
        The JSON value that the function returned on rank 0.
    Raises:
        ValueError: n_processes < 1, function is not "module:name" or device is unknown.
        RuntimeError: a process failed; the message ends with the last lines of torchrun's output.
        subprocess.TimeoutExpired: the launch ran longer than timeout_s (its processes are killed).
    """
    if n_processes < 1:
        raise ValueError(f"n_processes must be at least 1, got {n_processes}")
    if ":" not in function:
        raise ValueError(f"function must be 'module:name', got {function!r}")
    if device not in ("auto", "cuda", "cpu"):
        raise ValueError(f"device = {device!r} is invalid; choose 'auto', 'cuda' or 'cpu'")

    with tempfile.TemporaryDirectory(prefix="junoml-torchrun-") as folder:
        kwargs_path = Path(folder) / "kwargs.json"
        result_path = Path(folder) / "result.json"
        kwargs_path.write_text(json.dumps(kwargs))
        command = [
            sys.executable, "-m", "torch.distributed.run",
            "--standalone", "--nnodes=1", f"--nproc-per-node={n_processes}",
            "-m", __name__,
            "--call", function, "--kwargs-json", str(kwargs_path), "--result-json", str(result_path), "--device", device,
        ]
        log.info("starting %d training processes: %s", n_processes, " ".join(command))
        returncode, tail = _run_logged(command, timeout_s=timeout_s)
        if returncode != 0:
            raise RuntimeError(f"torchrun with {n_processes} processes of {function} failed with exit code {returncode}:\n" + "\n".join(tail))
        return json.loads(result_path.read_text())


def _run_logged(command: list[str], *, timeout_s: float | None) -> tuple[int, list[str]]:
    """Run a command and log its merged stdout and stderr line by line. Return the exit code and the last lines.

    The command runs in a process group of its own, so that a timeout kills torchrun and its workers together.
    """
    tail: collections.deque[str] = collections.deque(maxlen=FAILURE_TAIL_LINES)
    timed_out = threading.Event()
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1, start_new_session=True) as process:

        def kill_group() -> None:
            timed_out.set()
            os.killpg(process.pid, signal.SIGKILL)

        timer = threading.Timer(timeout_s, kill_group) if timeout_s is not None else None
        if timer is not None:
            timer.start()
        try:
            for line in process.stdout:
                line = line.rstrip("\n")
                tail.append(line)
                log.info("torchrun: %s", line)
            returncode = process.wait()
        finally:
            if timer is not None:
                timer.cancel()
    if timed_out.is_set():
        raise subprocess.TimeoutExpired(command, timeout_s, output="\n".join(tail))
    return returncode, list(tail)


def _import_function(path: str) -> Callable:
    module_name, _, name = path.partition(":")
    return getattr(importlib.import_module(module_name), name)


def main(argv: list[str] | None = None) -> None:
    """Entry point of each torchrun process: join the group, call the function, write rank 0's result."""
    parser = argparse.ArgumentParser(description="Run one function in every process of a torchrun launch.")
    parser.add_argument("--call", required=True, help="function to call, as package.module:name")
    parser.add_argument("--kwargs-json", required=True, type=Path, help="JSON file of its keyword arguments")
    parser.add_argument("--result-json", required=True, type=Path, help="file that rank 0 writes the returned value to")
    parser.add_argument("--device", default="auto", choices=("auto", "cuda", "cpu"), help="device of each process (default auto)")
    args = parser.parse_args(argv)

    rank = int(os.environ.get("RANK", "0"))
    # Only rank 0 logs progress; the others report warnings and errors.
    logging.basicConfig(level=logging.INFO if rank == 0 else logging.WARNING, format=f"%(asctime)s rank {rank} %(name)s %(levelname)s: %(message)s")

    function = _import_function(args.call)
    kwargs = json.loads(args.kwargs_json.read_text())
    context = init_distributed(device=args.device)
    try:
        result = function(**kwargs)
        if context.is_main:
            args.result_json.write_text(json.dumps(result))
    finally:
        shutdown_distributed()


if __name__ == "__main__":
    # Call main() of the imported module rather than of __main__: the context that main() stores
    # must be the one that current_context() returns to the function it calls.
    from junoml.learn import distributed

    distributed.main()
