"""Tests of the atmospheric source: truth columns, labels, weights, directions and determinism."""

import numpy as np
import pytest
from scipy.integrate import quad

from junoml.detector.particles import Particle
from junoml.generator.flux import NU_E, NU_E_BAR, NU_MU, NU_MU_BAR, HondaTable
from junoml.generator.source import (
    LABEL_NC,
    LABEL_NUE_CC,
    LABEL_NUMU_CC,
    LABEL_NUTAU_CC,
    AtmosphericSource,
    GeneratorParams,
    event_label,
)
from junoml.rng import event_rng

TRUTH_KEYS = {
    "pdg", "energy_gev", "dir_x", "dir_y", "dir_z", "vertex_x_mm", "vertex_y_mm", "vertex_z_mm", "is_cc", "mode",
    "lepton_pdg", "lepton_energy_gev", "lepton_dir_x", "lepton_dir_y", "lepton_dir_z", "weight", "label",
}


def small_table() -> HondaTable:
    """A hand-made table from 0.05 to 20 GeV: E^-2.7 spectrum, downward-going neutrinos dominant."""
    energies = np.geomspace(0.05, 20.0, 12)
    edges = np.linspace(-1.0, 1.0, 5)
    shape = np.array([[1.0, 2.0, 3.0, 4.0]])
    flux = {pdg: 100.0 * factor * (energies[:, None] ** -2.7) * shape
            for pdg, factor in ((NU_MU, 2.0), (NU_MU_BAR, 2.0), (NU_E, 1.0), (NU_E_BAR, 1.0))}
    return HondaTable(energy_gev=energies, cos_zenith_edges=edges, flux=flux)


@pytest.fixture(scope="module")
def source() -> AtmosphericSource:
    return AtmosphericSource({"source": "atmospheric", "chunk_size": 10, "vertex_radius_mm": 17700.0}, small_table())


@pytest.fixture(scope="module")
def events(source):
    return [source.generate(event_id, event_rng(7, "atmospheric", event_id)) for event_id in range(300)]


def test_truth_has_contract_columns(events):
    truth, _ = events[0]
    assert set(truth) == TRUTH_KEYS


def test_particles_are_detector_particles(events):
    for _, particles in events[:20]:
        assert all(isinstance(p, Particle) for p in particles)


def test_same_seed_and_event_id_same_event(source):
    first = source.generate(42, event_rng(1, "atmospheric", 42))
    second = source.generate(42, event_rng(1, "atmospheric", 42))
    assert first[0] == second[0]
    assert [p.kinetic_energy_mev for p in first[1]] == [p.kinetic_energy_mev for p in second[1]]


def test_different_event_id_different_event(source):
    first, _ = source.generate(1, event_rng(1, "atmospheric", 1))
    second, _ = source.generate(2, event_rng(1, "atmospheric", 2))
    assert first["energy_gev"] != second["energy_gev"]


def test_event_label_neutrinos_and_antineutrinos():
    assert event_label(14, True) == LABEL_NUMU_CC
    assert event_label(-14, True) == LABEL_NUMU_CC
    assert event_label(12, True) == LABEL_NUE_CC
    assert event_label(-12, True) == LABEL_NUE_CC
    assert event_label(-16, True) == LABEL_NUTAU_CC
    assert event_label(-14, False) == LABEL_NC


def test_labels_match_truth(events):
    for truth, _ in events:
        assert truth["label"] == event_label(truth["pdg"], truth["is_cc"])


def test_cc_lepton_flavour_matches_neutrino(events):
    for truth, _ in events:
        if truth["is_cc"]:
            # nu_l (pdg 12, 14) gives l- (11, 13); anti-nu_l gives l+.
            assert truth["lepton_pdg"] == np.sign(truth["pdg"]) * (abs(truth["pdg"]) - 1)


def test_lepton_energy_below_neutrino_energy(events):
    for truth, _ in events:
        assert truth["lepton_energy_gev"] <= truth["energy_gev"]


def test_vertex_inside_radius(events):
    radius = [np.linalg.norm([t["vertex_x_mm"], t["vertex_y_mm"], t["vertex_z_mm"]]) for t, _ in events]
    assert max(radius) <= 17700.0


