"""Grid store: round trip, charge encoding, and the errors on missing, truncated or inconsistent shards."""

import json

import numpy as np
import pytest

from junoml.grid.store import GridShardWriter, GridStore, GridStoreError, shard_paths

SHAPE = (2, 4, 8, 16)
META = {"shape": list(SHAPE), "channels": [{"name": "charge"}, {"name": "first_hit_time"}]}


def write_shard(prefix, n_events=3, first_event=0):
    rng = np.random.default_rng(first_event)
    tensors = {}
    with GridShardWriter(prefix, META) as writer:
        for event_id in range(first_event, first_event + n_events):
            tensor = np.zeros(SHAPE, np.float32)
            tensor[0] = rng.exponential(50.0, SHAPE[1:]) * (rng.random(SHAPE[1:]) < 0.3)
            tensor[1] = rng.uniform(0.0, 250.0, SHAPE[1:])
            writer.add(event_id, tensor)
            tensors[event_id] = tensor
    return tensors


def test_round_trip_within_encoding_precision(tmp_path):
    tensors = write_shard(tmp_path / "0000")
    store = GridStore([tmp_path / "0000"])
    for event_id, tensor in tensors.items():
        read = store.read(event_id)
        assert np.allclose(read[0], tensor[0], rtol=5e-3, atol=1e-3)
        assert np.allclose(read[1], tensor[1], rtol=1e-3, atol=0.13)


def test_large_charge_does_not_overflow(tmp_path):
    tensor = np.zeros(SHAPE, np.float32)
    tensor[0, 0, 0, 0] = 1.0e6
    with GridShardWriter(tmp_path / "0000", META) as writer:
        writer.add(0, tensor)
    assert GridStore([tmp_path / "0000"]).read(0)[0, 0, 0, 0] == pytest.approx(1.0e6, rel=5e-3)


def test_time_channel_overflow_rejected(tmp_path):
    tensor = np.zeros(SHAPE, np.float32)
    tensor[1, 0, 0, 0] = 1.0e6
    writer = GridShardWriter(tmp_path / "0000", META)
    with pytest.raises(ValueError, match="float16 range"):
        writer.add(0, tensor)
    writer.abort()
    assert not any(path.exists() for path in shard_paths(tmp_path / "0000"))


def test_failed_writer_leaves_no_shard(tmp_path):
    with pytest.raises(RuntimeError):
        with GridShardWriter(tmp_path / "0000", META) as writer:
            writer.add(0, np.zeros(SHAPE, np.float32))
            raise RuntimeError("interrupted")
    assert not any(path.exists() for path in shard_paths(tmp_path / "0000"))
    assert not list(tmp_path.iterdir())


def test_missing_shard_file_named(tmp_path):
    write_shard(tmp_path / "0000")
    grid_path, _, _ = shard_paths(tmp_path / "0000")
    grid_path.unlink()
    with pytest.raises(GridStoreError, match=r"0000\.grid.*rerun the 'grid' rule"):
        GridStore([tmp_path / "0000"])


def test_truncated_shard_rejected(tmp_path):
    write_shard(tmp_path / "0000")
    grid_path, _, _ = shard_paths(tmp_path / "0000")
    grid_path.write_bytes(grid_path.read_bytes()[:-10])
    with pytest.raises(GridStoreError, match="truncated or corrupted"):
        GridStore([tmp_path / "0000"])


def test_corrupted_frame_rejected(tmp_path):
    write_shard(tmp_path / "0000")
    grid_path, _, _ = shard_paths(tmp_path / "0000")
    data = bytearray(grid_path.read_bytes())
    data[:8] = b"\x00" * 8
    grid_path.write_bytes(bytes(data))
    store = GridStore([tmp_path / "0000"])
    with pytest.raises(GridStoreError, match="cannot be decompressed"):
        store.read(0)


def test_metadata_count_mismatch_rejected(tmp_path):
    write_shard(tmp_path / "0000")
    _, _, meta_path = shard_paths(tmp_path / "0000")
    meta = json.loads(meta_path.read_text())
    meta["n_events"] = 7
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(GridStoreError, match="n_events = 7"):
        GridStore([tmp_path / "0000"])


def test_metadata_shape_mismatch_rejected(tmp_path):
    write_shard(tmp_path / "0000")
    _, _, meta_path = shard_paths(tmp_path / "0000")
    meta = json.loads(meta_path.read_text())
    meta["shape"] = [2, 4, 8, 32]
    meta_path.write_text(json.dumps(meta))
    store = GridStore([tmp_path / "0000"])
    with pytest.raises(GridStoreError, match="metadata shape"):
        store.read(0)


def test_shards_with_different_metadata_rejected(tmp_path):
    write_shard(tmp_path / "0000")
    write_shard(tmp_path / "0001", first_event=3)
    _, _, meta_path = shard_paths(tmp_path / "0001")
    meta = json.loads(meta_path.read_text())
    meta["time_bin_ns"] = 16.0
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(GridStoreError, match="metadata differs"):
        GridStore([tmp_path / "0000", tmp_path / "0001"])


def test_duplicate_event_across_shards_rejected(tmp_path):
    write_shard(tmp_path / "0000")
    write_shard(tmp_path / "0001", first_event=2)
    with pytest.raises(GridStoreError, match="event_id 2 appears in more than one"):
        GridStore([tmp_path / "0000", tmp_path / "0001"])
