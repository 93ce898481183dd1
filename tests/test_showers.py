"""Tests of EM showers and hadron deposits in the liquid scintillator."""

import time

import numpy as np
import pytest

from junoml.detector.medium import LiquidScintillator
from junoml.detector.particles import Particle
from junoml.detector.showers import ShowerParams, em_shower, em_shower_segments, hadron_segments, stopped_muon_decay

MEDIUM = LiquidScintillator()
PARAMS = ShowerParams()


def particle(pdg, energy_mev, position=(0.0, 0.0, 0.0), direction=(0.0, 0.0, 1.0)):
    return Particle(pdg=pdg, kinetic_energy_mev=energy_mev, position_mm=np.array(position), direction=np.array(direction))


def test_electron_shower_deposits_its_energy():
    segments = em_shower_segments(particle(11, 2000.0), MEDIUM, np.random.default_rng(1))
    assert segments.edep_mev.sum() == pytest.approx(2000.0)


def test_gamma_shower_includes_pair_mass():
    segments = em_shower_segments(particle(22, 500.0), MEDIUM, np.random.default_rng(2))
    assert segments.edep_mev.sum() == pytest.approx(500.0)


def test_shower_is_quenched_little():
    segments = em_shower_segments(particle(11, 1000.0), MEDIUM, np.random.default_rng(3))
    ratio = segments.evis_mev.sum() / segments.edep_mev.sum()
    assert 0.9 < ratio < 1.0


def test_shower_maximum_depth_grows_with_energy():
    def mean_depth(energy):
        depths = []
        for seed in range(10):
            s = em_shower_segments(particle(11, energy), MEDIUM, np.random.default_rng(seed))
            depths.append(np.average(s.z_mm, weights=s.edep_mev))
        return np.mean(depths)

    assert mean_depth(5000.0) > mean_depth(200.0)


def test_shower_mean_depth_matches_profile():
    # Mean depth of the gamma profile is a / b = t_max + 1 / b radiation lengths.
    energy = 3000.0
    expected_x0 = np.log(energy / PARAMS.critical_energy_mev) + PARAMS.profile_c_electron + 1.0 / PARAMS.profile_b
    depths = [np.average(s.z_mm, weights=s.edep_mev) for s in
              (em_shower_segments(particle(11, energy), MEDIUM, np.random.default_rng(seed)) for seed in range(40))]
    assert np.mean(depths) / MEDIUM.radiation_length_mm == pytest.approx(expected_x0, rel=0.1)


def test_showers_fluctuate():
    first = em_shower_segments(particle(11, 1000.0), MEDIUM, np.random.default_rng(1))
    second = em_shower_segments(particle(11, 1000.0), MEDIUM, np.random.default_rng(2))
    assert not np.array_equal(first.z_mm, second.z_mm)


def test_lateral_spread_within_moliere_radius():
    moliere_mm = MEDIUM.radiation_length_mm * PARAMS.scale_energy_mev / PARAMS.critical_energy_mev
    s = em_shower_segments(particle(11, 5000.0), MEDIUM, np.random.default_rng(4))
    radius = np.hypot(s.x_mm, s.y_mm)
    inside = s.edep_mev[radius < moliere_mm].sum() / s.edep_mev.sum()
    assert inside == pytest.approx(0.9, abs=0.08)


def test_shower_cherenkov_photons_per_mev():
    s = em_shower_segments(particle(11, 1000.0), MEDIUM, np.random.default_rng(5))
    per_mev = s.n_cherenkov.sum() / s.edep_mev.sum()
    # Frank-Tamm gives about 43 photons/mm at beta = 1; 1 MeV is about 5.8 mm of track at 0.172 MeV/mm.
    assert 150.0 < per_mev < 300.0


def test_low_energy_electron_is_a_track():
    s = em_shower_segments(particle(11, 10.0), MEDIUM, np.random.default_rng(6))
    assert s.edep_mev.sum() == pytest.approx(10.0)
    assert s.length_mm.sum() > 10.0


def test_gamma_leaving_before_conversion_deposits_nothing():
    # Starts at the edge and points outward: the conversion point is outside the LS.
    s = em_shower_segments(particle(22, 100.0, position=(0.0, 0.0, 17699.0)), MEDIUM, np.random.default_rng(7))
    assert len(s) == 0


def test_shower_at_edge_escapes():
    segments, escaped = em_shower(particle(11, 3000.0, position=(0.0, 0.0, 17600.0)), MEDIUM, np.random.default_rng(8))
    assert escaped
    assert segments.edep_mev.sum() < 3000.0


def test_pi0_decays_to_two_showers():
    segments, exited = hadron_segments(particle(111, 500.0), MEDIUM, np.random.default_rng(9))
    assert segments.edep_mev.sum() == pytest.approx(500.0 + 134.9768, rel=1e-6)
    assert not exited


