"""Turn each event's hits into a tensor [C, T, H, W] and write one grid shard per chunk.

Time binning: T bins of time_bin_ns each, starting at the event time t0. t0 is the time of the
first hit i such that hits i .. i + t0_threshold_hits - 1 lie within t0_window_ns (the start of
the first sliding window that passes a multiplicity threshold), minus t0_pre_window_ns. Dark
noise alone (about 0.7 pulses per ns over all 20-inch PMTs at the default rates) almost never
reaches the default threshold, so single dark pulses before the event do not move t0. An event
with fewer hits in every window gets t0 = NaN and an all-zero tensor.
Hits before t0 are dropped. Hits after the last bin go to the last bin (`overflow: last_bin`) or
are dropped (`overflow: drop`).

Channels (grid.channels, in this order when chosen):
- `charge`: summed charge (p.e.) per time bin and pixel; always first.
- `first_hit_time`: time of the earliest hit in the time bin and pixel, in ns since t0; 0 in
  pixels without a hit in that bin.
- `pmt_mask`: 1 where a PMT lands in the pixel, 0 elsewhere, the same in every time bin.
"""

import dataclasses
import logging
import os
import time

import numba
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from junoml.grid.projection import PROJECTIONS, Projection, make_projection
from junoml.grid.store import GridShardWriter

log = logging.getLogger(__name__)

CHANNELS = ("charge", "first_hit_time", "pmt_mask")
CHANNEL_UNITS = {"charge": "p.e.", "first_hit_time": "ns since t0 (0 where empty)", "pmt_mask": "1 where a PMT lands"}
OVERFLOW_POLICIES = ("last_bin", "drop")


class GridInputError(ValueError):
    """A hit or events table that the gridder cannot use."""


@dataclasses.dataclass(frozen=True)
class GridOptions:
    """Grid shape, time binning and channels.

    Attributes:
        projection: `equirectangular` or `rings`.
        height, width: image rows and columns of the equirectangular projection (64 x 128,
            estimate: about 2 PMTs per pixel for 17,612 PMTs); `rings` takes one row per ring
            and width = max(width, largest ring), None meaning the largest ring.
        n_time_bins, time_bin_ns: T bins of time_bin_ns (ns). 32 x 8 ns = 256 ns (estimate):
            a muon crosses the 35.4 m LS sphere in up to 118 ns, and light then needs up to
            about 190 ns more to reach the far PMTs, so late light goes to the overflow bin.
        t0_window_ns, t0_threshold_hits, t0_pre_window_ns: the t0 definition above
            (estimates; checked with benchmarks/bench_grid.py).
        overflow: `last_bin` or `drop` for hits after the last bin.
        channels: channel names from CHANNELS; `charge` must be first.
        compression_level: zstd level of the shard frames. Level 1 compresses a 1 GeV muon
            tensor as small as level 3, about 4 times faster (benchmarks/bench_grid.py).
    """

    projection: str = "equirectangular"
    height: int = 64
    width: int | None = 128
    n_time_bins: int = 32
    time_bin_ns: float = 8.0
    t0_window_ns: float = 10.0
    t0_threshold_hits: int = 50
    t0_pre_window_ns: float = 5.0
    overflow: str = "last_bin"
    channels: tuple = ("charge",)
    compression_level: int = 1
    ring_tolerance_deg: float = 0.05

    def __post_init__(self):
        if self.projection not in PROJECTIONS:
            raise ValueError(f"grid.projection is {self.projection!r}; use one of {PROJECTIONS}")
        if self.overflow not in OVERFLOW_POLICIES:
            raise ValueError(f"grid.overflow is {self.overflow!r}; use one of {OVERFLOW_POLICIES}")
        channels = tuple(self.channels)
        unknown = [c for c in channels if c not in CHANNELS]
        if unknown or not channels or channels[0] != "charge" or len(set(channels)) != len(channels):
            raise ValueError(f"grid.channels is {list(channels)}; list 'charge' first, then any of {list(CHANNELS[1:])}, each once")
        object.__setattr__(self, "channels", channels)
        if self.n_time_bins < 1 or self.time_bin_ns <= 0:
            raise ValueError(f"grid needs n_time_bins >= 1 and time_bin_ns > 0, got {self.n_time_bins} and {self.time_bin_ns}")
        if self.t0_window_ns <= 0 or self.t0_threshold_hits < 1 or self.t0_pre_window_ns < 0:
            raise ValueError(
                f"grid needs t0_window_ns > 0, t0_threshold_hits >= 1 and t0_pre_window_ns >= 0, got "
                f"{self.t0_window_ns}, {self.t0_threshold_hits} and {self.t0_pre_window_ns}"
            )

    @classmethod
    def from_config(cls, grid: dict | None) -> "GridOptions":
        """Build the options from the `grid` section of the config; absent keys keep their defaults."""
        grid = dict(grid or {})
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(grid) - fields)
        if unknown:
            raise ValueError(f"unknown keys {unknown} in the grid config; known keys are {sorted(fields)}")
        if "channels" in grid:
            grid["channels"] = tuple(grid["channels"])
        return cls(**grid)

    def time_meta(self) -> dict:
        return {
            "t0": (
                f"time of the first hit i with hits i .. i + {self.t0_threshold_hits} - 1 within {self.t0_window_ns} ns, "
                f"minus {self.t0_pre_window_ns} ns; NaN (all-zero tensor) when no window passes"
            ),
            "t0_window_ns": self.t0_window_ns,
            "t0_threshold_hits": self.t0_threshold_hits,
            "t0_pre_window_ns": self.t0_pre_window_ns,
            "time_bin_ns": self.time_bin_ns,
            "n_time_bins": self.n_time_bins,
            "overflow": self.overflow,
            "hits_before_t0": "dropped",
        }


