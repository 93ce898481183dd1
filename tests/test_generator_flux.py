"""Tests of the Honda flux tables: download, both file layouts, interpolation and the zenith convention."""

from pathlib import Path

import numpy as np
import pytest
import yaml

from junoml.generator.flux import (
    NU_E,
    NU_E_BAR,
    NU_MU,
    NU_MU_BAR,
    HondaTable,
    direction_from_zenith,
    fetch_honda_tables,
    load_flux_tables,
    nuflux_file_name,
    read_honda_file,
    read_three_column_table,
    write_honda_file,
)

REPO = Path(__file__).resolve().parents[1]


def flux_checksums() -> dict:
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    return config["samples"]["atmospheric"]["flux"]["sha256"]


@pytest.fixture(scope="session")
def honda_dir(request) -> Path:
    """Folder with the four nuflux 2.0.7 Honda tables, downloaded once into the pytest cache."""
    folder = Path(request.config.cache.mkdir("honda2014_kamioka"))
    if not all((folder / nuflux_file_name(pdg)).is_file() for pdg in (NU_E, NU_E_BAR, NU_MU, NU_MU_BAR)):
        fetch_honda_tables(folder, checksums=flux_checksums())
    return folder


def tiny_table() -> HondaTable:
    """A hand-made table: 3 energies x 4 cos(zenith) bins, with downward-going neutrinos dominant."""
    energies = np.array([0.1, 1.0, 10.0])
    edges = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    base = np.array([[100.0, 200.0, 300.0, 400.0]])
    scale = (energies / 1.0)[:, None] ** -2.7
    flux = {pdg: base * scale * factor for pdg, factor in ((NU_MU, 2.0), (NU_MU_BAR, 2.0), (NU_E, 1.0), (NU_E_BAR, 1.0))}
    return HondaTable(energy_gev=energies, cos_zenith_edges=edges, flux=flux)


def test_fetch_honda_tables_checksum_mismatch_raises(tmp_path, honda_dir):
    checksums = dict(flux_checksums())
    checksums[nuflux_file_name(NU_MU)] = "0" * 64
    with pytest.raises(ValueError, match="sha256"):
        fetch_honda_tables(tmp_path, checksums=checksums)


def test_fetch_honda_tables_missing_checksum_raises(tmp_path):
    with pytest.raises(ValueError, match="no sha256"):
        fetch_honda_tables(tmp_path, checksums={})


def test_three_column_grid_shape(honda_dir):
    energies, edges, flux = read_three_column_table(honda_dir / nuflux_file_name(NU_MU))
    assert len(energies) == 101
    assert len(edges) == 21
    assert flux.shape == (101, 20)


def test_three_column_horizon_bins_at_1gev(honda_dir):
    # Rows of IPhonda2014_sk_solmin_num2D.dat: "1.0000E+00 0.05 1.5188E+02" and "1.0000E+00 -0.05 1.5096E+02".
    table = load_flux_tables(honda_dir)
    per_bin = table.flux_per_bin(NU_MU, 1.0)
    centres = table.cos_zenith_centres
    assert per_bin[np.argmin(np.abs(centres - 0.05))] == pytest.approx(151.88, rel=1e-9)
    assert per_bin[np.argmin(np.abs(centres + 0.05))] == pytest.approx(150.96, rel=1e-9)


def test_three_column_horizon_bins_nue_bar(honda_dir):
    # Rows of IPhonda2014_sk_solmin_nbe2D.dat at 1 GeV: 7.2017E+01 (+0.05) and 7.1463E+01 (-0.05).
    per_bin = load_flux_tables(honda_dir).flux_per_bin(NU_E_BAR, 1.0)
    assert per_bin[10] == pytest.approx(72.017, rel=1e-9)
    assert per_bin[9] == pytest.approx(71.463, rel=1e-9)


def test_honda_layout_round_trip_real_tables(tmp_path, honda_dir):
    table = load_flux_tables(honda_dir)
    path = tmp_path / "kamioka_2d.d"
    write_honda_file(table, path)
    again = read_honda_file(path)
    assert np.allclose(again.cos_zenith_edges, table.cos_zenith_edges)
    for pdg in (NU_MU, NU_MU_BAR, NU_E, NU_E_BAR):
        assert np.allclose(again.flux[pdg], table.flux[pdg], rtol=1e-4), pdg


