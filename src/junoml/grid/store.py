"""Grid store: per-chunk shards of zstd-compressed float16 tensors with random access by event_id.

One shard per simulation chunk, under results/grid/{sample}/:
- `{chunk}.grid`: one zstd frame per event, the event's [C, T, H, W] float16 tensor in C order;
- `{chunk}.index.parquet`: event_id, offset and nbytes of each frame, plus per-event columns;
- `{chunk}.meta.json`: shape, dtype, channels, projection and time binning, the same for every
  shard of a sample.
A reader opens the index of every shard, then reads one frame per request, so memory does not
grow with the sample size.

Encoding: float16 represents at most 65,504, which the charge of one pixel and time bin exceeds for
GeV muons on a coarse grid. The charge channel is therefore stored as float16 of log1p(charge in
p.e.), which keeps the relative precision within 0.1% (charge of 1 p.e.) to 0.4% (10^3 p.e.) and
has no overflow below 10^28000 p.e. Other channels (first-hit time in ns, PMT mask) are stored as
plain float16. `channel_encoding` in the metadata records the encoding per channel, and
GridStore.read decodes, so readers always see p.e. and ns as float32.
"""

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import zstandard

from junoml.io.atomic import temporary_path

STORE_DTYPE = np.float16
INDEX_COLUMNS = ("event_id", "offset", "nbytes")
LOG1P_CHANNELS = ("charge",)


class GridStoreError(ValueError):
    """A grid shard is missing, corrupted or inconsistent with its metadata."""


def shard_paths(prefix: str | os.PathLike) -> tuple[Path, Path, Path]:
    """Return the (grid, index, meta) paths of the shard whose common prefix is results/grid/{sample}/{chunk}."""
    prefix = Path(prefix)
    return (
        prefix.with_name(prefix.name + ".grid"),
        prefix.with_name(prefix.name + ".index.parquet"),
        prefix.with_name(prefix.name + ".meta.json"),
    )


class GridShardWriter:
    """Write one shard; the three files appear only when close() succeeds.

    Args:
        prefix: results/grid/{sample}/{chunk}, without an extension.
        meta: metadata of the store. It must contain "shape" ([C, T, H, W]); "dtype" is set here.
        compression_level: zstd level; 3 is zstd's default.
    """

    def __init__(self, prefix: str | os.PathLike, meta: dict, *, compression_level: int = 3):
        if "shape" not in meta or len(meta["shape"]) != 4:
            raise ValueError(f"grid metadata needs 'shape' as [C, T, H, W], got {meta.get('shape')!r}")
        self.grid_path, self.index_path, self.meta_path = shard_paths(prefix)
        self.grid_path.parent.mkdir(parents=True, exist_ok=True)
        self.meta = {**meta, "shape": [int(s) for s in meta["shape"]], "dtype": np.dtype(STORE_DTYPE).name}
        self._shape = tuple(self.meta["shape"])
        names = [channel["name"] if isinstance(channel, dict) else str(channel) for channel in meta.get("channels", [])]
        if names and len(names) != self._shape[0]:
            raise ValueError(f"grid metadata lists {len(names)} channels but the shape has C = {self._shape[0]}")
        names = names or [f"channel_{index}" for index in range(self._shape[0])]
        self.meta["channel_encoding"] = ["log1p" if name in LOG1P_CHANNELS else "linear" for name in names]
        self._log1p = np.array([encoding == "log1p" for encoding in self.meta["channel_encoding"]])
        self._compressor = zstandard.ZstdCompressor(level=compression_level)
        self._tmp_grid = temporary_path(self.grid_path)
        self._file = open(self._tmp_grid, "wb")
        self._offset = 0
        self._rows: list[dict] = []

    def add(self, event_id: int, tensor: np.ndarray, **columns) -> None:
        """Append one event's tensor [C, T, H, W]; extra keyword values become index columns."""
        if tensor.shape != self._shape:
            raise ValueError(f"event {event_id}: tensor shape {tensor.shape} differs from the store shape {self._shape}")
        values = np.array(tensor, dtype=np.float32)
        if self._log1p.any():
            if (values[self._log1p] < 0).any():
                raise ValueError(f"event {event_id}: negative charge in the grid; charges must be >= 0 p.e.")
            values[self._log1p] = np.log1p(values[self._log1p])
        if not np.isfinite(values).all() or np.abs(values).max(initial=0.0) > np.finfo(STORE_DTYPE).max:
            raise ValueError(f"event {event_id}: a grid value is NaN or beyond the float16 range (65504) after encoding")
        frame = self._compressor.compress(np.ascontiguousarray(values.astype(STORE_DTYPE)).tobytes())
        self._file.write(frame)
        self._rows.append({"event_id": int(event_id), "offset": self._offset, "nbytes": len(frame), **columns})
        self._offset += len(frame)

    def close(self) -> None:
        """Flush the shard and rename its files into place: index and metadata last, so a shard with an index is whole."""
        self._file.close()
        index = pd.DataFrame(self._rows, columns=None if self._rows else list(INDEX_COLUMNS))
        index = index.astype({"event_id": "int64", "offset": "int64", "nbytes": "int64"})
        self.meta["n_events"] = len(index)
        tmp_index = temporary_path(self.index_path)
        tmp_meta = temporary_path(self.meta_path)
        index.to_parquet(tmp_index, index=False)
        tmp_meta.write_text(json.dumps(self.meta, indent=2, sort_keys=True))
        os.replace(self._tmp_grid, self.grid_path)
        os.replace(tmp_index, self.index_path)
        os.replace(tmp_meta, self.meta_path)

    def abort(self) -> None:
        """Close and delete the unfinished shard."""
        self._file.close()
        self._tmp_grid.unlink(missing_ok=True)

    def __enter__(self) -> "GridShardWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


