"""Tests of the cross sections: published slopes, mode fractions, NC ratio and the QE formula."""

import numpy as np
import pytest

from junoml.generator.xsec import (
    CHANNELS,
    MODE_DIS,
    MODE_QE,
    CrossSectionParams,
    CrossSections,
    pauli_suppression,
    qe_cross_section,
    qe_q2_limits_gev2,
)


@pytest.fixture(scope="module")
def xsec() -> CrossSections:
    return CrossSections()


def test_cc_slope_nu_at_10gev(xsec):
    # PDG / Formaggio and Zeller: sigma_CC / E = 0.677e-38 cm^2/GeV per isoscalar nucleon.
    slope = xsec.isoscalar_cc_per_nucleon(14, 10.0) / 10.0
    assert slope == pytest.approx(0.68e-38, rel=0.10)


def test_cc_slope_antinu_at_10gev(xsec):
    slope = xsec.isoscalar_cc_per_nucleon(-14, 10.0) / 10.0
    assert slope == pytest.approx(0.34e-38, rel=0.10)


def test_qe_dominates_numu_cc_at_half_gev(xsec):
    fraction = xsec.isoscalar_cc_per_nucleon(14, 0.5, mode=MODE_QE) / xsec.isoscalar_cc_per_nucleon(14, 0.5)
    assert fraction > 0.5


def test_dis_dominates_numu_cc_at_10gev(xsec):
    fraction = xsec.isoscalar_cc_per_nucleon(14, 10.0, mode=MODE_DIS) / xsec.isoscalar_cc_per_nucleon(14, 10.0)
    assert fraction > 0.5


def test_free_neutron_qe_saturates_near_1e38():
    # Llewellyn Smith with M_A of about 1 GeV gives about 1e-38 cm^2 on a free neutron above 2 GeV.
    value = qe_cross_section(5.0, antineutrino=False, lepton_mass=0.10566, params=CrossSectionParams(), bound=False)
    assert value == pytest.approx(1.0e-38, rel=0.15)


def test_antineutrino_qe_below_neutrino_qe():
    params = CrossSectionParams()
    nu = qe_cross_section(1.0, antineutrino=False, lepton_mass=0.10566, params=params, bound=False)
    nubar = qe_cross_section(1.0, antineutrino=True, lepton_mass=0.10566, params=params, bound=False)
    assert nubar < nu


def test_pauli_blocking_reduces_bound_qe():
    params = CrossSectionParams()
    free = qe_cross_section(0.3, antineutrino=False, lepton_mass=0.10566, params=params, bound=False)
    bound = qe_cross_section(0.3, antineutrino=False, lepton_mass=0.10566, params=params, bound=True)
    assert bound < free


def test_pauli_suppression_limits():
    assert pauli_suppression(0.0, 0.221) == pytest.approx(0.0)
    assert pauli_suppression(0.442, 0.221) == pytest.approx(1.0)
    assert pauli_suppression(1.0, 0.221) == pytest.approx(1.0)


def test_numu_qe_threshold():
    # nu_mu n -> mu- p needs E above about 0.11 GeV.
    q2_min, q2_max = qe_q2_limits_gev2(0.1, 0.10566)
    assert np.isnan(q2_max)


def test_nc_to_cc_ratio_on_carbon_at_10gev(xsec):
    values = dict(zip(CHANNELS, xsec.channel_cross_sections(14, 10.0)))
    nc = sum(value for channel, value in values.items() if not channel.is_cc and channel.target != "p_free")
    cc = sum(value for channel, value in values.items() if channel.is_cc and channel.target != "p_free")
    assert nc / cc == pytest.approx(0.30, rel=0.05)


def test_no_numu_cc_qe_on_protons(xsec):
    values = xsec.channel_cross_sections(14, 1.0)
    for channel, value in zip(CHANNELS, values):
        if channel.is_cc and channel.mode == MODE_QE and channel.target != "n_bound":
            assert value == 0.0, channel


def test_antinu_qe_on_free_protons(xsec):
    values = dict(zip(CHANNELS, xsec.channel_cross_sections(-12, 1.0)))
    free_qe = [value for channel, value in values.items() if channel.is_cc and channel.mode == MODE_QE and channel.target == "p_free"]
    assert free_qe[0] > 0.0


def test_channel_table_matches_direct_calculation(xsec):
    channel = CHANNELS[0]
    table = xsec.channel_cross_sections(14, 2.0)[0]
    direct = xsec.nucleon_counts()[channel.target] * xsec.per_nucleon(14, channel, 2.0)
    assert table == pytest.approx(direct, rel=0.01)


def test_energy_outside_table_raises(xsec):
    with pytest.raises(ValueError, match="outside the cross-section table"):
        xsec.channel_cross_sections(14, 50.0)


def test_unknown_config_key_raises():
    with pytest.raises(ValueError, match="unknown keys"):
        CrossSectionParams.from_config({"axial_mass": 1.0})
