"""Convert ROOT files of one chunk into the hit table and the events table (docs/contracts.md).

Truth columns that the input lacks are filled so that every stage can run:
- `triggered`: our trigger condition (junoml.detector.trigger.is_triggered: at least
  `threshold_hits` hits within some window of `window_ns`) evaluated on the hits that are kept;
- `label`: from the neutrino `pdg` and `is_cc` when both exist (anti-neutrinos share their
  neutrino's label); null otherwise;
- `weight`: 1;
- every other column: null. A task that needs a null column fails at the split with the
  column named.
"""

import logging
import os
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from junoml.detector.electronics import apply_pmt_response
from junoml.detector.params import DetectorParams
from junoml.detector.trigger import is_triggered
from junoml.io.atomic import atomic_output
from junoml.io.rootreader import HitBatch, InputError, ReaderOptions, RootHitReader
from junoml.io.tables import (
    EVENT_SCHEMA,
    HIT_SCHEMA,
    LABEL_NC,
    LABEL_NUE_CC,
    LABEL_NUMU_CC,
    LABEL_NUTAU_CC,
    TRUTH_TYPES,
)
from junoml.rng import event_rng

log = logging.getLogger(__name__)

# Upper bound on rows per Parquet row group; a larger event still gets one row group of its own.
ROW_GROUP_TARGET_ROWS = 1_000_000
PARQUET_COMPRESSION = "zstd"
# Hit-table encodings: run-length dictionary for event_id, deltas for the sorted pmt_id, byte
# stream split for the floats. On 1 GeV muons this writes 1.24 MB per event against 1.47 MB
# with pyarrow's defaults (benchmarks/bench_ingest.py).
HIT_PARQUET_OPTIONS = {
    "compression": PARQUET_COMPRESSION,
    "use_dictionary": ["event_id"],
    "column_encoding": {"pmt_id": "DELTA_BINARY_PACKED", "hit_time_ns": "BYTE_STREAM_SPLIT", "charge_pe": "BYTE_STREAM_SPLIT"},
}

__all__ = ["InputError", "hits_to_parquet", "label_from_pdg"]


def hits_to_parquet(
    paths: list,
    *,
    reader: dict | None,
    pmts: pd.DataFrame,
    out_hits: str | os.PathLike,
    out_events: str | os.PathLike,
    sample: str,
    seed: int,
    trigger: dict,
    file_index_offset: int = 0,
    response: dict | None = None,
) -> dict:
    """Read the hits and truth of ROOT files and write the hit table and the events table of one chunk.

    Args:
        paths: input ROOT files, in order.
        reader: the `reader` section of the config (see ReaderOptions.from_config).
        pmts: geometry table with column `pmt_id`; hits on other ids are invalid input.
        out_hits, out_events: output Parquet paths, written atomically.
        sample: sample name, part of each event's random-stream seed.
        seed: global seed; the response of event e draws from event_rng(seed, sample, e).
        trigger: `window_ns` (ns) and `threshold_hits` of the multiplicity trigger, used when
            the input has no `triggered` branch.
        file_index_offset: position of paths[0] in the sample's list of files (for
            `reader.event_id: position`).
        response: the `detector` section of the config, needed when `reader.apply_response`
            is true. It sets the PMT response (DetectorParams); TTS, charge smearing and
            pulse merging are always applied, dark noise when `dark_noise` is true.
    Returns:
        summary with counts of files, events, hits read and written, hits removed by the
        PMT-id range filter, dropped hits and events by reason, the truth columns that were
        filled, and the total charge written (p.e.).
    Raises:
        InputError: bad input with reader.on_bad_input = fail, or a config error.
    """
    started = time.perf_counter()
    options = ReaderOptions.from_config(reader)
    _check_trigger(trigger)
    params = None
    if options.apply_response:
        if response is None:
            raise ValueError("reader.apply_response is true but no detector config was given; pass response=config['detector']")
        params = DetectorParams.from_config(response)
    if "pmt_id" not in pmts.columns:
        raise ValueError(f"the geometry table has no column 'pmt_id' (columns: {list(pmts.columns)}); build it with the geometry rule")

    hit_reader = RootHitReader(paths, options, known_pmt_ids=pmts["pmt_id"].to_numpy(), file_index_offset=file_index_offset)
    event_parts: list[dict] = []
    filled: Counter = Counter()
    hits_written = 0
    charge_total = 0.0
    last_event_id = None
    unsorted_events = False

    with atomic_output(out_hits) as tmp_hits:
        # One writer thread compresses and writes a step while the main thread reads the next,
        # because pyarrow releases the GIL. At most one step waits, so memory has two steps at most.
        with pq.ParquetWriter(tmp_hits, HIT_SCHEMA, **HIT_PARQUET_OPTIONS) as writer, ThreadPoolExecutor(max_workers=1) as pool:
            pending = None
            for batch in hit_reader:
                if options.apply_response:
                    batch = _apply_response(batch, pmts, params, seed=seed, sample=sample)
                batch = _sort_hits(batch)
                if pending is not None:
                    pending.result()
                pending = pool.submit(_write_hits, writer, batch)
                hits_written += len(batch.pmt_id)
                charge_total += float(batch.charge_pe.sum(dtype=np.float64))
                event_parts.append(_event_columns(batch, trigger, filled))
                if last_event_id is not None and batch.event_id[0] <= last_event_id:
                    unsorted_events = True
                unsorted_events |= bool(np.any(np.diff(batch.event_id) <= 0))
                last_event_id = int(batch.event_id[-1])
                log.info("%s: %d events, %d hits read so far", batch.path.name, sum(len(p["event_id"]) for p in event_parts), hits_written)
            if pending is not None:
                pending.result()

        events = _events_table(event_parts)
        duplicated = pd.Series(events["event_id"].to_numpy()).duplicated()
        if duplicated.any():
            duplicate = int(events["event_id"].to_numpy()[duplicated.to_numpy()][0])
            raise InputError(
                f"event id {duplicate} appears in more than one input file of {[str(p) for p in paths]}; "
                "use reader.event_id: position, or give each file its own event-id range"
            )
        with atomic_output(out_events) as tmp_events:
            pq.write_table(events, tmp_events, compression=PARQUET_COMPRESSION)

    if unsorted_events:
        log.warning("event ids of %s are not increasing in file order; the hit table keeps the file order of events", paths)
    summary = {
        "files": len(paths),
        "events": events.num_rows,
        "events_without_hits": int(sum(int((p["n_hits"] == 0).sum()) for p in event_parts)),
        "hits_read": hit_reader.hits_read,
        "hits_written": hits_written,
        "hits_outside_pmt_id_range": hit_reader.hits_outside_pmt_id_range,
        "dropped_hits": dict(hit_reader.dropped_hits),
        "dropped_events": dict(hit_reader.dropped_events),
        "filled_columns": dict(filled),
        "charge_total_pe": charge_total,
        "seconds": time.perf_counter() - started,
    }
    if hit_reader.dropped_hits or hit_reader.dropped_events:
        log.warning("dropped invalid input: hits %s, events %s", dict(hit_reader.dropped_hits), dict(hit_reader.dropped_events))
    log.info(
        "wrote %s and %s: %d events, %d of %d hits (%d outside the PMT-id range) in %.1f s",
        out_hits, out_events, summary["events"], hits_written, summary["hits_read"], summary["hits_outside_pmt_id_range"], summary["seconds"],
    )
    return summary


