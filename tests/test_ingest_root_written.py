"""hits_to_parquet on JUNO-like user trees written by ROOT itself: C-style arrays and std::vector, four compressions."""

import numpy as np
import pandas as pd
import pytest
import uproot

from junoml.ingest import hits_to_parquet
from rootfiles import ROOT_COMPRESSION, ring_geometry, root_available, write_root_user_tree

pytestmark = [
    pytest.mark.skipif(not root_available(), reason="PyROOT is not installed (pip install '.[rootwriter]')"),
    pytest.mark.filterwarnings("ignore:.*alpha stage:UserWarning"),
]

READER = {
    "tree": "evt",
    "event_id": "position",
    "branches": {"event_id": "evtID", "pmt_id": "pmtID", "hit_time_ns": "hitTime", "charge_pe": None},
}


def user_events(n_events=6, seed=5):
    rng = np.random.default_rng(seed)
    events = []
    for e in range(n_events):
        n = 0 if e == 3 else int(rng.integers(20, 60))
        ids = rng.integers(0, 150, size=n)
        ids[: n // 5] = rng.integers(300000, 325600, size=n // 5)
        events.append({"evtID": 10 + e, "pmtID": ids.astype(np.int32), "hitTime": rng.uniform(0, 800, size=n)})
    return events


@pytest.mark.parametrize("vectors", [False, True], ids=["c_array", "std_vector"])
@pytest.mark.parametrize("compression", sorted(ROOT_COMPRESSION))
def test_root_written_user_tree_round_trip(tmp_path, compression, vectors):
    events = user_events()
    path = write_root_user_tree(tmp_path / "user.root", events, compression=compression, vectors=vectors)
    with uproot.open(path) as file:
        assert type(file.file.compression).__name__ == compression.upper()
    summary = hits_to_parquet(
        [str(path)], reader=READER, pmts=ring_geometry(), out_hits=tmp_path / "hits.parquet",
        out_events=tmp_path / "events.parquet", sample="user", seed=3, trigger={"window_ns": 300.0, "threshold_hits": 10},
    )
    hits = pd.read_parquet(tmp_path / "hits.parquet")
    table = pd.read_parquet(tmp_path / "events.parquet")
    expected = [(e, p, t) for e, event in enumerate(events) for p, t in zip(event["pmtID"], event["hitTime"]) if p <= 17611]
    expected.sort()
    assert table["source_event_id"].tolist() == [10, 11, 12, 13, 14, 15]
    assert summary["hits_outside_pmt_id_range"] == sum(len(e["pmtID"]) // 5 for e in events)
    assert hits["pmt_id"].tolist() == [p for _, p, _ in expected]
    assert np.allclose(hits["hit_time_ns"], [t for _, _, t in expected], atol=1e-4)
    assert not table.loc[3, "triggered"]
