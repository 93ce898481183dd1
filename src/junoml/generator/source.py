"""The atmospheric-neutrino source: energy, flavour, channel, direction, vertex and final-state particles.

Energies are drawn from a sampling density proportional to E^-index (index 1: log-uniform, equal
events per log-energy bin). At a drawn energy, flavour and channel follow the physical mix,
flux x cross section. Each event's `weight` is the physical rate density divided by the sampling
density, in interactions per second per kiloton of LS. The sum of the weights of N generated
events, divided by N, is the rate of the generated energy range. The same sum over the events of
a histogram bin, divided by N, is that bin's rate.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass, field, fields

import numpy as np

from junoml.detector.particles import Particle
from junoml.generator.flux import FLAVOURS, HondaTable, direction_from_zenith, load_flux_tables
from junoml.generator.kinematics import (
    MASS_GEV,
    FinalState,
    KinematicsParams,
    KinematicsRejected,
    generate_final_state,
)
from junoml.generator.xsec import CHANNELS, Channel, CrossSectionParams, CrossSections

log = logging.getLogger(__name__)

AVOGADRO_PER_MOL = 6.02214076e23
# Molar mass of CH_x in g/mol from the carbon and hydrogen atomic weights (PDG 2024).
CARBON_G_PER_MOL = 12.011
HYDROGEN_G_PER_MOL = 1.008
GRAMS_PER_KTON = 1e9
CM2_PER_M2 = 1e4

LABEL_NUMU_CC, LABEL_NUE_CC, LABEL_NC, LABEL_NUTAU_CC = 0, 1, 2, 3


def event_label(neutrino_pdg: int, is_cc: bool) -> int:
    """Return the class label: 0 nu_mu CC, 1 nu_e CC, 2 NC, 3 nu_tau CC (anti-neutrinos share it)."""
    if not is_cc:
        return LABEL_NC
    labels = {12: LABEL_NUE_CC, 14: LABEL_NUMU_CC, 16: LABEL_NUTAU_CC}
    try:
        return labels[abs(int(neutrino_pdg))]
    except KeyError:
        raise ValueError(f"pdg {neutrino_pdg} is not a neutrino; expected +-12, +-14 or +-16") from None


@dataclass(frozen=True)
class GeneratorParams:
    """Settings of the atmospheric sample (the `samples.atmospheric` config section).

    Energies in GeV, lengths in mm.
    """

    # JUNO's atmospheric programme covers 0.1 to 10 GeV (Settanta et al., arXiv:2103.09908).
    energy_min_gev: float = 0.1
    energy_max_gev: float = 10.0
    # Sampling density proportional to E^-index; 1 is log-uniform (a choice, not physics).
    energy_sampling_index: float = 1.0
    flavours: tuple[int, ...] = FLAVOURS
    # Vertices are uniform in the sphere of this radius; the LS sphere is 17.7 m (arXiv:2104.02565).
    vertex_radius_mm: float = 17700.0
    # Neutrino oscillations are not applied (the flux is the unoscillated Honda flux).
    oscillation: bool = False
    cross_sections: CrossSectionParams = field(default_factory=CrossSectionParams)
    kinematics: KinematicsParams = field(default_factory=KinematicsParams)
    # Attempts to draw a channel with allowed kinematics before an event fails (estimate).
    max_channel_attempts: int = 100

    # Keys of the config section that the workflow reads (sizes, the flux download).
    _IGNORED_KEYS = ("source", "chunk_size", "n_events", "selection_efficiency", "flux")

    def __post_init__(self) -> None:
        if not 0 < self.energy_min_gev < self.energy_max_gev:
            raise ValueError(
                f"samples.atmospheric: need 0 < energy_min_gev < energy_max_gev, got {self.energy_min_gev} "
                f"and {self.energy_max_gev}"
            )
        if not self.vertex_radius_mm > 0:
            raise ValueError(f"samples.atmospheric.vertex_radius_mm must be positive, got {self.vertex_radius_mm}")
        bad = [pdg for pdg in self.flavours if pdg not in FLAVOURS]
        if bad or not self.flavours:
            raise ValueError(f"samples.atmospheric.flavours {list(self.flavours)} must be a non-empty subset of {list(FLAVOURS)}")
        if self.oscillation:
            raise NotImplementedError(
                "samples.atmospheric.oscillation: true is not implemented; set it to false (unoscillated Honda flux)"
            )

    @classmethod
    def from_config(cls, section: dict) -> GeneratorParams:
        """Build the settings from the `samples.atmospheric` config section; absent keys keep defaults."""
        section = dict(section or {})
        for key in cls._IGNORED_KEYS:
            section.pop(key, None)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(section) - known)
        if unknown:
            raise ValueError(f"samples.atmospheric has unknown keys {unknown}; known keys: {sorted(known)}")
        kwargs = dict(section)
        if "flavours" in kwargs:
            kwargs["flavours"] = tuple(int(pdg) for pdg in kwargs["flavours"])
        if "cross_sections" in kwargs:
            kwargs["cross_sections"] = CrossSectionParams.from_config(kwargs["cross_sections"])
        if "kinematics" in kwargs:
            kwargs["kinematics"] = KinematicsParams(**kwargs["kinematics"])
        for key in ("energy_min_gev", "energy_max_gev", "energy_sampling_index", "vertex_radius_mm"):
            if key in kwargs:
                kwargs[key] = float(kwargs[key])
        return cls(**kwargs)


def nucleon_formula_units_per_kton(hydrogen_per_carbon: float) -> float:
    """Return the number of CH_x formula units in one kiloton of LS."""
    molar_mass = CARBON_G_PER_MOL + hydrogen_per_carbon * HYDROGEN_G_PER_MOL
    return GRAMS_PER_KTON / molar_mass * AVOGADRO_PER_MOL


class AtmosphericSource:
    """Generator of atmospheric-neutrino interactions in the JUNO LS.

    params: the `samples.atmospheric` config section (or a GeneratorParams). flux_dir: folder of
    the nuflux-format Honda tables, or one file in Honda's own layout.
    """

    def __init__(self, params: dict | GeneratorParams, flux_dir: str | os.PathLike | HondaTable) -> None:
        self.params = params if isinstance(params, GeneratorParams) else GeneratorParams.from_config(params)
        self.flux = flux_dir if isinstance(flux_dir, HondaTable) else load_flux_tables(flux_dir)
        self.flux.check_energy_range(self.params.energy_min_gev, self.params.energy_max_gev)
        missing = [pdg for pdg in self.params.flavours if pdg not in self.flux.flux]
        if missing:
            raise ValueError(f"flux tables at {flux_dir} have no table for pdg {missing}")
        self.xsec = CrossSections(self.params.cross_sections, energy_min_gev=self.params.energy_min_gev,
                                  energy_max_gev=self.params.energy_max_gev)
        self.units_per_kton = nucleon_formula_units_per_kton(self.params.cross_sections.hydrogen_per_carbon)
        log.info("atmospheric source: %s GeV to %s GeV, flavours %s, sampling E^-%s",
                 self.params.energy_min_gev, self.params.energy_max_gev, list(self.params.flavours),
                 self.params.energy_sampling_index)

    # ------------------------------------------------------------------ rates and sampling

    def channel_rate_density(self, energy_gev) -> np.ndarray:
        """Return the rate density of every (flavour, channel) pair in s^-1 kton^-1 GeV^-1.

        Shape (n_flavours, len(CHANNELS)) + energy shape, flavours in params.flavours order.
        """
        energy = np.asarray(energy_gev, dtype=float)
        rates = []
        for pdg in self.params.flavours:
            flux_per_cm2 = self.flux.all_sky_flux(pdg, energy) / CM2_PER_M2
            rates.append(self.xsec.channel_cross_sections(pdg, energy) * flux_per_cm2 * self.units_per_kton)
        return np.array(rates)

    def rate_density(self, energy_gev) -> np.ndarray:
        """Return the physical interaction rate density in s^-1 kton^-1 GeV^-1 (all flavours and channels)."""
        return self.channel_rate_density(energy_gev).sum(axis=(0, 1))

    def sampling_density(self, energy_gev) -> np.ndarray:
        """Return the normalised sampling density of energies in GeV^-1."""
        energy = np.asarray(energy_gev, dtype=float)
        low, high, index = self.params.energy_min_gev, self.params.energy_max_gev, self.params.energy_sampling_index
        if abs(index - 1.0) < 1e-12:
            norm = math.log(high / low)
        else:
            norm = (high ** (1.0 - index) - low ** (1.0 - index)) / (1.0 - index)
        return np.where((energy >= low) & (energy <= high), energy ** (-index) / norm, 0.0)

    def sample_energy(self, rng: np.random.Generator) -> float:
        """Draw an energy in GeV from the sampling density by inverse CDF."""
        low, high, index = self.params.energy_min_gev, self.params.energy_max_gev, self.params.energy_sampling_index
        u = rng.uniform()
        if abs(index - 1.0) < 1e-12:
            return float(low * (high / low) ** u)
        power = 1.0 - index
        return float((low**power + u * (high**power - low**power)) ** (1.0 / power))

    def sample_interaction(self, rng: np.random.Generator) -> tuple[float, int, Channel, float]:
        """Draw (energy_gev, neutrino pdg, channel, weight), with the weight in s^-1 kton^-1."""
        energy = self.sample_energy(rng)
        rates = self.channel_rate_density(energy)
        total = rates.sum()
        flat = rates.ravel() / total
        k = int(rng.choice(flat.size, p=flat))
        pdg = self.params.flavours[k // len(CHANNELS)]
        channel = CHANNELS[k % len(CHANNELS)]
        weight = float(total / self.sampling_density(energy))
        return energy, pdg, channel, weight

    # ------------------------------------------------------------------ events

    def sample_vertex_mm(self, rng: np.random.Generator) -> np.ndarray:
        """Draw a point uniform in the sphere of radius vertex_radius_mm."""
        radius = self.params.vertex_radius_mm * rng.uniform() ** (1.0 / 3.0)
        cos_theta = rng.uniform(-1.0, 1.0)
        phi = rng.uniform(0.0, 2.0 * np.pi)
        sin_theta = math.sqrt(1.0 - cos_theta**2)
        return radius * np.array([sin_theta * math.cos(phi), sin_theta * math.sin(phi), cos_theta])

    def generate(self, event_id: int, rng: np.random.Generator) -> tuple[dict, list[Particle]]:
        """Generate one interaction; return its truth columns and its final-state particles.

        The truth dict contains the atmospheric truth columns of the data contracts except event_id
        and those that the detector computes (deposited and visible energy, contained, triggered).
        For NC events the "lepton" columns describe the outgoing neutrino. Particles include
        neutrons and the outgoing neutrino of NC events; all start at the vertex at t = 0.
        """
        truth, particles, _ = self.generate_with_final_state(event_id, rng)
        return truth, particles

    def generate_with_final_state(self, event_id: int, rng: np.random.Generator) -> tuple[dict, list[Particle], FinalState]:
        """Like generate, and also return the final state in the frame where the neutrino travels along +z."""
        energy, pdg, channel, weight = self.sample_interaction(rng)
        # The channel may be redrawn when its kinematics are not allowed at this energy.
        channel, state = self._final_state_with_retries(event_id, energy, pdg, channel, rng)

        cos_zenith = self.flux.sample_cos_zenith(pdg, energy, rng)
        direction = direction_from_zenith(cos_zenith, rng.uniform(0.0, 2.0 * np.pi))
        rotation = rotation_to(direction)
        vertex = self.sample_vertex_mm(rng)

        particles = [particle_from_four_momentum(pdg_out, rotation @ p4[1:], p4[0], vertex)
                     for pdg_out, p4 in state.particles]
        lepton = state.lepton
        lepton_direction = rotation @ lepton[1:] / max(np.linalg.norm(lepton[1:]), 1e-300)
        truth = {
            "pdg": int(pdg),
            "energy_gev": float(energy),
            "dir_x": float(direction[0]),
            "dir_y": float(direction[1]),
            "dir_z": float(direction[2]),
            "vertex_x_mm": float(vertex[0]),
            "vertex_y_mm": float(vertex[1]),
            "vertex_z_mm": float(vertex[2]),
            "is_cc": bool(channel.is_cc),
            "mode": int(channel.mode),
            "lepton_pdg": int(state.lepton_pdg),
            "lepton_energy_gev": float(lepton[0]),
            "lepton_dir_x": float(lepton_direction[0]),
            "lepton_dir_y": float(lepton_direction[1]),
            "lepton_dir_z": float(lepton_direction[2]),
            "weight": weight,
            "label": event_label(pdg, channel.is_cc),
        }
        return truth, particles, state

    def _final_state_with_retries(self, event_id, energy, pdg, channel, rng) -> tuple[Channel, FinalState]:
        """Generate the final state, redrawing the channel at the same energy and flavour if it is not allowed."""
        for _ in range(self.params.max_channel_attempts):
            try:
                state = generate_final_state(pdg, energy, channel, rng, xsec_params=self.params.cross_sections,
                                             kin_params=self.params.kinematics)
                return channel, state
            except KinematicsRejected:
                rates = self.channel_rate_density(energy)[self.params.flavours.index(pdg)]
                channel = CHANNELS[int(rng.choice(len(CHANNELS), p=rates / rates.sum()))]
        raise RuntimeError(
            f"event {event_id}: no allowed final state for pdg {pdg} at {energy:.4f} GeV after "
            f"{self.params.max_channel_attempts} channel draws; raise samples.atmospheric.max_channel_attempts"
        )


def rotation_to(direction: np.ndarray) -> np.ndarray:
    """Return a rotation matrix that maps +z onto the unit vector direction."""
    direction = np.asarray(direction, dtype=float)
    helper = np.array([1.0, 0.0, 0.0]) if abs(direction[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    first = np.cross(helper, direction)
    first /= np.linalg.norm(first)
    second = np.cross(direction, first)
    return np.column_stack([first, second, direction])


def particle_from_four_momentum(pdg: int, momentum_gev: np.ndarray, energy_gev: float, vertex_mm: np.ndarray) -> Particle:
    """Build a Particle at the vertex from a lab momentum (GeV) and total energy (GeV)."""
    norm = float(np.linalg.norm(momentum_gev))
    direction = momentum_gev / norm if norm > 0 else np.array([0.0, 0.0, 1.0])
    kinetic_mev = float(max(energy_gev - MASS_GEV[pdg], 0.0) * 1000.0)
    return Particle(pdg=int(pdg), kinetic_energy_mev=kinetic_mev, position_mm=vertex_mm.copy(), direction=direction)