@numba.njit(cache=True)
def _first_window_start(times_sorted, window_ns, threshold_hits, latest_start):
    """Return the first time t_i <= latest_start with hits i .. i + threshold - 1 within window_ns, or NaN."""
    n = times_sorted.shape[0]
    for i in range(n - threshold_hits + 1):
        if times_sorted[i] > latest_start:
            break
        if times_sorted[i + threshold_hits - 1] - times_sorted[i] <= window_ns:
            return times_sorted[i]
    return np.nan


def event_t0_ns(hit_time_ns: np.ndarray, *, window_ns: float = 10.0, threshold_hits: int = 50, pre_window_ns: float = 5.0) -> float:
    """Return the event time t0 (ns) of the grid: the first hit of the first window_ns window with
    threshold_hits hits, minus pre_window_ns; NaN when no window passes. Defaults are those of the config."""
    times = np.ascontiguousarray(hit_time_ns, dtype=np.float64)
    if times.size == 0:
        return float("nan")
    return float(_event_t0(times, float(window_ns), int(threshold_hits), float(pre_window_ns)))


@numba.njit(cache=True)
def _event_t0(hit_time_ns, window_ns, threshold_hits, pre_window_ns):
    """Return the t0 of the module docstring (ns), or NaN.

    A full sort of 10^5 hit times would dominate the gridding time. Instead, a histogram of 1 ns
    bins finds the first stretch of window_ns + 2 ns that contains threshold_hits hits, and no
    passing window can start before it. Only the hits of a short region from there on are
    sorted. The region moves on until a window passes or the hits run out.
    """
    n = hit_time_ns.shape[0]
    if n < threshold_hits:
        return np.nan
    t_min = hit_time_ns.min()
    t_max = hit_time_ns.max()
    n_bins = int(t_max - t_min) + 1
    if n_bins > 10_000_000:
        return _first_window_start(np.sort(hit_time_ns), window_ns, threshold_hits, np.inf) - pre_window_ns
    counts = np.zeros(n_bins, dtype=np.int64)
    for i in range(n):
        counts[int(hit_time_ns[i] - t_min)] += 1
    # A window [t, t + window_ns] touches at most span bins.
    span = int(window_ns) + 2
    running = 0
    first_bin = -1
    for b in range(n_bins):
        running += counts[b]
        if b >= span:
            running -= counts[b - span]
        if running >= threshold_hits:
            first_bin = max(b - span + 1, 0)
            break
    if first_bin < 0:
        return np.nan

    region_ns = 2.0 * window_ns + 4.0
    start = t_min + first_bin
    region = np.empty(n, dtype=hit_time_ns.dtype)
    while start <= t_max:
        # Windows starting in [start, start + region_ns - window_ns] lie wholly inside the region.
        stop = start + region_ns
        n_region = 0
        for i in range(n):
            if start <= hit_time_ns[i] <= stop:
                region[n_region] = hit_time_ns[i]
                n_region += 1
        t0 = _first_window_start(np.sort(region[:n_region]), window_ns, threshold_hits, stop - window_ns)
        if not np.isnan(t0):
            return t0 - pre_window_ns
        start = stop - window_ns
    return np.nan