def test_neutron_gives_no_prompt_light():
    segments, exited = hadron_segments(particle(2112, 300.0), MEDIUM, np.random.default_rng(10))
    assert len(segments) == 0
    assert not exited


def test_neutrino_passes():
    segments, exited = hadron_segments(particle(14, 300.0), MEDIUM, np.random.default_rng(10))
    assert len(segments) == 0


def test_proton_is_quenched():
    segments, _ = hadron_segments(particle(2212, 100.0), MEDIUM, np.random.default_rng(11))
    assert segments.edep_mev.sum() == pytest.approx(100.0)
    assert segments.evis_mev.sum() < 0.9 * segments.edep_mev.sum()


def test_pion_leaving_sphere_is_flagged():
    _, exited = hadron_segments(particle(211, 3000.0, position=(0.0, 0.0, 17500.0)), MEDIUM, np.random.default_rng(12))
    assert exited


def test_charged_pion_energy_conserved_when_contained():
    # A pi+ deposits its kinetic energy, plus the 4.12 MeV muon and the Michel positron when it stops.
    for seed in range(5):
        segments, exited = hadron_segments(particle(211, 800.0), MEDIUM, np.random.default_rng(seed))
        assert not exited
        assert segments.edep_mev.sum() >= 800.0 - 1e-6


def test_pion_interactions_lower_visible_fraction():
    visible = []
    for seed in range(30):
        segments, _ = hadron_segments(particle(-211, 2000.0), MEDIUM, np.random.default_rng(seed))
        visible.append(segments.evis_mev.sum() / segments.edep_mev.sum())
    assert np.min(visible) < 0.85


def test_same_rng_same_segments():
    first, _ = hadron_segments(particle(211, 1500.0), MEDIUM, np.random.default_rng(13))
    second, _ = hadron_segments(particle(211, 1500.0), MEDIUM, np.random.default_rng(13))
    assert np.array_equal(first.edep_mev, second.edep_mev)


def test_unknown_pdg_raises():
    with pytest.raises(ValueError, match="not handled"):
        hadron_segments(particle(321, 100.0), MEDIUM, np.random.default_rng(0))


def test_dis_event_deposition_fast():
    from junoml.generator.kinematics import KinematicsParams, generate_final_state
    from junoml.generator.source import particle_from_four_momentum
    from junoml.generator.xsec import Channel, CrossSectionParams

    rng = np.random.default_rng(14)
    hadron_segments(particle(211, 100.0), MEDIUM, rng)  # compile the track stepper first
    state = generate_final_state(14, 10.0, Channel(True, 3, "n_bound"), rng, xsec_params=CrossSectionParams(),
                                 kin_params=KinematicsParams())
    particles = [particle_from_four_momentum(pdg, p4[1:], p4[0], np.zeros(3)) for pdg, p4 in state.particles[1:]]
    started = time.perf_counter()
    for p in particles:
        hadron_segments(p, MEDIUM, rng)
    assert time.perf_counter() - started < 1.0


def decays(pdg, n, seed=0):
    rng = np.random.default_rng(seed)
    return [stopped_muon_decay(pdg, np.zeros(3), 100.0, rng) for _ in range(n)]


def test_stopped_mu_plus_always_decays_to_positron():
    assert {d.pdg for d in decays(-13, 500)} == {-11}


def test_stopped_mu_plus_mean_life():
    times = np.array([d.time_ns for d in decays(-13, 20000)]) - 100.0
    assert times.mean() == pytest.approx(PARAMS.muon_lifetime_ns, rel=0.03)


def test_stopped_mu_minus_capture_fraction():
    products = decays(13, 20000, seed=1)
    captured = sum(d is None for d in products) / len(products)
    expected = 1.0 - PARAMS.muon_minus_carbon_lifetime_ns / PARAMS.muon_lifetime_ns
    assert captured == pytest.approx(expected, abs=0.006)


def test_stopped_mu_minus_electron_and_mean_life():
    products = [d for d in decays(13, 20000, seed=2) if d is not None]
    assert {d.pdg for d in products} == {11}
    assert np.mean([d.time_ns for d in products]) - 100.0 == pytest.approx(PARAMS.muon_minus_carbon_lifetime_ns, rel=0.03)


def test_michel_energy_mean_is_seven_tenths_of_endpoint():
    # The spectrum x^2 (3 - 2x) has mean 0.7 in x = E / endpoint.
    energies = np.array([d.kinetic_energy_mev for d in decays(-13, 20000, seed=3)])
    assert energies.mean() == pytest.approx(0.7 * PARAMS.michel_endpoint_mev, rel=0.01)


def test_stopped_muon_decay_rejects_other_particles():
    with pytest.raises(ValueError, match="not a muon"):
        stopped_muon_decay(211, np.zeros(3), 0.0, np.random.default_rng(0))
