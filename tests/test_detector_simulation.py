"""Tests of the event simulation: PMT response, trigger, sources, chunked ROOT output and config checks."""

import numpy as np
import pandas as pd
import pytest

from junoml.detector.electronics import apply_pmt_response
from junoml.detector.geometry import build_geometry
from junoml.detector.params import DetectorParams
from junoml.detector.particles import Particle
from junoml.detector.simulation import Detector, simulate_chunk
from junoml.detector.sources import ElectronSource, MuonGun, ThroughGoingMuons, source_from_config
from junoml.detector.trigger import is_triggered
from junoml.io.simroot import read_events

DETECTOR_CFG = {
    "pe_per_mev": 1300.0,
    "pmt_types": {
        "hamamatsu": {"detection_efficiency": 0.281, "tts_sigma_ns": 1.3, "dark_rate_hz": 15300.0},
        "nnvt": {"detection_efficiency": 0.289, "tts_sigma_ns": 7.0, "dark_rate_hz": 49300.0},
    },
    "trigger": {"window_ns": 300.0, "threshold_hits": 400},
}


@pytest.fixture(scope="module")
def pmts() -> pd.DataFrame:
    return build_geometry({"pmt_positions_csv": None, "n_hamamatsu": 5000}, DETECTOR_CFG, seed=11)


@pytest.fixture(scope="module")
def detector(pmts) -> Detector:
    return Detector(pmts, DetectorParams.from_config(DETECTOR_CFG))


def quiet_params(**changes) -> DetectorParams:
    return DetectorParams(dark_noise=False, **changes)


def test_close_photoelectrons_merge_into_one_pulse(pmts):
    pmt_id, time_ns, charge = apply_pmt_response(np.array([3, 3]), np.array([10.0, 15.0]), pmts, quiet_params(),
                                                 np.random.default_rng(1), tts=False, charge_resolution=False,
                                                 dark_noise=False)
    assert pmt_id.tolist() == [3]
    assert time_ns.tolist() == [10.0]
    assert charge.tolist() == [2.0]


def test_separate_photoelectrons_stay_apart(pmts):
    _, time_ns, charge = apply_pmt_response(np.array([3, 3]), np.array([30.0, 10.0]), pmts, quiet_params(),
                                            np.random.default_rng(1), tts=False, charge_resolution=False,
                                            dark_noise=False)
    assert time_ns.tolist() == [10.0, 30.0]
    assert charge.tolist() == [1.0, 1.0]


def test_pulses_sorted_by_pmt_then_time(pmts):
    rng = np.random.default_rng(2)
    pmt_id, time_ns, _ = apply_pmt_response(rng.integers(0, 50, 2000), rng.uniform(0, 500, 2000), pmts,
                                            quiet_params(), rng, dark_noise=False)
    order = np.lexsort((time_ns, pmt_id))
    assert np.array_equal(order, np.arange(pmt_id.size))


def test_pulses_outside_readout_window_dropped(pmts):
    pmt_id, _, _ = apply_pmt_response(np.array([1, 2]), np.array([-500.0, 5000.0]), pmts, quiet_params(),
                                      np.random.default_rng(1), tts=False, dark_noise=False)
    assert pmt_id.size == 0


def test_tts_width_of_hamamatsu_pmt(pmts):
    hamamatsu = int(np.flatnonzero(pmts["pmt_type"] == "hamamatsu")[0])
    n = 20000
    _, time_ns, _ = apply_pmt_response(np.full(n, hamamatsu), np.full(n, 100.0), pmts, quiet_params(),
                                       np.random.default_rng(3), dark_noise=False, merge=False)
    assert np.std(time_ns) == pytest.approx(1.3, rel=0.03)


def test_charge_resolution_width(pmts):
    n = 20000
    rng = np.random.default_rng(4)
    _, _, charge = apply_pmt_response(np.arange(n) % len(pmts), np.full(n, 100.0), pmts, quiet_params(), rng,
                                      tts=False, dark_noise=False, merge=False)
    assert np.std(charge) == pytest.approx(0.30, rel=0.05)


