"""Tests of energy loss, multiple scattering, Birks quenching and Cherenkov light in the liquid scintillator."""

import math

import numpy as np
import pytest

from junoml.detector.geometry import build_geometry
from junoml.detector.medium import ELECTRON_MASS_MEV, LiquidScintillator
from junoml.detector.params import DetectorParams
from junoml.detector.particles import Particle, Segments
from junoml.detector.simulation import Detector
from junoml.detector.tracks import propagate_charged

MUON_MASS_MEV = 105.6583755
MEDIUM = LiquidScintillator()


def test_minimum_ionising_dedx_in_lab():
    energies = np.geomspace(50.0, 5000.0, 200)
    dedx_mev_per_cm = MEDIUM.dedx_mev_per_mm(energies, mass_mev=MUON_MASS_MEV) * 10.0
    assert 1.7 <= dedx_mev_per_cm.min() <= 2.0


def test_dedx_rises_at_low_energy():
    slow = MEDIUM.dedx_mev_per_mm(10.0, mass_mev=MUON_MASS_MEV)
    minimum = MEDIUM.dedx_mev_per_mm(300.0, mass_mev=MUON_MASS_MEV)
    assert slow > 3 * minimum


def test_electron_dedx_at_1_mev():
    # ESTAR gives about 1.9 MeV cm2/g for polyethylene at 1 MeV, so about 1.6 MeV/cm at 0.86 g/cm3.
    dedx_mev_per_cm = MEDIUM.dedx_mev_per_mm(1.0, mass_mev=ELECTRON_MASS_MEV) * 10.0
    assert 1.5 <= dedx_mev_per_cm <= 1.8


def test_muon_range_matches_integral():
    energies = np.geomspace(0.01, 1000.0, 4000)
    expected_mm = np.trapezoid(1.0 / MEDIUM.dedx_mev_per_mm(energies, mass_mev=MUON_MASS_MEV), energies)
    muon = Particle(13, 1000.0, (0.0, 0.0, 0.0), (0.0, 0.0, 1.0))
    track = propagate_charged(muon, mass_mev=MUON_MASS_MEV, charge=-1, medium=MEDIUM, rng=np.random.default_rng(1),
                              stop_at_exit=False)
    assert abs(track.path_length_mm / expected_mm - 1.0) < 0.01


def test_muon_range_in_g_per_cm2():
    # The CSDA range of a 1 GeV muon in light materials is about 4 to 5 hg/cm2 (PDG muon tables).
    muon = Particle(13, 1000.0, (0.0, 0.0, 0.0), (0.0, 0.0, 1.0))
    track = propagate_charged(muon, mass_mev=MUON_MASS_MEV, charge=-1, medium=MEDIUM, rng=np.random.default_rng(1),
                              stop_at_exit=False)
    range_g_cm2 = track.path_length_mm / 10.0 * MEDIUM.density_g_cm3
    assert 400.0 <= range_g_cm2 <= 500.0


def test_stopping_muon_deposits_its_energy():
    muon = Particle(13, 500.0, (0.0, 0.0, 0.0), (1.0, 0.0, 0.0))
    track = propagate_charged(muon, mass_mev=MUON_MASS_MEV, charge=-1, medium=MEDIUM, rng=np.random.default_rng(2))
    assert track.stopped
    assert track.segments.edep_mev.sum() == pytest.approx(500.0)


def test_muon_exits_at_ls_sphere():
    muon = Particle(13, 10000.0, (0.0, 0.0, 0.0), (0.0, 1.0, 0.0))
    track = propagate_charged(muon, mass_mev=MUON_MASS_MEV, charge=1, medium=MEDIUM, rng=np.random.default_rng(3))
    assert track.exited
    assert np.linalg.norm(track.end_position_mm) == pytest.approx(MEDIUM.radius_mm)


def test_steps_shrink_near_end_of_range():
    muon = Particle(13, 200.0, (0.0, 0.0, 0.0), (1.0, 0.0, 0.0))
    track = propagate_charged(muon, mass_mev=MUON_MASS_MEV, charge=-1, medium=MEDIUM, rng=np.random.default_rng(4))
    assert track.segments.length_mm[-1] < 1.0


def test_multiple_scattering_matches_highland():
    # 10 GeV muons through 1 m of LS: projected angle width from the Highland formula.
    medium = LiquidScintillator(radius_mm=1000.0)
    rng = np.random.default_rng(5)
    angles = []
    for _ in range(400):
        muon = Particle(13, 10000.0, (0.0, 0.0, 0.0), (0.0, 0.0, 1.0))
        track = propagate_charged(muon, mass_mev=MUON_MASS_MEV, charge=-1, medium=medium, rng=rng)
        angles.append(math.atan2(track.end_direction[0], track.end_direction[2]))
    momentum = math.sqrt((10000.0 + MUON_MASS_MEV) ** 2 - MUON_MASS_MEV**2)
    path_x0 = 1000.0 / medium.radiation_length_mm
    highland = 13.6 / momentum * math.sqrt(path_x0) * (1 + 0.038 * math.log(path_x0))
    # Highland is accurate to 11%; the sample width has a 3.5% statistical error.
    assert abs(np.std(angles) / highland - 1.0) < 0.11


