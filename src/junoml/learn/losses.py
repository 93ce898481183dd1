"""Losses for direction regression (von Mises-Fisher, cosine) and flavour classification."""

import math

import torch
from torch.nn import functional as F

LOG_4PI = math.log(4.0 * math.pi)
# Smallest concentration the head can give, so that log(kappa) stays finite (estimate).
KAPPA_MIN = 1e-6


def log_sinh(kappa: torch.Tensor) -> torch.Tensor:
    """Return log(sinh(kappa)) for kappa > 0 without overflow.

    sinh overflows float32 near kappa = 89, so this uses
    log sinh k = k + log(1 - exp(-2k)) - log 2, with expm1 keeping the small-k end accurate.
    """
    return kappa + torch.log(-torch.expm1(-2.0 * kappa)) - math.log(2.0)


def vmf_log_normalizer(kappa: torch.Tensor) -> torch.Tensor:
    """Return log C3(kappa) = log kappa - log(4 pi) - log sinh kappa of the 3D von Mises-Fisher density, in float32."""
    kappa = kappa.float()
    with torch.autocast(device_type=kappa.device.type, enabled=False):
        return torch.log(kappa) - LOG_4PI - log_sinh(kappa)


def vmf_nll(direction: torch.Tensor, kappa: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Return the per-event negative log-likelihood of unit targets under a 3D von Mises-Fisher density.

    Args:
        direction: [N, 3] mean directions, normalised here.
        kappa: [N] concentrations (> 0), dimensionless.
        target: [N, 3] true unit vectors.
    The computation runs in float32 even inside a bf16 autocast region.
    """
    with torch.autocast(device_type=direction.device.type, enabled=False):
        mean = F.normalize(direction.float(), dim=1)
        cosine = (mean * target.float()).sum(dim=1)
        return -vmf_log_normalizer(kappa) - kappa.float() * cosine


def cosine_loss(direction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Return 1 - cos(opening angle) per event, in float32."""
    with torch.autocast(device_type=direction.device.type, enabled=False):
        return 1.0 - (F.normalize(direction.float(), dim=1) * target.float()).sum(dim=1)


def kappa_from_raw(raw: torch.Tensor) -> torch.Tensor:
    """Map an unbounded head output to a concentration kappa = softplus(raw) + KAPPA_MIN, in float32."""
    with torch.autocast(device_type=raw.device.type, enabled=False):
        return F.softplus(raw.float()) + KAPPA_MIN
