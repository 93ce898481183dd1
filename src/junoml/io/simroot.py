"""ROOT files of the simulation: one TTree `events` with scalar truth branches and jagged hit branches."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

import awkward as ak
import numpy as np
import uproot

from junoml.io.atomic import atomic_output

TREE_NAME = "events"
HIT_BRANCHES = {"pmt_id": np.int32, "hit_time_ns": np.float32, "charge_pe": np.float32}
# The jagged hit branches share one counter branch.
HIT_COUNTER = "n_hits"
# Truth columns whose type is not float64 (docs/contracts.md).
TRUTH_DTYPES = {
    "event_id": np.int64,
    "pdg": np.int32,
    "lepton_pdg": np.int32,
    "mode": np.int8,
    "label": np.int8,
    "is_cc": np.bool_,
    "contained": np.bool_,
    "triggered": np.bool_,
}


def compression():
    """Return the compression of the simulation's ROOT files.

    ZSTD level 1: on 1 GeV muon events (benchmarks/bench_simulation.py) it writes about as fast
    as LZ4 and much faster than uproot's default ZLIB; the continuous float32 hit times compress
    little whatever the algorithm.
    """
    return uproot.ZSTD(1)


class SimRootWriter:
    """Write events to a ROOT file in batches; the file appears at `path` only when the writer closes without error."""

    def __init__(self, path: str | os.PathLike, metadata: Mapping[str, object]) -> None:
        self.path = Path(path)
        self.metadata = dict(metadata)
        self._atomic = atomic_output(self.path)
        self._file = None
        self._tree = None

    def __enter__(self) -> SimRootWriter:
        tmp = self._atomic.__enter__()
        self._file = uproot.recreate(tmp, compression=compression())
        for key, value in self.metadata.items():
            self._file[key] = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
        return self

    def extend(self, columns: Mapping[str, object], hits: Mapping[str, list]) -> None:
        """Append events: `columns` maps truth names to one value per event, `hits` maps pmt_id, hit_time_ns, charge_pe to per-event arrays."""
        missing = [name for name in HIT_BRANCHES if name not in hits]
        if missing:
            raise ValueError(f"{self.path}: the hits lack {missing}; expected {list(HIT_BRANCHES)}")
        arrays = {name: np.asarray(values, dtype=TRUTH_DTYPES.get(name, np.float64)) for name, values in columns.items()}
        n_events = {name: a.shape[0] for name, a in arrays.items()} | {name: len(hits[name]) for name in HIT_BRANCHES}
        if len(set(n_events.values())) > 1:
            raise ValueError(f"{self.path}: columns and hits must hold the same number of events, got {n_events}")
        for name, dtype in HIT_BRANCHES.items():
            counts = np.array([len(v) for v in hits[name]], dtype=np.int64)
            flat = np.concatenate(hits[name]).astype(dtype) if len(hits[name]) else np.empty(0, dtype=dtype)
            arrays[name] = ak.unflatten(flat, counts)
        if self._tree is None:
            types = {name: (a.dtype if name not in HIT_BRANCHES else f"var * {np.dtype(HIT_BRANCHES[name]).name}")
                     for name, a in arrays.items()}
            self._tree = self._file.mktree(TREE_NAME, types, counter_name=lambda counted: HIT_COUNTER)
        self._tree.extend(arrays)

    def __exit__(self, exc_type, exc, traceback) -> bool:
        try:
            self._file.close()
        finally:
            self._atomic.__exit__(exc_type, exc, traceback)
        return False


def write_events(out_path: str | os.PathLike, columns: Mapping[str, object], hits: Mapping[str, list],
                 metadata: Mapping[str, object]) -> None:
    """Write events to `out_path` at once, atomically (see SimRootWriter)."""
    with SimRootWriter(out_path, metadata) as writer:
        writer.extend(columns, hits)


def read_events(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], dict[str, ak.Array], dict[str, object]]:
    """Read a simulation file: (truth columns, jagged hits, metadata decoded from JSON)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"simulation file {path} not found")
    with uproot.open(path) as file:
        if TREE_NAME not in file:
            raise ValueError(f"{path} contains no TTree {TREE_NAME!r}; it is not a simulation file of this package")
        tree = file[TREE_NAME]
        names = [n for n in tree.keys() if n not in HIT_BRANCHES and n != HIT_COUNTER]
        columns = {name: tree[name].array(library="np") for name in names}
        hits = {name: tree[name].array() for name in HIT_BRANCHES}
        metadata = {}
        for key in file.keys(cycle=False):
            if key != TREE_NAME:
                text = str(file[key])
                try:
                    metadata[key] = json.loads(text)
                except json.JSONDecodeError:
                    metadata[key] = text
    return columns, hits, metadata
