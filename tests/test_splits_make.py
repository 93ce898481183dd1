"""make_splits: sizes per energy bin, disjointness, determinism, class balance and its errors."""

import numpy as np
import pandas as pd
import pytest

from junoml.splits import SplitError, make_splits

EDGES = [0.1, 1.0, 10.0]


def write_events(tmp_path, n=600, *, chunk_size=200, seed=0, label=True):
    rng = np.random.default_rng(seed)
    events = pd.DataFrame({
        "event_id": np.arange(n, dtype=np.int64),
        "energy_gev": 10 ** rng.uniform(-1.2, 1.1, size=n),
        "dir_x": rng.normal(size=n),
        "dir_y": rng.normal(size=n),
        "dir_z": rng.normal(size=n),
        "triggered": rng.uniform(size=n) < 0.9,
        "label": rng.integers(0, 4, size=n).astype(np.int8) if label else np.full(n, np.nan),
        "weight": np.ones(n),
    })
    paths = []
    for k, start in enumerate(range(0, n, chunk_size)):
        path = tmp_path / "events" / f"{k:04d}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        events.iloc[start: start + chunk_size].to_parquet(path, index=False)
        paths.append(path)
    return paths, events


def task(sizes=(40, 10, 20), **extra):
    return {"energy_bin_edges_gev": EDGES, "split_sizes": dict(zip(("train", "val", "test"), sizes)), **extra}


def read(out_dir, name):
    return pd.read_parquet(out_dir / f"{name}.parquet")


def test_sizes_spread_over_bins(tmp_path):
    paths, _ = write_events(tmp_path)
    make_splits(paths, task="muon_direction", task_cfg=task((41, 10, 20)), seed=1, out_dir=tmp_path / "s")
    assert len(read(tmp_path / "s", "train_bin0")) == 21
    assert len(read(tmp_path / "s", "train_bin1")) == 20
    assert len(read(tmp_path / "s", "train")) == 41


def test_splits_disjoint(tmp_path):
    paths, _ = write_events(tmp_path)
    make_splits(paths, task="muon_direction", task_cfg=task(), seed=1, out_dir=tmp_path / "s")
    ids = [set(read(tmp_path / "s", name)["event_id"]) for name in ("train", "val", "test")]
    assert not ids[0] & ids[1]
    assert not ids[0] & ids[2]
    assert not ids[1] & ids[2]


def test_same_seed_same_split_whatever_file_order(tmp_path):
    paths, _ = write_events(tmp_path)
    make_splits(paths, task="muon_direction", task_cfg=task(), seed=1, out_dir=tmp_path / "a")
    make_splits(paths[::-1], task="muon_direction", task_cfg=task(), seed=1, out_dir=tmp_path / "b")
    pd.testing.assert_frame_equal(read(tmp_path / "a", "test"), read(tmp_path / "b", "test"))


def test_other_seed_other_split(tmp_path):
    paths, _ = write_events(tmp_path)
    make_splits(paths, task="muon_direction", task_cfg=task(), seed=1, out_dir=tmp_path / "a")
    make_splits(paths, task="muon_direction", task_cfg=task(), seed=2, out_dir=tmp_path / "b")
    assert read(tmp_path / "a", "train")["event_id"].tolist() != read(tmp_path / "b", "train")["event_id"].tolist()


def test_only_triggered_events_in_their_bin(tmp_path):
    paths, _ = write_events(tmp_path)
    make_splits(paths, task="muon_direction", task_cfg=task(), seed=1, out_dir=tmp_path / "s")
    test_bin1 = read(tmp_path / "s", "test_bin1")
    assert test_bin1["triggered"].all()
    assert test_bin1["energy_gev"].between(1.0, 10.0).all()
    assert (test_bin1["energy_bin"] == 1).all()


def test_columns_and_chunk(tmp_path):
    paths, events = write_events(tmp_path)
    make_splits(paths, task="muon_direction", task_cfg=task(), seed=1, out_dir=tmp_path / "s")
    train = read(tmp_path / "s", "train")
    assert list(train.columns[:3]) == ["event_id", "chunk", "energy_bin"]
    assert set(events.columns) <= set(train.columns)
    assert (train["chunk"] == (train["event_id"] // 200).map("{:04d}".format)).all()


def test_flavour_excludes_nutau_by_default(tmp_path):
    paths, _ = write_events(tmp_path)
    make_splits(paths, task="flavour", task_cfg=task(), seed=1, out_dir=tmp_path / "s")
    assert set(read(tmp_path / "s", "train")["label"]) <= {0, 1, 2}


def test_flavour_class_balance(tmp_path):
    paths, _ = write_events(tmp_path, n=1200)
    make_splits(paths, task="flavour", task_cfg=task((30, 6, 12), class_balance=True), seed=1, out_dir=tmp_path / "s")
    counts = read(tmp_path / "s", "train_bin0")["label"].value_counts().sort_index()
    assert counts.tolist() == [5, 5, 5]


def test_too_few_events_names_numbers_and_keys(tmp_path):
    paths, _ = write_events(tmp_path, n=100)
    with pytest.raises(SplitError, match=r"energy bin 0 \(0.1 to 1 GeV\): the split needs 300 .* but \d+ are available; raise simulation_margin"):
        make_splits(paths, task="muon_direction", task_cfg=task((200, 200, 200)), seed=1, out_dir=tmp_path / "s")


def test_all_null_label_named(tmp_path):
    paths, _ = write_events(tmp_path, label=False)
    with pytest.raises(SplitError, match="needs column 'label', which is missing or all null"):
        make_splits(paths, task="flavour", task_cfg=task(), seed=1, out_dir=tmp_path / "s")


def test_missing_direction_column_named(tmp_path):
    paths, events = write_events(tmp_path)
    for path in paths:
        pd.read_parquet(path).drop(columns=["dir_y"]).to_parquet(path, index=False)
    with pytest.raises(SplitError, match="needs column 'dir_y'"):
        make_splits(paths, task="muon_direction", task_cfg=task(), seed=1, out_dir=tmp_path / "s")


def test_duplicate_event_id_across_files(tmp_path):
    paths, _ = write_events(tmp_path)
    pd.read_parquet(paths[0]).to_parquet(tmp_path / "events" / "0009.parquet", index=False)
    with pytest.raises(SplitError, match="appears in more than one events table"):
        make_splits(paths + [tmp_path / "events" / "0009.parquet"], task="muon_direction", task_cfg=task(), seed=1, out_dir=tmp_path / "s")
