"""Tests of the (2+1)D, 3D and 2D nets: widths, parameter counts, shapes and circular padding."""

import numpy as np
import pytest
import torch

from junoml.learn.blocks import Conv2Plus1d, PixelDirectionChannels, WrapConv2d, WrapConv3d, midplanes
from junoml.learn.data import Normalisation
from junoml.learn.nets import build_network, count_parameters, resolve_architecture

SMALL_3D = {
    "stem_channels": 16,
    "stem_kernel_size": [3, 3, 3],
    "stem_stride": [1, 1, 1],
    "stage_channels": [16, 32],
    "blocks_per_stage": [1, 1],
    "stage_strides": [[1, 1, 1], [2, 2, 2]],
    "kernel_size": [3, 3, 3],
    "dropout": 0.0,
    "position_channels": True,
}
SMALL_2D = {**SMALL_3D, "stem_kernel_size": 3, "stem_stride": 1, "stage_strides": [1, 2], "kernel_size": 3}
MODELS_CFG = {"r2plus1d": SMALL_3D, "conv3d": {"match_parameters_of": "r2plus1d"}, "cnn2d": SMALL_2D}


def architecture(model: str, *, in_channels: int = 2, n_outputs: int = 4) -> dict:
    return resolve_architecture(model, MODELS_CFG, in_channels=in_channels, n_outputs=n_outputs, grid_hw=(8, 16))


@pytest.mark.parametrize(("c_in", "c_out", "expected"), [(64, 64, 144), (64, 128, 230), (128, 128, 288), (256, 256, 576)])
def test_midplanes_published_values(c_in, c_out, expected):
    assert midplanes(c_in, c_out, (3, 3, 3)) == expected


def test_midplanes_rejects_zero_channels():
    with pytest.raises(ValueError, match="positive"):
        midplanes(0, 16, (3, 3, 3))


def test_every_block_uses_formula_width():
    network = build_network(architecture("r2plus1d"))
    blocks = [m for m in network.modules() if isinstance(m, Conv2Plus1d)]
    assert len(blocks) == 5
    for block in blocks:
        spatial, temporal = block[0].conv, block[3].conv
        kernel = (temporal.kernel_size[0], spatial.kernel_size[1], spatial.kernel_size[2])
        expected = midplanes(spatial.in_channels, temporal.out_channels, kernel)
        assert spatial.out_channels == expected
        assert temporal.in_channels == expected


