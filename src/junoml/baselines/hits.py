"""Per-PMT summaries of a hit table: first-hit time and total charge of each fired PMT."""

import numpy as np
import pandas as pd
import pyarrow as pa

HIT_COLUMNS = ("event_id", "pmt_id", "hit_time_ns", "charge_pe")
GEOMETRY_COLUMNS = ("pmt_id", "x_mm", "y_mm", "z_mm")


def check_columns(table: pd.DataFrame, columns: tuple[str, ...], name: str) -> None:
    """Raise a ValueError that names the table and its missing columns."""
    missing = [column for column in columns if column not in table.columns]
    if missing:
        raise ValueError(
            f"{name} table lacks columns {missing}; it has {list(table.columns)}. "
            "See docs/contracts.md for the columns of each table."
        )


def pmt_summary(hits: pd.DataFrame, *, charge_threshold_pe: float) -> pd.DataFrame:
    """Reduce pulses to one row per fired PMT and event.

    Pulses with charge below `charge_threshold_pe` are dropped first. Returns a table sorted by
    event_id and pmt_id with columns event_id, pmt_id, first_hit_time_ns (time of the PMT's
    earliest kept pulse, ns), first_pulse_charge_pe (that pulse's charge, p.e.), charge_pe (sum
    over its kept pulses, p.e.) and n_pulses.
    """
    check_columns(hits, HIT_COLUMNS, "hit")
    event_id = hits["event_id"].to_numpy(np.int64)
    pmt_id = hits["pmt_id"].to_numpy(np.int64)
    time_ns = hits["hit_time_ns"].to_numpy(np.float64)
    charge_pe = hits["charge_pe"].to_numpy(np.float64)

    keep = charge_pe >= charge_threshold_pe
    event_id, pmt_id, time_ns, charge_pe = event_id[keep], pmt_id[keep], time_ns[keep], charge_pe[keep]
    if event_id.size == 0:
        return pd.DataFrame(
            {
                "event_id": np.zeros(0, np.int64),
                "pmt_id": np.zeros(0, np.int64),
                "first_hit_time_ns": np.zeros(0),
                "first_pulse_charge_pe": np.zeros(0),
                "charge_pe": np.zeros(0),
                "n_pulses": np.zeros(0, np.int64),
            }
        )

    # The contract sorts hits by event, PMT and time. Other inputs are sorted here, so that the
    # first pulse of each group is its earliest one.
    if not _is_sorted(event_id, pmt_id, time_ns):
        order = np.lexsort((time_ns, pmt_id, event_id))
        event_id, pmt_id, time_ns, charge_pe = event_id[order], pmt_id[order], time_ns[order], charge_pe[order]

    new_group = np.ones(event_id.size, dtype=bool)
    new_group[1:] = (event_id[1:] != event_id[:-1]) | (pmt_id[1:] != pmt_id[:-1])
    starts = np.flatnonzero(new_group)
    return pd.DataFrame(
        {
            "event_id": event_id[starts],
            "pmt_id": pmt_id[starts],
            "first_hit_time_ns": time_ns[starts],
            "first_pulse_charge_pe": charge_pe[starts],
            "charge_pe": np.add.reduceat(charge_pe, starts),
            "n_pulses": np.diff(np.append(starts, event_id.size)),
        }
    )


def _is_sorted(event_id: np.ndarray, pmt_id: np.ndarray, time_ns: np.ndarray) -> bool:
    """Return True when the rows are sorted by event_id, then pmt_id, then time."""
    event_step = np.diff(event_id)
    pmt_step = np.diff(pmt_id)
    time_step = np.diff(time_ns)
    same_event = event_step == 0
    return bool(
        np.all(event_step >= 0)
        and np.all(pmt_step[same_event] >= 0)
        and np.all(time_step[same_event & (pmt_step == 0)] >= 0)
    )


