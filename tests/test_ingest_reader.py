"""hits_to_parquet on files written with uproot: branch mapping, layouts, ids, sorting and filled truth."""

import awkward as ak
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from junoml.detector.trigger import is_triggered
from junoml.ingest import hits_to_parquet, label_from_pdg
from junoml.io.rootreader import ReaderOptions
from rootfiles import make_events, ring_geometry, write_flat_uproot, write_uproot

TRIGGER = {"window_ns": 300.0, "threshold_hits": 30}


@pytest.fixture(scope="module")
def pmts():
    return ring_geometry()


def run_ingest(tmp_path, paths, pmts, reader=None, **kwargs):
    summary = hits_to_parquet(
        [str(p) for p in paths], reader=reader or {}, pmts=pmts, out_hits=tmp_path / "hits.parquet",
        out_events=tmp_path / "events.parquet", sample="muon", seed=7, trigger=TRIGGER, **kwargs,
    )
    return summary, pd.read_parquet(tmp_path / "hits.parquet"), pd.read_parquet(tmp_path / "events.parquet")


def test_own_layout_keeps_every_hit(tmp_path, pmts):
    columns = make_events(30, len(pmts))
    path = write_uproot(tmp_path / "sim.root", columns)
    summary, hits, events = run_ingest(tmp_path, [path], pmts)
    assert summary["hits_written"] == len(ak.flatten(columns["pmt_id"]))
    assert len(hits) == summary["hits_written"]
    assert events["event_id"].tolist() == list(range(30))
    assert np.isclose(hits["charge_pe"].sum(), ak.sum(columns["charge_pe"]), rtol=1e-5)


def test_hit_table_types_and_sort_order(tmp_path, pmts):
    path = write_uproot(tmp_path / "sim.root", make_events(10, len(pmts)))
    _, hits, _ = run_ingest(tmp_path, [path], pmts)
    assert dict(hits.dtypes.astype(str)) == {"event_id": "int64", "pmt_id": "int32", "hit_time_ns": "float32", "charge_pe": "float32"}
    keys = list(zip(hits["event_id"], hits["pmt_id"], hits["hit_time_ns"]))
    assert keys == sorted(keys)


def test_events_table_has_every_truth_column(tmp_path, pmts):
    path = write_uproot(tmp_path / "sim.root", make_events(5, len(pmts)))
    summary, _, events = run_ingest(tmp_path, [path], pmts)
    assert {"event_id", "pdg", "energy_gev", "triggered", "label", "weight", "track_length_mm", "source_event_id"} <= set(events.columns)
    assert events["weight"].tolist() == [1.0] * 5
    assert events["vertex_x_mm"].isna().all()
    assert summary["filled_columns"]["triggered"] == 5


def test_triggered_filled_from_hits(tmp_path, pmts):
    columns = make_events(8, len(pmts), hits_per_event=40)
    path = write_uproot(tmp_path / "sim.root", columns)
    _, _, events = run_ingest(tmp_path, [path], pmts)
    expected = [is_triggered(np.asarray(t), **TRIGGER) for t in columns["hit_time_ns"]]
    assert events["triggered"].tolist() == expected


def test_row_groups_never_split_an_event(tmp_path, pmts, monkeypatch):
    monkeypatch.setattr("junoml.ingest.ROW_GROUP_TARGET_ROWS", 70)
    path = write_uproot(tmp_path / "sim.root", make_events(20, len(pmts), hits_per_event=40))
    run_ingest(tmp_path, [path], pmts, reader={"step_size": 7})
    parquet = pq.ParquetFile(tmp_path / "hits.parquet")
    assert parquet.num_row_groups > 1
    seen = [set(parquet.read_row_group(g, columns=["event_id"]).column(0).to_pylist()) for g in range(parquet.num_row_groups)]
    for first in range(len(seen)):
        for second in range(first + 1, len(seen)):
            assert not seen[first] & seen[second]