def test_block_parameters_match_full_conv():
    # Networks widen or keep their width, so C_out >= C_in / 4 covers every block they build.
    worst = 0.0
    for c_in in range(16, 513, 8):
        for c_out in range(max(16, c_in // 4), 513, 8):
            with torch.device("meta"):
                block = Conv2Plus1d(c_in, c_out, (3, 3, 3))
            full = 27 * c_in * c_out
            worst = max(worst, abs(count_parameters(block) - full) / full)
    assert worst < 0.02


def test_block_parameters_in_built_net_match_full_conv():
    network = build_network(architecture("r2plus1d"))
    for block in (m for m in network.modules() if isinstance(m, Conv2Plus1d)):
        c_in, c_out = block[0].conv.in_channels, block[3].conv.out_channels
        if c_in < 16:
            continue
        full = 27 * c_in * c_out
        assert abs(count_parameters(block) - full) / full < 0.02


def test_conv3d_parameters_match_r2plus1d():
    r2plus1d = count_parameters(build_network(architecture("r2plus1d")))
    conv3d = count_parameters(build_network(architecture("conv3d")))
    assert abs(conv3d - r2plus1d) / r2plus1d < 0.02


def test_conv3d_uses_full_3d_kernels():
    network = build_network(architecture("conv3d"))
    kernels = {m.kernel_size for m in network.modules() if isinstance(m, torch.nn.Conv3d)}
    assert (3, 3, 3) in kernels


@pytest.mark.parametrize("model", ["r2plus1d", "conv3d"])
def test_video_net_output_shape(model):
    network = build_network(architecture(model))
    out = network(torch.zeros(3, 2, 4, 8, 16))
    assert out.shape == (3, 4)


def test_cnn2d_output_shape():
    network = build_network(architecture("cnn2d"))
    out = network(torch.zeros(3, 2, 8, 16))
    assert out.shape == (3, 4)


def test_unknown_model_rejected():
    with pytest.raises(ValueError, match="unknown network model"):
        resolve_architecture("resnet50", MODELS_CFG, in_channels=1, n_outputs=3, grid_hw=(8, 16))


def _impulse_response(conv: torch.nn.Module, position: tuple[int, int, int]) -> torch.Tensor:
    with torch.no_grad():
        conv.conv.weight.fill_(1.0)
        x = torch.zeros(1, 1, 5, 6, 8)
        x[(0, 0, *position)] = 1.0
        return conv(x)[0, 0]


def test_wrap_conv3d_wraps_w():
    out = _impulse_response(WrapConv3d(1, 1, (1, 1, 3)), (2, 3, 0))
    assert out[2, 3, 7] == 1.0


def test_wrap_conv3d_zero_pads_h():
    out = _impulse_response(WrapConv3d(1, 1, (1, 3, 1)), (2, 0, 4))
    assert out[2, 5, 4] == 0.0
    assert out[2, 1, 4] == 1.0


def test_wrap_conv3d_zero_pads_t():
    out = _impulse_response(WrapConv3d(1, 1, (3, 1, 1)), (0, 3, 4))
    assert out[4, 3, 4] == 0.0
    assert out[1, 3, 4] == 1.0


def test_wrap_conv3d_keeps_size():
    out = _impulse_response(WrapConv3d(1, 1, (3, 3, 3)), (0, 0, 0))
    assert out.shape == (5, 6, 8)


def test_wrap_conv2d_wraps_w_only():
    conv = WrapConv2d(1, 1, 3)
    with torch.no_grad():
        conv.conv.weight.fill_(1.0)
    x = torch.zeros(1, 1, 6, 8)
    x[0, 0, 0, 0] = 1.0
    out = conv(x)[0, 0]
    assert out[0, 7] == 1.0
    assert out[5, 0] == 0.0


def test_pixel_direction_channels_are_unit_vectors():
    positions = PixelDirectionChannels(8, 16)(torch.zeros(2, 1, 3, 8, 16))
    norms = positions[:, 1:].norm(dim=1)
    assert torch.allclose(norms, torch.ones_like(norms), atol=1e-6)


def test_pixel_direction_channels_first_row_near_north_pole():
    positions = PixelDirectionChannels(8, 16)(torch.zeros(1, 0, 8, 16))
    assert positions[0, 2, 0, 0] == pytest.approx(np.cos(np.pi / 16), abs=1e-6)


def test_time_integrated_input_hand_case():
    normalisation = Normalisation(
        channel_names=("charge_pe",), charge_channels=(0,), time_channels=(), time_bin_ns=8.0, n_time_bins=4, time_integrate=True
    )
    tensor = np.zeros((1, 4, 2, 3), dtype=np.float32)
    tensor[0, 1, 0, 0] = 2.0
    tensor[0, 3, 0, 0] = 1.0
    maps = normalisation.apply(tensor)
    assert maps.shape == (2, 2, 3)
    assert maps[0, 0, 0] == pytest.approx(np.log1p(3.0))
    # First charge in bin 1, centre 12 ns, over a 32 ns window.
    assert maps[1, 0, 0] == pytest.approx(12.0 / 32.0)
    assert maps[1, 1, 1] == 0.0


def test_time_integrated_input_takes_first_hit_time_channel():
    normalisation = Normalisation(
        channel_names=("charge", "first_hit_time"), charge_channels=(0,), time_channels=(1,), time_bin_ns=8.0, n_time_bins=4, time_integrate=True
    )
    tensor = np.zeros((2, 4, 2, 3), dtype=np.float32)
    tensor[0, 1, 0, 0], tensor[1, 1, 0, 0] = 2.0, 9.5
    tensor[0, 3, 0, 0], tensor[1, 3, 0, 0] = 1.0, 30.0
    maps = normalisation.apply(tensor)
    # The earliest hit of the first bin with charge, 9.5 ns, over a 32 ns window.
    assert maps[1, 0, 0] == pytest.approx(9.5 / 32.0)
    assert maps[1, 1, 1] == 0.0


def test_normalisation_log1p_charge_and_scaled_time():
    normalisation = Normalisation(
        channel_names=("charge_pe", "first_hit_time_ns"), charge_channels=(0,), time_channels=(1,), time_bin_ns=8.0, n_time_bins=4, time_integrate=False
    )
    tensor = np.zeros((2, 4, 2, 3), dtype=np.float32)
    tensor[0, 0, 0, 0] = 5.0
    tensor[1, 0, 0, 0] = 16.0
    out = normalisation.apply(tensor)
    assert out[0, 0, 0, 0] == pytest.approx(np.log1p(5.0))
    assert out[1, 0, 0, 0] == pytest.approx(0.5)
