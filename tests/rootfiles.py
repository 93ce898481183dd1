"""Helpers that write small ROOT input files (with uproot, or with ROOT itself) and a ring geometry for tests."""

import warnings
from pathlib import Path

import awkward as ak
import numpy as np
import pandas as pd
import uproot

# ROOT compression settings are algorithm * 100 + level (ROOT's RCompressionSetting).
ROOT_COMPRESSION = {"zlib": 101, "lzma": 201, "lz4": 404, "zstd": 505}


def ring_geometry(n_rings: int = 12, max_per_ring: int = 24, radius_mm: float = 19434.0) -> pd.DataFrame:
    """Return a small geometry table: rings of constant polar angle, PMTs evenly spaced in azimuth."""
    rows = []
    pmt_id = 0
    for ring in range(n_rings):
        theta = np.radians((ring + 0.5) * 180.0 / n_rings)
        n = max(1, int(round(max_per_ring * np.sin(theta))))
        for k in range(n):
            phi = np.radians(360.0 * k / n)
            x = radius_mm * np.sin(theta) * np.cos(phi)
            y = radius_mm * np.sin(theta) * np.sin(phi)
            z = radius_mm * np.cos(theta)
            rows.append((pmt_id, x, y, z, np.degrees(theta), np.degrees(phi) % 360.0, ring))
            pmt_id += 1
    table = pd.DataFrame(rows, columns=["pmt_id", "x_mm", "y_mm", "z_mm", "theta_deg", "phi_deg", "ring"])
    return table.astype({"pmt_id": "int32", "ring": "int32"})


def make_events(n_events: int, n_pmts: int, *, hits_per_event: int = 50, seed: int = 1, first_event_id: int = 0) -> dict:
    """Return our layout as numpy/awkward columns: scalar truth and jagged pmt_id, hit_time_ns, charge_pe."""
    rng = np.random.default_rng(seed)
    counts = rng.integers(hits_per_event // 2, hits_per_event * 3 // 2 + 1, size=n_events)
    n_hits = int(counts.sum())
    pmt = ak.unflatten(rng.integers(0, n_pmts, size=n_hits).astype(np.int32), counts)
    hit_time = ak.unflatten(rng.uniform(0.0, 300.0, size=n_hits).astype(np.float32), counts)
    charge = ak.unflatten(rng.exponential(1.0, size=n_hits).astype(np.float32), counts)
    return {
        "event_id": np.arange(first_event_id, first_event_id + n_events, dtype=np.int64),
        "pdg": np.full(n_events, 13, dtype=np.int32),
        "energy_gev": rng.uniform(0.1, 10.0, size=n_events),
        "dir_x": np.zeros(n_events),
        "dir_y": np.zeros(n_events),
        "dir_z": -np.ones(n_events),
        "contained": np.zeros(n_events, dtype=bool),
        "pmt_id": pmt,
        "hit_time_ns": hit_time,
        "charge_pe": charge,
    }


def write_uproot(path: str | Path, columns: dict, *, tree: str = "events") -> Path:
    """Write columns as one TTree with uproot (jagged columns get uproot's own counter branches)."""
    path = Path(path)
    with uproot.recreate(path) as file:
        file.mktree(tree, {name: _branch_type(values) for name, values in columns.items()})
        file[tree].extend(columns)
    return path


def _branch_type(values):
    if isinstance(values, ak.Array):
        return values.type.content
    return np.asarray(values).dtype


def write_flat_uproot(path: str | Path, columns: dict, *, tree: str = "evt") -> Path:
    """Write one entry per hit (scalar branches only) with uproot."""
    path = Path(path)
    with uproot.recreate(path) as file:
        columns = {name: np.asarray(values) for name, values in columns.items()}
        file.mktree(tree, {name: values.dtype for name, values in columns.items()})
        file[tree].extend(columns)
    return path


def write_root_user_tree(path: str | Path, events: list[dict], *, compression: str = "zlib", vectors: bool = False) -> Path:
    """Write a JUNO-like user tree `evt` with ROOT: evtID, nPhotons, pmtID[nPhotons]/I and hitTime[nPhotons]/D.

    With vectors=True, pmtID and hitTime are std::vector<int> and std::vector<double> branches
    instead of C-style arrays with a counter. Each event dict has `evtID`, `pmtID`, `hitTime`.
    """
    import ROOT

    path = Path(path)
    file = ROOT.TFile(str(path), "RECREATE", "", ROOT_COMPRESSION[compression])
    tree = ROOT.TTree("evt", "JUNO-like user tree")
    event_id = np.zeros(1, dtype=np.int32)
    tree.Branch("evtID", event_id, "evtID/I")
    if vectors:
        pmt_vector = ROOT.std.vector("int")()
        time_vector = ROOT.std.vector("double")()
        tree.Branch("pmtID", pmt_vector)
        tree.Branch("hitTime", time_vector)
    else:
        capacity = max([len(e["pmtID"]) for e in events] + [1])
        n_photons = np.zeros(1, dtype=np.int32)
        pmt_array = np.zeros(capacity, dtype=np.int32)
        time_array = np.zeros(capacity, dtype=np.float64)
        tree.Branch("nPhotons", n_photons, "nPhotons/I")
        tree.Branch("pmtID", pmt_array, "pmtID[nPhotons]/I")
        tree.Branch("hitTime", time_array, "hitTime[nPhotons]/D")
    for event in events:
        event_id[0] = event["evtID"]
        n = len(event["pmtID"])
        if vectors:
            pmt_vector.clear()
            time_vector.clear()
            for pmt, hit_time in zip(event["pmtID"], event["hitTime"]):
                pmt_vector.push_back(int(pmt))
                time_vector.push_back(float(hit_time))
        else:
            n_photons[0] = n
            pmt_array[:n] = event["pmtID"]
            time_array[:n] = event["hitTime"]
        tree.Fill()
    tree.Write()
    file.Close()
    return path


def root_available() -> bool:
    """Return whether PyROOT imports (the alpha PyPI build warns on import; the warning is silenced here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        try:
            import ROOT  # noqa: F401
        except ImportError:
            return False
    return True