def _check_trigger(trigger: dict) -> None:
    for key in ("window_ns", "threshold_hits"):
        if key not in trigger:
            raise ValueError(f"the trigger config lacks {key!r} (got {trigger!r}); set detector.trigger.{key}")
    if trigger["window_ns"] <= 0 or trigger["threshold_hits"] < 1:
        raise ValueError(f"detector.trigger needs window_ns > 0 and threshold_hits >= 1, got {trigger!r}")


def _apply_response(batch: HitBatch, pmts: pd.DataFrame, params: DetectorParams, *, seed: int, sample: str) -> HitBatch:
    """Replace each event's photons by the pulses of our PMT and electronics response (the input charge is ignored)."""
    flags = {"tts": True, "charge_resolution": True, "dark_noise": bool(params.dark_noise), "merge": True}
    pmt_parts, time_parts, charge_parts = [], [], []
    counts = np.zeros(batch.n_events, dtype=np.int64)
    for i, event_id in enumerate(batch.event_id):
        start, stop = batch.offsets[i], batch.offsets[i + 1]
        rng = event_rng(seed, sample, int(event_id))
        pmt_id, hit_time, charge = apply_pmt_response(
            batch.pmt_id[start:stop], batch.hit_time_ns[start:stop].astype(np.float64), pmts, params, rng, **flags
        )
        pmt_parts.append(np.asarray(pmt_id, dtype=np.int32))
        time_parts.append(np.asarray(hit_time, dtype=np.float32))
        charge_parts.append(np.asarray(charge, dtype=np.float32))
        counts[i] = len(pmt_id)
    offsets = np.zeros(batch.n_events + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    empty_i, empty_f = np.zeros(0, np.int32), np.zeros(0, np.float32)
    batch.pmt_id = np.concatenate(pmt_parts) if pmt_parts else empty_i
    batch.hit_time_ns = np.concatenate(time_parts) if time_parts else empty_f
    batch.charge_pe = np.concatenate(charge_parts) if charge_parts else empty_f
    batch.offsets = offsets
    return batch


def _sort_hits(batch: HitBatch) -> HitBatch:
    """Sort the hits of each event by PMT id, then time; skip the sort when the input is already in order."""
    if len(batch.pmt_id) < 2:
        return batch
    pmt, hit_time = batch.pmt_id, batch.hit_time_ns
    in_order = (pmt[1:] > pmt[:-1]) | ((pmt[1:] == pmt[:-1]) & (hit_time[1:] >= hit_time[:-1]))
    # A pair that straddles two events is in order whatever its values.
    boundaries = batch.offsets[1:-1] - 1
    in_order[boundaries[(boundaries >= 0) & (boundaries < len(in_order))]] = True
    if in_order.all():
        return batch
    event_of_hit = np.repeat(np.arange(batch.n_events, dtype=np.int64), np.diff(batch.offsets))
    order = np.lexsort((hit_time, pmt, event_of_hit))
    batch.pmt_id = pmt[order]
    batch.hit_time_ns = hit_time[order]
    batch.charge_pe = batch.charge_pe[order]
    return batch


def _write_hits(writer: pq.ParquetWriter, batch: HitBatch) -> None:
    """Write the batch in row groups of whole events, each at most ROW_GROUP_TARGET_ROWS unless one event is larger."""
    counts = np.diff(batch.offsets)
    event_id = np.repeat(batch.event_id, counts)
    group_start = 0
    while group_start < batch.n_events:
        # Whole events up to the row target: the last event whose end fits, at least one event.
        limit = batch.offsets[group_start] + ROW_GROUP_TARGET_ROWS
        group_stop = int(np.searchsorted(batch.offsets, limit, side="right")) - 1
        group_stop = min(max(group_stop, group_start + 1), batch.n_events)
        start, stop = batch.offsets[group_start], batch.offsets[group_stop]
        table = pa.Table.from_arrays(
            [
                pa.array(event_id[start:stop], pa.int64()),
                pa.array(batch.pmt_id[start:stop], pa.int32()),
                pa.array(batch.hit_time_ns[start:stop], pa.float32()),
                pa.array(batch.charge_pe[start:stop], pa.float32()),
            ],
            schema=HIT_SCHEMA,
        )
        if table.num_rows:
            writer.write_table(table, row_group_size=max(table.num_rows, 1))
        group_start = group_stop


def _event_columns(batch: HitBatch, trigger: dict, filled: Counter) -> dict:
    """Return the truth columns of a batch's events, filling those the input lacks."""
    n = batch.n_events
    columns: dict = {"event_id": batch.event_id, "source_event_id": batch.source_event_id}
    n_hits = np.diff(batch.offsets)
    for column, arrow_type in TRUTH_TYPES.items():
        if column in batch.truth:
            columns[column] = np.asarray(batch.truth[column])
            continue
        filled[column] += n
        if column == "triggered":
            columns[column] = _triggered(batch, trigger)
        elif column == "weight":
            columns[column] = np.ones(n, dtype=np.float64)
        elif column == "label" and "pdg" in batch.truth and "is_cc" in batch.truth:
            columns[column] = label_from_pdg(batch.truth["pdg"], batch.truth["is_cc"])
        else:
            columns[column] = None
    columns["n_hits"] = n_hits
    columns["__n__"] = n
    return columns


def _triggered(batch: HitBatch, trigger: dict) -> np.ndarray:
    result = np.zeros(batch.n_events, dtype=bool)
    for i in range(batch.n_events):
        start, stop = batch.offsets[i], batch.offsets[i + 1]
        result[i] = is_triggered(batch.hit_time_ns[start:stop], window_ns=trigger["window_ns"], threshold_hits=trigger["threshold_hits"])
    return result


def label_from_pdg(pdg: np.ndarray, is_cc: np.ndarray) -> np.ndarray:
    """Return the flavour labels (0 nu_mu CC, 1 nu_e CC, 2 NC, 3 nu_tau CC) as a float array with NaN for non-neutrinos."""
    flavour = np.abs(np.asarray(pdg, dtype=np.int64))
    cc = np.asarray(is_cc, dtype=bool)
    label = np.full(len(flavour), np.nan)
    neutrino = np.isin(flavour, (12, 14, 16))
    label[neutrino & ~cc] = LABEL_NC
    label[(flavour == 14) & cc] = LABEL_NUMU_CC
    label[(flavour == 12) & cc] = LABEL_NUE_CC
    label[(flavour == 16) & cc] = LABEL_NUTAU_CC
    return label


def _events_table(parts: list[dict]) -> pa.Table:
    arrays = []
    for field in EVENT_SCHEMA:
        pieces = []
        for part in parts:
            values = part[field.name]
            if values is None:
                pieces.append(pa.nulls(part["__n__"], field.type))
                continue
            values = np.asarray(values)
            mask = np.isnan(values) if values.dtype.kind == "f" and not pa.types.is_floating(field.type) else None
            if mask is not None:
                values = np.where(mask, 0, values)
            pieces.append(pa.array(values, mask=mask).cast(field.type))
        arrays.append(pa.concat_arrays(pieces) if pieces else pa.array([], field.type))
    return pa.Table.from_arrays(arrays, schema=EVENT_SCHEMA)