def pmt_positions(pmts: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Return a dense lookup table of PMT positions [max_pmt_id + 1, 3] in mm and a mask of known ids."""
    check_columns(pmts, GEOMETRY_COLUMNS, "geometry")
    pmt_id = pmts["pmt_id"].to_numpy(np.int64)
    if pmt_id.size == 0:
        raise ValueError("geometry table is empty; build results/geometry/pmts.parquet first")
    if pmt_id.min() < 0:
        raise ValueError(f"geometry table has negative pmt_id {pmt_id.min()}; ids must be non-negative")
    positions = np.full((pmt_id.max() + 1, 3), np.nan)
    positions[pmt_id] = pmts[["x_mm", "y_mm", "z_mm"]].to_numpy(np.float64)
    known = np.zeros(pmt_id.max() + 1, dtype=bool)
    known[pmt_id] = True
    return positions, known


def lookup_pmts(pmt_id: np.ndarray, known: np.ndarray) -> None:
    """Raise a ValueError when a hit names a PMT that the geometry table lacks."""
    unknown = (pmt_id < 0) | (pmt_id >= known.size)
    unknown[~unknown] = ~known[pmt_id[~unknown]]
    if unknown.any():
        raise ValueError(
            f"hits name {int(unknown.sum())} PMTs absent from the geometry table, e.g. pmt_id "
            f"{int(pmt_id[unknown][0])}; use the geometry table that the hits were simulated with"
        )


def event_slices(event_id: np.ndarray) -> dict[int, slice]:
    """Map each event_id of a sorted array to the slice of its rows."""
    if event_id.size == 0:
        return {}
    boundaries = np.flatnonzero(np.diff(event_id)) + 1
    starts = np.concatenate(([0], boundaries))
    stops = np.concatenate((boundaries, [event_id.size]))
    return {int(event_id[start]): slice(int(start), int(stop)) for start, stop in zip(starts, stops)}


def read_hit_table(path: str, *, event_ids: list[int] | None = None) -> pd.DataFrame:
    """Read the hit columns of one chunk's hit table, all events or those in event_ids.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the file is not readable Parquet or lacks a hit column; both name the file and the fix.
    """
    filters = None if event_ids is None else [("event_id", "in", list(event_ids))]
    try:
        return pd.read_parquet(path, columns=list(HIT_COLUMNS), filters=filters)
    except FileNotFoundError as error:
        raise FileNotFoundError(f"hit table {path} not found; run the hits_to_parquet rule for its chunk") from error
    except (pa.ArrowInvalid, OSError) as error:
        reason = " ".join(str(error).split())
        raise ValueError(
            f"hit table {path} cannot be read ({reason}); it needs the columns {list(HIT_COLUMNS)} "
            "(docs/contracts.md); delete it and rerun the hits_to_parquet rule for its chunk"
        ) from error


def read_split_hits(split: pd.DataFrame, hits_path_template: str) -> pd.DataFrame:
    """Read the pulses of the events of a split from their chunks' hit tables.

    Args:
        split: a split table with event_id and chunk (docs/contracts.md).
        hits_path_template: path of a chunk's hit table with a `{chunk}` field, e.g.
            "results/hits/muon/{chunk}.parquet"; chunk numbers are formatted with four digits.
    """
    check_columns(split, ("event_id", "chunk"), "split")
    tables = []
    for chunk, rows in split.groupby("chunk", sort=True):
        path = hits_path_template.format(chunk=f"{int(chunk):04d}")
        event_ids = rows["event_id"].to_numpy(np.int64).tolist()
        tables.append(read_hit_table(path, event_ids=event_ids))
    if not tables:
        dtypes = {"event_id": "int64", "pmt_id": "int32", "hit_time_ns": "float32", "charge_pe": "float32"}
        return pd.DataFrame({column: pd.Series(dtype=dtype) for column, dtype in dtypes.items()})
    return pd.concat(tables, ignore_index=True)