@numba.njit(cache=True)
def _fill_event(pmt_id, hit_time_ns, charge_pe, pixel_of_pmt, t0, time_bin_ns, n_time_bins, n_pixels, overflow_last, charge_out, first_out, with_first):
    """Add the hits into charge_out [T * P]; with_first, keep the earliest time in first_out [T * P] (inf where empty). Return the charge kept."""
    charge_kept_pe = 0.0
    for i in range(pmt_id.shape[0]):
        pmt = pmt_id[i]
        if pmt < 0 or pmt >= pixel_of_pmt.shape[0]:
            continue
        pixel = pixel_of_pmt[pmt]
        if pixel < 0:
            continue
        dt = hit_time_ns[i] - t0
        if dt < 0.0:
            continue
        t_bin = int(dt / time_bin_ns)
        if t_bin >= n_time_bins:
            if not overflow_last:
                continue
            t_bin = n_time_bins - 1
        k = t_bin * n_pixels + pixel
        charge_out[k] += charge_pe[i]
        if with_first and dt < first_out[k]:
            first_out[k] = dt
        charge_kept_pe += charge_pe[i]
    return charge_kept_pe


class EventGridder:
    """Grid single events with fixed options and projection.

    Args:
        pmts: geometry table (pmt_id, x_mm, y_mm, z_mm).
        options: grid options.
    """

    def __init__(self, pmts: pd.DataFrame, options: GridOptions):
        self.options = options
        self.projection: Projection = make_projection(
            pmts, name=options.projection, height=options.height, width=options.width, ring_tolerance_deg=options.ring_tolerance_deg
        )
        self.n_pixels = self.projection.height * self.projection.width
        self.shape = (len(options.channels), options.n_time_bins, self.projection.height, self.projection.width)
        self._mask = self.projection.mask.astype(np.float32)

    def grid(self, pmt_id: np.ndarray, hit_time_ns: np.ndarray, charge_pe: np.ndarray) -> tuple[np.ndarray, float, float]:
        """Return (tensor [C, T, H, W] float32, t0 in ns or NaN, charge kept in the grid in p.e.) of one event."""
        options = self.options
        tensor = np.zeros(self.shape, dtype=np.float32)
        if "pmt_mask" in options.channels:
            tensor[options.channels.index("pmt_mask")] = self._mask
        hit_time = np.ascontiguousarray(hit_time_ns, dtype=np.float32)
        t0 = float(_event_t0(hit_time, np.float32(options.t0_window_ns), options.t0_threshold_hits, np.float32(options.t0_pre_window_ns)))
        if np.isnan(t0):
            return tensor, t0, 0.0

        charge_out = tensor[0].reshape(-1)
        with_first = "first_hit_time" in options.channels
        first_out = np.full(options.n_time_bins * self.n_pixels if with_first else 1, np.inf, dtype=np.float32)
        charge_kept_pe = _fill_event(
            np.ascontiguousarray(pmt_id, dtype=np.int32), hit_time, np.ascontiguousarray(charge_pe, dtype=np.float32),
            self.projection.pixel_of_pmt, np.float32(t0), np.float32(options.time_bin_ns), options.n_time_bins,
            self.n_pixels, options.overflow == "last_bin", charge_out, first_out, with_first,
        )
        if with_first:
            first_out[np.isinf(first_out)] = 0.0
            tensor[options.channels.index("first_hit_time")] = first_out.reshape(self.shape[1:])
        return tensor, t0, float(charge_kept_pe)

    def meta(self) -> dict:
        """Return the shard metadata (shape, channels, projection, time binning)."""
        return {
            "shape": list(self.shape),
            "channels": [{"name": c, "unit": CHANNEL_UNITS[c]} for c in self.options.channels],
            "projection": self.projection.meta(),
            "time": self.options.time_meta(),
            "wrap_axis": "W",
        }