def test_event_without_hits_keeps_row(tmp_path, pmts):
    columns = make_events(3, len(pmts))
    counts = np.array([4, 0, 5])
    columns["pmt_id"] = ak.unflatten(np.arange(9, dtype=np.int32), counts)
    columns["hit_time_ns"] = ak.unflatten(np.linspace(0, 10, 9).astype(np.float32), counts)
    columns["charge_pe"] = ak.unflatten(np.ones(9, dtype=np.float32), counts)
    path = write_uproot(tmp_path / "sim.root", columns)
    summary, hits, events = run_ingest(tmp_path, [path], pmts)
    assert events["event_id"].tolist() == [0, 1, 2]
    assert not events.loc[1, "triggered"]
    assert summary["events_without_hits"] == 1
    assert 1 not in set(hits["event_id"])


def test_branch_mapping_renames_every_branch(tmp_path, pmts):
    columns = make_events(6, len(pmts))
    renamed = {
        "evt": columns["event_id"], "E": columns["energy_gev"], "PDG": columns["pdg"],
        "pmt": columns["pmt_id"], "t": columns["hit_time_ns"], "q": columns["charge_pe"],
    }
    path = write_uproot(tmp_path / "mapped.root", renamed, tree="T")
    reader = {
        "tree": "T",
        "branches": {"event_id": "evt", "pmt_id": "pmt", "hit_time_ns": "t", "charge_pe": "q"},
        "truth_branches": {"energy_gev": "E", "pdg": "PDG"},
    }
    _, hits, events = run_ingest(tmp_path, [path], pmts, reader=reader)
    assert np.allclose(events["energy_gev"], columns["energy_gev"])
    assert events["pdg"].tolist() == [13] * 6
    assert len(hits) == len(ak.flatten(columns["pmt_id"]))


def test_position_ids_from_file_order(tmp_path, pmts):
    first = write_uproot(tmp_path / "a.root", make_events(4, len(pmts), first_event_id=100))
    second = write_uproot(tmp_path / "b.root", make_events(3, len(pmts), first_event_id=100, seed=2))
    reader = {"event_id": "position", "event_ids_per_file": 1000}
    _, _, events = run_ingest(tmp_path, [first, second], pmts, reader=reader, file_index_offset=5)
    assert events["event_id"].tolist() == [5000, 5001, 5002, 5003, 6000, 6001, 6002]
    assert events["source_event_id"].tolist() == [100, 101, 102, 103, 100, 101, 102]


def juno_photon_rows(rng, n_events, photons_per_event=60):
    """Rows of a JUNO-like user tree: one row per detected photon, ids of 20-inch, water-pool and 3-inch PMTs."""
    event, pmt, hit_time = [], [], []
    for e in range(n_events):
        ids = np.concatenate([
            rng.integers(0, 200, size=photons_per_event),
            rng.integers(30000, 32400, size=10),
            rng.integers(300000, 325600, size=15),
        ])
        event.append(np.full(len(ids), e, dtype=np.int32))
        pmt.append(ids.astype(np.int32))
        hit_time.append(rng.uniform(0, 500, size=len(ids)))
    return {"evtID": np.concatenate(event), "pmtID": np.concatenate(pmt), "hitTime": np.concatenate(hit_time)}


JUNO_FLAT_READER = {
    "tree": "evt",
    "layout": "hit_per_entry",
    "event_id": "position",
    "branches": {"event_id": "evtID", "pmt_id": "pmtID", "hit_time_ns": "hitTime", "charge_pe": None},
}


def test_juno_tree_drops_other_pmt_ids(tmp_path):
    pmts = ring_geometry(n_rings=20, max_per_ring=20)
    rows = juno_photon_rows(np.random.default_rng(3), n_events=5)
    path = write_flat_uproot(tmp_path / "user.root", rows)
    summary, hits, events = run_ingest(tmp_path, [path], pmts, reader=JUNO_FLAT_READER)
    assert summary["hits_outside_pmt_id_range"] == 5 * 25
    assert hits["pmt_id"].max() < 17612
    assert len(events) == 5


def test_juno_user_tree_counts_one_pe_per_row(tmp_path):
    pmts = ring_geometry(n_rings=20, max_per_ring=20)
    rows = juno_photon_rows(np.random.default_rng(3), n_events=4)
    path = write_flat_uproot(tmp_path / "user.root", rows)
    _, hits, _ = run_ingest(tmp_path, [path], pmts, reader=JUNO_FLAT_READER)
    assert set(hits["charge_pe"]) == {1.0}


