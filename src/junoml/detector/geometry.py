"""Positions, types and properties of JUNO's 17,612 20-inch PMTs: read from JUNO's CSV or generated."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd

from junoml.io.atomic import atomic_output

logger = logging.getLogger(__name__)

GEOMETRY_COLUMNS = ["pmt_id", "x_mm", "y_mm", "z_mm", "theta_deg", "phi_deg", "ring", "pmt_type",
                    "detection_efficiency", "tts_sigma_ns", "dark_rate_hz"]
PMT_TYPES = ("hamamatsu", "nnvt")
# Layout of JUNO's simulation geometry file (PMTPos_CD_LPMT.csv): each polar cap has 7 PMTs at
# about 2.77 deg and 14 at about 4.09 deg from the pole, and the body rings start at 5.69 deg.
CAP_RING_COUNTS = (7, 14)
CAP_RING_THETA_DEG = (2.77, 4.09)
FIRST_BODY_RING_THETA_DEG = 5.69
# Two PMTs belong to the same ring when their polar angles differ by less than this; JUNO's rings
# are at least 1.3 deg apart.
RING_GAP_DEG = 0.5
# The PMTs within this polar angle of a pole form one ring, the cap (JUNO's file gives them
# theta = 0 or 180), so JUNO's layout has 122 rings.
CAP_MAX_THETA_DEG = 5.0
# Ring spacing of JUNO's file near the poles and at the equator, in polar angle.
POLAR_RING_SPACING_DEG = 1.571
EQUATOR_RING_SPACING_DEG = 1.34
# Generated body rings come in runs of this many rings with equal PMT counts, which interlock; with
# 3 the median distance between neighbouring PMTs is 522 mm, 2% below that of JUNO's file.
RINGS_PER_RUN = 3


def build_geometry(geometry_cfg: dict, detector_cfg: dict, *, seed: int) -> pd.DataFrame:
    """Return the PMT table (columns of GEOMETRY_COLUMNS), from `pmt_positions_csv` or generated.

    The generated layout places `n_pmts` PMTs on a sphere of `radius_mm` in rings of constant
    polar angle, JUNO's way; `n_hamamatsu` of them, chosen with `seed`, are Hamamatsu dynode PMTs,
    the rest NNVT MCP-PMTs. Per-type detection efficiency, TTS sigma and dark rate come from
    `detector_cfg["pmt_types"]`.
    """
    csv_path = geometry_cfg.get("pmt_positions_csv")
    if csv_path:
        positions = read_juno_positions(csv_path)
        is_hamamatsu = np.zeros(len(positions), dtype=bool)
        hama_path = geometry_cfg.get("hamamatsu_positions_csv")
        if hama_path:
            tolerance = float(geometry_cfg.get("hamamatsu_match_tolerance_mm", 1.0))
            hamamatsu = read_juno_positions(hama_path)
            is_hamamatsu = match_positions(positions, hamamatsu, tolerance_mm=tolerance, path=hama_path)
        else:
            logger.warning("geometry.hamamatsu_positions_csv is not set: every PMT of %s is typed nnvt", csv_path)
        xyz = positions
    else:
        n_pmts = int(geometry_cfg.get("n_pmts", 17612))
        radius_mm = float(geometry_cfg.get("radius_mm", 19434.0))
        n_hamamatsu = int(geometry_cfg.get("n_hamamatsu", 5000))
        if not 0 <= n_hamamatsu <= n_pmts:
            raise ValueError(f"geometry.n_hamamatsu must be between 0 and n_pmts={n_pmts}, got {n_hamamatsu}")
        xyz = generate_ring_layout(n_pmts, radius_mm=radius_mm)
        rng = np.random.default_rng([int(seed), 0x6E6F])
        is_hamamatsu = np.zeros(n_pmts, dtype=bool)
        is_hamamatsu[rng.choice(n_pmts, size=n_hamamatsu, replace=False)] = True

    table = _table_from_positions(xyz, is_hamamatsu)
    return _add_type_properties(table, detector_cfg)


def write_geometry(df: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write the PMT table to Parquet, atomically."""
    missing = [c for c in GEOMETRY_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"write_geometry: the table lacks the columns {missing}; build it with build_geometry")
    with atomic_output(path) as tmp:
        df[GEOMETRY_COLUMNS].to_parquet(tmp, index=False)


