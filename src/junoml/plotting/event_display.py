"""Event display on the PMT sphere: charge per time bin as small multiples and the time-integrated map."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402

from junoml.grid.gridder import event_t0_ns  # noqa: E402
from junoml.io.atomic import atomic_output  # noqa: E402


def plot_event_display(
    pmts: pd.DataFrame,
    pmt_id: np.ndarray,
    hit_time_ns: np.ndarray,
    charge_pe: np.ndarray,
    *,
    title: str,
    out_path: str | os.PathLike,
    n_time_panels: int = 8,
    time_bin_ns: float = 20.0,
    dpi: int = 120,
) -> None:
    """Draw one event on theta-phi maps of the PMTs and save it as an image.

    The top rows show the charge (p.e.) per PMT in `n_time_panels` consecutive bins of
    `time_bin_ns`. They start at the event time t0 of the grid, the first window of hits that dark
    noise alone does not fill, or at the first hit when no window passes. One colour scale spans the
    largest charge of a PMT in any panel. The bottom panel shows the total charge per PMT as the
    marker size and the first-hit time as the colour, over the time span of the panels. Colour
    maps are viridis and cividis, which read in grey and for colour-blind viewers.
    """
    if n_time_panels < 1 or not time_bin_ns > 0:
        raise ValueError(f"n_time_panels must be >= 1 and time_bin_ns > 0, got {n_time_panels} and {time_bin_ns}")
    pmt_id = np.asarray(pmt_id)
    hit_time_ns = np.asarray(hit_time_ns, dtype=np.float64)
    charge_pe = np.asarray(charge_pe, dtype=np.float64)
    if not (pmt_id.shape == hit_time_ns.shape == charge_pe.shape):
        raise ValueError(f"pmt_id, hit_time_ns and charge_pe must have one shape, got {pmt_id.shape}, "
                         f"{hit_time_ns.shape}, {charge_pe.shape}")
    theta = pmts["theta_deg"].to_numpy()
    phi = pmts["phi_deg"].to_numpy()
    n_pmts = len(pmts)

    t_start = event_t0_ns(hit_time_ns)
    if not np.isfinite(t_start):
        t_start = float(hit_time_ns.min()) if hit_time_ns.size else 0.0
    panel_charges = []
    for panel in range(n_time_panels):
        low = t_start + panel * time_bin_ns
        in_bin = (hit_time_ns >= low) & (hit_time_ns < low + time_bin_ns)
        panel_charges.append(np.bincount(pmt_id[in_bin], weights=charge_pe[in_bin], minlength=n_pmts))

    n_cols = min(n_time_panels, 4)
    n_rows = int(np.ceil(n_time_panels / n_cols))
    fig = plt.figure(figsize=(3.2 * n_cols, 2.4 * n_rows + 4.2), constrained_layout=True)
    grid = fig.add_gridspec(n_rows + 2, n_cols)
    charge_max = max(max(float(charge.max()) for charge in panel_charges), 1.0)
    norm = LogNorm(vmin=0.5, vmax=charge_max)
    scatter = None
    for panel, charge in enumerate(panel_charges):
        ax = fig.add_subplot(grid[panel // n_cols, panel % n_cols])
        low = t_start + panel * time_bin_ns
        lit = charge > 0
        ax.scatter(phi, theta, s=0.3, c="0.85", rasterized=True)
        scatter = ax.scatter(phi[lit], theta[lit], s=2.0, c=charge[lit], cmap="viridis", norm=norm, rasterized=True)
        ax.set_title(f"{low:.0f} to {low + time_bin_ns:.0f} ns", fontsize=8)
        _format_map_axes(ax, labels=(panel % n_cols == 0, panel // n_cols == n_rows - 1))
    if scatter is not None:
        fig.colorbar(scatter, ax=fig.axes, label="charge per bin (p.e.)", shrink=0.8)

    ax = fig.add_subplot(grid[n_rows:, :])
    total = np.bincount(pmt_id, weights=charge_pe, minlength=n_pmts)
    first = np.full(n_pmts, np.inf)
    np.minimum.at(first, pmt_id, hit_time_ns)
    lit = total > 0
    size = 0.5 + 8.0 * np.sqrt(total[lit] / max(total.max(), 1e-9))
    # The colour range spans the panels' time range, so that isolated dark counts do not set it.
    low, high = t_start, t_start + n_time_panels * time_bin_ns
    ax.scatter(phi, theta, s=0.3, c="0.85", rasterized=True)
    points = ax.scatter(phi[lit], theta[lit], s=size, c=first[lit], cmap="cividis", vmin=low, vmax=high,
                        rasterized=True)
    fig.colorbar(points, ax=ax, label="first-hit time (ns)")
    ax.set_title(f"{title}: total charge {charge_pe.sum():.0f} p.e. (marker area), first-hit time (colour)", fontsize=9)
    _format_map_axes(ax, labels=(True, True))

    with atomic_output(out_path) as tmp:
        fig.savefig(tmp, dpi=dpi, format=str(out_path).rsplit(".", 1)[-1])
    plt.close(fig)


def _format_map_axes(ax, *, labels: tuple[bool, bool]) -> None:
    ax.set_xlim(0, 360)
    ax.set_ylim(180, 0)
    ax.set_xticks([0, 90, 180, 270, 360])
    ax.set_yticks([0, 45, 90, 135, 180])
    ax.tick_params(labelsize=7)
    if labels[0]:
        ax.set_ylabel("theta (deg)", fontsize=8)
    if labels[1]:
        ax.set_xlabel("phi (deg)", fontsize=8)