def test_birks_quenching_of_electron():
    electron = Particle(11, 1.0, (0.0, 0.0, 0.0), (0.0, 0.0, 1.0))
    track = propagate_charged(electron, mass_mev=ELECTRON_MASS_MEV, charge=-1, medium=MEDIUM, rng=np.random.default_rng(6))
    ratio = track.segments.evis_mev.sum() / track.segments.edep_mev.sum()
    assert 0.9 < ratio < 0.99


def test_birks_factor_formula():
    assert MEDIUM.birks_factor(2.0) == pytest.approx(1.0 / (1.0 + 0.01205 * 2.0))


def test_frank_tamm_yield_at_beta_one():
    # About 430 photons per cm in 300-600 nm for beta = 1 and n = 1.5.
    assert MEDIUM.cherenkov_photons_per_mm(1.0) * 10.0 == pytest.approx(424.5, rel=0.01)


def test_no_cherenkov_below_threshold():
    assert MEDIUM.cherenkov_photons_per_mm(0.6) == 0.0


def test_cherenkov_cosine_of_fast_muon():
    muon = Particle(13, 10000.0, (0.0, 0.0, 0.0), (0.0, 0.0, 1.0))
    track = propagate_charged(muon, mass_mev=MUON_MASS_MEV, charge=-1, medium=MEDIUM, rng=np.random.default_rng(7))
    assert track.segments.cos_cherenkov[0] == pytest.approx(1.0 / 1.5, rel=1e-3)


@pytest.fixture(scope="module")
def detector() -> Detector:
    detector_cfg = {"pmt_types": {
        "hamamatsu": {"detection_efficiency": 0.281, "tts_sigma_ns": 1.3, "dark_rate_hz": 15300.0},
        "nnvt": {"detection_efficiency": 0.289, "tts_sigma_ns": 7.0, "dark_rate_hz": 49300.0},
    }}
    pmts = build_geometry({"pmt_positions_csv": None}, detector_cfg, seed=1)
    return Detector(pmts, DetectorParams(scattering=False, dark_noise=False))


def test_cherenkov_light_peaks_at_cone_angle(detector):
    # A 10 cm piece of beta = 1 track at the centre along +z that emits only Cherenkov light.
    segments = Segments(x_mm=[0.0], y_mm=[0.0], z_mm=[0.0], t_ns=[0.0], ux=[0.0], uy=[0.0], uz=[1.0],
                        length_mm=[100.0], edep_mev=[0.0], evis_mev=[0.0], n_cherenkov=[2.0e6],
                        cos_cherenkov=[1.0 / 1.5])
    pmt_id, _ = detector.sample_photoelectrons(segments, np.random.default_rng(8))
    theta = detector.pmts["theta_deg"].to_numpy()
    per_pmt = np.bincount(pmt_id, minlength=len(theta))
    edges = np.arange(0.0, 181.0, 2.0)
    pe_per_band = np.histogram(theta, bins=edges, weights=per_pmt)[0]
    pmts_per_band = np.histogram(theta, bins=edges)[0]
    peak = edges[np.argmax(pe_per_band / np.maximum(pmts_per_band, 1))] + 1.0
    assert abs(peak - math.degrees(math.acos(1 / 1.5))) <= 2.0


def test_light_travels_at_photon_speed(detector):
    # A prompt Cherenkov flash at the centre arrives at R / v; with TTS off the earliest times match.
    segments = Segments(x_mm=[0.0], y_mm=[0.0], z_mm=[0.0], t_ns=[5.0], ux=[0.0], uy=[0.0], uz=[1.0],
                        length_mm=[1.0], edep_mev=[0.0], evis_mev=[0.0], n_cherenkov=[1.0e6],
                        cos_cherenkov=[1.0 / 1.5])
    pmt_id, time_ns = detector.sample_photoelectrons(segments, np.random.default_rng(9))
    radius = np.linalg.norm(detector.pmt_xyz[pmt_id], axis=1)
    expected = 5.0 + radius / detector.medium.photon_speed_mm_per_ns
    assert np.allclose(time_ns, expected)


def test_negative_energy_rejected():
    with pytest.raises(ValueError, match="kinetic_energy_mev"):
        Particle(13, -1.0, (0.0, 0.0, 0.0), (0.0, 0.0, 1.0))


def test_non_unit_direction_rejected():
    with pytest.raises(ValueError, match="unit vector"):
        Particle(13, 1.0, (0.0, 0.0, 0.0), (0.0, 0.0, 2.0))


def test_start_outside_sphere_rejected():
    muon = Particle(13, 1000.0, (0.0, 0.0, 20000.0), (0.0, 0.0, -1.0))
    with pytest.raises(ValueError, match="outside the LS sphere"):
        propagate_charged(muon, mass_mev=MUON_MASS_MEV, charge=-1, medium=MEDIUM, rng=np.random.default_rng(1))


def test_unknown_particle_rejected(detector):
    particle = Particle(999, 100.0, (0.0, 0.0, 0.0), (0.0, 0.0, 1.0))
    with pytest.raises(ValueError, match="unknown particle pdg=999"):
        detector.simulate_event([particle], np.random.default_rng(1))