def test_hit_per_entry_small_steps_keep_events_whole(tmp_path):
    pmts = ring_geometry(n_rings=20, max_per_ring=20)
    rows = juno_photon_rows(np.random.default_rng(4), n_events=6)
    path = write_flat_uproot(tmp_path / "user.root", rows)
    _, whole, _ = run_ingest(tmp_path, [path], pmts, reader=JUNO_FLAT_READER)
    _, stepped, events = run_ingest(tmp_path, [path], pmts, reader={**JUNO_FLAT_READER, "step_size": 13})
    assert len(events) == 6
    pd.testing.assert_frame_equal(whole, stepped)


def test_reader_options_reject_unknown_key():
    with pytest.raises(ValueError, match="unknown keys"):
        ReaderOptions.from_config({"treename": "evt"})


def test_label_from_pdg_and_is_cc():
    label = label_from_pdg(np.array([14, -12, 14, 16, 13]), np.array([True, True, False, True, False]))
    assert label[:4].tolist() == [0, 1, 2, 3]
    assert np.isnan(label[4])


def test_label_filled_when_pdg_and_is_cc_exist(tmp_path, pmts):
    columns = make_events(4, len(pmts))
    columns["pdg"] = np.array([14, -12, 12, 16], dtype=np.int32)
    columns["is_cc"] = np.array([True, True, False, True])
    path = write_uproot(tmp_path / "nu.root", columns)
    _, _, events = run_ingest(tmp_path, [path], pmts)
    assert events["label"].tolist() == [0, 1, 2, 3]


def response_geometry():
    pmts = ring_geometry(n_rings=20, max_per_ring=20)
    return pmts.assign(tts_sigma_ns=1.3, dark_rate_hz=20000.0)


def test_response_applied_to_photon_hits(tmp_path):
    rows = juno_photon_rows(np.random.default_rng(6), n_events=3)
    path = write_flat_uproot(tmp_path / "user.root", rows)
    reader = {**JUNO_FLAT_READER, "apply_response": True}
    summary, hits, _ = run_ingest(tmp_path, [path], response_geometry(), reader=reader, response={"dark_noise": True})
    assert summary["hits_read"] == 3 * 85
    assert len(set(hits["charge_pe"])) > 1


def test_response_same_seed_same_hits(tmp_path):
    rows = juno_photon_rows(np.random.default_rng(6), n_events=3)
    path = write_flat_uproot(tmp_path / "user.root", rows)
    reader = {**JUNO_FLAT_READER, "apply_response": True}
    _, first, _ = run_ingest(tmp_path, [path], response_geometry(), reader=reader, response={})
    _, second, _ = run_ingest(tmp_path, [path], response_geometry(), reader=reader, response={})
    pd.testing.assert_frame_equal(first, second)


def test_response_needs_detector_config(tmp_path):
    path = write_flat_uproot(tmp_path / "user.root", juno_photon_rows(np.random.default_rng(6), n_events=1))
    with pytest.raises(ValueError, match="no detector config was given"):
        run_ingest(tmp_path, [path], response_geometry(), reader={**JUNO_FLAT_READER, "apply_response": True})


def test_simulation_writer_file_read(tmp_path, pmts):
    from junoml.io.simroot import write_events

    columns = make_events(5, len(pmts))
    hits = {name: [np.asarray(v) for v in columns.pop(name).to_list()] for name in ("pmt_id", "hit_time_ns", "charge_pe")}
    columns["triggered"] = np.array([True, False, True, True, False])
    path = tmp_path / "0000.root"
    write_events(path, columns, hits, {"junoml_config": {"seed": 1}})
    summary, hits_table, events = run_ingest(tmp_path, [path], pmts)
    assert summary["hits_written"] == sum(len(v) for v in hits["pmt_id"])
    assert events["triggered"].tolist() == [True, False, True, True, False]
    assert "triggered" not in summary["filled_columns"]
