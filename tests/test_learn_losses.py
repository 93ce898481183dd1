"""Tests of the von Mises-Fisher and cosine losses, including float32 stability under bf16 autocast."""

import math

import mpmath
import pytest
import torch

from junoml.learn.losses import cosine_loss, kappa_from_raw, log_sinh, vmf_log_normalizer, vmf_nll

KAPPAS = [1e-3, 0.1, 1.0, 10.0, 88.0, 100.0, 1e3, 1e4]


def exact_log_normalizer(kappa: float) -> float:
    with mpmath.workdps(50):
        k = mpmath.mpf(kappa)
        return float(mpmath.log(k) - mpmath.log(4 * mpmath.pi) - mpmath.log(mpmath.sinh(k)))


@pytest.mark.parametrize("kappa", KAPPAS)
def test_vmf_log_normalizer_matches_exact(kappa):
    value = vmf_log_normalizer(torch.tensor([kappa], dtype=torch.float32)).item()
    assert value == pytest.approx(exact_log_normalizer(kappa), rel=1e-5, abs=1e-5)


def test_log_sinh_small_kappa_hand_value():
    # sinh(k) = k (1 + k^2 / 6 + ...), so log sinh(1e-3) = log(1e-3) + 1.6667e-7.
    assert log_sinh(torch.tensor([1e-3], dtype=torch.float64)).item() == pytest.approx(math.log(1e-3) + 1e-6 / 6, rel=1e-12)


def test_log_sinh_large_kappa_hand_value():
    # exp(-2e4) underflows, so log sinh(1e4) = 1e4 - log 2 exactly in float32 arithmetic.
    assert log_sinh(torch.tensor([1e4])).item() == pytest.approx(1e4 - math.log(2.0), rel=1e-7)


def test_vmf_nll_hand_value():
    direction = torch.tensor([[0.0, 0.0, 2.0]])
    target = torch.tensor([[0.0, 0.0, 1.0]])
    kappa = torch.tensor([2.0])
    expected = -(math.log(2.0) - math.log(4 * math.pi) - math.log(math.sinh(2.0))) - 2.0
    assert vmf_nll(direction, kappa, target).item() == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("kappa", KAPPAS)
def test_vmf_nll_finite_under_bf16_autocast(kappa):
    raw = torch.tensor([[0.3, -0.2, 0.9]], requires_grad=True)
    target = torch.tensor([[0.0, 0.0, 1.0]])
    with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
        direction = torch.nn.functional.linear(raw, torch.eye(3))
        loss = vmf_nll(direction, torch.tensor([kappa]), target)
    loss.sum().backward()
    assert loss.dtype == torch.float32
    assert torch.isfinite(loss).all()
    assert torch.isfinite(raw.grad).all()


def test_vmf_log_normalizer_float32_under_bf16_autocast():
    with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
        value = vmf_log_normalizer(torch.tensor([1e4], dtype=torch.bfloat16))
    assert value.dtype == torch.float32


def test_vmf_nll_sharper_kappa_rewards_good_direction():
    target = torch.tensor([[1.0, 0.0, 0.0]])
    loose = vmf_nll(target, torch.tensor([1.0]), target)
    sharp = vmf_nll(target, torch.tensor([100.0]), target)
    assert sharp.item() < loose.item()


def test_cosine_loss_hand_values():
    direction = torch.tensor([[1.0, 0.0, 0.0], [0.0, 3.0, 0.0], [-1.0, 0.0, 0.0]])
    target = torch.tensor([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    assert cosine_loss(direction, target).tolist() == pytest.approx([0.0, 1.0, 2.0], abs=1e-7)


def test_kappa_from_raw_positive():
    kappa = kappa_from_raw(torch.tensor([-100.0, 0.0, 100.0]))
    assert (kappa > 0).all()
    assert kappa[1].item() == pytest.approx(math.log(2.0), rel=1e-5)
