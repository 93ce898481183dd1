"""Event displays of example atmospheric events (via plot_event_display) and an optional animated GIF."""

import contextlib
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.animation import FuncAnimation, PillowWriter
from matplotlib.colors import LogNorm

from junoml.baselines.hits import read_hit_table
from junoml.grid.gridder import event_t0_ns
from junoml.plotting.event_display import plot_event_display
from junoml.plotting.style import CLASS_LABELS, CLASS_NAMES, PlotParams, apply_style

logger = logging.getLogger(__name__)

PMT_COLUMNS = ("pmt_id", "theta_deg", "phi_deg")


def choose_display_events(events: pd.DataFrame, *, visible_energy_mev: float) -> dict[str, pd.Series]:
    """Pick one triggered event per flavour class (labels 0, 1, 2), the one closest to `visible_energy_mev`.

    Returns class name -> the event's row. A class without triggered events is left out with a warning.
    """
    missing = [column for column in ("event_id", "label", "visible_energy_mev", "triggered") if column not in events]
    if missing:
        raise ValueError(f"events table is missing columns {missing}. Event displays need the atmospheric events tables")
    triggered = events[events["triggered"].astype(bool)]
    chosen = {}
    for label, name in enumerate(CLASS_NAMES):
        candidates = triggered[triggered["label"] == label]
        if candidates.empty:
            logger.warning("no triggered %s event in the events tables; its display is skipped", name)
            continue
        distance = np.abs(candidates["visible_energy_mev"].to_numpy(dtype=float) - visible_energy_mev)
        chosen[name] = candidates.iloc[int(np.argmin(distance))]
    return chosen


def read_event_hits(path: str | os.PathLike, event_id: int) -> pd.DataFrame:
    """Read the hits of one event from a hit table (results/hits/{sample}/{chunk}.parquet).

    Raises:
        FileNotFoundError: the hit table does not exist.
        ValueError: the hit table is not readable Parquet, lacks a hit column or has no hits of
            the event; each names the file.
    """
    hits = read_hit_table(str(path), event_ids=[int(event_id)])
    if hits.empty:
        raise ValueError(f"{path}: no hits for event_id {event_id}; the hit table and events table do not match")
    return hits


def time_bin_start_ns(hit_time_ns: np.ndarray) -> float:
    """Return the start (ns) of the first time bin: the grid's event time t0, as in plot_event_display.

    t0 starts the first window that dark noise alone does not fill, so dark pulses before the event
    do not set it. Without such a window the first hit is used.
    """
    t0 = event_t0_ns(hit_time_ns)
    return t0 if np.isfinite(t0) else float(np.min(hit_time_ns))


def charge_per_pmt(hits: pd.DataFrame, n_pmts: int) -> np.ndarray:
    """Return the summed charge (p.e.) per pmt_id, zero for PMTs without hits."""
    return np.bincount(hits["pmt_id"].to_numpy(), weights=hits["charge_pe"].to_numpy(dtype=float), minlength=n_pmts)


def marker_size(n_pmts: int) -> float:
    """Return a scatter marker area (points^2) that keeps neighbouring PMTs apart: 2 for JUNO's 17,612."""
    return max(2.0, 35000.0 / n_pmts)