class GridStore:
    """Random-access reader over the shards of one sample.

    Args:
        prefixes: shard prefixes (results/grid/{sample}/{chunk}), in any order.
    Raises:
        GridStoreError: a shard file is missing, two shards disagree on the metadata, an
            event_id appears twice, or the index points outside its shard.
    """

    def __init__(self, prefixes: list[str | os.PathLike]):
        if not prefixes:
            raise GridStoreError("no grid shards given; run the 'grid' rule first")
        self.meta: dict | None = None
        indexes = []
        self._grid_paths: list[Path] = []
        for shard, prefix in enumerate(prefixes):
            grid_path, index_path, meta_path = shard_paths(prefix)
            for path in (grid_path, index_path, meta_path):
                if not path.exists():
                    raise GridStoreError(f"grid shard file not found: {path}; rerun the 'grid' rule for this chunk")
            meta = json.loads(meta_path.read_text())
            index = pd.read_parquet(index_path)
            self._check_shard(grid_path, meta_path, meta, index)
            if self.meta is None:
                self.meta = meta
            elif _comparable(meta) != _comparable(self.meta):
                raise GridStoreError(
                    f"{meta_path}: metadata differs from the first shard {shard_paths(prefixes[0])[2]}; "
                    "regrid every chunk of the sample with one config"
                )
            index = index.assign(shard=shard)
            indexes.append(index)
            self._grid_paths.append(grid_path)
        self.index = pd.concat(indexes, ignore_index=True)
        if self.index["event_id"].duplicated().any():
            duplicate = int(self.index.loc[self.index["event_id"].duplicated(), "event_id"].iloc[0])
            raise GridStoreError(f"event_id {duplicate} appears in more than one grid shard")
        self.index = self.index.set_index("event_id", drop=False)
        self.shape = tuple(self.meta["shape"])
        encoding = self.meta.get("channel_encoding", ["linear"] * self.shape[0])
        self._log1p = np.array([name == "log1p" for name in encoding])
        self._decompressor = zstandard.ZstdDecompressor()
        self._files: dict[int, object] = {}

    @staticmethod
    def _check_shard(grid_path: Path, meta_path: Path, meta: dict, index: pd.DataFrame) -> None:
        missing = [c for c in INDEX_COLUMNS if c not in index.columns]
        if missing:
            raise GridStoreError(f"{grid_path.with_suffix('.index.parquet')}: missing columns {missing}; regrid this chunk")
        if meta.get("n_events") != len(index):
            raise GridStoreError(
                f"{meta_path}: n_events = {meta.get('n_events')} but the index lists {len(index)} events; regrid this chunk"
            )
        size = grid_path.stat().st_size
        end = int((index["offset"] + index["nbytes"]).max()) if len(index) else 0
        if end != size:
            raise GridStoreError(f"{grid_path}: {size} bytes but the index ends at byte {end}; the shard is truncated or corrupted, regrid this chunk")

    @property
    def event_ids(self) -> np.ndarray:
        return self.index["event_id"].to_numpy()

    def __len__(self) -> int:
        return len(self.index)

    def __contains__(self, event_id: int) -> bool:
        return int(event_id) in self.index.index

    def read(self, event_id: int) -> np.ndarray:
        """Return the tensor [C, T, H, W] of one event as float32."""
        try:
            row = self.index.loc[int(event_id)]
        except KeyError:
            raise KeyError(f"event_id {event_id} is not in the grid store") from None
        shard = int(row["shard"])
        handle = self._files.get(shard)
        if handle is None:
            # Opened lazily, so each DataLoader worker process gets its own file handles.
            handle = self._files[shard] = open(self._grid_paths[shard], "rb")
        handle.seek(int(row["offset"]))
        frame = handle.read(int(row["nbytes"]))
        try:
            raw = self._decompressor.decompress(frame)
        except zstandard.ZstdError as error:
            raise GridStoreError(f"{self._grid_paths[shard]}: event {event_id} cannot be decompressed ({error}); regrid this chunk") from None
        values = np.frombuffer(raw, dtype=STORE_DTYPE)
        if values.size != int(np.prod(self.shape)):
            raise GridStoreError(f"{self._grid_paths[shard]}: event {event_id} contains {values.size} values, but the metadata shape {self.shape} needs {int(np.prod(self.shape))}")
        tensor = values.reshape(self.shape).astype(np.float32)
        if self._log1p.any():
            tensor[self._log1p] = np.expm1(tensor[self._log1p])
        return tensor

    def close(self) -> None:
        for handle in self._files.values():
            handle.close()
        self._files.clear()

    def __getstate__(self) -> dict:
        # File handles do not survive pickling into DataLoader workers; each worker reopens them.
        state = self.__dict__.copy()
        state["_files"] = {}
        state["_decompressor"] = None
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._decompressor = zstandard.ZstdDecompressor()


def _comparable(meta: dict) -> dict:
    return {key: value for key, value in meta.items() if key not in ("n_events", "chunk")}
