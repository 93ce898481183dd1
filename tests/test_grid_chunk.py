"""Gridding of events and whole chunks: time bins, t0 under dark noise, channels, charge conservation, the shard."""

import json

import awkward as ak
import numpy as np
import pandas as pd
import pytest

from junoml.grid import EventGridder, GridInputError, GridOptions, grid_chunk
from junoml.grid.store import GridStore
from junoml.ingest import hits_to_parquet
from rootfiles import make_events, ring_geometry, write_uproot

SMALL = {"height": 8, "width": 16, "n_time_bins": 4, "time_bin_ns": 10.0, "t0_window_ns": 5.0, "t0_threshold_hits": 3, "t0_pre_window_ns": 0.0}


@pytest.fixture(scope="module")
def pmts():
    return ring_geometry(n_rings=8, max_per_ring=16)


def burst(pmt_id, start_ns, n=3):
    """Return n hits on one PMT, 1 ns apart from start_ns, 1 p.e. each."""
    return np.full(n, pmt_id, np.int32), start_ns + np.arange(n, dtype=np.float32), np.ones(n, np.float32)


def test_t0_is_first_passing_window(pmts):
    gridder = EventGridder(pmts, GridOptions(**SMALL))
    pmt, hit_time, charge = burst(5, 100.0)
    _, t0, _ = gridder.grid(pmt, hit_time, charge)
    assert t0 == pytest.approx(100.0)


def test_t0_ignores_isolated_dark_hits(pmts):
    gridder = EventGridder(pmts, GridOptions(**SMALL))
    pmt, hit_time, charge = burst(5, 100.0)
    dark_time = np.array([10.0, 40.0, 70.0], np.float32)
    _, t0, _ = gridder.grid(np.r_[pmt, [1, 2, 3]].astype(np.int32), np.r_[hit_time, dark_time], np.r_[charge, [1, 1, 1]].astype(np.float32))
    assert t0 == pytest.approx(100.0)


def test_t0_under_realistic_dark_noise(pmts):
    # 0.7 dark pulses per ns over 1000 ns, the rate of 17,612 PMTs at the default dark rates, and
    # a 200-hit event from 400 ns on. The default t0 (50 hits within 10 ns, minus 5 ns) may start
    # at a dark hit up to one window before the event, never earlier.
    rng = np.random.default_rng(11)
    dark = rng.uniform(0.0, 1000.0, size=700).astype(np.float32)
    signal = (400.0 + rng.exponential(5.0, size=200)).astype(np.float32)
    hit_time = np.r_[dark, signal]
    pmt = rng.integers(0, len(pmts), size=len(hit_time)).astype(np.int32)
    gridder = EventGridder(pmts, GridOptions(height=8, width=16))
    _, t0, _ = gridder.grid(pmt, hit_time, np.ones(len(hit_time), np.float32))
    assert 400.0 - 10.0 - 5.0 <= t0 <= 400.0 - 5.0


def test_dark_noise_only_nan_t0(pmts):
    rng = np.random.default_rng(12)
    hit_time = rng.uniform(0.0, 1000.0, size=700).astype(np.float32)
    pmt = rng.integers(0, len(pmts), size=700).astype(np.int32)
    tensor, t0, charge_kept_pe = EventGridder(pmts, GridOptions(height=8, width=16)).grid(pmt, hit_time, np.ones(700, np.float32))
    assert np.isnan(t0)
    assert not tensor.any()
    assert charge_kept_pe == 0.0


def test_hit_lands_in_time_bin_and_pixel(pmts):
    options = GridOptions(**SMALL)
    gridder = EventGridder(pmts, options)
    pmt, hit_time, charge = burst(5, 100.0)
    late_pmt = np.int32(20)
    tensor, _, _ = gridder.grid(np.r_[pmt, late_pmt], np.r_[hit_time, np.float32(125.0)], np.r_[charge, np.float32(2.5)])
    pixel = gridder.projection.pixel_of_pmt[late_pmt]
    assert tensor[0, 2].reshape(-1)[pixel] == pytest.approx(2.5)
    assert tensor[0, 0].reshape(-1)[gridder.projection.pixel_of_pmt[5]] == pytest.approx(3.0)


@pytest.mark.parametrize(("overflow", "expected_last_bin"), [("last_bin", 4.0), ("drop", 0.0)])
def test_overflow_policy(pmts, overflow, expected_last_bin):
    gridder = EventGridder(pmts, GridOptions(**{**SMALL, "overflow": overflow}))
    pmt, hit_time, charge = burst(5, 0.0)
    tensor, _, charge_kept_pe = gridder.grid(np.r_[pmt, 30].astype(np.int32), np.r_[hit_time, 500.0].astype(np.float32), np.r_[charge, 4.0].astype(np.float32))
    assert tensor[0, 3].sum() == pytest.approx(expected_last_bin)
    assert charge_kept_pe == pytest.approx(3.0 + expected_last_bin)


def test_hits_before_t0_dropped(pmts):
    gridder = EventGridder(pmts, GridOptions(**{**SMALL, "t0_pre_window_ns": 2.0}))
    pmt, hit_time, charge = burst(5, 100.0)
    tensor, t0, charge_kept_pe = gridder.grid(np.r_[pmt, 6].astype(np.int32), np.r_[hit_time, 90.0].astype(np.float32), np.r_[charge, 1.0].astype(np.float32))
    assert t0 == pytest.approx(98.0)
    assert charge_kept_pe == pytest.approx(3.0)


