"""Datasets that read grid tensors by event_id, normalise them and pair them with split targets.

Input normalisation, stored in model.pt with the weights:
- charge channels (name containing "charge", in p.e.): log1p(charge), which keeps single p.e. near
  0.7 and compresses the 10^3-10^4 p.e. pixels of GeV muons to about 7-9;
- time channels (name containing "time", in ns since t0): divided by the time window
  n_time_bins * time_bin_ns, so that the window spans 0 to 1;
- other channels (masks) pass unchanged.
The cnn2d model instead gets two time-integrated maps [2, H, W] built from the first charge
channel: log1p of the charge summed over T, and the pixel's first-hit time divided by the time
window, 0 for pixels without charge. The first-hit time comes from the grid's first_hit_time
channel when it has one, otherwise it is the centre of the first time bin with charge.
"""

import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from junoml.grid.store import GridStore

log = logging.getLogger(__name__)

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class Normalisation:
    """Per-channel input transform; see the module docstring."""

    channel_names: tuple[str, ...]
    charge_channels: tuple[int, ...]
    time_channels: tuple[int, ...]
    time_bin_ns: float
    n_time_bins: int
    time_integrate: bool

    @property
    def time_window_ns(self) -> float:
        return self.time_bin_ns * self.n_time_bins

    @property
    def n_input_channels(self) -> int:
        return 2 if self.time_integrate else len(self.channel_names)

    def apply(self, tensor: np.ndarray) -> np.ndarray:
        """Return the network input for one event tensor [C, T, H, W] (float32)."""
        if self.time_integrate:
            return self._time_integrated(tensor)
        out = np.array(tensor, dtype=np.float32, copy=True)
        for channel in self.charge_channels:
            out[channel] = np.log1p(np.maximum(out[channel], 0.0))
        for channel in self.time_channels:
            out[channel] /= self.time_window_ns
        return out

    def _time_integrated(self, tensor: np.ndarray) -> np.ndarray:
        charge = np.maximum(tensor[self.charge_channels[0]], 0.0)
        total = charge.sum(axis=0)
        has_charge = charge > 0
        first_bin = has_charge.argmax(axis=0)
        if self.time_channels:
            # The earliest hit of the first bin with charge is the pixel's first-hit time.
            first_time_ns = np.take_along_axis(tensor[self.time_channels[0]], first_bin[None], axis=0)[0]
        else:
            first_time_ns = (first_bin + 0.5) * self.time_bin_ns
        first_time = np.where(has_charge.any(axis=0), first_time_ns / self.time_window_ns, 0.0)
        return np.stack([np.log1p(total), first_time]).astype(np.float32)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "Normalisation":
        return cls(**{**values, **{key: tuple(values[key]) for key in ("channel_names", "charge_channels", "time_channels")}})


def channel_names_from_meta(meta: dict) -> tuple[str, ...]:
    """Return the channel names of a grid store's metadata (a list of names, of {"name": ...} dicts, or a name -> unit dict)."""
    channels = meta.get("channels")
    if isinstance(channels, dict):
        names = tuple(channels)
    elif isinstance(channels, list):
        names = tuple(c["name"] if isinstance(c, dict) else str(c) for c in channels)
    else:
        raise KeyError(f"grid metadata has no 'channels' list (got {channels!r}); regrid with the current grid stage")
    if len(names) != meta["shape"][0]:
        raise ValueError(f"grid metadata lists {len(names)} channels {list(names)} but its shape {meta['shape']} has C = {meta['shape'][0]}")
    return names


def _find_key(meta: dict, key: str):
    if key in meta:
        return meta[key]
    for value in meta.values():
        if isinstance(value, dict):
            found = _find_key(value, key)
            if found is not None:
                return found
    return None


def normalisation_from_meta(meta: dict, *, time_integrate: bool) -> Normalisation:
    """Build the input normalisation of a grid store from its metadata.

    Raises:
        KeyError: the metadata lacks channel names or time_bin_ns.
        ValueError: no channel is a charge channel.
    """
    names = channel_names_from_meta(meta)
    charge = tuple(i for i, name in enumerate(names) if "charge" in name.lower())
    time = tuple(i for i, name in enumerate(names) if "time" in name.lower() and i not in charge)
    if not charge:
        raise ValueError(f"grid channels {list(names)} contain no charge channel (a name with 'charge'); the nets need one")
    time_bin_ns = _find_key(meta, "time_bin_ns")
    if time_bin_ns is None:
        raise KeyError("grid metadata has no 'time_bin_ns'; regrid with the current grid stage")
    return Normalisation(
        channel_names=names,
        charge_channels=charge,
        time_channels=time,
        time_bin_ns=float(time_bin_ns),
        n_time_bins=int(meta["shape"][1]),
        time_integrate=time_integrate,
    )


