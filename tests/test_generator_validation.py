"""Tests of the generator validation: the published numbers it checks and the files it writes."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from junoml.generator.flux import NU_E, NU_E_BAR, NU_MU, NU_MU_BAR, fetch_honda_tables, nuflux_file_name
from junoml.generator.validation import validate_generator

REPO = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((REPO / "config" / "config.yaml").read_text())


@pytest.fixture(scope="session")
def honda_dir(request) -> Path:
    """Folder with the four nuflux 2.0.7 Honda tables, downloaded once into the pytest cache."""
    folder = Path(request.config.cache.mkdir("honda2014_kamioka"))
    if not all((folder / nuflux_file_name(pdg)).is_file() for pdg in (NU_E, NU_E_BAR, NU_MU, NU_MU_BAR)):
        fetch_honda_tables(folder, checksums=CONFIG["samples"]["atmospheric"]["flux"]["sha256"])
    return folder


@pytest.fixture(scope="module")
def summary(honda_dir, tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("generator_validation")
    result = validate_generator(CONFIG["samples"]["atmospheric"], honda_dir, out_dir,
                                validation={"n_events": 400}, seed=3)
    return result, out_dir


def test_flux_ratio_between_1p9_and_2p3(summary):
    checks = summary[0]["checks"]
    assert checks["flux_ratio_0p3_to_1gev_min"] > 1.9
    assert checks["flux_ratio_0p3_to_1gev_max"] < 2.3


def test_flux_ratio_rises_above_band(summary):
    checks = summary[0]["checks"]
    assert checks["flux_ratio_above_3gev_min"] > checks["flux_ratio_0p3_to_1gev_max"]


def test_cc_slopes_at_10gev(summary):
    checks = summary[0]["checks"]
    assert checks["sigma_cc_over_e_nu_10gev_1e38"] == pytest.approx(0.68, rel=0.10)
    assert checks["sigma_cc_over_e_nubar_10gev_1e38"] == pytest.approx(0.34, rel=0.10)


def test_mode_fractions(summary):
    checks = summary[0]["checks"]
    assert checks["numu_cc_qe_fraction_0p5gev"] > 0.5
    assert checks["numu_cc_dis_fraction_10gev"] > 0.5


def test_vertex_balance(summary):
    checks = summary[0]["checks"]
    assert checks["max_energy_imbalance_gev"] < 1e-9
    assert checks["max_momentum_imbalance_gev"] < 1e-9


def test_reweighting_pulls_reasonable(summary):
    assert summary[0]["checks"]["reweighting_mean_squared_pull"] < 3.0


def test_figures_written(summary):
    result, out_dir = summary
    for name in result["figures"]:
        assert (out_dir / f"{name}.png").stat().st_size > 0


def test_figures_json_matches_return(summary):
    result, out_dir = summary
    assert json.loads((out_dir / "figures.json").read_text())["checks"] == pytest.approx(result["checks"])


def test_visible_energy_plot_from_events(honda_dir, tmp_path):
    rng = np.random.default_rng(0)
    events = pd.DataFrame({"event_id": np.arange(60), "label": rng.integers(0, 3, 60),
                           "visible_energy_mev": rng.uniform(10, 3000, 60), "weight": rng.uniform(1e-6, 2e-6, 60),
                           "triggered": np.ones(60, dtype=bool), "energy_gev": rng.uniform(0.1, 10, 60)})
    path = tmp_path / "0000.parquet"
    events.to_parquet(path)
    result = validate_generator(CONFIG["samples"]["atmospheric"], honda_dir, tmp_path / "out",
                                events_paths=[path], validation={"n_events": 20})
    assert "visible_energy" in result["figures"]


def test_too_few_events_raises(honda_dir, tmp_path):
    with pytest.raises(ValueError, match="n_events"):
        validate_generator(CONFIG["samples"]["atmospheric"], honda_dir, tmp_path, validation={"n_events": 1})


def test_event_displays_one_per_class(honda_dir, tmp_path):
    rng = np.random.default_rng(1)
    events = pd.DataFrame({"event_id": np.arange(6), "label": [0, 1, 2, 0, 1, 2],
                           "visible_energy_mev": [900.0, 1100.0, 950.0, 3000.0, 100.0, 20.0],
                           "weight": np.full(6, 1e-6), "triggered": np.ones(6, dtype=bool),
                           "energy_gev": np.full(6, 2.0)})
    events_path = tmp_path / "events.parquet"
    events.to_parquet(events_path)
    hits = pd.DataFrame({"event_id": np.repeat(np.arange(6), 50), "pmt_id": rng.integers(0, 100, 300).astype(np.int32),
                         "hit_time_ns": rng.uniform(0, 300, 300).astype(np.float32),
                         "charge_pe": rng.uniform(0.5, 3, 300).astype(np.float32)})
    hits_path = tmp_path / "hits.parquet"
    hits.to_parquet(hits_path)
    pmts = pd.DataFrame({"pmt_id": np.arange(100), "theta_deg": rng.uniform(0, 180, 100), "phi_deg": rng.uniform(0, 360, 100)})
    result = validate_generator(CONFIG["samples"]["atmospheric"], honda_dir, tmp_path / "out", events_paths=[events_path],
                                hits_paths=[hits_path], pmts=pmts, validation={"n_events": 20})
    displayed = result["checks"]["event_displays"]
    assert [entry["event_id"] for entry in displayed.values()] == [0, 1, 2]


def test_event_displays_truncated_hits_named(honda_dir, tmp_path):
    events = pd.DataFrame({"event_id": np.arange(3), "label": [0, 1, 2], "visible_energy_mev": [900.0, 1100.0, 950.0],
                           "weight": np.full(3, 1e-6), "triggered": np.ones(3, dtype=bool), "energy_gev": np.full(3, 2.0)})
    events_path = tmp_path / "events.parquet"
    events.to_parquet(events_path)
    hits = pd.DataFrame({"event_id": np.repeat(np.arange(3), 50), "pmt_id": np.tile(np.arange(50), 3).astype(np.int32),
                         "hit_time_ns": np.linspace(0, 300, 150).astype(np.float32),
                         "charge_pe": np.ones(150, dtype=np.float32)})
    hits_path = tmp_path / "hits.parquet"
    hits.to_parquet(hits_path)
    hits_path.write_bytes(hits_path.read_bytes()[:100])
    pmts = pd.DataFrame({"pmt_id": np.arange(50), "theta_deg": np.linspace(1, 179, 50), "phi_deg": np.linspace(0, 359, 50)})
    with pytest.raises(ValueError) as error:
        validate_generator(CONFIG["samples"]["atmospheric"], honda_dir, tmp_path / "out", events_paths=[events_path],
                           hits_paths=[hits_path], pmts=pmts, validation={"n_events": 20})
    assert str(hits_path) in str(error.value)
    assert "hits_to_parquet" in str(error.value)