def test_first_hit_time_channel(pmts):
    gridder = EventGridder(pmts, GridOptions(**{**SMALL, "channels": ["charge", "first_hit_time", "pmt_mask"]}))
    pmt, hit_time, charge = burst(5, 100.0)
    tensor, _, _ = gridder.grid(np.r_[pmt, 5].astype(np.int32), np.r_[hit_time, 117.5].astype(np.float32), np.r_[charge, 1.0].astype(np.float32))
    pixel = gridder.projection.pixel_of_pmt[5]
    assert tensor[1, 0].reshape(-1)[pixel] == pytest.approx(0.0)
    assert tensor[1, 1].reshape(-1)[pixel] == pytest.approx(17.5)
    assert tensor[2, 3].sum() == gridder.projection.mask.sum()


def test_options_need_charge_first():
    with pytest.raises(ValueError, match="list 'charge' first"):
        GridOptions(channels=("pmt_mask", "charge"))


def ingested_chunk(tmp_path, pmts, n_events=12):
    columns = make_events(n_events, len(pmts), hits_per_event=80)
    hit_counts = np.asarray([len(x) for x in columns["pmt_id"].tolist()])
    hit_counts[4] = 0
    flat = {name: ak.to_numpy(ak.flatten(columns[name])) for name in ("pmt_id", "hit_time_ns", "charge_pe")}
    total = int(hit_counts.sum())
    columns.update({name: ak.unflatten(values[:total], hit_counts) for name, values in flat.items()})
    path = write_uproot(tmp_path / "sim.root", columns)
    hits_to_parquet(
        [str(path)], reader={}, pmts=pmts, out_hits=tmp_path / "0003.hits.parquet", out_events=tmp_path / "0003.events.parquet",
        sample="muon", seed=1, trigger={"window_ns": 300.0, "threshold_hits": 10},
    )
    return tmp_path / "0003.hits.parquet", tmp_path / "0003.events.parquet"


GRID = {"height": 8, "width": 16, "n_time_bins": 8, "time_bin_ns": 40.0, "t0_window_ns": 50.0, "t0_threshold_hits": 5}


def test_chunk_charge_conserved_with_last_bin(tmp_path, pmts):
    hits_path, events_path = ingested_chunk(tmp_path, pmts)
    grid_chunk(hits_path, events_path, pmts, GRID, tmp_path / "grid" / "0003")
    store = GridStore([tmp_path / "grid" / "0003"])
    hits = pd.read_parquet(hits_path)
    for event_id, row in store.index.iterrows():
        event_hits = hits[hits["event_id"] == event_id]
        before_t0 = event_hits.loc[event_hits["hit_time_ns"] < row["t0_ns"], "charge_pe"].sum()
        expected = 0.0 if np.isnan(row["t0_ns"]) else event_hits["charge_pe"].sum() - before_t0
        assert row["charge_in_grid_pe"] == pytest.approx(expected, rel=1e-5)


def test_chunk_tensor_sum_matches_index(tmp_path, pmts):
    hits_path, events_path = ingested_chunk(tmp_path, pmts)
    grid_chunk(hits_path, events_path, pmts, GRID, tmp_path / "grid" / "0003")
    store = GridStore([tmp_path / "grid" / "0003"])
    for event_id, row in store.index.iterrows():
        # float16 storage rounds each pixel to about 3 significant digits.
        assert store.read(event_id).sum() == pytest.approx(row["charge_in_grid_pe"], rel=2e-3, abs=1e-3)


def test_chunk_keeps_event_without_hits(tmp_path, pmts):
    hits_path, events_path = ingested_chunk(tmp_path, pmts)
    summary = grid_chunk(hits_path, events_path, pmts, GRID, tmp_path / "grid" / "0003")
    store = GridStore([tmp_path / "grid" / "0003"])
    assert summary["events"] == 12
    assert store.event_ids.tolist() == list(range(12))
    assert np.isnan(store.index.loc[4, "t0_ns"])
    assert not store.read(4).any()


def test_chunk_meta_describes_grid(tmp_path, pmts):
    hits_path, events_path = ingested_chunk(tmp_path, pmts)
    grid_chunk(hits_path, events_path, pmts, {**GRID, "projection": "rings", "width": None}, tmp_path / "grid" / "0003")
    meta = json.loads((tmp_path / "grid" / "0003.meta.json").read_text())
    assert meta["shape"] == [1, 8, 8, 16]
    assert meta["wrap_axis"] == "W"
    assert meta["time"]["overflow"] == "last_bin"
    assert meta["projection"]["name"] == "rings"


def test_chunk_rejects_event_missing_from_events_table(tmp_path, pmts):
    hits_path, events_path = ingested_chunk(tmp_path, pmts)
    events = pd.read_parquet(events_path)
    events[events["event_id"] != 7].to_parquet(events_path, index=False)
    with pytest.raises(GridInputError, match="event 7 is not in the events table"):
        grid_chunk(hits_path, events_path, pmts, GRID, tmp_path / "grid" / "0003")
    assert not (tmp_path / "grid" / "0003.index.parquet").exists()