def read_juno_positions(path: str | os.PathLike) -> np.ndarray:
    """Read a JUNO-format PMT position file (`id x y z theta phi`, mm and degrees, no header) into [N, 3] mm.

    The file's theta and phi are ignored, because the file stores 0 or 180 for the PMTs of the
    polar caps; the angles are derived from x, y, z instead.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"PMT position file {path} not found; set geometry.pmt_positions_csv to JUNO's PMTPos_CD_LPMT.csv "
            f"or to null to generate a layout"
        )
    rows = []
    with path.open() as handle:
        for line_number, line in enumerate(handle, start=1):
            words = line.split()
            if not words or words[0].startswith("#"):
                continue
            if len(words) != 6:
                raise ValueError(
                    f"{path}, line {line_number}: expected 6 whitespace-separated values (id x y z theta phi), "
                    f"got {len(words)}: {line.strip()!r}; fix or remove the line"
                )
            try:
                rows.append([float(w) for w in words[1:4]])
            except ValueError:
                raise ValueError(
                    f"{path}, line {line_number}: x, y, z must be numbers in mm, got {line.strip()!r}"
                ) from None
    if not rows:
        raise ValueError(f"{path} contains no PMT positions; expected lines of `id x y z theta phi`")
    return np.asarray(rows, dtype=np.float64)


def match_positions(positions: np.ndarray, subset: np.ndarray, *, tolerance_mm: float, path) -> np.ndarray:
    """Return a mask of `positions` that lie within `tolerance_mm` of a row of `subset` (every row must match)."""
    from scipy.spatial import cKDTree

    distance, index = cKDTree(positions).query(subset, k=1)
    unmatched = np.flatnonzero(distance > tolerance_mm)
    if unmatched.size:
        raise ValueError(
            f"{path}: {unmatched.size} rows match no PMT position within {tolerance_mm} mm (first: row "
            f"{unmatched[0]}, {distance[unmatched[0]]:.1f} mm away); check that both files come from the same geometry "
            f"or raise geometry.hamamatsu_match_tolerance_mm"
        )
    mask = np.zeros(len(positions), dtype=bool)
    mask[index] = True
    return mask


def assign_rings(theta_deg: np.ndarray, *, gap_deg: float = RING_GAP_DEG,
                 cap_max_theta_deg: float = CAP_MAX_THETA_DEG) -> np.ndarray:
    """Number the rings of constant polar angle from the top (0).

    A new ring starts at each gap in polar angle above `gap_deg`, except that the PMTs within
    `cap_max_theta_deg` of a pole form one ring each.
    """
    grouping_theta = np.where(theta_deg < cap_max_theta_deg, 0.0, theta_deg)
    grouping_theta = np.where(theta_deg > 180.0 - cap_max_theta_deg, 180.0, grouping_theta)
    order = np.argsort(grouping_theta, kind="stable")
    sorted_theta = grouping_theta[order]
    ring_sorted = np.concatenate([[0], np.cumsum(np.diff(sorted_theta) > gap_deg)])
    rings = np.empty(len(theta_deg), dtype=np.int32)
    rings[order] = ring_sorted
    return rings


def generate_ring_layout(n_pmts: int, *, radius_mm: float) -> np.ndarray:
    """Place exactly `n_pmts` points on a sphere in JUNO-like rings; return [n_pmts, 3] positions in mm.

    The caps copy JUNO's (7 and 14 PMTs at 2.77 and 4.09 deg from each pole). Between them, the
    body rings are spaced as in JUNO's file, 1.571 deg apart near the poles and 1.34 deg at the
    equator (for 17,612 PMTs; the spacing scales with 1/sqrt(n_pmts)), and each
    ring has a number of PMTs proportional to its circumference (largest-remainder rounding, equal
    within runs of RINGS_PER_RUN rings so that they interlock), so that the total is exact.
    """
    n_cap = 2 * sum(CAP_RING_COUNTS)
    if n_pmts < n_cap + 100:
        raise ValueError(f"geometry.n_pmts must be at least {n_cap + 100} for a ring layout, got {n_pmts}")
    if not radius_mm > 0:
        raise ValueError(f"geometry.radius_mm must be positive, got {radius_mm}")

    n_body = n_pmts - n_cap
    theta_rings = _body_ring_polar_angles(n_pmts)
    counts = _grouped_ring_counts(n_body, np.sin(theta_rings))

    cap_theta = np.radians(CAP_RING_THETA_DEG)
    all_theta = np.concatenate([cap_theta, theta_rings, np.pi - cap_theta[::-1]])
    all_counts = np.concatenate([CAP_RING_COUNTS, counts, CAP_RING_COUNTS[::-1]])

    points = []
    phase = 0.0
    previous_count = 0
    for theta, count in zip(all_theta, all_counts):
        # A ring with as many PMTs as the ring above is rotated by half a spacing, so that the
        # two rings interlock as in a hexagonal packing.
        phase = phase + np.pi / count if count == previous_count else 0.0
        previous_count = count
        phi = phase + 2 * np.pi * np.arange(count) / count
        points.append(np.stack([np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi),
                                np.full(count, np.cos(theta))], axis=1))
    return radius_mm * np.concatenate(points)


def _body_ring_polar_angles(n_pmts: int) -> np.ndarray:
    """Return the polar angles (rad) of the body rings, spaced by POLAR_RING_SPACING_DEG * (1 - a sin(theta))."""
    shrink = 1.0 - EQUATOR_RING_SPACING_DEG / POLAR_RING_SPACING_DEG
    spacing_rad = np.radians(POLAR_RING_SPACING_DEG) * np.sqrt(17612 / n_pmts)
    first = np.radians(FIRST_BODY_RING_THETA_DEG)
    grid = np.linspace(first, np.pi - first, 20001)
    # Ring number as a function of polar angle: the integral of 1 / spacing(theta).
    density = 1.0 / (spacing_rad * (1.0 - shrink * np.sin(grid)))
    ring_number = np.concatenate([[0.0], np.cumsum(0.5 * (density[1:] + density[:-1]) * np.diff(grid))])
    n_rings = int(round(ring_number[-1])) + 1
    return np.interp(np.linspace(0.0, ring_number[-1], n_rings), ring_number, grid)


def _grouped_ring_counts(n_total: int, circumference: np.ndarray) -> np.ndarray:
    """Split n_total PMTs over rings in proportion to their circumference, equal within runs of RINGS_PER_RUN rings.

    Equal counts let the rings of a run interlock; largest-remainder rounding keeps the total exact.
    """
    n_rings = len(circumference)
    run_index = np.arange(n_rings) // RINGS_PER_RUN
    run_weight = np.bincount(run_index, weights=circumference)
    run_size = np.bincount(run_index)
    exact_per_ring = n_total * run_weight / circumference.sum() / run_size
    per_ring = np.floor(exact_per_ring).astype(int)
    counts = per_ring[run_index]

    # Hand out the remaining PMTs one per ring, to the rings whose run lost most in rounding.
    missing = n_total - counts.sum()
    remainder = (exact_per_ring - per_ring)[run_index]
    order = np.argsort(-remainder, kind="stable")
    counts[order[:missing]] += 1
    return counts


def _table_from_positions(xyz: np.ndarray, is_hamamatsu: np.ndarray) -> pd.DataFrame:
    x, y, z = xyz[:, 0], xyz[:, 1], xyz[:, 2]
    radius = np.sqrt(x * x + y * y + z * z)
    theta_deg = np.degrees(np.arccos(np.clip(z / radius, -1.0, 1.0)))
    phi_deg = np.mod(np.degrees(np.arctan2(y, x)), 360.0)
    # np.mod of a tiny negative angle rounds to exactly 360.
    phi_deg[phi_deg >= 360.0] = 0.0
    return pd.DataFrame({
        "pmt_id": np.arange(len(xyz), dtype=np.int32),
        "x_mm": x.astype(np.float64),
        "y_mm": y.astype(np.float64),
        "z_mm": z.astype(np.float64),
        "theta_deg": theta_deg,
        "phi_deg": phi_deg,
        "ring": assign_rings(theta_deg),
        "pmt_type": pd.Series(np.where(is_hamamatsu, "hamamatsu", "nnvt"), dtype="string"),
    })


def _add_type_properties(table: pd.DataFrame, detector_cfg: dict) -> pd.DataFrame:
    types_cfg = detector_cfg.get("pmt_types")
    if not isinstance(types_cfg, dict):
        raise ValueError("detector.pmt_types is missing; it needs hamamatsu and nnvt entries with "
                         "detection_efficiency, tts_sigma_ns and dark_rate_hz")
    for column in ("detection_efficiency", "tts_sigma_ns", "dark_rate_hz"):
        values = np.empty(len(table))
        for pmt_type in PMT_TYPES:
            try:
                value = float(types_cfg[pmt_type][column])
            except (KeyError, TypeError):
                raise ValueError(f"detector.pmt_types.{pmt_type}.{column} is missing; add it to the config") from None
            if value < 0 or (column == "detection_efficiency" and value > 1):
                raise ValueError(f"detector.pmt_types.{pmt_type}.{column} is out of range: {value}")
            values[(table["pmt_type"] == pmt_type).to_numpy()] = value
        table[column] = values
    return table