def grid_chunk(
    hits_path: str | os.PathLike,
    events_path: str | os.PathLike,
    pmts: pd.DataFrame,
    grid: dict | None,
    out_prefix: str | os.PathLike,
) -> dict:
    """Grid every event of a chunk (events without hits get all-zero tensors) and write the shard out_prefix.{grid,index.parquet,meta.json}.

    Args:
        hits_path, events_path: the chunk's hit and events tables (docs/contracts.md).
        pmts: geometry table.
        grid: the `grid` section of the config (see GridOptions).
        out_prefix: results/grid/{sample}/{chunk}.
    Returns:
        summary: events, events without t0, hits, total charge and charge in the grid (p.e.),
        mean compressed bytes per event, seconds and events per second.
    Raises:
        GridInputError: the hit table contains an event that the events table lacks, or its
            events are not in the events table's order; a table is not readable Parquet or
            lacks a column.
        FileNotFoundError: the hit or events table does not exist.
    """
    started = time.perf_counter()
    options = GridOptions.from_config(grid)
    gridder = EventGridder(pmts, options)
    events_file = _open_table(events_path, "events", ["event_id"])
    events = _read_row_groups(events_file, events_path, "events", ["event_id"], range(events_file.num_row_groups)).column("event_id").to_numpy()
    if len(np.unique(events)) != len(events):
        raise GridInputError(f"{events_path}: event_id values repeat; rerun the ingest rule for this chunk")
    meta = {**gridder.meta(), "chunk": os.path.basename(os.fspath(out_prefix))}

    totals = {"events": 0, "events_without_t0": 0, "hits": 0, "charge_total_pe": 0.0, "charge_in_grid_pe": 0.0}
    with GridShardWriter(out_prefix, meta, compression_level=options.compression_level) as writer:

        def add(event_id: int, pmt_id, hit_time_ns, charge_pe) -> None:
            tensor, t0, charge_kept_pe = gridder.grid(pmt_id, hit_time_ns, charge_pe)
            total = float(np.sum(charge_pe, dtype=np.float64))
            writer.add(int(event_id), tensor, t0_ns=t0, charge_total_pe=total, charge_in_grid_pe=charge_kept_pe, n_hits=len(pmt_id))
            totals["events"] += 1
            totals["events_without_t0"] += int(np.isnan(t0))
            totals["hits"] += len(pmt_id)
            totals["charge_total_pe"] += total
            totals["charge_in_grid_pe"] += charge_kept_pe

        empty_i, empty_f = np.zeros(0, np.int32), np.zeros(0, np.float32)
        next_event = 0
        for event_id, pmt_id, hit_time_ns, charge_pe in _iter_hit_events(hits_path):
            # Events without hits sit between the events that have hits, in the events table's order.
            match = np.flatnonzero(events[next_event:] == event_id)
            if len(match) == 0:
                where = "earlier than its place" if event_id in events[:next_event] else "not in the events table"
                raise GridInputError(f"{hits_path}: event {event_id} is {where} in {events_path}; rerun the ingest rule for this chunk")
            for skipped in events[next_event: next_event + int(match[0])]:
                add(skipped, empty_i, empty_f, empty_f)
            add(event_id, pmt_id, hit_time_ns, charge_pe)
            next_event += int(match[0]) + 1
            if totals["events"] % 100 == 0:
                log.info("gridded %d of %d events (%.1f events/s)", totals["events"], len(events), totals["events"] / (time.perf_counter() - started))
        for skipped in events[next_event:]:
            add(skipped, empty_i, empty_f, empty_f)

    seconds = time.perf_counter() - started
    summary = {
        **totals,
        "bytes_per_event": writer.grid_path.stat().st_size / max(totals["events"], 1),
        "seconds": seconds,
        "events_per_s": totals["events"] / seconds if seconds > 0 else float("nan"),
    }
    log.info(
        "wrote grid shard %s: %d events (%d without t0), %.1f%% of the charge in the grid, %.0f bytes per event, %.1f events/s",
        out_prefix, summary["events"], summary["events_without_t0"],
        100.0 * summary["charge_in_grid_pe"] / summary["charge_total_pe"] if summary["charge_total_pe"] else 0.0,
        summary["bytes_per_event"], summary["events_per_s"],
    )
    return summary