def test_dark_noise_rate(pmts):
    params = DetectorParams()
    rng = np.random.default_rng(5)
    counts = [apply_pmt_response(np.empty(0, int), np.empty(0), pmts, params, rng, merge=False)[0].size
              for _ in range(20)]
    expected = pmts["dark_rate_hz"].sum() * params.readout_window_ns * 1e-9
    assert abs(np.mean(counts) - expected) < 4 * np.sqrt(expected / 20)


def test_out_of_range_pmt_id_rejected(pmts):
    with pytest.raises(ValueError, match="pmt_id must lie in"):
        apply_pmt_response(np.array([len(pmts)]), np.array([1.0]), pmts, quiet_params(), np.random.default_rng(1))


def test_trigger_fires_on_dense_hits():
    assert is_triggered(np.linspace(0.0, 299.0, 400), window_ns=300.0, threshold_hits=400)


def test_trigger_quiet_on_spread_hits():
    assert not is_triggered(np.linspace(0.0, 1000.0, 400), window_ns=300.0, threshold_hits=400)


def test_dark_noise_alone_does_not_trigger(detector):
    result = detector.simulate_event([], np.random.default_rng(6))
    assert not result.triggered


def test_muon_event_triggers_and_is_contained(detector):
    muon = Particle(13, 300.0, (0.0, 0.0, 0.0), (0.0, 0.0, 1.0))
    result = detector.simulate_event([muon], np.random.default_rng(7))
    assert result.triggered
    assert result.contained


def test_stopped_muon_adds_decay_light(detector):
    # A 300 MeV mu+ stops after about 1.3 m and always decays. Its Michel positron deposits up to
    # 52.83 MeV, plus the annihilation energy, after the muon's 300 MeV.
    muon = Particle(-13, 300.0, (0.0, 0.0, 0.0), (0.0, 0.0, 1.0))
    segments, exited, _ = detector.particle_segments(muon, np.random.default_rng(3))
    later = segments.t_ns > 10.0
    assert not exited
    assert 0.0 < segments.edep_mev[later].sum() <= 52.83 + 1.022


def test_exiting_muon_has_no_decay(detector):
    muon = Particle(13, 3000.0, (0.0, 0.0, 16000.0), (0.0, 0.0, 1.0))
    segments, exited, _ = detector.particle_segments(muon, np.random.default_rng(4))
    assert exited
    assert segments.t_ns.max() < 10.0


def test_exiting_muon_not_contained(detector):
    muon = Particle(13, 3000.0, (0.0, 0.0, 16000.0), (0.0, 0.0, 1.0))
    result = detector.simulate_event([muon], np.random.default_rng(8))
    assert not result.contained
    assert result.track_length_mm == pytest.approx(1700.0, rel=1e-3)


def test_event_hits_sorted_and_typed(detector):
    muon = Particle(-13, 200.0, (1000.0, 0.0, 0.0), (0.0, 1.0, 0.0))
    result = detector.simulate_event([muon], np.random.default_rng(9))
    assert result.pmt_id.dtype == np.int32
    assert result.hit_time_ns.dtype == np.float32
    assert result.charge_pe.dtype == np.float32
    assert np.array_equal(np.lexsort((result.hit_time_ns, result.pmt_id)), np.arange(result.pmt_id.size))


def test_muon_gun_truth_columns():
    truth, particles = MuonGun().generate(0, np.random.default_rng(10))
    assert set(truth) == {"pdg", "energy_gev", "dir_x", "dir_y", "dir_z", "vertex_x_mm", "vertex_y_mm", "vertex_z_mm"}
    assert abs(truth["pdg"]) == 13
    assert particles[0].kinetic_energy_mev == pytest.approx(1000.0 * truth["energy_gev"])


def test_muon_gun_charge_fraction():
    gun = MuonGun(mu_minus_fraction=0.44)
    rng = np.random.default_rng(11)
    pdgs = np.array([gun.generate(i, rng)[0]["pdg"] for i in range(4000)])
    assert abs(np.mean(pdgs == 13) - 0.44) < 4 * np.sqrt(0.44 * 0.56 / 4000)


