"""Synthetic grid stores and split tables with a learnable signal, for tests and benchmarks of the nets.

Each event is a charge blob on an equirectangular (theta, phi) grid at the point where the
track direction leaves the sphere, and a weaker, earlier blob where it enters. The flavour label
sets the blob width (0 narrow, 1 wide, 2 faint). Nothing here is detector physics; it only gives
the nets a signal that they can learn in a few epochs.
"""

import os
from pathlib import Path

import numpy as np
import pandas as pd

from junoml.grid.store import GridShardWriter
from junoml.rng import event_rng

# Blob width in pixels and peak charge in p.e. per label: nu_mu CC, nu_e CC, NC.
BLOB_WIDTH_PX = (1.0, 3.0, 2.0)
BLOB_PEAK_PE = (40.0, 40.0, 8.0)


def synthetic_event(rng: np.random.Generator, shape: tuple[int, int, int, int], direction: np.ndarray, label: int, *, time_bin_ns: float) -> np.ndarray:
    """Return a [C, T, H, W] tensor: channel 0 charge (p.e.); channel 1, when C > 1, first-hit time (ns, 0 where empty)."""
    n_channels, n_time, height, width = shape
    theta_bins = (np.arange(height) + 0.5) * np.pi / height
    phi_bins = (np.arange(width) + 0.5) * 2 * np.pi / width
    charge = np.zeros((n_time, height, width))

    for sign, scale, time_fraction in ((1.0, 1.0, 0.6), (-1.0, 0.4, 0.2)):
        point = sign * direction
        theta = np.arccos(np.clip(point[2], -1, 1))
        phi = np.arctan2(point[1], point[0]) % (2 * np.pi)
        d_theta = (theta_bins[:, None] - theta) * height / np.pi
        d_phi = (phi_bins[None, :] - phi + np.pi) % (2 * np.pi) - np.pi
        d_phi = d_phi * width / (2 * np.pi) * np.sin(max(theta, 0.2))
        blob = BLOB_PEAK_PE[label] * scale * np.exp(-0.5 * (d_theta**2 + d_phi**2) / BLOB_WIDTH_PX[label] ** 2)
        time_bin = min(n_time - 1, int(time_fraction * n_time))
        charge[time_bin] += rng.poisson(blob)

    charge += rng.poisson(0.02, size=charge.shape)
    tensor = np.zeros(shape, dtype=np.float32)
    tensor[0] = charge
    if n_channels > 1:
        has_charge = charge > 0
        first = (has_charge.argmax(axis=0) + 0.5) * time_bin_ns
        tensor[1] = np.where(has_charge.any(axis=0), first, 0.0)[None]
    return tensor


def write_synthetic_task(
    out_dir: str | os.PathLike,
    *,
    shape: tuple[int, int, int, int],
    split_sizes: dict[str, int],
    seed: int,
    chunk_size: int = 100,
    time_bin_ns: float = 8.0,
    energy_bin_edges_gev: tuple[float, ...] = (0.1, 1.0, 10.0),
) -> tuple[list[Path], Path]:
    """Write a synthetic grid store under out_dir/grid and split tables under out_dir/splits.

    Returns:
        The shard prefixes and the split folder.
    """
    out_dir = Path(out_dir)
    n_events = sum(split_sizes.values())
    channel_names = ["charge_pe", "first_hit_time_ns"][: shape[0]]
    meta = {
        "shape": list(shape),
        "channels": [{"name": name, "unit": unit} for name, unit in zip(channel_names, ["p.e.", "ns"])],
        "projection": "equirectangular",
        "time_bin_ns": time_bin_ns,
        "wrap_axis": "W",
    }

    rows = []
    prefixes = []
    for chunk_start in range(0, n_events, chunk_size):
        chunk = f"{chunk_start // chunk_size:04d}"
        prefix = out_dir / "grid" / chunk
        prefixes.append(prefix)
        with GridShardWriter(prefix, meta) as writer:
            for event_id in range(chunk_start, min(n_events, chunk_start + chunk_size)):
                rng = event_rng(seed, "synthetic", event_id)
                direction = rng.normal(size=3)
                direction /= np.linalg.norm(direction)
                label = int(rng.integers(0, 3))
                energy_gev = float(np.exp(rng.uniform(np.log(energy_bin_edges_gev[0]), np.log(energy_bin_edges_gev[-1]))))
                writer.add(event_id, synthetic_event(rng, shape, direction, label, time_bin_ns=time_bin_ns))
                rows.append(
                    {
                        "event_id": event_id,
                        "chunk": chunk,
                        "energy_bin": int(np.searchsorted(energy_bin_edges_gev, energy_gev, side="right") - 1),
                        "energy_gev": energy_gev,
                        "dir_x": direction[0],
                        "dir_y": direction[1],
                        "dir_z": direction[2],
                        "label": np.int8(label),
                        "weight": float(rng.uniform(0.5, 2.0)),
                        "visible_energy_mev": 1000.0 * energy_gev * 0.6,
                        "vertex_x_mm": float(rng.uniform(-1e4, 1e4)),
                        "vertex_y_mm": float(rng.uniform(-1e4, 1e4)),
                        "vertex_z_mm": float(rng.uniform(-1e4, 1e4)),
                    }
                )

    table = pd.DataFrame(rows)
    split_dir = out_dir / "splits"
    split_dir.mkdir(parents=True, exist_ok=True)
    start = 0
    for split, size in split_sizes.items():
        table.iloc[start : start + size].to_parquet(split_dir / f"{split}.parquet", index=False)
        start += size
    return prefixes, split_dir