def _iter_hit_events(hits_path: str | os.PathLike):
    """Yield (event_id, pmt_id, hit_time_ns, charge_pe) per event, one row group in memory at a time."""
    columns = ["event_id", "pmt_id", "hit_time_ns", "charge_pe"]
    parquet = _open_table(hits_path, "hit", columns)
    for group in range(parquet.num_row_groups):
        table = _read_row_groups(parquet, hits_path, "hit", columns, [group])
        event_id = table.column("event_id").to_numpy()
        pmt_id = table.column("pmt_id").to_numpy()
        hit_time = table.column("hit_time_ns").to_numpy()
        charge = table.column("charge_pe").to_numpy()
        starts = np.flatnonzero(np.r_[True, event_id[1:] != event_id[:-1]]) if len(event_id) else np.zeros(0, np.int64)
        stops = np.r_[starts[1:], len(event_id)]
        for start, stop in zip(starts, stops):
            yield int(event_id[start]), pmt_id[start:stop], hit_time[start:stop], charge[start:stop]



def _open_table(path: str | os.PathLike, name: str, columns: list[str]) -> pq.ParquetFile:
    """Open the chunk's hit or events table; raise an error that names the file and the fix when it cannot be used."""
    try:
        parquet = pq.ParquetFile(path)
    except FileNotFoundError as error:
        raise FileNotFoundError(f"{name} table {path} not found; run the hits_to_parquet rule for this chunk first") from error
    except (pa.ArrowInvalid, OSError) as error:
        raise GridInputError(
            f"{name} table {path} is not readable Parquet ({_one_line(error)}); delete it and rerun the hits_to_parquet rule for this chunk"
        ) from error
    missing = [column for column in columns if column not in parquet.schema_arrow.names]
    if missing:
        raise GridInputError(
            f"{name} table {path} lacks the columns {missing} (docs/contracts.md); delete it and rerun the hits_to_parquet rule for this chunk"
        )
    return parquet


def _read_row_groups(parquet: pq.ParquetFile, path, name: str, columns: list[str], groups) -> pa.Table:
    """Read columns of row groups of a table opened with _open_table; a damaged page raises a GridInputError that names the file."""
    try:
        return parquet.read_row_groups(groups, columns=columns)
    except (pa.ArrowInvalid, OSError) as error:
        raise GridInputError(
            f"{name} table {path} is damaged ({_one_line(error)}); delete it and rerun the hits_to_parquet rule for this chunk"
        ) from error


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())