def read_split(split_dir: str | os.PathLike, split: str) -> tuple[pd.DataFrame, Path]:
    """Return the pooled split table results/splits/{task}/{split}.parquet and its path."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {SPLITS}")
    path = Path(split_dir) / f"{split}.parquet"
    if not path.exists():
        raise FileNotFoundError(f"split file not found: {path}; run the 'split' rule first")
    table = pd.read_parquet(path)
    if "event_id" not in table.columns:
        raise KeyError(f"{path}: missing column 'event_id'; rerun the 'split' rule")
    return table.reset_index(drop=True), path


class GridDataset(Dataset):
    """Events of one split: (normalised input, targets, row index) read by event_id from a GridStore.

    Args:
        store: the grid store; it pickles without open files, so worker processes reopen them.
        event_ids: event_id of each row.
        targets: arrays with one entry per row (from tasks.targets_from_table).
        normalisation: the input transform.
    """

    def __init__(self, store: GridStore, event_ids: np.ndarray, targets: dict[str, np.ndarray], normalisation: Normalisation):
        event_ids = np.asarray(event_ids, dtype=np.int64)
        missing = event_ids[~np.isin(event_ids, store.event_ids)]
        if len(missing):
            raise KeyError(f"{len(missing)} split events are not in the grid store (first: {missing[:5].tolist()}); regrid the sample or rerun the 'split' rule")
        self.store = store
        self.event_ids = event_ids
        self.targets = targets
        self.normalisation = normalisation

    def __len__(self) -> int:
        return len(self.event_ids)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, dict[str, torch.Tensor], int]:
        # An index beyond the rows encodes an azimuthal rotation: row + n_rows * shift (see
        # EpochPermutationSampler), shift in grid columns.
        row, shift = index % len(self.event_ids), index // len(self.event_ids)
        tensor = self.normalisation.apply(self.store.read(int(self.event_ids[row])))
        targets = {name: torch.as_tensor(values[row]) for name, values in self.targets.items()}
        if shift:
            tensor = np.ascontiguousarray(np.roll(tensor, shift, axis=-1))
            targets = rotate_targets(targets, 2.0 * np.pi * shift / tensor.shape[-1])
        return torch.from_numpy(tensor), targets, row


def rotate_targets(targets: dict[str, torch.Tensor], angle_rad: float) -> dict[str, torch.Tensor]:
    """Rotate the direction and vertex targets about +z by angle_rad (from +x towards +y, as grid columns run)."""
    cos, sin = float(np.cos(angle_rad)), float(np.sin(angle_rad))
    rotated = dict(targets)
    for name in ("direction", "vertex"):
        if name in targets:
            x, y, z = targets[name].unbind(-1)
            rotated[name] = torch.stack([cos * x - sin * y, sin * x + cos * y, z], dim=-1)
    return rotated


class EpochPermutationSampler(Sampler[int]):
    """Random order of the rows, fixed by (seed, epoch), so a resumed run gets the same order."""

    def __init__(self, n_rows: int, *, seed: int, azimuth_columns: int = 0):
        """azimuth_columns: grid width W to draw a random azimuthal rotation of each row from; 0 rotates nothing."""
        self.n_rows = n_rows
        self.seed = seed
        self.azimuth_columns = azimuth_columns
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self):
        rng = np.random.default_rng([self.seed, self.epoch])
        order = rng.permutation(self.n_rows)
        if self.azimuth_columns > 1:
            order = order + self.n_rows * rng.integers(0, self.azimuth_columns, self.n_rows)
        return iter(order.tolist())

    def __len__(self) -> int:
        return self.n_rows


def make_loader(dataset: GridDataset, *, batch_size: int, num_workers: int, pin_memory: bool, sampler: Sampler | None = None) -> DataLoader:
    """Return a DataLoader over `dataset`, in row order unless a sampler is given."""
    return DataLoader(
        dataset,
        batch_size=batch_size,
        sampler=sampler,
        shuffle=False,
        num_workers=num_workers,
        pin_memory=pin_memory,
        persistent_workers=num_workers > 0,
        drop_last=False,
    )
