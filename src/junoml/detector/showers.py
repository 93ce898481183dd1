"""Energy deposition of electromagnetic showers and hadrons in the liquid scintillator.

Electromagnetic showers (e+, e-, gamma above `track_threshold_mev`) are split into energy packets
whose depths follow the PDG gamma-distribution profile, with a fluctuating shower maximum, and
whose lateral offsets follow a core profile that contains 90% of the energy within one
Moliere radius. Each packet is one segment. Its Cherenkov light is the Frank-Tamm yield of beta = 1
over the packet's charged track length, where track length = deposited energy / minimum-ionising
dE/dx (Rossi's approximation B), times the fraction of that length above the Cherenkov
threshold. The packet direction is spread around the shower axis to mimic the angles of the
shower electrons. Lower-energy electrons and positrons are stepped as tracks.

Charged pions and protons are stepped as tracks and may interact after an exponential distance
with the nuclear interaction length. At an interaction, the remaining kinetic energy splits into
a pi0 share (an EM shower), one leading charged pion (tracked again, up to max_generations), and
a local nuclear deposit whose visible energy is a fixed fraction (binding energy, neutrons and
heavily quenched fragments give little prompt light). Neutrons give no prompt light: their
capture gamma comes about 200 us later, outside the readout window of about 1 us.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from junoml.detector.medium import LiquidScintillator
from junoml.detector.particles import PARTICLE_MASS_MEV, Particle, Segments
from junoml.detector.tracks import SPEED_OF_LIGHT_MM_PER_NS, propagate_charged

ELECTRON, POSITRON, GAMMA, PI_ZERO, PI_PLUS, PI_MINUS, PROTON, NEUTRON = 11, -11, 22, 111, 211, -211, 2212, 2112
NEUTRINOS = (12, -12, 14, -14, 16, -16)
EM_PARTICLES = (ELECTRON, POSITRON, GAMMA)
MUON_MASS_MEV = 105.6583755


@dataclass(frozen=True)
class ShowerParams:
    """Constants of the shower and hadron models (energies in MeV, lengths in radiation lengths or mm)."""

    # Electron critical energy of polystyrene, 93.1 MeV (PDG atomic and nuclear properties),
    # taken for LAB (estimate).
    critical_energy_mev: float = 93.1
    # Longitudinal profile dE/dt = E b (b t)^(a-1) exp(-b t) / Gamma(a) with t_max = (a-1)/b =
    # ln(E/E_c) + C, b about 0.5 and C = -0.5 for electrons (PDG, Passage of particles through
    # matter, EM cascades). Gammas first convert after an exponential distance of mean 9/7 X0
    # and then shower like an electron pair. That distance replaces PDG's C = +0.5.
    profile_b: float = 0.5
    profile_c_electron: float = -0.5
    conversion_length_x0: float = 9.0 / 7.0
    # Relative Gaussian fluctuation of t_max from shower to shower (estimate).
    t_max_fluctuation: float = 0.15
    # Moliere radius R_M = X0 E_s / E_c with the scale energy E_s = 21.2 MeV (PDG); the lateral
    # profile r dr R^2 / (r^2 + R^2)^2 with R = R_M / 3 contains 90% of the energy within R_M.
    scale_energy_mev: float = 21.2052
    # Electrons and gammas below this energy are stepped as single tracks (estimate).
    track_threshold_mev: float = 30.0
    # Packets per shower: about one per energy_per_packet_mev, between the two limits (estimate).
    energy_per_packet_mev: float = 10.0
    min_packets: int = 16
    max_packets: int = 400
    # Minimum-ionising dE/dx used to turn deposited energy into charged track length (PDG: about
    # 2 MeV cm2/g; estimate for LAB).
    mip_stopping_power_mev_cm2_g: float = 2.0
    # Share of the shower's track length above the Cherenkov threshold (T > 0.18 MeV for n = 1.5)
    # (estimate).
    cherenkov_track_fraction: float = 0.9
    # Spread (Rayleigh scale) of the shower electrons' angle around the axis (estimate).
    electron_angle_spread_deg: float = 25.0
    # Hadronic interactions: mean share of the kinetic energy that goes to pi0 (isospin counting,
    # estimate), mean share of the leading charged pion (estimate), and the visible fraction of
    # the rest, deposited at the interaction point (estimate).
    pi0_energy_share: float = 1.0 / 3.0
    leading_pion_share: float = 0.4
    nuclear_visible_fraction: float = 0.5
    # Hadrons below this kinetic energy do not interact (estimate); secondaries below
    # min_tracked_energy_mev are deposited locally; interaction chains stop after max_generations.
    min_interacting_energy_mev: float = 50.0
    min_tracked_energy_mev: float = 30.0
    max_generations: int = 3
    # A stopped pi- is captured by carbon; the visible energy of the nuclear fragments (estimate).
    pion_capture_visible_mev: float = 20.0
    # Decays at rest (PDG 2024): pi+ -> mu+ nu with a 4.12 MeV muon, mean life 26.03 ns; mu+ -> e+
    # with a Michel spectrum up to 52.83 MeV, mean life 2196.98 ns.
    pion_decay_muon_kinetic_mev: float = 4.12
    pion_lifetime_ns: float = 26.033
    muon_lifetime_ns: float = 2196.98
    michel_endpoint_mev: float = 52.83
    # A stopped mu- forms a muonic carbon atom (hydrogen passes its muon on to carbon) and lives
    # 2026.3 ns there (Suzuki, Measday and Roalsvig, PRC 35 (1987) 2212). The rest of the free
    # decay rate is nuclear capture, so 1 - 2026.3 / 2196.98 = 7.8% of them are captured; the
    # capture's neutron and nuclear gammas give little prompt light and are not simulated (estimate).
    muon_minus_carbon_lifetime_ns: float = 2026.3
    # Step of the tracks of showers' low-energy electrons and of hadrons, in mm.
    step_mm: float = 10.0
    # Hadron tracks deposit their last kinetic energy at once below this energy: the Bethe-Bloch
    # formula has no validity for protons below about 0.1 MeV (PDG).
    hadron_cutoff_energy_mev: float = 0.1

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if name != "profile_c_electron" and not value >= 0:
                raise ValueError(f"ShowerParams.{name} must be non-negative, got {value}")
        if not 0 < self.min_packets <= self.max_packets:
            raise ValueError(f"ShowerParams needs 0 < min_packets <= max_packets, got {self.min_packets} and {self.max_packets}")


DEFAULT_PARAMS = ShowerParams()


def point_deposit(position_mm, time_ns: float, edep_mev: float, evis_mev: float) -> Segments:
    """Return one segment of zero length that deposits energy at a point, without Cherenkov light.

    Returns no segment when edep_mev is not positive, so that every segment carries a weight for
    the light sources.
    """
    if not edep_mev > 0.0:
        return Segments.empty()
    position = np.asarray(position_mm, dtype=float)
    return Segments(
        x_mm=[position[0]], y_mm=[position[1]], z_mm=[position[2]], t_ns=[time_ns],
        ux=[0.0], uy=[0.0], uz=[1.0], length_mm=[0.0], edep_mev=[edep_mev], evis_mev=[evis_mev],
        n_cherenkov=[0.0], cos_cherenkov=[1.0],
    )


def inside(position_mm: np.ndarray, medium: LiquidScintillator) -> bool:
    return float(np.linalg.norm(position_mm)) <= medium.radius_mm


def _perpendicular_basis(axis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    helper = np.array([1.0, 0.0, 0.0]) if abs(axis[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    first = np.cross(axis, helper)
    first /= np.linalg.norm(first)
    return first, np.cross(axis, first)


def _isotropic(rng: np.random.Generator) -> np.ndarray:
    cos_theta = rng.uniform(-1.0, 1.0)
    phi = rng.uniform(0.0, 2.0 * np.pi)
    sin_theta = math.sqrt(1.0 - cos_theta**2)
    return np.array([sin_theta * math.cos(phi), sin_theta * math.sin(phi), cos_theta])


# ----------------------------------------------------------------------------- EM showers


def em_shower_segments(
    particle: Particle, medium: LiquidScintillator, rng: np.random.Generator, params: ShowerParams = DEFAULT_PARAMS
) -> Segments:
    """Return the segments of an e+, e-, gamma or pi0 (see em_shower for the escape flag)."""
    return em_shower(particle, medium, rng, params)[0]


def em_shower(
    particle: Particle, medium: LiquidScintillator, rng: np.random.Generator, params: ShowerParams = DEFAULT_PARAMS
) -> tuple[Segments, bool]:
    """Deposit an e+, e-, gamma or pi0 (two gammas); return (segments, whether shower energy left the LS).

    Gammas convert after an exponential distance (no deposit if that point lies outside the LS).
    Below track_threshold_mev the electron (or the converted gamma, as one electron) is stepped as
    a track, and a positron adds its 1.022 MeV annihilation energy where it stops.
    """
    if particle.pdg == PI_ZERO:
        return _pi0_decay(particle, medium, rng, params)
    if particle.pdg not in EM_PARTICLES:
        raise ValueError(f"em_shower: pdg {particle.pdg} is not e+, e-, gamma or pi0; use hadron_segments")
    energy = float(particle.kinetic_energy_mev)
    if energy <= 0.0:
        return Segments.empty(), False
    position = particle.position_mm
    time = particle.time_ns
    axis = particle.direction
    pdg = particle.pdg

    if pdg == GAMMA:
        distance = rng.exponential(params.conversion_length_x0 * medium.radiation_length_mm)
        position = position + distance * axis
        time = time + distance / SPEED_OF_LIGHT_MM_PER_NS
        if not inside(position, medium):
            return Segments.empty(), False
        # The pair's kinetic energy; its rest mass (1.022 MeV) returns as annihilation light.
        energy = max(energy - 2.0 * PARTICLE_MASS_MEV[ELECTRON], 0.0)
        pdg = ELECTRON

    annihilates = particle.pdg in (GAMMA, POSITRON)
    if energy < params.track_threshold_mev:
        return _electron_track(pdg, energy, position, axis, time, medium, rng, params, annihilates=annihilates)
    # In a shower the annihilation energy of the positron is absorbed with the rest.
    shower_energy = energy + (2.0 * PARTICLE_MASS_MEV[ELECTRON] if annihilates else 0.0)
    return _shower_packets(shower_energy, position, axis, time, medium, rng, params)


def _electron_track(pdg, energy, position, axis, time, medium, rng, params, *, annihilates: bool) -> tuple[Segments, bool]:
    electron = Particle(pdg=pdg, kinetic_energy_mev=energy, position_mm=position, direction=axis, time_ns=time)
    track = propagate_charged(electron, mass_mev=PARTICLE_MASS_MEV[ELECTRON], charge=-1 if pdg == ELECTRON else 1,
                              medium=medium, rng=rng, step_mm=params.step_mm)
    parts = [track.segments]
    if annihilates and not track.exited:
        # Annihilation gammas (2 x 0.511 MeV) deposited where the track ends (their ~10 cm
        # Compton range is neglected).
        annihilation = 2.0 * PARTICLE_MASS_MEV[ELECTRON]
        parts.append(point_deposit(track.end_position_mm, track.end_time_ns, annihilation,
                                   annihilation * _electron_birks_factor(medium, 0.5)))
    return Segments.concatenate(parts), track.exited


def _electron_birks_factor(medium: LiquidScintillator, kinetic_energy_mev: float) -> float:
    stopping = medium.stopping_power_mev_cm2_g(kinetic_energy_mev, mass_mev=PARTICLE_MASS_MEV[ELECTRON], charge=1)
    return float(medium.birks_factor(stopping))


def _shower_packets(energy, start, axis, time, medium, rng, params) -> tuple[Segments, bool]:
    """Split a shower of the given energy (MeV) into packets along the longitudinal profile."""
    x0_mm = medium.radiation_length_mm
    b = params.profile_b
    t_max = max(math.log(energy / params.critical_energy_mev) + params.profile_c_electron, 0.1)
    t_max *= max(1.0 + params.t_max_fluctuation * rng.standard_normal(), 0.2)
    shape = t_max * b + 1.0

    n_packets = int(np.clip(round(energy / params.energy_per_packet_mev), params.min_packets, params.max_packets))
    depth_mm = rng.gamma(shape, 1.0 / b, size=n_packets) * x0_mm

    # Lateral offsets: r^2 / (r^2 + R^2) is uniform, so r = R sqrt(u / (1 - u)), capped at 3.5 R_M.
    moliere_mm = x0_mm * params.scale_energy_mev / params.critical_energy_mev
    core_mm = moliere_mm / 3.0
    u = rng.uniform(0.0, 0.999, size=n_packets)
    radius_mm = np.minimum(core_mm * np.sqrt(u / (1.0 - u)), 3.5 * moliere_mm)
    phi = rng.uniform(0.0, 2.0 * np.pi, size=n_packets)
    first, second = _perpendicular_basis(axis)
    lateral = np.outer(radius_mm * np.cos(phi), first) + np.outer(radius_mm * np.sin(phi), second)
    positions = start + np.outer(depth_mm, axis) + lateral

    # Packet directions: Rayleigh-distributed angle around the axis, uniform azimuth.
    spread = math.radians(params.electron_angle_spread_deg)
    theta = np.minimum(rng.rayleigh(spread, size=n_packets), np.pi)
    phi_dir = rng.uniform(0.0, 2.0 * np.pi, size=n_packets)
    directions = (np.outer(np.cos(theta), axis) + np.outer(np.sin(theta) * np.cos(phi_dir), first)
                  + np.outer(np.sin(theta) * np.sin(phi_dir), second))

    edep = np.full(n_packets, energy / n_packets)
    mip_dedx_mev_per_mm = params.mip_stopping_power_mev_cm2_g * medium.density_g_cm3 / 10.0
    track_length_mm = edep / mip_dedx_mev_per_mm
    cherenkov_per_mm = float(medium.cherenkov_photons_per_mm(1.0))
    keep = np.linalg.norm(positions, axis=1) <= medium.radius_mm
    escaped = not keep.all()

    segments = Segments(
        x_mm=positions[keep, 0], y_mm=positions[keep, 1], z_mm=positions[keep, 2],
        t_ns=time + depth_mm[keep] / SPEED_OF_LIGHT_MM_PER_NS,
        ux=directions[keep, 0], uy=directions[keep, 1], uz=directions[keep, 2],
        length_mm=track_length_mm[keep], edep_mev=edep[keep],
        evis_mev=edep[keep] * float(medium.birks_factor(params.mip_stopping_power_mev_cm2_g)),
        n_cherenkov=cherenkov_per_mm * params.cherenkov_track_fraction * track_length_mm[keep],
        cos_cherenkov=np.full(int(keep.sum()), 1.0 / medium.refractive_index),
    )
    return segments, escaped


# ----------------------------------------------------------------------------- hadrons


def hadron_segments(
    particle: Particle, medium: LiquidScintillator, rng: np.random.Generator, params: ShowerParams = DEFAULT_PARAMS
) -> tuple[Segments, bool]:
    """Deposit a hadron (pi+-, pi0, p, n) or pass a neutrino; return (segments, whether a charged particle left the LS).

    Neutrons and neutrinos return no segments: neutron capture light is delayed by about 200 us,
    beyond the readout window. A pi0 decays at once into two gammas (isotropic in its rest frame).
    """
    return _hadron(particle, medium, rng, params, generation=0)


def _hadron(particle, medium, rng, params, *, generation: int) -> tuple[Segments, bool]:
    pdg = particle.pdg
    if pdg == NEUTRON or pdg in NEUTRINOS:
        return Segments.empty(), False
    if pdg == PI_ZERO:
        return _pi0_decay(particle, medium, rng, params)
    if pdg in EM_PARTICLES:
        return em_shower(particle, medium, rng, params)
    if pdg not in (PI_PLUS, PI_MINUS, PROTON):
        raise ValueError(f"hadron_segments: pdg {pdg} is not handled; expected 211, -211, 111, 2212, 2112 or a neutrino")
    return _charged_hadron(particle, medium, rng, params, generation=generation)


def _pi0_decay(particle, medium, rng, params) -> tuple[Segments, bool]:
    mass = PARTICLE_MASS_MEV[PI_ZERO]
    total_energy = particle.kinetic_energy_mev + mass
    momentum = math.sqrt(max(total_energy**2 - mass**2, 0.0))
    beta = momentum / total_energy * particle.direction
    gamma = total_energy / mass

    parts, escaped = [], False
    photon_direction = _isotropic(rng)
    for sign in (1.0, -1.0):
        rest = sign * 0.5 * mass * photon_direction
        beta_p = float(beta @ rest)
        beta2 = float(beta @ beta)
        energy = gamma * (0.5 * mass + beta_p)
        lab = rest + ((gamma - 1.0) * beta_p / beta2 + gamma * 0.5 * mass) * beta if beta2 > 0 else rest
        photon = Particle(pdg=GAMMA, kinetic_energy_mev=energy, position_mm=particle.position_mm,
                          direction=lab / np.linalg.norm(lab), time_ns=particle.time_ns)
        segments, photon_escaped = em_shower(photon, medium, rng, params)
        parts.append(segments)
        escaped |= photon_escaped
    return Segments.concatenate(parts), escaped


def _charged_hadron(particle, medium, rng, params, *, generation: int) -> tuple[Segments, bool]:
    """Step a charged pion or proton; truncate it at a nuclear interaction, or decay / capture it when it stops."""
    mass = PARTICLE_MASS_MEV[particle.pdg]
    charge = 1 if particle.pdg in (PI_PLUS, PROTON) else -1
    track = propagate_charged(particle, mass_mev=mass, charge=charge, medium=medium, rng=rng, step_mm=params.step_mm,
                              cutoff_energy_mev=params.hadron_cutoff_energy_mev)
    segments = track.segments

    interacts = particle.kinetic_energy_mev > params.min_interacting_energy_mev and generation < params.max_generations
    interaction_mm = rng.exponential(medium.nuclear_interaction_length_mm) if interacts else np.inf
    if interaction_mm < track.path_length_mm:
        # Keep the segments before the interaction point; the rest of the energy goes to the interaction.
        ends = np.cumsum(segments.length_mm)
        n_keep = int(np.searchsorted(ends, interaction_mm))
        kept = Segments(**{name: getattr(segments, name)[:n_keep] for name in _SEGMENT_FIELDS})
        remaining_mev = max(particle.kinetic_energy_mev - float(kept.edep_mev.sum()), 0.0)
        if n_keep > 0:
            last = n_keep - 1
            direction = np.array([kept.ux[last], kept.uy[last], kept.uz[last]])
            position = kept.position_mm()[last] + 0.5 * kept.length_mm[last] * direction
            time = float(kept.t_ns[last]) + 0.5 * kept.length_mm[last] / SPEED_OF_LIGHT_MM_PER_NS
        else:
            direction, position, time = particle.direction, particle.position_mm, particle.time_ns
        products, escaped = _hadronic_interaction(remaining_mev, position, direction, time, particle.pdg,
                                                  medium, rng, params, generation=generation)
        return Segments.concatenate([kept, products]), escaped

    if track.exited:
        return segments, True
    return Segments.concatenate([segments, _stopped_hadron(particle.pdg, track, medium, rng, params)]), False


_SEGMENT_FIELDS = ("x_mm", "y_mm", "z_mm", "t_ns", "ux", "uy", "uz", "length_mm", "edep_mev", "evis_mev",
                   "n_cherenkov", "cos_cherenkov")


def _hadronic_interaction(energy_mev, position, direction, time, pdg, medium, rng, params, *, generation):
    """Split the kinetic energy at a nuclear interaction into pi0 showers, a leading pion and a local deposit."""
    pi0_share = params.pi0_energy_share * rng.uniform(0.0, 2.0) if energy_mev > PARTICLE_MASS_MEV[PI_ZERO] else 0.0
    pi0_share = min(pi0_share, 0.9)
    leading_share = min(params.leading_pion_share * rng.uniform(0.5, 1.5), 1.0 - pi0_share)
    pi0_mev = pi0_share * energy_mev
    leading_mev = leading_share * energy_mev
    local_mev = energy_mev - pi0_mev - leading_mev

    parts, escaped = [], False
    if pi0_mev > 0.0:
        shower_direction = _smear(direction, math.radians(30.0), rng)
        gamma = Particle(pdg=GAMMA, kinetic_energy_mev=pi0_mev, position_mm=position, direction=shower_direction, time_ns=time)
        segments, shower_escaped = em_shower(gamma, medium, rng, params)
        parts.append(segments)
        escaped |= shower_escaped
    if leading_mev >= params.min_tracked_energy_mev:
        # The leading particle keeps the charge of a pion projectile; a proton projectile gives a proton.
        secondary_pdg = pdg if pdg in (PI_PLUS, PI_MINUS) else PROTON
        secondary = Particle(pdg=secondary_pdg, kinetic_energy_mev=leading_mev, position_mm=position,
                             direction=_smear(direction, math.radians(20.0), rng), time_ns=time)
        segments, secondary_escaped = _hadron(secondary, medium, rng, params, generation=generation + 1)
        parts.append(segments)
        escaped |= secondary_escaped
    else:
        local_mev += leading_mev
    parts.append(point_deposit(position, time, local_mev, local_mev * params.nuclear_visible_fraction))
    return Segments.concatenate(parts), escaped


def _stopped_hadron(pdg, track, medium, rng, params) -> Segments:
    """Deposits after a charged hadron stops: pi+ decays (mu+ then Michel e+), pi- is captured."""
    position, time = track.end_position_mm, track.end_time_ns
    if pdg == PI_MINUS:
        return point_deposit(position, time, PARTICLE_MASS_MEV[PI_PLUS], params.pion_capture_visible_mev)
    if pdg != PI_PLUS:
        return Segments.empty()

    muon_time = time + rng.exponential(params.pion_lifetime_ns)
    muon_energy = params.pion_decay_muon_kinetic_mev
    stopping = medium.stopping_power_mev_cm2_g(0.5 * muon_energy, mass_mev=MUON_MASS_MEV, charge=1)
    parts = [point_deposit(position, muon_time, muon_energy, muon_energy * float(medium.birks_factor(stopping)))]
    # The Michel positron often comes after the readout window; the detector's window decides.
    michel_time = muon_time + rng.exponential(params.muon_lifetime_ns)
    positron = Particle(pdg=POSITRON, kinetic_energy_mev=_michel_energy(rng, params), position_mm=position,
                        direction=_isotropic(rng), time_ns=michel_time)
    parts.append(em_shower(positron, medium, rng, params)[0])
    return Segments.concatenate(parts)


def stopped_muon_decay(pdg: int, position_mm: np.ndarray, time_ns: float, rng: np.random.Generator,
                       params: ShowerParams = DEFAULT_PARAMS) -> Particle | None:
    """Return the Michel electron (mu-) or positron (mu+) of a muon that stopped at position_mm at time_ns.

    A mu+ always decays, with the free mean life. A mu- decays with the mean life of muonic
    carbon, or is captured by the nucleus (None): the capture probability is the share of the
    free decay rate lost to capture, 1 - muon_minus_carbon_lifetime_ns / muon_lifetime_ns. The
    decay time often falls after the readout window; the detector's window decides.
    """
    if pdg not in (13, -13):
        raise ValueError(f"stopped_muon_decay: pdg {pdg} is not a muon (13 or -13)")
    if pdg == -13:
        lifetime, electron_pdg = params.muon_lifetime_ns, POSITRON
    else:
        lifetime, electron_pdg = params.muon_minus_carbon_lifetime_ns, ELECTRON
        capture_probability = 1.0 - params.muon_minus_carbon_lifetime_ns / params.muon_lifetime_ns
        if rng.uniform() < capture_probability:
            return None
    decay_time = time_ns + rng.exponential(lifetime)
    return Particle(pdg=electron_pdg, kinetic_energy_mev=_michel_energy(rng, params), position_mm=np.asarray(position_mm, dtype=float),
                    direction=_isotropic(rng), time_ns=decay_time)


def _michel_energy(rng: np.random.Generator, params: ShowerParams) -> float:
    """Draw a Michel positron energy from x^2 (3 - 2x), x = E / endpoint, by rejection."""
    while True:
        x = rng.uniform()
        if rng.uniform() <= x * x * (3.0 - 2.0 * x):
            return x * params.michel_endpoint_mev


def _smear(direction: np.ndarray, spread_rad: float, rng: np.random.Generator) -> np.ndarray:
    """Turn a unit vector by a Rayleigh-distributed angle of the given scale, uniform azimuth."""
    first, second = _perpendicular_basis(direction)
    theta = min(rng.rayleigh(spread_rad), np.pi)
    phi = rng.uniform(0.0, 2.0 * np.pi)
    out = math.cos(theta) * direction + math.sin(theta) * (math.cos(phi) * first + math.sin(phi) * second)
    return out / np.linalg.norm(out)
