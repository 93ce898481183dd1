"""Final states of neutrino-nucleon interactions: QE, Delta resonance and DIS, CC and NC.

Every function works with four-momenta [E, px, py, pz] in GeV, with the neutrino along +z, and
returns a FinalState whose particles carry the four-momentum of the neutrino plus the struck
nucleon exactly (to rounding). A bound nucleon has a Fermi-gas momentum and the off-shell energy
sqrt(M^2 + p^2) - E_b, so the missing binding energy and Fermi momentum are those of the
unsimulated nuclear remnant.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from junoml.detector.particles import PARTICLE_MASS_MEV
from junoml.generator.xsec import (
    MODE_DIS,
    MODE_QE,
    MODE_RES,
    PROTON_FREE,
    NEUTRON_BOUND,
    Channel,
    CrossSectionParams,
    lepton_mass_gev,
    llewellyn_smith_dsigma_dq2,
)

PROTON, NEUTRON, PI_PLUS, PI_MINUS, PI_ZERO = 2212, 2112, 211, -211, 111
MASS_GEV = {pdg: mass / 1000.0 for pdg, mass in PARTICLE_MASS_MEV.items()}
MASS_GEV.update({12: 0.0, -12: 0.0, 14: 0.0, -14: 0.0, 16: 0.0, -16: 0.0, 15: 1.77686, -15: 1.77686})
NUCLEON_CHARGE = {PROTON: 1, NEUTRON: 0}
PION_BY_CHARGE = {1: PI_PLUS, 0: PI_ZERO, -1: PI_MINUS}


@dataclass(frozen=True)
class KinematicsParams:
    """Constants of the final-state models, with sources."""

    # Delta(1232) Breit-Wigner mass and full width (PDG 2024).
    delta_mass_gev: float = 1.232
    delta_width_gev: float = 0.117
    # Axial mass of the dipole shape used for the Q^2 of Delta production (Rein and Sehgal,
    # Ann. Phys. 133 (1981) 79, use a dipole; the value is an estimate).
    res_axial_mass_gev: float = 1.12
    # Parton x distribution of DIS, Beta(1.5, 4): a valence-like shape peaking near x = 0.15
    # (estimate).
    dis_x_beta: tuple[float, float] = (1.5, 4.0)
    # Antiquark to quark momentum fraction Qbar/Q = 0.2, which reproduces the anti-nu/nu CC ratio
    # 0.334/0.677 of the PDG slopes with dsigma/dy ~ Q + Qbar (1 - y)^2 (estimate).
    antiquark_fraction: float = 0.2
    # Mean charged-hadron multiplicity <n_ch> = a + b ln(W^2 / GeV^2) of the AGKY model (Yang et
    # al., Eur. Phys. J. C 63 (2009) 1; to verify), averaged over proton and neutron targets, and
    # the ratio of all hadrons to charged hadrons, 1.5 (same source).
    multiplicity_a_nu: float = 0.10
    multiplicity_b_nu: float = 1.42
    multiplicity_a_nubar: float = 0.41
    multiplicity_b_nubar: float = 1.12
    hadrons_per_charged_hadron: float = 1.5
    # Attempts to find allowed kinematics (Pauli blocking, cuts) before the channel is redrawn.
    max_attempts: int = 50


@dataclass
class FinalState:
    """Outcome of one interaction with the neutrino along +z; four-momenta in GeV."""

    neutrino: np.ndarray
    initial_nucleon_pdg: int
    initial_nucleon: np.ndarray
    lepton_pdg: int
    particles: list[tuple[int, np.ndarray]] = field(default_factory=list)
    q2_gev2: float = 0.0
    w_gev: float = 0.0
    y: float = 0.0

    @property
    def lepton(self) -> np.ndarray:
        """Four-momentum of the outgoing lepton, the first particle."""
        return self.particles[0][1]

    def momentum_imbalance(self) -> np.ndarray:
        """Return (sum of final four-momenta) - (neutrino + struck nucleon), in GeV."""
        final = np.sum([p4 for _, p4 in self.particles], axis=0)
        return final - self.neutrino - self.initial_nucleon


class KinematicsRejected(Exception):
    """The sampled initial state cannot produce the requested channel (below threshold)."""


# ----------------------------------------------------------------------------- four-vectors


def invariant_mass(p4: np.ndarray) -> float:
    return math.sqrt(max(p4[0] ** 2 - p4[1] ** 2 - p4[2] ** 2 - p4[3] ** 2, 0.0))


def boost(p4: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Return p4 seen from a frame in which its original frame moves with velocity beta."""
    beta2 = float(beta @ beta)
    if beta2 <= 0.0:
        return p4.copy()
    gamma = 1.0 / math.sqrt(1.0 - beta2)
    beta_p = float(beta @ p4[1:])
    momentum = p4[1:] + ((gamma - 1.0) * beta_p / beta2 + gamma * p4[0]) * beta
    return np.concatenate([[gamma * (p4[0] + beta_p)], momentum])


