"""hits_to_parquet on bad input: InputError by default, counted drops with on_bad_input: drop."""

import awkward as ak
import numpy as np
import pandas as pd
import pytest

from junoml.ingest import InputError, hits_to_parquet
from rootfiles import make_events, ring_geometry, write_flat_uproot, write_uproot

TRIGGER = {"window_ns": 300.0, "threshold_hits": 30}
DROP = {"on_bad_input": "drop"}


@pytest.fixture(scope="module")
def pmts():
    return ring_geometry()


def ingest(tmp_path, path, pmts, reader=None):
    return hits_to_parquet(
        [str(path)], reader=reader or {}, pmts=pmts, out_hits=tmp_path / "hits.parquet",
        out_events=tmp_path / "events.parquet", sample="muon", seed=1, trigger=TRIGGER,
    )


def with_hit_value(columns, branch, event, hit, value):
    """Return columns with one hit value replaced."""
    flat = ak.to_numpy(ak.flatten(columns[branch])).copy()
    counts = ak.to_numpy(ak.num(columns[branch]))
    flat[int(counts[:event].sum()) + hit] = value
    return {**columns, branch: ak.unflatten(flat, counts)}


def test_missing_tree_names_tree_and_fix(tmp_path, pmts):
    path = write_uproot(tmp_path / "a.root", make_events(3, len(pmts)), tree="other")
    with pytest.raises(InputError, match=r"TTree 'events' not found.*set reader.tree"):
        ingest(tmp_path, path, pmts)


def test_missing_branch_names_branch_and_key(tmp_path, pmts):
    columns = make_events(3, len(pmts))
    del columns["charge_pe"]
    path = write_uproot(tmp_path / "a.root", columns)
    with pytest.raises(InputError, match=r"branch 'charge_pe' \(charge_pe\) not found.*reader.branches.charge_pe"):
        ingest(tmp_path, path, pmts)


def test_missing_branch_raises_in_drop_mode(tmp_path, pmts):
    columns = make_events(3, len(pmts))
    del columns["hit_time_ns"]
    path = write_uproot(tmp_path / "a.root", columns)
    with pytest.raises(InputError, match="hit_time_ns"):
        ingest(tmp_path, path, pmts, reader=DROP)


def test_pmt_outside_geometry_fails(tmp_path, pmts):
    columns = with_hit_value(make_events(3, len(pmts)), "pmt_id", 1, 2, 5000)
    path = write_uproot(tmp_path / "a.root", columns)
    with pytest.raises(InputError, match=r"entry 1 .*'pmt_id' value 5000 is not a PMT of the geometry"):
        ingest(tmp_path, path, pmts)


def test_pmt_outside_geometry_dropped(tmp_path, pmts):
    columns = with_hit_value(make_events(3, len(pmts)), "pmt_id", 1, 2, 5000)
    path = write_uproot(tmp_path / "a.root", columns)
    summary = ingest(tmp_path, path, pmts, reader=DROP)
    assert summary["dropped_hits"] == {"pmt_id_not_in_geometry": 1}
    assert summary["hits_written"] == summary["hits_read"] - 1


@pytest.mark.parametrize(
    ("branch", "value", "reason"),
    [
        ("hit_time_ns", np.nan, "non_finite_hit_time"),
        ("hit_time_ns", np.inf, "non_finite_hit_time"),
        ("charge_pe", np.inf, "non_finite_charge"),
        ("charge_pe", -0.5, "negative_charge"),
    ],
)
def test_invalid_hit_value_fails(tmp_path, pmts, branch, value, reason):
    path = write_uproot(tmp_path / "a.root", with_hit_value(make_events(3, len(pmts)), branch, 2, 0, value))
    with pytest.raises(InputError, match=rf"entry 2 .*branch '{branch}' value"):
        ingest(tmp_path, path, pmts)


@pytest.mark.parametrize(
    ("branch", "value", "reason"),
    [
        ("hit_time_ns", np.nan, "non_finite_hit_time"),
        ("charge_pe", np.inf, "non_finite_charge"),
        ("charge_pe", -0.5, "negative_charge"),
    ],
)
def test_invalid_hit_value_dropped(tmp_path, pmts, branch, value, reason):
    path = write_uproot(tmp_path / "a.root", with_hit_value(make_events(3, len(pmts)), branch, 2, 0, value))
    summary = ingest(tmp_path, path, pmts, reader=DROP)
    assert summary["dropped_hits"] == {reason: 1}
    hits = pd.read_parquet(tmp_path / "hits.parquet")
    assert np.isfinite(hits[["hit_time_ns", "charge_pe"]].to_numpy()).all()


def unequal_columns(pmts):
    columns = make_events(4, len(pmts))
    times = ak.to_list(columns["hit_time_ns"])
    times[2] = times[2][:-1]
    return {**columns, "hit_time_ns": ak.Array(times, with_name=None)}


def test_unequal_jagged_lengths_fail(tmp_path, pmts):
    path = write_uproot(tmp_path / "a.root", unequal_columns(pmts))
    with pytest.raises(InputError, match=r"entry 2: branch 'hit_time_ns' has \d+ values but 'pmt_id' has \d+"):
        ingest(tmp_path, path, pmts)


def test_unequal_jagged_lengths_drop_event(tmp_path, pmts):
    path = write_uproot(tmp_path / "a.root", unequal_columns(pmts))
    summary = ingest(tmp_path, path, pmts, reader=DROP)
    assert summary["dropped_events"] == {"unequal_hit_array_lengths": 1}
    assert pd.read_parquet(tmp_path / "events.parquet")["event_id"].tolist() == [0, 1, 3]