def write_time_bin_gif(
    pmts: pd.DataFrame, hits: pd.DataFrame, *, t0_ns: float, title: str, out_path: Path, params: PlotParams
) -> Path:
    """Write an animated GIF with one frame per time bin (charge per PMT, common log colour scale)."""
    n_pmts = int(pmts["pmt_id"].max()) + 1
    time = hits["hit_time_ns"].to_numpy(dtype=float)
    width = params.event_display_time_bin_ns
    fig, ax = plt.subplots(figsize=(7.5, 4.0))
    frames = []
    for k in range(params.event_display_n_time_bins):
        in_bin = (time >= t0_ns + k * width) & (time < t0_ns + (k + 1) * width)
        frames.append(charge_per_pmt(hits[in_bin], n_pmts)[pmts["pmt_id"].to_numpy()])
    norm = LogNorm(vmin=0.1, vmax=max(max(frame.max() for frame in frames), 1.0))
    # The axes are those of plot_event_display: azimuth phi and polar angle theta, 0 at the top.
    positions = pmts[["phi_deg", "theta_deg"]].to_numpy()
    size = marker_size(len(pmts))
    ax.scatter(positions[:, 0], positions[:, 1], s=0.5 * size, color="0.85", linewidths=0)
    # Only PMTs with charge in the frame are coloured. Each frame replaces the points and their colours.
    artist = ax.scatter([], [], c=[], s=size, linewidths=0, norm=norm, cmap="viridis")
    ax.set_xlim(0.0, 360.0)
    ax.set_ylim(180.0, 0.0)
    ax.set_xticks([0, 90, 180, 270, 360])
    ax.set_yticks([0, 45, 90, 135, 180])
    ax.set_xlabel("phi [deg]")
    ax.set_ylabel("theta [deg]")
    ax.grid(False)
    fig.colorbar(artist, ax=ax, label="charge per PMT [p.e.]")

    def update(k: int):
        lit = frames[k] > 0.0
        artist.set_offsets(positions[lit])
        artist.set_array(frames[k][lit])
        ax.set_title(f"{title}: {k * width:.0f} to {(k + 1) * width:.0f} ns after t0", fontsize="small")
        return (artist,)

    animation = FuncAnimation(fig, update, frames=len(frames), blit=False)
    # PillowWriter picks the format from the suffix, so the temporary name must end in .gif.
    tmp = out_path.with_name(f".{out_path.stem}.{os.getpid()}.tmp.gif")
    try:
        animation.save(tmp, writer=PillowWriter(fps=params.event_display_gif_fps), dpi=params.dpi)
        os.replace(tmp, out_path)
    finally:
        plt.close(fig)
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return out_path


def make_event_displays(
    events_paths: Sequence[str | os.PathLike],
    hits_paths: Sequence[str | os.PathLike],
    pmts: pd.DataFrame | str | os.PathLike,
    out_dir: str | os.PathLike,
    params: Mapping | PlotParams | None = None,
) -> list[Path]:
    """Draw one nu_mu CC, one nu_e CC and one NC event of similar visible energy and return the files written.

    Args:
        events_paths: results/events/atmospheric/{chunk}.parquet files.
        hits_paths: the hit tables of the same chunks, in the same order.
        pmts: the geometry table (results/geometry/pmts.parquet) or its path.
        out_dir: folder of the displays (created if needed).
        params: the config's `plots` section.

    Per class, out_dir gets event_display_{class}.{format} for every configured format (plot_event_display:
    charge per time bin as small multiples, and the time-integrated map coloured by first-hit time), plus
    event_display_{class}.gif, one frame per time bin, when `event_display_gif` is true.
    """
    params = PlotParams.from_mapping(params)
    if len(events_paths) != len(hits_paths):
        raise ValueError(
            f"got {len(events_paths)} events tables but {len(hits_paths)} hit tables; pass one hit table per chunk"
        )
    if not isinstance(pmts, pd.DataFrame):
        pmts = pd.read_parquet(pmts)
    missing = [column for column in PMT_COLUMNS if column not in pmts]
    if missing:
        raise ValueError(f"geometry table is missing columns {missing}. Pass results/geometry/pmts.parquet")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    apply_style()

    tables = []
    for index, path in enumerate(events_paths):
        table = pd.read_parquet(path, columns=["event_id", "label", "visible_energy_mev", "triggered"])
        tables.append(table.assign(source_index=index))
    events = pd.concat(tables, ignore_index=True)
    chosen = choose_display_events(events, visible_energy_mev=params.event_display_visible_energy_mev)

    paths: list[Path] = []
    for name, event in chosen.items():
        hits = read_event_hits(hits_paths[int(event["source_index"])], int(event["event_id"]))
        title = (
            f"{CLASS_LABELS[name]} event {int(event['event_id'])}, "
            f"visible energy {event['visible_energy_mev'] / 1000.0:.2f} GeV"
        )
        for fmt in params.formats:
            path = out_dir / f"event_display_{name}.{fmt}"
            plot_event_display(
                pmts,
                hits["pmt_id"].to_numpy(),
                hits["hit_time_ns"].to_numpy(),
                hits["charge_pe"].to_numpy(),
                title=title,
                out_path=path,
                n_time_panels=params.event_display_n_time_bins,
                time_bin_ns=params.event_display_time_bin_ns,
                dpi=params.dpi,
            )
            paths.append(path)
        if params.event_display_gif:
            t0_ns = time_bin_start_ns(hits["hit_time_ns"].to_numpy(dtype=float))
            gif_path = out_dir / f"event_display_{name}.gif"
            paths.append(write_time_bin_gif(pmts, hits, t0_ns=t0_ns, title=title, out_path=gif_path, params=params))
        logger.info("event display of %s event %d written", name, int(event["event_id"]))
    return paths
