"""Device choice, mixed precision and batched inference shared by training and evaluation."""

import contextlib
import logging
import sys
import time

import torch
from torch import nn
from torch.utils.data import DataLoader

log = logging.getLogger(__name__)


class GPUUnavailableError(RuntimeError):
    """A GPU was requested with on_missing_gpu: fail, and none is visible."""


def select_device(requested: str, *, on_missing_gpu: str, key: str) -> torch.device:
    """Return the device for `requested` ("auto", "cuda" or "cpu").

    Args:
        on_missing_gpu: "warn" falls back to the CPU with a warning, "fail" raises, when
            `requested` is "cuda" and torch finds no GPU.
        key: the config section named in messages ("training" or "evaluation").
    """
    if requested == "cpu":
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device("cuda")
    if requested == "auto":
        log.info("no CUDA device visible; running on the CPU")
        return torch.device("cpu")
    if on_missing_gpu == "fail":
        raise GPUUnavailableError(
            f"{key}.device is 'cuda' but torch {torch.__version__} finds no CUDA device; install the CUDA build of torch, "
            f"run on a GPU node, or set {key}.on_missing_gpu: warn to fall back to the CPU"
        )
    log.warning("%s.device is 'cuda' but no CUDA device is visible; falling back to the CPU (slow)", key)
    return torch.device("cpu")


def set_cpu_threads(device: torch.device, threads: int | None) -> None:
    """Set torch's CPU thread count for this process when running on the CPU and `threads` is given.

    On cores shared with other jobs, fewer threads waste less time in OpenMP barriers.
    """
    if device.type == "cpu" and threads is not None:
        torch.set_num_threads(threads)
        log.info("torch uses %d CPU threads", threads)


def autocast(device: torch.device, *, bf16: bool) -> contextlib.AbstractContextManager:
    """Return a bf16 autocast context on CUDA when enabled, a no-op context otherwise."""
    if device.type == "cuda" and bf16:
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def memory_format(model_name: str, device: torch.device) -> torch.memory_format:
    """Return channels_last(_3d) on CUDA, where cuDNN convolutions run faster in it, else contiguous."""
    if device.type != "cuda":
        return torch.contiguous_format
    return torch.channels_last if model_name == "cnn2d" else torch.channels_last_3d


def to_device(batch_inputs: torch.Tensor, device: torch.device, fmt: torch.memory_format) -> torch.Tensor:
    return batch_inputs.to(device, non_blocking=True).contiguous(memory_format=fmt)


def show_progress_bar() -> bool:
    """Return True when stderr is a terminal, where tqdm bars are readable; log files get plain lines."""
    return sys.stderr.isatty()


@torch.no_grad()
def predict_outputs(
    model: nn.Module,
    loader: DataLoader,
    *,
    device: torch.device,
    fmt: torch.memory_format,
    bf16: bool,
    description: str,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Run the model in eval mode over a row-ordered loader.

    Returns:
        head outputs [N, n_outputs] in float32 on the CPU, and the targets concatenated in row order.
    """
    model.eval()
    outputs, targets = [], {}
    n_done, start = 0, time.perf_counter()
    for inputs, batch_targets, _rows in loader:
        with autocast(device, bf16=bf16):
            outputs.append(model(to_device(inputs, device, fmt)).float().cpu())
        for name, values in batch_targets.items():
            targets.setdefault(name, []).append(values)
        n_done += len(inputs)
    seconds = time.perf_counter() - start
    log.info("%s: %d events in %.1f s (%.1f events/s)", description, n_done, seconds, n_done / max(seconds, 1e-9))
    return torch.cat(outputs), {name: torch.cat(values) for name, values in targets.items()}
