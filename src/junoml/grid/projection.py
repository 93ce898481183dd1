"""Map PMTs to the pixels of a 2D image: columns are azimuth (wrapping around), rows polar angle.

- `equirectangular`: H bins of polar angle theta in [0, 180] deg by W bins of azimuth phi in
  [0, 360) deg. Several PMTs may share a pixel; their charges add up. Works for any geometry.
- `rings`: one row per ring of constant polar angle (0 at the top), each PMT at column
  round(phi * W / 360 deg) mod W (half-way cases up), so columns line up in azimuth across rows. W is at least the
  largest ring (219 PMTs in JUNO). Two PMTs in one pixel raise GridConfigError. Pixels without
  a PMT are masked.
Angles are computed from x, y, z, not taken from the table.
"""

import dataclasses

import numpy as np
import pandas as pd

PROJECTIONS = ("equirectangular", "rings")
# Columns within this fraction of a half-way point count as half-way (float rounding of phi).
HALF_WAY_TOLERANCE = 1e-6


class GridConfigError(ValueError):
    """A grid option that cannot work with the given geometry."""


@dataclasses.dataclass(frozen=True)
class Projection:
    """Pixel of each PMT and the image size.

    Attributes:
        name: projection name.
        height, width: image rows (polar angle) and columns (azimuth).
        pixel_of_pmt: flat pixel index row * width + column, indexed by pmt_id; -1 for ids
            that are not in the geometry.
        mask: [height, width] bool, true where at least one PMT lands.
        row_theta_deg: polar angle of each row (bin centre, or the ring's mean angle).
    """

    name: str
    height: int
    width: int
    pixel_of_pmt: np.ndarray
    mask: np.ndarray
    row_theta_deg: np.ndarray

    def meta(self) -> dict:
        """Return the projection's description for the shard metadata."""
        return {
            "name": self.name,
            "height": self.height,
            "width": self.width,
            "rows": "polar angle theta from +z, row 0 at the top",
            "columns": "azimuth phi from +x towards +y, column 0 at phi = 0",
            "wrap_axis": "W",
            "row_theta_deg": [round(float(t), 4) for t in self.row_theta_deg],
            "pixel_mask": ["".join("1" if v else "0" for v in row) for row in self.mask],
        }


def pmt_angles(pmts: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Return (theta_deg in [0, 180], phi_deg in [0, 360)) of each PMT from its x_mm, y_mm, z_mm."""
    missing = [c for c in ("pmt_id", "x_mm", "y_mm", "z_mm") if c not in pmts.columns]
    if missing:
        raise GridConfigError(f"the geometry table lacks columns {missing}; it needs pmt_id, x_mm, y_mm, z_mm")
    x, y, z = (pmts[c].to_numpy(dtype=np.float64) for c in ("x_mm", "y_mm", "z_mm"))
    radius = np.sqrt(x**2 + y**2 + z**2)
    if np.any(radius == 0):
        bad = int(pmts["pmt_id"].to_numpy()[np.flatnonzero(radius == 0)[0]])
        raise GridConfigError(f"PMT {bad} sits at the origin; its direction is undefined; fix the geometry table")
    theta = np.degrees(np.arccos(np.clip(z / radius, -1.0, 1.0)))
    phi = np.degrees(np.arctan2(y, x)) % 360.0
    return theta, phi


def make_projection(pmts: pd.DataFrame, *, name: str, height: int, width: int | None, ring_tolerance_deg: float = 0.05) -> Projection:
    """Build the projection `name` for a geometry (see the module docstring)."""
    if name == "equirectangular":
        if width is None:
            raise GridConfigError("grid.width is null; the equirectangular projection needs a width (default 128)")
        return equirectangular(pmts, height=height, width=width)
    if name == "rings":
        return rings(pmts, width=width, ring_tolerance_deg=ring_tolerance_deg)
    raise GridConfigError(f"grid.projection is {name!r}; use one of {PROJECTIONS}")


def equirectangular(pmts: pd.DataFrame, *, height: int, width: int) -> Projection:
    """Bin polar angle into `height` rows and azimuth into `width` columns."""
    if height < 1 or width < 1:
        raise GridConfigError(f"grid.height and grid.width must be positive, got {height} x {width}")
    theta, phi = pmt_angles(pmts)
    row = np.minimum((theta / 180.0 * height).astype(np.int64), height - 1)
    column = (phi / 360.0 * width).astype(np.int64) % width
    row_theta = (np.arange(height) + 0.5) * 180.0 / height
    return _build("equirectangular", pmts, height, width, row, column, row_theta)


def rings(pmts: pd.DataFrame, *, width: int | None = None, ring_tolerance_deg: float = 0.05) -> Projection:
    """Build the rings projection: one row per ring of constant polar angle, where PMTs closer than ring_tolerance_deg in theta share a ring."""
    theta, phi = pmt_angles(pmts)
    order = np.argsort(theta, kind="stable")
    new_ring = np.r_[True, np.diff(theta[order]) > ring_tolerance_deg]
    ring = np.empty(len(theta), dtype=np.int64)
    ring[order] = np.cumsum(new_ring) - 1
    n_rings = int(ring.max()) + 1 if len(ring) else 0
    largest = int(np.bincount(ring).max()) if len(ring) else 0
    if width is None:
        width = largest
    if width < largest:
        raise GridConfigError(f"grid.width is {width}, below the largest ring of {largest} PMTs; set grid.width to at least {largest} or null")
    # Half-way cases round up: a ring whose PMTs sit half a column off the grid (phases
    # (k + 0.5) * 360 / n deg, as in generated layouts) then fills n distinct columns. np.rint
    # rounds half to even and would put two neighbours into one column.
    column = np.floor(phi * width / 360.0 + 0.5 + HALF_WAY_TOLERANCE).astype(np.int64) % width
    row_theta = np.array([theta[ring == r].mean() for r in range(n_rings)])

    pixel = ring * width + column
    unique, first, counts = np.unique(pixel, return_index=True, return_counts=True)
    if np.any(counts > 1):
        clash = unique[counts > 1][0]
        ids = pmts["pmt_id"].to_numpy()[pixel == clash][:2]
        raise GridConfigError(
            f"PMTs {ids[0]} and {ids[1]} of ring {clash // width} fall into the same column {clash % width} at grid.width = {width}; "
            "raise grid.width or use the equirectangular projection"
        )
    return _build("rings", pmts, n_rings, width, ring, column, row_theta)


def _build(name: str, pmts: pd.DataFrame, height: int, width: int, row: np.ndarray, column: np.ndarray, row_theta: np.ndarray) -> Projection:
    pmt_id = pmts["pmt_id"].to_numpy(dtype=np.int64)
    if np.any(pmt_id < 0):
        raise GridConfigError(f"the geometry table has negative pmt_id {int(pmt_id.min())}; PMT ids start at 0")
    pixel_of_pmt = np.full(int(pmt_id.max()) + 1 if len(pmt_id) else 0, -1, dtype=np.int64)
    pixel_of_pmt[pmt_id] = row * width + column
    mask = np.zeros(height * width, dtype=bool)
    mask[row * width + column] = True
    return Projection(name, int(height), int(width), pixel_of_pmt, mask.reshape(height, width), np.asarray(row_theta, dtype=np.float64))
