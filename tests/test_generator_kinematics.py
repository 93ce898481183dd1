"""Tests of the interaction final states: four-momentum balance, kinematic limits and charges."""

import numpy as np
import pytest

from junoml.generator.kinematics import (
    MASS_GEV,
    KinematicsParams,
    fragment_hadronic_system,
    generate_final_state,
    invariant_mass,
    sequential_decay,
)
from junoml.generator.xsec import CHANNELS, MODE_DIS, MODE_QE, MODE_RES, Channel, CrossSectionParams, CrossSections
from junoml.detector.particles import PARTICLE_CHARGE

XSEC_PARAMS = CrossSectionParams()
KIN_PARAMS = KinematicsParams()
# Balance tolerance in GeV: four-momentum is conserved to rounding, relative to the neutrino energy.
BALANCE_TOLERANCE = 1e-9


def allowed_cases():
    xsec = CrossSections()
    cases = []
    for pdg in (12, -12, 14, -14):
        for channel in CHANNELS:
            for energy in (0.4, 2.0, 10.0):
                if xsec.per_nucleon(pdg, channel, energy) > 0:
                    cases.append((pdg, channel, energy))
    return cases


CASES = allowed_cases()


def final_states(pdg, channel, energy, n=20, seed=3):
    rng = np.random.default_rng(seed)
    return [generate_final_state(pdg, energy, channel, rng, xsec_params=XSEC_PARAMS, kin_params=KIN_PARAMS) for _ in range(n)]


@pytest.mark.parametrize(("pdg", "channel", "energy"), CASES)
def test_four_momentum_balance(pdg, channel, energy):
    for state in final_states(pdg, channel, energy, n=5):
        assert np.abs(state.momentum_imbalance()).max() < BALANCE_TOLERANCE * max(energy, 1.0)


@pytest.mark.parametrize(("pdg", "channel", "energy"), CASES)
def test_charge_conservation(pdg, channel, energy):
    initial_charge = {2212: 1, 2112: 0}
    lepton_charge = {11: -1, -11: 1, 13: -1, -13: 1, 12: 0, -12: 0, 14: 0, -14: 0}
    for state in final_states(pdg, channel, energy, n=5):
        final = sum(lepton_charge.get(p, PARTICLE_CHARGE.get(p, 0)) for p, _ in state.particles)
        assert final == initial_charge[state.initial_nucleon_pdg]


@pytest.mark.parametrize("mode", [MODE_QE, MODE_RES, MODE_DIS])
def test_kinematic_limits(mode):
    channel = Channel(True, mode, "n_bound")
    for state in final_states(14, channel, 3.0, n=40):
        assert 0.0 <= state.y <= 1.0
        assert state.q2_gev2 >= 0.0
        assert state.lepton[0] <= 3.0
        assert state.lepton[0] >= MASS_GEV[13]


def test_final_particles_on_mass_shell():
    for state in final_states(14, Channel(True, MODE_DIS, "p_bound"), 8.0):
        for pdg, p4 in state.particles:
            assert invariant_mass(p4) == pytest.approx(MASS_GEV[pdg], abs=1e-6)


def test_dis_hadronic_mass_above_cut():
    for state in final_states(-14, Channel(True, MODE_DIS, "p_free"), 5.0):
        assert state.w_gev > XSEC_PARAMS.dis_min_w_gev


def test_dis_multiplicity_grows_with_energy():
    channel = Channel(True, MODE_DIS, "n_bound")
    low = np.mean([len(s.particles) for s in final_states(14, channel, 1.5, n=60)])
    high = np.mean([len(s.particles) for s in final_states(14, channel, 10.0, n=60)])
    assert high > low


def test_res_gives_one_nucleon_and_one_pion():
    for state in final_states(14, Channel(True, MODE_RES, "p_free"), 1.5):
        assert [pdg for pdg, _ in state.particles] == [13, 2212, 211]


def test_numu_ccqe_makes_mu_minus_and_proton():
    for state in final_states(14, Channel(True, MODE_QE, "n_bound"), 1.0, n=5):
        assert [pdg for pdg, _ in state.particles] == [13, 2212]


def test_nuebar_free_proton_qe_makes_positron_and_neutron():
    for state in final_states(-12, Channel(True, MODE_QE, "p_free"), 0.5, n=5):
        assert [pdg for pdg, _ in state.particles] == [-11, 2112]


def test_nc_outgoing_lepton_is_the_neutrino():
    for state in final_states(-14, Channel(False, MODE_DIS, "p_bound"), 4.0, n=5):
        assert state.lepton_pdg == -14


def test_bound_qe_nucleon_leaves_fermi_sea():
    for state in final_states(14, Channel(True, MODE_QE, "n_bound"), 0.3, n=40):
        assert np.linalg.norm(state.particles[1][1][1:]) >= XSEC_PARAMS.fermi_momentum_gev


def test_same_seed_same_final_state():
    channel = Channel(True, MODE_DIS, "n_bound")
    first = final_states(14, channel, 6.0, n=3, seed=11)
    second = final_states(14, channel, 6.0, n=3, seed=11)
    for a, b in zip(first, second):
        assert np.array_equal(np.array([p for _, p in a.particles]), np.array([p for _, p in b.particles]))


def test_fragment_hadronic_system_conserves_charge():
    rng = np.random.default_rng(2)
    hadronic = np.array([5.0, 0.3, -0.2, 4.0])
    for charge in (-1, 0, 1, 2):
        hadrons = fragment_hadronic_system(hadronic, charge, False, KIN_PARAMS, rng)
        assert sum(PARTICLE_CHARGE[pdg] for pdg, _ in hadrons) == charge


def test_sequential_decay_conserves_four_momentum():
    rng = np.random.default_rng(4)
    parent = np.array([3.0, 0.5, 0.1, 2.0])
    products = sequential_decay(parent, [MASS_GEV[2212], MASS_GEV[211], MASS_GEV[111], MASS_GEV[-211]], rng)
    assert np.allclose(np.sum(products, axis=0), parent, atol=1e-12)
