"""Missing, damaged or incomplete hit and events tables, as the grid stage, the baselines and the event displays read them.

Every error names the file and the fix (run or rerun the hits_to_parquet rule), and a failed grid job
leaves no file of its shard behind.
"""

import shutil

import pandas as pd
import pyarrow.parquet as pq
import pytest

from junoml.baselines.hits import read_hit_table, read_split_hits
from junoml.grid import GridInputError, grid_chunk
from junoml.plotting.displays import read_event_hits
from rootfiles import ring_geometry
from test_grid_chunk import GRID, ingested_chunk
from workflow_runner import copy_workdir, snakemake

from conftest import TINY_CONFIG

FIX = "the hits_to_parquet rule"


@pytest.fixture(scope="module")
def pmts():
    return ring_geometry(n_rings=8, max_per_ring=16)


@pytest.fixture(scope="module")
def good_chunk(tmp_path_factory, pmts):
    """A hit table and an events table as hits_to_parquet writes them (12 events)."""
    return ingested_chunk(tmp_path_factory.mktemp("good_chunk"), pmts)


@pytest.fixture
def chunk(tmp_path, good_chunk):
    """A private copy of the good chunk that a test may damage: (hits path, events path)."""
    hits_path, events_path = (tmp_path / path.name for path in good_chunk)
    for source, copy in zip(good_chunk, (hits_path, events_path)):
        shutil.copyfile(source, copy)
    return hits_path, events_path