def test_muon_gun_energy_range():
    gun = MuonGun(energy_min_gev=0.1, energy_max_gev=10.0)
    rng = np.random.default_rng(12)
    energies = np.array([gun.generate(i, rng)[0]["energy_gev"] for i in range(2000)])
    assert energies.min() >= 0.1
    assert energies.max() <= 10.0
    # Log-uniform: the median is the geometric mean, 1 GeV.
    assert abs(np.log10(np.median(energies))) < 0.1


def test_through_going_muon_starts_on_sphere():
    source = ThroughGoingMuons()
    truth, particles = source.generate(0, np.random.default_rng(13))
    assert np.linalg.norm(particles[0].position_mm) == pytest.approx(17700.0, rel=1e-6)
    assert truth["dir_z"] < 0


def test_negative_muon_energy_rejected():
    with pytest.raises(ValueError, match="energy_min_gev"):
        MuonGun(energy_min_gev=-1.0)


def test_weights_not_summing_to_one_rejected():
    with pytest.raises(ValueError, match="scintillation_weights"):
        DetectorParams.from_config({"scintillation_decay_ns": [5.0, 20.0], "scintillation_weights": [0.5, 0.4]})


def test_negative_rayleigh_length_rejected():
    with pytest.raises(ValueError, match="rayleigh_length_mm"):
        DetectorParams.from_config({"rayleigh_length_mm": -1.0})


def test_electron_source_truth_energy():
    truth, particles = ElectronSource(energy_mev=2.0).generate(0, np.random.default_rng(14))
    assert truth["energy_gev"] == pytest.approx(0.002)


def test_same_events_whatever_the_chunk_size(detector, tmp_path):
    gun = MuonGun(energy_min_gev=0.1, energy_max_gev=0.2)
    simulate_chunk(gun, detector, sample="muon", seed=5, first_event_id=0, n_events=4,
                   out_path=tmp_path / "whole.root", metadata={"junoml_config": {"seed": 5}})
    simulate_chunk(gun, detector, sample="muon", seed=5, first_event_id=2, n_events=2,
                   out_path=tmp_path / "second_half.root", metadata={"junoml_config": {"seed": 5}})
    whole_columns, whole_hits, _ = read_events(tmp_path / "whole.root")
    half_columns, half_hits, _ = read_events(tmp_path / "second_half.root")
    assert half_columns["event_id"].tolist() == [2, 3]
    for name in ("energy_gev", "dir_x", "deposited_energy_mev", "track_length_mm"):
        assert np.array_equal(whole_columns[name][2:], half_columns[name])
    for name in ("pmt_id", "hit_time_ns", "charge_pe"):
        assert whole_hits[name][2:].to_list() == half_hits[name].to_list()


def test_root_file_holds_contract_branches(detector, tmp_path):
    simulate_chunk(MuonGun(energy_min_gev=0.1, energy_max_gev=0.2), detector, sample="muon", seed=1,
                   first_event_id=0, n_events=2, out_path=tmp_path / "chunk.root",
                   metadata={"junoml_config": {"seed": 1}})
    columns, hits, metadata = read_events(tmp_path / "chunk.root")
    expected = {"event_id", "pdg", "energy_gev", "dir_x", "dir_y", "dir_z", "vertex_x_mm", "vertex_y_mm",
                "vertex_z_mm", "deposited_energy_mev", "visible_energy_mev", "contained", "triggered",
                "track_length_mm"}
    assert set(columns) == expected
    assert columns["pdg"].dtype == np.int32
    assert metadata["junoml_config"] == {"seed": 1}
    assert "junoml_version" in metadata


def test_source_from_config_builds_muon_gun():
    gun = source_from_config({"source": "muon_gun", "mu_minus_fraction": 0.5, "energy_min_gev": 0.2})
    assert gun == MuonGun(mu_minus_fraction=0.5, energy_min_gev=0.2)


def test_source_from_config_rejects_unknown_source():
    with pytest.raises(ValueError, match="'cosmic'"):
        source_from_config({"source": "cosmic"})