def test_particles_start_at_vertex(events):
    truth, particles = events[3]
    vertex = [truth["vertex_x_mm"], truth["vertex_y_mm"], truth["vertex_z_mm"]]
    assert np.allclose(particles[0].position_mm, vertex)


def test_downward_flux_gives_downward_travel(events):
    # The table has 4 times more flux at cos(zenith) near 1 than near -1: most neutrinos travel down.
    dir_z = np.array([t["dir_z"] for t, _ in events])
    assert np.mean(dir_z) < -0.2


def test_lepton_follows_neutrino_at_high_energy(events):
    cosines = [t["dir_x"] * t["lepton_dir_x"] + t["dir_y"] * t["lepton_dir_y"] + t["dir_z"] * t["lepton_dir_z"]
               for t, _ in events if t["energy_gev"] > 3.0 and t["is_cc"]]
    assert np.median(cosines) > 0.9


def test_energies_log_uniform(events):
    log_energy = np.log10([t["energy_gev"] for t, _ in events])
    counts = np.histogram(log_energy, bins=4, range=(-1.0, 1.0))[0]
    assert np.all(np.abs(counts - 75) < 4.0 * np.sqrt(75))


def test_reweighting_reproduces_physical_spectrum(source):
    rng = np.random.default_rng(123)
    n = 6000
    draws = [source.sample_interaction(rng) for _ in range(n)]
    energy = np.array([d[0] for d in draws])
    weight = np.array([d[3] for d in draws])
    edges = np.geomspace(0.1, 10.0, 7)
    weighted = np.histogram(energy, bins=edges, weights=weight)[0] / n
    sigma = np.sqrt(np.histogram(energy, bins=edges, weights=weight**2)[0]) / n
    expected = np.array([quad(lambda e: float(source.rate_density(e)), a, b, limit=200)[0] for a, b in zip(edges[:-1], edges[1:])])
    pulls = (weighted - expected) / sigma
    assert np.all(np.abs(pulls) < 4.0)
    assert np.sum(pulls**2) / len(pulls) < 3.0


def test_weight_mean_is_total_rate(source):
    rng = np.random.default_rng(9)
    weights = np.array([source.sample_interaction(rng)[3] for _ in range(3000)])
    total = quad(lambda e: float(source.rate_density(e)), 0.1, 10.0, limit=200)[0]
    assert weights.mean() == pytest.approx(total, rel=4.0 * weights.std() / weights.mean() / np.sqrt(3000))


def test_sampling_density_normalised(source):
    assert quad(lambda e: float(source.sampling_density(e)), 0.1, 10.0)[0] == pytest.approx(1.0, rel=1e-6)


def test_power_law_sampling_density_normalised():
    steep = AtmosphericSource({"energy_sampling_index": 2.0}, small_table())
    assert quad(lambda e: float(steep.sampling_density(e)), 0.1, 10.0)[0] == pytest.approx(1.0, rel=1e-6)


def test_flavour_mix_follows_rate(source):
    rng = np.random.default_rng(5)
    n = 3000
    flavours = np.array([source.sample_interaction(rng)[1] for _ in range(n)])
    share = np.mean(np.abs(flavours) == 14)
    # Expected nu_mu share: the rate share at each energy, averaged over the sampling density.
    mu_rows = [i for i, pdg in enumerate(source.params.flavours) if abs(pdg) == 14]

    grid = np.geomspace(0.1, 10.0, 2000)
    rates = source.channel_rate_density(grid).sum(axis=1)
    expected = np.trapezoid(rates[mu_rows].sum(axis=0) / rates.sum(axis=0) * source.sampling_density(grid), grid)
    assert share == pytest.approx(expected, abs=4.0 * np.sqrt(expected * (1 - expected) / n))


def test_unknown_config_key_raises():
    with pytest.raises(ValueError, match="unknown keys"):
        GeneratorParams.from_config({"energy_min": 0.1})


def test_oscillation_not_implemented():
    with pytest.raises(NotImplementedError, match="oscillation"):
        GeneratorParams.from_config({"oscillation": True})


def test_energy_range_outside_table_raises():
    with pytest.raises(ValueError, match="outside the flux table"):
        AtmosphericSource({"energy_max_gev": 100.0}, small_table())