def test_empty_file_is_not_root(tmp_path, pmts):
    path = tmp_path / "empty.root"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="not a readable ROOT file"):
        ingest(tmp_path, path, pmts)


def test_text_file_is_not_root(tmp_path, pmts):
    path = tmp_path / "notes.root"
    path.write_text("event_id,pmt_id\n1,2\n" * 50)
    with pytest.raises(InputError, match="not a readable ROOT file"):
        ingest(tmp_path, path, pmts)


def test_truncated_file_fails(tmp_path, pmts):
    whole = write_uproot(tmp_path / "whole.root", make_events(200, len(pmts), hits_per_event=200))
    data = whole.read_bytes()
    path = tmp_path / "cut.root"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated|not a readable ROOT file|cannot be read"):
        ingest(tmp_path, path, pmts)


def test_missing_file_named(tmp_path, pmts):
    with pytest.raises(InputError, match="file not found"):
        ingest(tmp_path, tmp_path / "nowhere.root", pmts)


def test_repeated_event_id_fails(tmp_path, pmts):
    columns = make_events(4, len(pmts))
    columns["event_id"] = np.array([0, 1, 1, 2], dtype=np.int64)
    path = write_uproot(tmp_path / "a.root", columns)
    with pytest.raises(InputError, match=r"entry 2: event id 1 .*appears more than once"):
        ingest(tmp_path, path, pmts)


def test_repeated_event_id_across_steps_dropped(tmp_path, pmts):
    columns = make_events(6, len(pmts))
    columns["event_id"] = np.array([0, 1, 2, 3, 1, 5], dtype=np.int64)
    path = write_uproot(tmp_path / "a.root", columns)
    summary = ingest(tmp_path, path, pmts, reader={**DROP, "step_size": 2})
    assert summary["dropped_events"] == {"repeated_event_id": 1}
    assert pd.read_parquet(tmp_path / "events.parquet")["event_id"].tolist() == [0, 1, 2, 3, 5]


def test_float_pmt_id_is_wrong_type(tmp_path, pmts):
    columns = make_events(3, len(pmts))
    columns["pmt_id"] = ak.values_astype(columns["pmt_id"], np.float32)
    path = write_uproot(tmp_path / "a.root", columns)
    with pytest.raises(InputError, match=r"branch 'pmt_id' \(pmt_id\) has type 'float\[\]'.*pmt_id needs one of"):
        ingest(tmp_path, path, pmts)


def test_scalar_hit_branch_needs_hit_layout(tmp_path, pmts):
    columns = make_events(3, len(pmts))
    columns["hit_time_ns"] = np.zeros(3, dtype=np.float32)
    path = write_uproot(tmp_path / "a.root", columns)
    with pytest.raises(InputError, match="set reader.layout: hit_per_entry"):
        ingest(tmp_path, path, pmts)


def test_no_output_after_failure(tmp_path, pmts):
    path = write_uproot(tmp_path / "a.root", with_hit_value(make_events(3, len(pmts)), "charge_pe", 1, 0, -1.0))
    with pytest.raises(InputError):
        ingest(tmp_path, path, pmts)
    assert not (tmp_path / "hits.parquet").exists()
    assert not (tmp_path / "events.parquet").exists()


def damaged_file(tmp_path, pmts):
    """Return a file whose hit baskets are overwritten with zeros in the middle."""
    path = write_uproot(tmp_path / "whole.root", make_events(400, len(pmts), hits_per_event=300))
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle: middle + 20000] = bytes(20000)
    damaged = tmp_path / "damaged.root"
    damaged.write_bytes(bytes(data))
    return damaged


def test_damaged_basket_fails(tmp_path, pmts):
    with pytest.raises(InputError, match=r"damaged.root: cannot be read past entry \d+ .*reader.on_bad_input: drop"):
        ingest(tmp_path, damaged_file(tmp_path, pmts), pmts)


def test_damaged_basket_dropped(tmp_path, pmts):
    summary = ingest(tmp_path, damaged_file(tmp_path, pmts), pmts, reader=DROP)
    assert summary["dropped_events"] == {"unreadable_file_part": 1}
    assert (tmp_path / "events.parquet").exists()


def test_hit_rows_of_one_event_not_contiguous(tmp_path, pmts):
    rows = {
        "evtID": np.array([0, 0, 1, 1, 0], dtype=np.int32),
        "pmtID": np.array([1, 2, 3, 4, 5], dtype=np.int32),
        "hitTime": np.linspace(0.0, 4.0, 5),
    }
    path = write_flat_uproot(tmp_path / "user.root", rows)
    reader = {"tree": "evt", "layout": "hit_per_entry", "event_id": "position",
              "branches": {"event_id": "evtID", "pmt_id": "pmtID", "hit_time_ns": "hitTime", "charge_pe": None}}
    with pytest.raises(InputError, match=r"entry 4: event id 0 .*appears more than once"):
        ingest(tmp_path, path, pmts, reader=reader)


def test_event_id_repeated_across_files(tmp_path, pmts):
    first = write_uproot(tmp_path / "a.root", make_events(3, len(pmts)))
    second = write_uproot(tmp_path / "b.root", make_events(3, len(pmts), seed=2))
    with pytest.raises(InputError, match="event id 0 appears in more than one input file"):
        hits_to_parquet(
            [str(first), str(second)], reader={}, pmts=pmts, out_hits=tmp_path / "hits.parquet",
            out_events=tmp_path / "events.parquet", sample="muon", seed=1, trigger=TRIGGER,
        )
    assert not (tmp_path / "hits.parquet").exists()