def velocity(p4: np.ndarray) -> np.ndarray:
    return p4[1:] / p4[0]


def two_body_momentum(mass: float, mass_1: float, mass_2: float) -> float:
    """Return the momentum of either product of a two-body decay at rest, NaN when forbidden."""
    if mass < mass_1 + mass_2:
        return float("nan")
    return math.sqrt((mass**2 - (mass_1 + mass_2) ** 2) * (mass**2 - (mass_1 - mass_2) ** 2)) / (2.0 * mass)


def direction_around(axis: np.ndarray, cos_theta: float, phi: float) -> np.ndarray:
    """Return the unit vector at polar angle arccos(cos_theta) and azimuth phi around axis."""
    axis = axis / np.linalg.norm(axis)
    helper = np.array([1.0, 0.0, 0.0]) if abs(axis[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    first = np.cross(axis, helper)
    first /= np.linalg.norm(first)
    second = np.cross(axis, first)
    sin_theta = math.sqrt(max(0.0, 1.0 - cos_theta**2))
    return cos_theta * axis + sin_theta * (math.cos(phi) * first + math.sin(phi) * second)


def isotropic_direction(rng: np.random.Generator) -> np.ndarray:
    cos_theta = rng.uniform(-1.0, 1.0)
    phi = rng.uniform(0.0, 2.0 * np.pi)
    sin_theta = math.sqrt(1.0 - cos_theta**2)
    return np.array([sin_theta * math.cos(phi), sin_theta * math.sin(phi), cos_theta])


def decay_isotropic(parent: np.ndarray, mass_1: float, mass_2: float, rng: np.random.Generator):
    """Decay a four-momentum into two masses, isotropic in its rest frame; return both lab four-momenta."""
    mass = invariant_mass(parent)
    momentum = two_body_momentum(mass, mass_1, mass_2)
    if not math.isfinite(momentum):
        raise KinematicsRejected(f"mass {mass:.4f} GeV cannot decay into {mass_1:.4f} + {mass_2:.4f} GeV")
    direction = isotropic_direction(rng)
    first = np.concatenate([[math.hypot(momentum, mass_1)], momentum * direction])
    second = np.concatenate([[math.hypot(momentum, mass_2)], -momentum * direction])
    beta = velocity(parent)
    return boost(first, beta), boost(second, beta)


# ----------------------------------------------------------------------------- initial state


def sample_initial_nucleon(target: str, params: CrossSectionParams, rng: np.random.Generator) -> tuple[int, np.ndarray]:
    """Return (pdg, four-momentum) of the struck nucleon: Fermi gas in carbon, or a free proton at rest."""
    pdg = NEUTRON if target == NEUTRON_BOUND else PROTON
    mass = MASS_GEV[pdg]
    if target == PROTON_FREE:
        return pdg, np.array([mass, 0.0, 0.0, 0.0])
    momentum = params.fermi_momentum_gev * rng.uniform() ** (1.0 / 3.0)
    energy = math.hypot(mass, momentum) - params.binding_energy_gev
    return pdg, np.concatenate([[energy], momentum * isotropic_direction(rng)])


def outgoing_lepton_pdg(neutrino_pdg: int, is_cc: bool) -> int:
    """Return the charged lepton of a CC interaction (l- for nu, l+ for anti-nu) or the neutrino for NC."""
    if not is_cc:
        return neutrino_pdg
    lepton = abs(neutrino_pdg) - 1
    return lepton if neutrino_pdg > 0 else -lepton


def hadronic_charge_change(neutrino_pdg: int, is_cc: bool) -> int:
    """Return the charge the hadronic system gains: +1 (nu CC), -1 (anti-nu CC), 0 (NC)."""
    if not is_cc:
        return 0
    return 1 if neutrino_pdg > 0 else -1


def sample_from_density(grid: np.ndarray, density: np.ndarray, rng: np.random.Generator) -> float:
    """Draw one value from a density tabulated on a grid (trapezoid cumulative, linear inverse)."""
    density = np.maximum(density, 0.0)
    cumulative = np.concatenate([[0.0], np.cumsum(0.5 * (density[1:] + density[:-1]) * np.diff(grid))])
    if cumulative[-1] <= 0.0:
        return float(rng.uniform(grid[0], grid[-1]))
    return float(np.interp(rng.uniform() * cumulative[-1], cumulative, grid))


# ----------------------------------------------------------------------------- two-body scattering


def scatter_two_body(neutrino, nucleon, lepton_mass, recoil_mass, q2_density, rng):
    """Scatter neutrino + nucleon into a lepton and one recoil of fixed mass.

    q2_density(rest_energy_gev, q2_grid) gives the relative density of Q^2, where rest_energy_gev is
    the neutrino energy in the struck nucleon's rest frame. Returns (lepton, recoil, Q^2).
    """
    total = neutrino + nucleon
    sqrt_s = invariant_mass(total)
    if sqrt_s <= lepton_mass + recoil_mass:
        raise KinematicsRejected(f"sqrt(s) = {sqrt_s:.4f} GeV below {lepton_mass + recoil_mass:.4f} GeV")
    beta = velocity(total)
    neutrino_cm = boost(neutrino, -beta)
    incoming = float(np.linalg.norm(neutrino_cm[1:]))
    lepton_energy = (sqrt_s**2 + lepton_mass**2 - recoil_mass**2) / (2.0 * sqrt_s)
    lepton_momentum = math.sqrt(max(lepton_energy**2 - lepton_mass**2, 0.0))

    base = -(lepton_mass**2) + 2.0 * incoming * lepton_energy
    q2_grid = np.linspace(max(base - 2.0 * incoming * lepton_momentum, 0.0), base + 2.0 * incoming * lepton_momentum, 64)
    nucleon_mass = invariant_mass(nucleon)
    rest_energy = float(neutrino[0] * nucleon[0] - neutrino[1:] @ nucleon[1:]) / nucleon_mass
    q2 = sample_from_density(q2_grid, q2_density(rest_energy, q2_grid), rng)

    cos_theta = float(np.clip((base - q2) / (2.0 * incoming * lepton_momentum), -1.0, 1.0)) if lepton_momentum > 0 else 1.0
    direction = direction_around(neutrino_cm[1:], cos_theta, rng.uniform(0.0, 2.0 * np.pi))
    lepton_cm = np.concatenate([[lepton_energy], lepton_momentum * direction])
    recoil_cm = np.concatenate([[sqrt_s - lepton_energy], -lepton_momentum * direction])
    return boost(lepton_cm, beta), boost(recoil_cm, beta), q2


# ----------------------------------------------------------------------------- modes


def quasi_elastic(neutrino_pdg, energy_gev, channel, xsec_params, kin_params, rng) -> FinalState:
    """CCQE (nu n -> l- p, anti-nu p -> l+ n) or NC elastic, Llewellyn Smith Q^2, Pauli blocking by rejection."""
    lepton_pdg = outgoing_lepton_pdg(neutrino_pdg, channel.is_cc)
    lepton_mass = MASS_GEV[lepton_pdg] if channel.is_cc else 0.0
    anti = neutrino_pdg < 0

    def q2_density(rest_energy, q2_grid):
        return llewellyn_smith_dsigma_dq2(rest_energy, q2_grid, antineutrino=anti, lepton_mass=lepton_mass, params=xsec_params)

    neutrino = np.array([energy_gev, 0.0, 0.0, energy_gev])
    bound = channel.target != PROTON_FREE
    for _ in range(kin_params.max_attempts):
        nucleon_pdg, nucleon = sample_initial_nucleon(channel.target, xsec_params, rng)
        charge = NUCLEON_CHARGE[nucleon_pdg] + hadronic_charge_change(neutrino_pdg, channel.is_cc)
        if charge not in (0, 1):
            raise ValueError(f"channel {channel} of pdg {neutrino_pdg} has no QE final state on pdg {nucleon_pdg}")
        recoil_pdg = PROTON if charge == 1 else NEUTRON
        try:
            lepton, recoil, q2 = scatter_two_body(neutrino, nucleon, lepton_mass, MASS_GEV[recoil_pdg], q2_density, rng)
        except KinematicsRejected:
            continue
        # Pauli blocking: the recoil must leave the Fermi sea.
        if bound and np.linalg.norm(recoil[1:]) < xsec_params.fermi_momentum_gev:
            continue
        return FinalState(neutrino, nucleon_pdg, nucleon, lepton_pdg, [(lepton_pdg, lepton), (recoil_pdg, recoil)],
                          q2_gev2=q2, w_gev=MASS_GEV[recoil_pdg], y=_inelasticity(neutrino, lepton, nucleon))
    raise KinematicsRejected(f"no allowed QE kinematics at E = {energy_gev} GeV after {kin_params.max_attempts} attempts")


def _inelasticity(neutrino, lepton, nucleon) -> float:
    """Return y = (P . q) / (P . k), the energy fraction transferred in the nucleon rest frame."""
    transfer = neutrino - lepton

    def dot(a, b):
        return float(a[0] * b[0] - a[1:] @ b[1:])

    return dot(nucleon, transfer) / dot(nucleon, neutrino)


# Delta decays by isospin: (Delta charge) -> [(probability, nucleon, pion)], Clebsch-Gordan 2/3, 1/3.
DELTA_DECAYS = {
    2: [(1.0, PROTON, PI_PLUS)],
    1: [(2.0 / 3.0, PROTON, PI_ZERO), (1.0 / 3.0, NEUTRON, PI_PLUS)],
    0: [(2.0 / 3.0, NEUTRON, PI_ZERO), (1.0 / 3.0, PROTON, PI_MINUS)],
    -1: [(1.0, NEUTRON, PI_MINUS)],
}


def delta_resonance(neutrino_pdg, energy_gev, channel, xsec_params, kin_params, rng) -> FinalState:
    """Single-pion production through Delta(1232): nu N -> l Delta, Delta -> N pi (isotropic decay)."""
    lepton_pdg = outgoing_lepton_pdg(neutrino_pdg, channel.is_cc)
    lepton_mass = MASS_GEV[lepton_pdg] if channel.is_cc else 0.0
    neutrino = np.array([energy_gev, 0.0, 0.0, energy_gev])
    axial_mass2 = kin_params.res_axial_mass_gev**2

    def q2_density(rest_energy, q2_grid):
        return 1.0 / (1.0 + q2_grid / axial_mass2) ** 4

    for _ in range(kin_params.max_attempts):
        nucleon_pdg, nucleon = sample_initial_nucleon(channel.target, xsec_params, rng)
        delta_charge = NUCLEON_CHARGE[nucleon_pdg] + hadronic_charge_change(neutrino_pdg, channel.is_cc)
        sqrt_s = invariant_mass(neutrino + nucleon)
        w_min = MASS_GEV[PROTON] + MASS_GEV[PI_PLUS] + 1e-3
        w_max = sqrt_s - lepton_mass - 1e-6
        if w_max <= w_min:
            continue
        w = _sample_breit_wigner(kin_params.delta_mass_gev, kin_params.delta_width_gev, w_min, w_max, rng)

        decays = DELTA_DECAYS[delta_charge]
        pick = rng.choice(len(decays), p=[probability for probability, _, _ in decays])
        _, nucleon_out, pion_out = decays[pick]
        if w <= MASS_GEV[nucleon_out] + MASS_GEV[pion_out]:
            continue
        lepton, delta, q2 = scatter_two_body(neutrino, nucleon, lepton_mass, w, q2_density, rng)
        nucleon_p4, pion_p4 = decay_isotropic(delta, MASS_GEV[nucleon_out], MASS_GEV[pion_out], rng)
        particles = [(lepton_pdg, lepton), (nucleon_out, nucleon_p4), (pion_out, pion_p4)]
        return FinalState(neutrino, nucleon_pdg, nucleon, lepton_pdg, particles, q2_gev2=q2, w_gev=w,
                          y=_inelasticity(neutrino, lepton, nucleon))
    raise KinematicsRejected(f"no allowed Delta kinematics at E = {energy_gev} GeV after {kin_params.max_attempts} attempts")


def _sample_breit_wigner(mass: float, width: float, low: float, high: float, rng: np.random.Generator) -> float:
    """Draw from a non-relativistic Breit-Wigner truncated to [low, high] by inverse CDF."""
    low_cdf = math.atan(2.0 * (low - mass) / width)
    high_cdf = math.atan(2.0 * (high - mass) / width)
    return mass + 0.5 * width * math.tan(rng.uniform(low_cdf, high_cdf))


def deep_inelastic(neutrino_pdg, energy_gev, channel, xsec_params, kin_params, rng) -> FinalState:
    """DIS with x from a valence-like shape, y from Q + Qbar (1 - y)^2 and W above dis_min_w_gev.

    The hadronic system (mass W) contains one nucleon and pions, with charge conservation. Its
    multiplicity follows the AGKY mean. It breaks up by sequential isotropic two-body decays, an
    approximation of phase space and not a fragmentation model.
    """
    lepton_pdg = outgoing_lepton_pdg(neutrino_pdg, channel.is_cc)
    lepton_mass = MASS_GEV[lepton_pdg] if channel.is_cc else 0.0
    anti = neutrino_pdg < 0
    neutrino = np.array([energy_gev, 0.0, 0.0, energy_gev])
    # Probability of the flat-y term: quark for nu, antiquark for anti-nu; the other term
    # is (1 - y)^2, which integrates to 1/3.
    qbar = kin_params.antiquark_fraction
    flat_share = (1.0 / (1.0 + qbar / 3.0)) if not anti else (qbar / (qbar + 1.0 / 3.0))

    for _ in range(kin_params.max_attempts):
        nucleon_pdg, nucleon = sample_initial_nucleon(channel.target, xsec_params, rng)
        nucleon_mass = invariant_mass(nucleon)
        beta = velocity(nucleon)
        neutrino_rest = boost(neutrino, -beta)
        rest_energy = neutrino_rest[0]

        # Vectorised candidates of (x, y); keep the first that passes every cut.
        n_candidates = 128
        x = rng.beta(*kin_params.dis_x_beta, size=n_candidates)
        flat = rng.uniform(size=n_candidates) < flat_share
        u = rng.uniform(size=n_candidates)
        y = np.where(flat, u, 1.0 - np.cbrt(u))
        transfer = y * rest_energy
        q2 = 2.0 * nucleon_mass * rest_energy * x * y
        w2 = nucleon_mass**2 + 2.0 * nucleon_mass * transfer - q2
        lepton_energy = rest_energy - transfer
        lepton_momentum = np.sqrt(np.maximum(lepton_energy**2 - lepton_mass**2, 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            cos_theta = (2.0 * rest_energy * lepton_energy - q2 - lepton_mass**2) / (2.0 * rest_energy * lepton_momentum)
        good = (w2 > xsec_params.dis_min_w_gev**2) & (lepton_energy > lepton_mass) & (np.abs(cos_theta) <= 1.0)
        if not good.any():
            continue
        k = int(np.argmax(good))

        direction = direction_around(neutrino_rest[1:], float(cos_theta[k]), rng.uniform(0.0, 2.0 * np.pi))
        lepton_rest = np.concatenate([[lepton_energy[k]], lepton_momentum[k] * direction])
        nucleon_rest = np.array([nucleon_mass, 0.0, 0.0, 0.0])
        hadronic_rest = neutrino_rest + nucleon_rest - lepton_rest
        hadronic_charge = NUCLEON_CHARGE[nucleon_pdg] + hadronic_charge_change(neutrino_pdg, channel.is_cc)
        hadrons = fragment_hadronic_system(hadronic_rest, hadronic_charge, anti, kin_params, rng)

        lepton = boost(lepton_rest, beta)
        particles = [(lepton_pdg, lepton)] + [(pdg, boost(p4, beta)) for pdg, p4 in hadrons]
        return FinalState(neutrino, nucleon_pdg, nucleon, lepton_pdg, particles, q2_gev2=float(q2[k]),
                          w_gev=float(math.sqrt(w2[k])), y=float(y[k]))
    raise KinematicsRejected(f"no allowed DIS kinematics at E = {energy_gev} GeV after {kin_params.max_attempts} attempts")


def mean_hadron_multiplicity(w_gev: float, antineutrino: bool, params: KinematicsParams) -> float:
    """Return the mean number of hadrons (charged and neutral) at hadronic mass W (AGKY mean x 1.5)."""
    a, b = ((params.multiplicity_a_nubar, params.multiplicity_b_nubar) if antineutrino
            else (params.multiplicity_a_nu, params.multiplicity_b_nu))
    charged = max(a + b * math.log(w_gev**2), 1.0)
    return params.hadrons_per_charged_hadron * charged


def fragment_hadronic_system(hadronic, charge, antineutrino, params, rng) -> list[tuple[int, np.ndarray]]:
    """Break a hadronic four-momentum into one nucleon and pions with the given total charge."""
    w = invariant_mass(hadronic)
    n_hadrons = max(2, int(rng.poisson(mean_hadron_multiplicity(w, antineutrino, params))))
    # Fewer hadrons when their masses do not fit into W (pions at the charged mass, the heaviest).
    max_pions = int((w - MASS_GEV[NEUTRON]) / MASS_GEV[PI_PLUS])
    n_pions = max(1, min(n_hadrons - 1, max_pions))

    # Nucleon: proton or neutron, forced where the pions alone cannot carry the charge.
    nucleon_charge = int(rng.integers(0, 2))
    if abs(charge - nucleon_charge) > n_pions:
        nucleon_charge = 1 - nucleon_charge
    pion_charges = rng.integers(-1, 2, size=n_pions)
    target = charge - nucleon_charge
    while pion_charges.sum() != target:
        step = 1 if pion_charges.sum() < target else -1
        movable = np.flatnonzero(pion_charges != step)
        pion_charges[rng.choice(movable)] += step

    pdgs = [PROTON if nucleon_charge == 1 else NEUTRON] + [PION_BY_CHARGE[int(c)] for c in pion_charges]
    order = rng.permutation(len(pdgs))
    pdgs = [pdgs[i] for i in order]
    return list(zip(pdgs, sequential_decay(hadronic, [MASS_GEV[pdg] for pdg in pdgs], rng)))


def sequential_decay(parent: np.ndarray, masses: list[float], rng: np.random.Generator) -> list[np.ndarray]:
    """Split a four-momentum into particles of the given masses by a chain of isotropic two-body decays.

    Intermediate masses are drawn as in the Raubold-Lynch (GENBOD) method, without the phase-space
    weight, so the result is close to but not exactly n-body phase space.
    """
    total_mass = invariant_mass(parent)
    masses = list(masses)
    kinetic = total_mass - sum(masses)
    if kinetic <= 0:
        raise KinematicsRejected(f"hadronic mass {total_mass:.4f} GeV below the sum of masses {sum(masses):.4f} GeV")
    cuts = np.sort(rng.uniform(size=len(masses) - 2))
    # Invariant mass of the first i+1 particles, for i = 1 .. n-2, then the parent.
    partial = [sum(masses[: i + 2]) + cuts[i] * kinetic for i in range(len(masses) - 2)] + [total_mass]

    products: list[np.ndarray] = []
    current = parent
    for i in range(len(masses) - 1, 0, -1):
        rest_mass = partial[i - 2] if i >= 2 else masses[0]
        rest, last = decay_isotropic(current, rest_mass, masses[i], rng)
        products.append(last)
        current = rest
    products.append(current)
    return products[::-1]


MODE_FUNCTIONS = {MODE_QE: quasi_elastic, MODE_RES: delta_resonance, MODE_DIS: deep_inelastic}


def generate_final_state(
    neutrino_pdg: int,
    energy_gev: float,
    channel: Channel,
    rng: np.random.Generator,
    *,
    xsec_params: CrossSectionParams,
    kin_params: KinematicsParams,
) -> FinalState:
    """Generate the final state of one channel with the neutrino along +z.

    Raises KinematicsRejected when the channel cannot be made at this energy after the allowed
    attempts; the caller then draws another channel.
    """
    lepton_mass_gev(neutrino_pdg)  # validates the pdg
    return MODE_FUNCTIONS[channel.mode](neutrino_pdg, float(energy_gev), channel, xsec_params, kin_params, rng)