def truncate(path):
    content = path.read_bytes()
    path.write_bytes(content[: len(content) // 2])


def empty(path):
    path.write_bytes(b"")


def replace_with_text(path):
    path.write_text("event_id,pmt_id,hit_time_ns,charge_pe\n0,1,2.5,1.0\n")


def overwrite_first_page_header(path):
    """Overwrite the header of the first data page with 0xFF bytes; the file footer stays valid."""
    offset = pq.ParquetFile(path).metadata.row_group(0).column(0).data_page_offset
    with open(path, "r+b") as handle:
        handle.seek(offset)
        handle.write(b"\xff" * 32)


def drop_charge_column(path):
    pd.read_parquet(path).drop(columns=["charge_pe"]).to_parquet(path, index=False)


UNREADABLE = {
    "truncated": truncate,
    "empty": empty,
    "csv text": replace_with_text,
    "damaged page header": overwrite_first_page_header,
}


def shard_files(tmp_path):
    folder = tmp_path / "grid"
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


# ---- the grid stage --------------------------------------------------------------------------


def test_grid_missing_hits_named(chunk, pmts, tmp_path):
    hits_path, events_path = chunk
    hits_path.unlink()
    with pytest.raises(FileNotFoundError) as error:
        grid_chunk(hits_path, events_path, pmts, GRID, tmp_path / "grid" / "0003")
    assert str(hits_path) in str(error.value)
    assert FIX in str(error.value)
    assert shard_files(tmp_path) == []


@pytest.mark.parametrize("damage", list(UNREADABLE))
def test_grid_unreadable_hits_named(chunk, pmts, tmp_path, damage):
    hits_path, events_path = chunk
    UNREADABLE[damage](hits_path)
    with pytest.raises(GridInputError) as error:
        grid_chunk(hits_path, events_path, pmts, GRID, tmp_path / "grid" / "0003")
    assert str(hits_path) in str(error.value)
    assert FIX in str(error.value)
    assert shard_files(tmp_path) == []


def test_grid_hits_without_charge_named(chunk, pmts, tmp_path):
    hits_path, events_path = chunk
    drop_charge_column(hits_path)
    with pytest.raises(GridInputError) as error:
        grid_chunk(hits_path, events_path, pmts, GRID, tmp_path / "grid" / "0003")
    assert str(hits_path) in str(error.value)
    assert "['charge_pe']" in str(error.value)
    assert FIX in str(error.value)
    assert shard_files(tmp_path) == []


@pytest.mark.parametrize("damage", ["truncated", "damaged page header"])
def test_grid_unreadable_events_named(chunk, pmts, tmp_path, damage):
    hits_path, events_path = chunk
    UNREADABLE[damage](events_path)
    with pytest.raises(GridInputError) as error:
        grid_chunk(hits_path, events_path, pmts, GRID, tmp_path / "grid" / "0003")
    assert str(events_path) in str(error.value)
    assert FIX in str(error.value)
    assert shard_files(tmp_path) == []


def test_grid_missing_events_named(chunk, pmts, tmp_path):
    hits_path, events_path = chunk
    events_path.unlink()
    with pytest.raises(FileNotFoundError) as error:
        grid_chunk(hits_path, events_path, pmts, GRID, tmp_path / "grid" / "0003")
    assert str(events_path) in str(error.value)
    assert FIX in str(error.value)
    assert shard_files(tmp_path) == []


# ---- the baselines (features and track fit read hit tables) ---------------------------------


# The readers of hit tables outside the grid stage: the baselines' and the event displays'.
HIT_READERS = {
    "read_hit_table": lambda path: read_hit_table(str(path)),
    "read_event_hits": lambda path: read_event_hits(path, 0),
}


@pytest.mark.parametrize("reader", list(HIT_READERS))
def test_hit_reader_missing_named(tmp_path, reader):
    path = tmp_path / "0003.parquet"
    with pytest.raises(FileNotFoundError) as error:
        HIT_READERS[reader](path)
    assert str(path) in str(error.value)
    assert FIX in str(error.value)


@pytest.mark.parametrize("reader", list(HIT_READERS))
@pytest.mark.parametrize("damage", list(UNREADABLE))
def test_hit_reader_unreadable_named(chunk, damage, reader):
    hits_path, _ = chunk
    UNREADABLE[damage](hits_path)
    with pytest.raises(ValueError) as error:
        HIT_READERS[reader](hits_path)
    assert str(hits_path) in str(error.value)
    assert FIX in str(error.value)


def test_read_hit_table_without_charge_named(chunk):
    hits_path, _ = chunk
    drop_charge_column(hits_path)
    with pytest.raises(ValueError) as error:
        read_hit_table(str(hits_path))
    assert str(hits_path) in str(error.value)
    assert "charge_pe" in str(error.value)
    assert FIX in str(error.value)


def test_read_split_hits_truncated_chunk_named(chunk):
    hits_path, _ = chunk
    truncate(hits_path)
    template = str(hits_path).replace("0003.hits", "{chunk}.hits")
    with pytest.raises(ValueError) as error:
        read_split_hits(pd.DataFrame({"event_id": [0], "chunk": [3]}), template)
    assert str(hits_path) in str(error.value)
    assert FIX in str(error.value)


# ---- the grid job in the workflow ------------------------------------------------------------


@pytest.mark.e2e
def test_grid_job_on_truncated_hits_fails_cleanly(tiny_run, tmp_path):
    workdir = copy_workdir(tiny_run, tmp_path / "workdir")
    hits_path = workdir / "results/hits/muon/0001.parquet"
    content = hits_path.read_bytes()
    # The copy's hit tables are hard links to the tiny run's, so the test replaces the file instead of writing into it.
    hits_path.unlink()
    hits_path.write_bytes(content[: len(content) // 2])
    shard = [workdir / f"results/grid/muon/0001{suffix}" for suffix in (".grid", ".index.parquet", ".meta.json")]
    for path in shard:
        path.unlink()

    result = snakemake(workdir, "--cores", "1", "results/grid/muon/0001.index.parquet", configfiles=[TINY_CONFIG], timeout=300, check=False)
    job_log = (workdir / "logs/grid/muon/0001.log").read_text()

    assert result.returncode != 0
    assert "results/hits/muon/0001.parquet is not readable Parquet" in job_log
    assert FIX in job_log
    assert [path.name for path in shard if path.exists()] == []
    assert sorted(path.name for path in (workdir / "results/grid/muon").glob(".0001.*")) == []