def test_honda_layout_hand_written_file(tmp_path):
    # Two blocks in Honda's order (cos zenith from 1 downward) with the published column header.
    text = (
        "average flux in [cosZ =  1.00 --  0.00, phi_Az =   0 -- 360]\n"
        " Enu(GeV)   NuMu        NuMubar     NuE         NuEbar\n"
        " 1.0000E-01 4.0000E+03 4.1000E+03 2.0000E+03 2.1000E+03\n"
        " 1.0000E+00 1.2000E+02 1.1000E+02 6.0000E+01 5.0000E+01\n"
        "average flux in [cosZ =  0.00 -- -1.00, phi_Az =   0 -- 360]\n"
        " Enu(GeV)   NuMu        NuMubar     NuE         NuEbar\n"
        " 1.0000E-01 3.0000E+03 3.1000E+03 1.0000E+03 1.1000E+03\n"
        " 1.0000E+00 1.0000E+02 0.9000E+02 4.0000E+01 3.0000E+01\n"
    )
    path = tmp_path / "honda.d"
    path.write_text(text)
    table = read_honda_file(path)
    assert np.allclose(table.cos_zenith_edges, [-1.0, 0.0, 1.0])
    assert table.flux[NU_MU][1, 1] == pytest.approx(120.0)
    assert table.flux[NU_E_BAR][0, 0] == pytest.approx(1100.0)


def test_honda_layout_data_before_header_raises(tmp_path):
    path = tmp_path / "broken.d"
    path.write_text(" 1.0000E-01 4.0E+03 4.1E+03 2.0E+03 2.1E+03\n")
    with pytest.raises(ValueError, match="block header"):
        read_honda_file(path)


def test_three_column_truncated_file_raises(tmp_path):
    path = tmp_path / "truncated.dat"
    path.write_text("1.0 0.95 10.0\n2.0 0.95 5.0\n1.0 0.85 11.0\n")
    with pytest.raises(ValueError, match="full grid"):
        read_three_column_table(path)


def test_all_sky_flux_integrates_bins():
    table = tiny_table()
    expected = 2.0 * np.pi * 0.5 * (100.0 + 200.0 + 300.0 + 400.0) * 2.0
    assert table.all_sky_flux(NU_MU, 1.0) == pytest.approx(expected)


def test_interpolation_is_power_law_between_nodes():
    table = tiny_table()
    # The flux is E^-2.7 at every node, so log-log interpolation reproduces it in between.
    assert table.flux_per_bin(NU_E, 3.0)[3] == pytest.approx(400.0 * 3.0**-2.7, rel=1e-9)


def test_flavour_ratio_real_tables(honda_dir):
    table = load_flux_tables(honda_dir)
    energies = np.geomspace(0.3, 1.0, 8)
    ratio = (table.all_sky_flux(NU_MU, energies) + table.all_sky_flux(NU_MU_BAR, energies)) / (
        table.all_sky_flux(NU_E, energies) + table.all_sky_flux(NU_E_BAR, energies))
    assert ratio.min() > 1.9
    assert ratio.max() < 2.3


def test_downward_neutrino_travels_down():
    direction = direction_from_zenith(1.0, 0.3)
    assert direction[2] == pytest.approx(-1.0)


def test_travel_direction_z_is_minus_cos_zenith():
    for cos_zenith in (-0.7, 0.0, 0.4):
        assert direction_from_zenith(cos_zenith, 1.1)[2] == pytest.approx(-cos_zenith)


def test_sample_cos_zenith_follows_table():
    table = tiny_table()
    rng = np.random.default_rng(5)
    samples = np.array([table.sample_cos_zenith(NU_MU, 1.0, rng) for _ in range(4000)])
    counts = np.histogram(samples, bins=table.cos_zenith_edges)[0]
    expected = 4000 * np.array([0.1, 0.2, 0.3, 0.4])
    assert np.all(np.abs(counts - expected) < 4.0 * np.sqrt(expected))


def test_energy_outside_table_raises():
    with pytest.raises(ValueError, match="outside"):
        tiny_table().check_energy_range(0.05, 10.0)
