"""Azimuthal-rotation augmentation: the rolled grid and the rotated targets describe the same event."""

import numpy as np
import torch

from junoml.grid.store import GridShardWriter, GridStore
from junoml.learn.blocks import PixelDirectionChannels
from junoml.learn.data import EpochPermutationSampler, GridDataset, Normalisation

HEIGHT, WIDTH = 8, 16


def single_pixel_store(tmp_path, row: int, column: int) -> GridStore:
    tensor = np.zeros((1, 2, HEIGHT, WIDTH), np.float32)
    tensor[0, 0, row, column] = 100.0
    with GridShardWriter(tmp_path / "0000", {"shape": [1, 2, HEIGHT, WIDTH], "channels": [{"name": "charge"}]}) as writer:
        writer.add(0, tensor)
    return GridStore([tmp_path / "0000"])


def normalisation() -> Normalisation:
    return Normalisation(("charge",), (0,), (), 8.0, 2, False)


def test_rotation_keeps_direction_on_lit_pixel(tmp_path):
    row, column, shift = 2, 3, 5
    store = single_pixel_store(tmp_path, row, column)
    pixel_directions = PixelDirectionChannels(HEIGHT, WIDTH).directions
    direction = pixel_directions[:, row, column].numpy()
    dataset = GridDataset(store, np.array([0]), {"direction": direction[None].astype(np.float32)}, normalisation())

    tensor, targets, index = dataset[0 + 1 * shift]
    lit = np.argwhere(tensor[0, 0].numpy() > 0)
    assert index == 0
    assert lit.tolist() == [[row, column + shift]]
    expected = pixel_directions[:, row, column + shift]
    assert torch.allclose(targets["direction"], expected, atol=1e-6)


def test_rotation_moves_vertex_with_direction(tmp_path):
    store = single_pixel_store(tmp_path, 1, 0)
    targets = {"direction": np.array([[1.0, 0.0, 0.0]], np.float32), "vertex": np.array([[0.5, 0.0, 0.2]], np.float32)}
    dataset = GridDataset(store, np.array([0]), targets, normalisation())
    _, rotated, _ = dataset[WIDTH // 4]
    assert torch.allclose(rotated["direction"], torch.tensor([0.0, 1.0, 0.0]), atol=1e-6)
    assert torch.allclose(rotated["vertex"], torch.tensor([0.0, 0.5, 0.2]), atol=1e-6)


def test_sampler_without_augmentation_yields_rows():
    sampler = EpochPermutationSampler(10, seed=1)
    assert sorted(sampler) == list(range(10))


def test_sampler_with_augmentation_is_reproducible():
    first = EpochPermutationSampler(10, seed=1, azimuth_columns=WIDTH)
    second = EpochPermutationSampler(10, seed=1, azimuth_columns=WIDTH)
    first.set_epoch(3)
    second.set_epoch(3)
    indices = list(first)
    assert indices == list(second)
    assert sorted(index % 10 for index in indices) == list(range(10))
    assert max(indices) < 10 * WIDTH
