"""Tests of the simulation's validation figures against their tolerances."""

import json
import math

import numpy as np
import pytest

from junoml.detector.geometry import build_geometry
from junoml.detector.params import DetectorParams
from junoml.detector.simulation import Detector
from junoml.detector.validation import validate_simulation
from junoml.plotting.event_display import plot_event_display

DETECTOR_CFG = {"pmt_types": {
    "hamamatsu": {"detection_efficiency": 0.281, "tts_sigma_ns": 1.3, "dark_rate_hz": 15300.0},
    "nnvt": {"detection_efficiency": 0.289, "tts_sigma_ns": 7.0, "dark_rate_hz": 49300.0},
}}
# Sizes that keep this file fast; the workflow's validation rule uses the config's larger ones.
SMALL = {
    "seed": 3,
    "n_electrons": 400,
    "radii_mm": [0.0, 15000.0],
    "n_electrons_per_radius": 40,
    "muon_track_lengths_mm": [1000.0, 4000.0, 10000.0],
    "n_timing_electrons": 60,
    "plot_dpi": 50,
}


@pytest.fixture(scope="module")
def validation(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("validation")
    pmts = build_geometry({"pmt_positions_csv": None}, DETECTOR_CFG, seed=1)
    figures = validate_simulation(Detector(pmts, DetectorParams()), SMALL, out_dir)
    return figures, out_dir


def test_pe_per_mev_within_two_percent(validation):
    figures, _ = validation
    assert abs(figures["light_yield"]["pe_per_mev"] / 1300.0 - 1.0) < 0.02


def test_energy_resolution_at_1_mev(validation):
    figures, _ = validation
    assert 0.027 <= figures["light_yield"]["energy_resolution"] <= 0.035


def test_yield_at_15m_recorded(validation):
    figures, _ = validation
    assert math.isfinite(figures["radius_scan"]["yield_15m_over_centre"])


def test_charge_linear_in_track_length(validation):
    figures, _ = validation
    assert figures["track_length"]["max_relative_residual"] < 0.02


def test_time_residuals_match_emission_profile(validation):
    figures, _ = validation
    assert max(abs(pull) for pull in figures["timing"]["pulls"]) < 4.0


def test_time_residual_quantiles_recorded(validation):
    figures, _ = validation
    assert len(figures["timing"]["residual_quantiles_ns"]) == 5


def test_cherenkov_to_scintillation_ratio(validation):
    figures, _ = validation
    assert 0.01 <= figures["cherenkov"]["ratio"] <= 0.05


def test_figures_json_written(validation):
    _, out_dir = validation
    assert json.loads((out_dir / "figures.json").read_text())["cherenkov"]["band_nm"] == [300.0, 600.0]


@pytest.mark.parametrize("name", ["electron_charge.png", "yield_vs_radius.png", "charge_vs_track_length.png",
                                  "time_residuals.png", "muon_event_display.png"])
def test_plot_written(validation, name):
    _, out_dir = validation
    assert (out_dir / name).stat().st_size > 0


def test_unknown_validation_key_rejected(tmp_path):
    pmts = build_geometry({"pmt_positions_csv": None}, DETECTOR_CFG, seed=1)
    with pytest.raises(ValueError, match="n_electron"):
        validate_simulation(Detector(pmts, DetectorParams()), {"n_electron": 5}, tmp_path)


def test_event_display_of_empty_event(tmp_path):
    pmts = build_geometry({"pmt_positions_csv": None}, DETECTOR_CFG, seed=1)
    out_path = tmp_path / "empty.png"
    plot_event_display(pmts, np.empty(0, np.int32), np.empty(0, np.float32), np.empty(0, np.float32),
                       title="empty", out_path=out_path, n_time_panels=2, time_bin_ns=10.0, dpi=40)
    assert out_path.stat().st_size > 0
