"""Residual networks for grid tensors: (2+1)D, full 3D with matched parameters, and 2D on time-integrated maps."""

import copy
import logging
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from junoml.learn.blocks import BasicBlock2d, BasicBlock3d, Conv2Plus1d, Conv3dFull, PixelDirectionChannels, WrapConv2d

log = logging.getLogger(__name__)

NETWORK_MODELS = ("r2plus1d", "conv3d", "cnn2d")
ARCHITECTURE_KEYS = (
    "stem_channels",
    "stem_kernel_size",
    "stem_stride",
    "stage_channels",
    "blocks_per_stage",
    "stage_strides",
    "kernel_size",
    "dropout",
    "position_channels",
)
# Largest relative difference between the parameter counts of conv3d and r2plus1d.
PARAMETER_MATCH_TOLERANCE = 0.02


class VideoResNet(nn.Module):
    """Residual network on [N, C, T, H, W]: stem, stages of residual blocks, global average pooling, linear head.

    Args:
        conv: convolution type of every block and the stem, Conv2Plus1d or Conv3dFull.
        in_channels: C of the input.
        n_outputs: width of the linear head.
        stem_channels: output channels of the stem.
        stem_kernel_size, stem_stride: [kT, kH, kW] and stride of the stem convolution.
        stage_channels: output channels of each stage.
        blocks_per_stage: residual blocks in each stage.
        stage_strides: stride [T, H, W] of the first block of each stage (2 halves that axis).
        kernel_size: [kT, kH, kW] of the block convolutions.
        dropout: dropout probability before the head.
        position_channels: append each pixel's unit vector as 3 input channels (PixelDirectionChannels).
        grid_hw: [H, W] of the input, needed with position_channels.
    """

    def __init__(
        self,
        conv: type[nn.Module],
        *,
        in_channels: int,
        n_outputs: int,
        stem_channels: int,
        stem_kernel_size: Sequence[int],
        stem_stride: Sequence[int],
        stage_channels: Sequence[int],
        blocks_per_stage: Sequence[int],
        stage_strides: Sequence[Sequence[int]],
        kernel_size: Sequence[int],
        dropout: float = 0.0,
        position_channels: bool = False,
        grid_hw: Sequence[int] | None = None,
    ):
        super().__init__()
        _check_stages(stage_channels, blocks_per_stage, stage_strides)
        self.positions = nn.Identity()
        if position_channels:
            if grid_hw is None:
                raise ValueError("position_channels needs grid_hw = [H, W] of the input")
            self.positions = PixelDirectionChannels(*grid_hw)
            in_channels += 3
        if in_channels < 1 or n_outputs < 1:
            raise ValueError(f"in_channels and n_outputs must be positive, got {in_channels} and {n_outputs}")

        self.stem = nn.Sequential(
            conv(in_channels, stem_channels, stem_kernel_size, stride=stem_stride),
            nn.BatchNorm3d(stem_channels),
            nn.ReLU(inplace=True),
        )
        stages = []
        channels = stem_channels
        for out_channels, n_blocks, stride in zip(stage_channels, blocks_per_stage, stage_strides):
            blocks = [BasicBlock3d(conv, channels, out_channels, kernel_size, stride=stride)]
            blocks += [BasicBlock3d(conv, out_channels, out_channels, kernel_size) for _ in range(n_blocks - 1)]
            stages.append(nn.Sequential(*blocks))
            channels = out_channels
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool3d(1)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(channels, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(self.positions(x))

        x = self.stages(x)

        x = self.pool(x).flatten(1)
        return self.head(self.dropout(x))


class TimeIntegratedResNet(nn.Module):
    """2D residual network on time-integrated maps [N, C, H, W] (total charge and first-hit time per pixel)."""

    def __init__(
        self,
        *,
        in_channels: int,
        n_outputs: int,
        stem_channels: int,
        stem_kernel_size: int,
        stem_stride: int,
        stage_channels: Sequence[int],
        blocks_per_stage: Sequence[int],
        stage_strides: Sequence[int],
        kernel_size: int,
        dropout: float = 0.0,
        position_channels: bool = False,
        grid_hw: Sequence[int] | None = None,
    ):
        super().__init__()
        _check_stages(stage_channels, blocks_per_stage, stage_strides)
        self.positions = nn.Identity()
        if position_channels:
            if grid_hw is None:
                raise ValueError("position_channels needs grid_hw = [H, W] of the input")
            self.positions = PixelDirectionChannels(*grid_hw)
            in_channels += 3
        self.stem = nn.Sequential(
            WrapConv2d(in_channels, stem_channels, stem_kernel_size, stride=stem_stride),
            nn.BatchNorm2d(stem_channels),
            nn.ReLU(inplace=True),
        )
        stages = []
        channels = stem_channels
        for out_channels, n_blocks, stride in zip(stage_channels, blocks_per_stage, stage_strides):
            blocks = [BasicBlock2d(channels, out_channels, kernel_size, stride=stride)]
            blocks += [BasicBlock2d(out_channels, out_channels, kernel_size) for _ in range(n_blocks - 1)]
            stages.append(nn.Sequential(*blocks))
            channels = out_channels
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(channels, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(self.positions(x))

        x = self.stages(x)

        x = self.pool(x).flatten(1)
        return self.head(self.dropout(x))


def _check_stages(stage_channels: Sequence[int], blocks_per_stage: Sequence[int], stage_strides: Sequence) -> None:
    if not (len(stage_channels) == len(blocks_per_stage) == len(stage_strides)) or not stage_channels:
        raise ValueError(
            "stage_channels, blocks_per_stage and stage_strides need one entry per stage, got "
            f"{list(stage_channels)}, {list(blocks_per_stage)} and {list(stage_strides)}"
        )
    if min(blocks_per_stage) < 1:
        raise ValueError(f"every stage needs at least one block, got blocks_per_stage={list(blocks_per_stage)}")


def resolve_architecture(model: str, models_cfg: dict, *, in_channels: int, n_outputs: int, grid_hw: Sequence[int]) -> dict:
    """Return the full architecture of a network model from the `models` config section.

    conv3d reads `match_parameters_of` (a (2+1)D model name) and derives its widths from that
    model, scaled so that the parameter counts agree within PARAMETER_MATCH_TOLERANCE.
    """
    if model not in NETWORK_MODELS:
        raise ValueError(f"unknown network model {model!r}; choose one of {NETWORK_MODELS}")
    if model not in models_cfg:
        raise KeyError(f"config section models.{model} is missing; add it (see config/config.yaml)")
    section = models_cfg[model]

    if model == "conv3d":
        reference = section.get("match_parameters_of", "r2plus1d")
        if reference not in models_cfg:
            raise KeyError(f"models.conv3d.match_parameters_of = {reference!r} names no section of models")
        reference_architecture = _architecture_from_section(reference, models_cfg[reference])
        architecture = match_conv3d_widths(reference_architecture, in_channels=in_channels, n_outputs=n_outputs, grid_hw=grid_hw)
    else:
        architecture = _architecture_from_section(model, section)

    return {**architecture, "model": model, "in_channels": int(in_channels), "n_outputs": int(n_outputs), "grid_hw": [int(n) for n in grid_hw]}


def _architecture_from_section(name: str, section: dict) -> dict:
    missing = [key for key in ARCHITECTURE_KEYS if key not in section]
    if missing:
        raise KeyError(f"config section models.{name} lacks the keys {missing}")
    return {key: copy.deepcopy(section[key]) for key in ARCHITECTURE_KEYS}


def build_network(architecture: dict) -> nn.Module:
    """Build the network of an architecture dict from resolve_architecture()."""
    kwargs = {key: architecture[key] for key in ARCHITECTURE_KEYS}
    kwargs["grid_hw"] = architecture.get("grid_hw")
    model = architecture["model"]
    if model == "cnn2d":
        return TimeIntegratedResNet(in_channels=architecture["in_channels"], n_outputs=architecture["n_outputs"], **kwargs)
    conv = Conv2Plus1d if model == "r2plus1d" else Conv3dFull
    return VideoResNet(conv, in_channels=architecture["in_channels"], n_outputs=architecture["n_outputs"], **kwargs)


def count_parameters(module: nn.Module) -> int:
    """Return the number of trainable parameters."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def _count_on_meta(architecture: dict) -> int:
    # The meta device allocates no memory, so counting a candidate costs only its construction.
    with torch.device("meta"):
        return count_parameters(build_network(architecture))


def match_conv3d_widths(reference: dict, *, in_channels: int, n_outputs: int, grid_hw: Sequence[int]) -> dict:
    """Scale the widths of a (2+1)D architecture so that its full-3D twin has the same parameter count.

    The stem and every stage width are multiplied by one factor and rounded to integers. Factors
    are tried outward from 1 (where the per-block match of midplanes() already holds), and the
    search stops at the first within a quarter of PARAMETER_MATCH_TOLERANCE; otherwise the
    closest of factors 0.7 to 1.3 wins.
    Raises:
        ValueError: no factor reaches PARAMETER_MATCH_TOLERANCE (tiny nets, where rounding dominates).
    """
    shared = {"in_channels": in_channels, "n_outputs": n_outputs, "grid_hw": grid_hw}
    target = _count_on_meta({**reference, "model": "r2plus1d", **shared})
    factors = sorted(np.arange(0.70, 1.3001, 0.0025), key=lambda f: (abs(f - 1.0), f))
    best, best_gap = None, None
    tried = set()
    for factor in factors:
        stem = max(1, round(reference["stem_channels"] * factor))
        stages = [max(1, round(c * factor)) for c in reference["stage_channels"]]
        if (stem, *stages) in tried:
            continue
        tried.add((stem, *stages))
        candidate = {**copy.deepcopy(reference), "stem_channels": stem, "stage_channels": stages}
        gap = abs(_count_on_meta({**candidate, "model": "conv3d", **shared}) - target) / target
        if best_gap is None or gap < best_gap:
            best, best_gap = candidate, gap
        if best_gap < PARAMETER_MATCH_TOLERANCE / 4:
            break

    if best_gap > PARAMETER_MATCH_TOLERANCE:
        raise ValueError(
            f"no width scaling brings conv3d within {PARAMETER_MATCH_TOLERANCE:.0%} of the {target} parameters of the "
            f"(2+1)D reference (closest {best_gap:.1%}); widen models.r2plus1d.stage_channels"
        )
    log.info("conv3d widths %s (stem %d) match the (2+1)D parameter count %d within %.2f%%", best["stage_channels"], best["stem_channels"], target, 100 * best_gap)
    return best
