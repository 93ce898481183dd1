"""Projections: the pixel of a PMT, ring rows, masks and clashes."""

import numpy as np
import pandas as pd
import pytest

from junoml.grid import GridConfigError, equirectangular, pmt_angles, rings
from rootfiles import ring_geometry


def one_pmt(x, y, z, pmt_id=0):
    return pd.DataFrame({"pmt_id": [pmt_id], "x_mm": [x], "y_mm": [y], "z_mm": [z]})


def test_angles_from_coordinates():
    theta, phi = pmt_angles(one_pmt(0.0, -1.0, 0.0))
    assert theta[0] == pytest.approx(90.0)
    assert phi[0] == pytest.approx(270.0)


def test_equirectangular_pixel_of_pmt():
    # theta = 45 deg, phi = 100 deg: row floor(45 / 180 * 64) = 16, column floor(100 / 360 * 128) = 35.
    theta, phi = np.radians(45.0), np.radians(100.0)
    pmts = one_pmt(np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), np.cos(theta), pmt_id=7)
    projection = equirectangular(pmts, height=64, width=128)
    assert projection.pixel_of_pmt[7] == 16 * 128 + 35
    assert projection.pixel_of_pmt[:7].tolist() == [-1] * 7


def test_equirectangular_south_pole_in_last_row():
    projection = equirectangular(one_pmt(0.0, 0.0, -5.0), height=8, width=16)
    assert projection.pixel_of_pmt[0] // 16 == 7


def test_rings_one_row_per_ring():
    pmts = ring_geometry(n_rings=10, max_per_ring=30)
    projection = rings(pmts)
    assert projection.height == 10
    assert projection.width == pmts.groupby("ring").size().max()


def test_rings_column_follows_azimuth():
    pmts = ring_geometry(n_rings=10, max_per_ring=30)
    projection = rings(pmts, width=60)
    columns = projection.pixel_of_pmt[pmts["pmt_id"]] % 60
    expected = np.floor(pmts["phi_deg"] * 60 / 360 + 0.5).astype(int) % 60
    assert columns.tolist() == expected.tolist()


def test_rings_mask_counts_pmts():
    pmts = ring_geometry(n_rings=10, max_per_ring=30)
    assert rings(pmts).mask.sum() == len(pmts)


def test_rings_width_below_largest_ring_rejected():
    pmts = ring_geometry(n_rings=10, max_per_ring=30)
    with pytest.raises(GridConfigError, match="below the largest ring of 30 PMTs"):
        rings(pmts, width=20)


def test_rings_clash_names_pmts():
    pmts = pd.concat([one_pmt(1.0, 0.0, 0.0, pmt_id=0), one_pmt(1.0, 0.001, 0.0, pmt_id=1), one_pmt(-1.0, 0.0, 0.0, pmt_id=2)])
    with pytest.raises(GridConfigError, match="PMTs 0 and 1 of ring 0 fall into the same column 0"):
        rings(pmts, width=3)


def test_meta_says_width_wraps():
    projection = equirectangular(ring_geometry(), height=4, width=8)
    assert projection.meta()["wrap_axis"] == "W"
    assert len(projection.meta()["pixel_mask"]) == 4


def test_rings_half_column_phases_distinct():
    # PMTs at phi = (k + 0.5) * 360 / n sit half way between columns when W = n.
    n = 214
    phi = np.radians((np.arange(n) + 0.5) * 360.0 / n)
    pmts = pd.DataFrame({"pmt_id": np.arange(n), "x_mm": np.cos(phi), "y_mm": np.sin(phi), "z_mm": np.zeros(n)})
    projection = rings(pmts)
    assert len(np.unique(projection.pixel_of_pmt)) == n
