"""Convolution blocks for [N, C, T, H, W] tensors whose W axis (azimuth) wraps around."""

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F


def midplanes(in_channels: int, out_channels: int, kernel_size: Sequence[int]) -> int:
    """Return the intermediate width M of a (2+1)D factorisation of a [kT, kH, kW] 3D convolution.

    M = floor(kT kH kW C_in C_out / (kH kW C_in + kT C_out)) gives the spatial [1, kH, kW] and the
    temporal [kT, 1, 1] convolutions together about the weights of the full 3D convolution
    (Tran et al., CVPR 2018, arXiv:1711.11248).
    """
    if in_channels < 1 or out_channels < 1:
        raise ValueError(f"channel counts must be positive, got in_channels={in_channels}, out_channels={out_channels}")
    k_t, k_h, k_w = _triple(kernel_size, "kernel_size")
    return (k_t * k_h * k_w * in_channels * out_channels) // (k_h * k_w * in_channels + k_t * out_channels)


def _triple(value: int | Sequence[int], name: str) -> tuple[int, int, int]:
    if isinstance(value, int):
        return (value, value, value)
    value = tuple(int(v) for v in value)
    if len(value) != 3 or min(value) < 1:
        raise ValueError(f"{name} must be one positive integer or three [T, H, W], got {value!r}")
    return value


class WrapConv3d(nn.Module):
    """3D convolution with circular padding along W and zero padding along T and H.

    Padding keeps the size at stride 1 ("same" padding of k // 2 on each side, odd kernels).
    The layer has no bias, because a batch norm always follows it.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | Sequence[int], *, stride: int | Sequence[int] = 1):
        super().__init__()
        kernel_size = _triple(kernel_size, "kernel_size")
        if any(k % 2 == 0 for k in kernel_size):
            raise ValueError(f"kernel_size must be odd along every axis so that padding is symmetric, got {kernel_size}")
        self.wrap_padding = kernel_size[2] // 2
        self.conv = nn.Conv3d(
            in_channels,
            out_channels,
            kernel_size,
            stride=_triple(stride, "stride"),
            padding=(kernel_size[0] // 2, kernel_size[1] // 2, 0),
            bias=False,
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.wrap_padding:
            x = F.pad(x, (self.wrap_padding, self.wrap_padding, 0, 0, 0, 0), mode="circular")
        return self.conv(x)


class WrapConv2d(nn.Module):
    """2D convolution on [N, C, H, W] with circular padding along W and zero padding along H."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, *, stride: int = 1):
        super().__init__()
        if kernel_size % 2 == 0 or kernel_size < 1:
            raise ValueError(f"kernel_size must be a positive odd integer, got {kernel_size}")
        self.wrap_padding = kernel_size // 2
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=(kernel_size // 2, 0), bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.wrap_padding:
            x = F.pad(x, (self.wrap_padding, self.wrap_padding, 0, 0), mode="circular")
        return self.conv(x)


class Conv2Plus1d(nn.Sequential):
    """(2+1)D convolution: spatial [1, kH, kW] to M channels, batch norm, ReLU, temporal [kT, 1, 1].

    M comes from midplanes(), so the block has about the weights of a [kT, kH, kW] 3D convolution.
    The stride applies to H and W in the spatial part and to T in the temporal part.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | Sequence[int], *, stride: int | Sequence[int] = 1):
        k_t, k_h, k_w = _triple(kernel_size, "kernel_size")
        s_t, s_h, s_w = _triple(stride, "stride")
        width = midplanes(in_channels, out_channels, (k_t, k_h, k_w))
        super().__init__(
            WrapConv3d(in_channels, width, (1, k_h, k_w), stride=(1, s_h, s_w)),
            nn.BatchNorm3d(width),
            nn.ReLU(inplace=True),
            WrapConv3d(width, out_channels, (k_t, 1, 1), stride=(s_t, 1, 1)),
        )
        self.midplanes = width


class Conv3dFull(WrapConv3d):
    """Full [kT, kH, kW] 3D convolution, the twin of Conv2Plus1d with the same signature."""


class BasicBlock3d(nn.Module):
    """Residual block: conv, batch norm, ReLU, conv, batch norm, plus the (projected) input, ReLU.

    Args:
        conv: the convolution type, Conv2Plus1d or Conv3dFull.
        in_channels, out_channels: channel counts.
        kernel_size: [kT, kH, kW] of both convolutions.
        stride: stride of the first convolution; a 1x1x1 projection matches the shortcut.
    """

    def __init__(self, conv: type[nn.Module], in_channels: int, out_channels: int, kernel_size: Sequence[int], *, stride: Sequence[int] = (1, 1, 1)):
        super().__init__()
        stride = _triple(stride, "stride")
        self.conv1 = conv(in_channels, out_channels, kernel_size, stride=stride)
        self.bn1 = nn.BatchNorm3d(out_channels)
        self.conv2 = conv(out_channels, out_channels, kernel_size, stride=1)
        self.bn2 = nn.BatchNorm3d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut = nn.Identity()
        if in_channels != out_channels or stride != (1, 1, 1):
            self.shortcut = nn.Sequential(
                nn.Conv3d(in_channels, out_channels, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm3d(out_channels),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + self.shortcut(x))


class BasicBlock2d(nn.Module):
    """2D residual block with circular padding in W, for the time-integrated net."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, *, stride: int = 1):
        super().__init__()
        self.conv1 = WrapConv2d(in_channels, out_channels, kernel_size, stride=stride)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = WrapConv2d(out_channels, out_channels, kernel_size)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut = nn.Identity()
        if in_channels != out_channels or stride != 1:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + self.shortcut(x))


class PixelDirectionChannels(nn.Module):
    """Append the unit vector (x, y, z) of each pixel's centre as three constant input channels.

    Circular padding and global pooling make a net blind to where on the sphere light arrives,
    which a direction fit needs. These channels give each pixel its position. Rows are polar angle
    theta from +z and columns azimuth phi, both taken as uniform bins (equirectangular projection).
    NOTE: for the `rings` projection the rows are rings of constant theta that are only close to
    uniform in theta, so the channels then approximate each pixel's position.
    """

    def __init__(self, height: int, width: int):
        super().__init__()
        theta = (torch.arange(height, dtype=torch.float32) + 0.5) * torch.pi / height
        phi = (torch.arange(width, dtype=torch.float32) + 0.5) * 2 * torch.pi / width
        theta, phi = torch.meshgrid(theta, phi, indexing="ij")
        directions = torch.stack([theta.sin() * phi.cos(), theta.sin() * phi.sin(), theta.cos()])
        # Derived from the grid size, so it stays out of the state dict.
        self.register_buffer("directions", directions, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-2:] != self.directions.shape[-2:]:
            raise ValueError(f"input pixels {tuple(x.shape[-2:])} differ from the [H, W] = {tuple(self.directions.shape[-2:])} the net was built for")
        positions = self.directions.to(dtype=x.dtype)
        if x.dim() == 5:
            positions = positions[:, None].expand(3, x.shape[2], *positions.shape[-2:])
        positions = positions.expand(x.shape[0], *positions.shape)
        return torch.cat([x, positions.contiguous(memory_format=_same_format(x))], dim=1)


def _same_format(x: torch.Tensor) -> torch.memory_format:
    if x.dim() == 5 and x.is_contiguous(memory_format=torch.channels_last_3d) and not x.is_contiguous():
        return torch.channels_last_3d
    if x.dim() == 4 and x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous():
        return torch.channels_last
    return torch.contiguous_format
