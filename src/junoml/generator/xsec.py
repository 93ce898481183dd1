"""Neutrino-nucleon cross sections on the liquid scintillator (LAB, about CH1.7), split by channel.

A channel is a triple (current, mode, target nucleon). The current is CC or NC. The mode is
quasi-elastic (QE), resonance (RES) or deep-inelastic (DIS). The target is a proton or a neutron
bound in carbon, or a free proton of the hydrogen.
QE follows Llewellyn Smith (Phys. Rep. 3 (1972) 261) with dipole form factors and, for bound
nucleons, the Fermi-gas Pauli suppression factor. RES and DIS are parametrisations whose
constants are listed in CrossSectionParams with their sources. Cross sections are in cm^2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

# Masses in GeV (PDG 2024).
PROTON_MASS_GEV = 0.93827208816
NEUTRON_MASS_GEV = 0.93956542052
NUCLEON_MASS_GEV = 0.5 * (PROTON_MASS_GEV + NEUTRON_MASS_GEV)
CHARGED_PION_MASS_GEV = 0.13957039
LEPTON_MASS_GEV = {12: 0.00051099895, 14: 0.1056583755, 16: 1.77686}
# Fermi constant (GeV^-2), cos of the Cabibbo angle (|V_ud|) and (hbar c)^2 in cm^2 GeV^2 (PDG 2024).
FERMI_CONSTANT_GEV2 = 1.1663788e-5
COS_CABIBBO = 0.97373
HBARC2_CM2_GEV2 = 0.389379372e-27
# Anomalous magnetic moments: mu_p - mu_n - 1 = 3.706 (PDG 2024).
ISOVECTOR_ANOMALOUS_MOMENT = 1.7928473 + 1.9130427

PROTON_BOUND, NEUTRON_BOUND, PROTON_FREE = "p_bound", "n_bound", "p_free"
TARGETS = (PROTON_BOUND, NEUTRON_BOUND, PROTON_FREE)
MODE_QE, MODE_RES, MODE_DIS = 1, 2, 3
MODES = (MODE_QE, MODE_RES, MODE_DIS)


@dataclass(frozen=True)
class CrossSectionParams:
    """Constants of the cross-section model, with units in the names and the source of each value."""

    # Axial mass of the dipole axial form factor: world average from neutrino-deuterium data,
    # 1.026 +- 0.021 GeV (Bernard, Elouadrhiri and Meissner, J. Phys. G 28 (2002) R1).
    axial_mass_gev: float = 1.026
    # Axial coupling g_A (PDG 2024, 1.2754).
    axial_coupling: float = 1.2754
    # Vector dipole mass squared, 0.71 GeV^2 (dipole fit to electron scattering, as used by
    # Llewellyn Smith 1972).
    vector_mass_sq_gev2: float = 0.71
    # Fermi gas of carbon: k_F = 221 MeV/c and binding energy 25 MeV (Moniz et al., Phys. Rev.
    # Lett. 26 (1971) 445).
    fermi_momentum_gev: float = 0.221
    binding_energy_gev: float = 0.025
    # LAB is about C18H30, i.e. CH1.67; CH1.7 is used (estimate).
    hydrogen_per_carbon: float = 1.7
    # Isoscalar CC single-pion (RES) cross section per nucleon above about 3 GeV, read off the
    # compilation figures of Formaggio and Zeller, Rev. Mod. Phys. 84 (2012) 1307 (estimate).
    res_plateau_nu_cm2: float = 0.65e-38
    res_plateau_nubar_cm2: float = 0.30e-38
    # RES rises with this power above the energy that makes this hadronic mass, which lies
    # between the N pi threshold (1.08 GeV) and the Delta peak (1.232 GeV). Both are estimates,
    # chosen so that QE is about 80% of nu_mu CC at 0.5 GeV, as in the Formaggio and Zeller figures.
    res_threshold_w_gev: float = 1.15
    res_turn_on_power: float = 1.5
    # Asymptotic CC slopes sigma/E per isoscalar nucleon: 0.677 and 0.334 x 1e-38 cm^2/GeV
    # (PDG, Neutrino cross-section measurements; Formaggio and Zeller 2012), here assigned to DIS.
    dis_slope_nu_cm2_per_gev: float = 0.677e-38
    dis_slope_nubar_cm2_per_gev: float = 0.334e-38
    # DIS starts above this hadronic invariant mass, and the Delta region lies below it (estimate).
    dis_min_w_gev: float = 1.4
    # Turn-on exponents of DIS above its threshold: anti-neutrinos rise more slowly because
    # their (1 - y)^2 valence term suppresses large hadronic masses (estimate).
    dis_turn_on_power_nu: float = 1.5
    dis_turn_on_power_nubar: float = 2.0
    # NC/CC ratios per isoscalar nucleon, 0.30 (nu) and 0.37 (anti-nu) (PDG; to verify),
    # applied mode by mode to the CC cross section with a massless lepton.
    nc_to_cc_nu: float = 0.30
    nc_to_cc_nubar: float = 0.37

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not (isinstance(value, float | int) and value >= 0 and math.isfinite(value)):
                raise ValueError(f"CrossSectionParams.{name} must be a finite non-negative number, got {value!r}")
        if self.axial_mass_gev <= 0 or self.fermi_momentum_gev <= 0:
            raise ValueError(
                f"axial_mass_gev and fermi_momentum_gev must be positive, got {self.axial_mass_gev} "
                f"and {self.fermi_momentum_gev}"
            )

    @classmethod
    def from_config(cls, section: dict | None) -> CrossSectionParams:
        """Build the parameters from `samples.atmospheric.cross_sections` (absent keys keep defaults)."""
        section = dict(section or {})
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(section) - known)
        if unknown:
            raise ValueError(f"samples.atmospheric.cross_sections has unknown keys {unknown}; known keys: {sorted(known)}")
        return cls(**{key: float(value) for key, value in section.items()})


class Channel(NamedTuple):
    """One interaction channel of a given neutrino."""

    is_cc: bool
    mode: int
    target: str


CHANNELS: tuple[Channel, ...] = tuple(
    Channel(is_cc, mode, target) for is_cc in (True, False) for mode in MODES for target in TARGETS
)


def is_antineutrino(pdg: int) -> bool:
    return pdg < 0


def lepton_mass_gev(pdg: int) -> float:
    """Return the mass of the charged lepton of a neutrino's flavour."""
    try:
        return LEPTON_MASS_GEV[abs(pdg)]
    except KeyError:
        raise ValueError(f"pdg {pdg} is not a neutrino; expected +-12, +-14 or +-16") from None


def pauli_suppression(momentum_transfer_gev, fermi_momentum_gev: float) -> np.ndarray:
    """Return the Fermi-gas Pauli suppression factor of quasi-elastic scattering at three-momentum transfer |q|.

    R = (3/4)(|q|/k_F) - (1/16)(|q|/k_F)^3 for |q| < 2 k_F, else 1 (Llewellyn Smith 1972).
    """
    ratio = np.asarray(momentum_transfer_gev, dtype=float) / fermi_momentum_gev
    return np.where(ratio < 2.0, 0.75 * ratio - ratio**3 / 16.0, 1.0)


def qe_q2_limits_gev2(energy_gev, lepton_mass: float, nucleon_mass: float = NUCLEON_MASS_GEV):
    """Return (Q^2 min, Q^2 max) in GeV^2 of QE scattering on a nucleon at rest, NaN below threshold."""
    energy = np.asarray(energy_gev, dtype=float)
    s = nucleon_mass**2 + 2.0 * nucleon_mass * energy
    sqrt_s = np.sqrt(s)
    incoming = (s - nucleon_mass**2) / (2.0 * sqrt_s)
    lepton_energy = (s + lepton_mass**2 - nucleon_mass**2) / (2.0 * sqrt_s)
    with np.errstate(invalid="ignore"):
        lepton_momentum = np.sqrt(lepton_energy**2 - lepton_mass**2)
    base = -(lepton_mass**2) + 2.0 * incoming * lepton_energy
    # Rounding can push Q^2 min of a light lepton slightly below zero.
    return np.maximum(base - 2.0 * incoming * lepton_momentum, 0.0), base + 2.0 * incoming * lepton_momentum


def llewellyn_smith_dsigma_dq2(
    energy_gev, q2_gev2, *, antineutrino: bool, lepton_mass: float, params: CrossSectionParams
) -> np.ndarray:
    """Return the CCQE dsigma/dQ^2 in cm^2/GeV^2 on a free nucleon at rest (Llewellyn Smith 1972).

    Dipole vector form factors (G_E^V = G_D, G_M^V = (1 + mu_p - mu_n) G_D), dipole axial form
    factor with params.axial_mass_gev and the pseudoscalar form factor from PCAC. Inputs broadcast.
    """
    energy = np.asarray(energy_gev, dtype=float)
    q2 = np.asarray(q2_gev2, dtype=float)
    mass = NUCLEON_MASS_GEV
    m2 = lepton_mass**2
    tau = q2 / (4.0 * mass**2)

    dipole = 1.0 / (1.0 + q2 / params.vector_mass_sq_gev2) ** 2
    electric = dipole
    magnetic = (1.0 + ISOVECTOR_ANOMALOUS_MOMENT) * dipole
    f1 = (electric + tau * magnetic) / (1.0 + tau)
    f2 = (magnetic - electric) / (1.0 + tau)  # includes the factor xi = mu_p - mu_n - 1
    fa = params.axial_coupling / (1.0 + q2 / params.axial_mass_gev**2) ** 2
    fp = 2.0 * mass**2 * fa / (CHARGED_PION_MASS_GEV**2 + q2)

    a = (m2 + q2) / mass**2 * (
        (1.0 + tau) * fa**2
        - (1.0 - tau) * f1**2
        + tau * (1.0 - tau) * f2**2
        + 4.0 * tau * f1 * f2
        - m2 / (4.0 * mass**2) * ((f1 + f2) ** 2 + (fa + 2.0 * fp) ** 2 - (q2 / mass**2 + 4.0) * fp**2)
    )
    b = q2 / mass**2 * fa * (f1 + f2)
    c = 0.25 * (fa**2 + f1**2 + tau * f2**2)
    s_minus_u = 4.0 * mass * energy - q2 - m2
    sign = -1.0 if antineutrino else 1.0

    prefactor = mass**2 * FERMI_CONSTANT_GEV2**2 * COS_CABIBBO**2 / (8.0 * np.pi * energy**2)
    value = prefactor * (a + sign * b * s_minus_u / mass**2 + c * s_minus_u**2 / mass**4)
    return np.maximum(value, 0.0) * HBARC2_CM2_GEV2


def qe_cross_section(
    energy_gev, *, antineutrino: bool, lepton_mass: float, params: CrossSectionParams, bound: bool, n_points: int = 400
) -> np.ndarray:
    """Return the CCQE cross section in cm^2 per target nucleon (neutron for nu, proton for anti-nu).

    Integrates llewellyn_smith_dsigma_dq2 over the allowed Q^2; a bound nucleon gets the Pauli
    suppression factor at |q| = sqrt(Q^2 + nu^2) with nu = Q^2 / 2M. Binding energy and Fermi
    motion enter only the event kinematics, not this integral.
    """
    energy = np.atleast_1d(np.asarray(energy_gev, dtype=float))
    q2_min, q2_max = qe_q2_limits_gev2(energy, lepton_mass)
    out = np.zeros_like(energy)
    valid = np.isfinite(q2_max) & (q2_max > q2_min)
    fractions = np.linspace(0.0, 1.0, n_points)
    for i in np.flatnonzero(valid):
        q2 = q2_min[i] + (q2_max[i] - q2_min[i]) * fractions
        density = llewellyn_smith_dsigma_dq2(energy[i], q2, antineutrino=antineutrino, lepton_mass=lepton_mass, params=params)
        if bound:
            transfer = np.sqrt(q2 + (q2 / (2.0 * NUCLEON_MASS_GEV)) ** 2)
            density = density * pauli_suppression(transfer, params.fermi_momentum_gev)
        out[i] = np.trapezoid(density, q2)
    return out if np.ndim(energy_gev) else out[0]


def inelastic_threshold_gev(lepton_mass: float, hadronic_mass_gev: float) -> float:
    """Return the neutrino energy at which a lepton and a hadronic mass W can be made on a nucleon at rest."""
    return ((lepton_mass + hadronic_mass_gev) ** 2 - NUCLEON_MASS_GEV**2) / (2.0 * NUCLEON_MASS_GEV)


def turn_on(energy_gev, threshold_gev: float, power: float) -> np.ndarray:
    """Return (1 - threshold / E)^power above threshold and 0 below."""
    energy = np.asarray(energy_gev, dtype=float)
    return np.where(energy > threshold_gev, np.clip(1.0 - threshold_gev / np.maximum(energy, 1e-12), 0.0, 1.0) ** power, 0.0)


def isoscalar_res_cross_section(energy_gev, *, antineutrino: bool, lepton_mass: float, params: CrossSectionParams):
    """Return the CC RES (Delta) cross section per isoscalar nucleon in cm^2."""
    threshold = inelastic_threshold_gev(lepton_mass, params.res_threshold_w_gev)
    plateau = params.res_plateau_nubar_cm2 if antineutrino else params.res_plateau_nu_cm2
    return plateau * turn_on(energy_gev, threshold, params.res_turn_on_power)


def isoscalar_dis_cross_section(energy_gev, *, antineutrino: bool, lepton_mass: float, params: CrossSectionParams):
    """Return the CC DIS cross section per isoscalar nucleon in cm^2 (hadronic mass above dis_min_w_gev)."""
    threshold = inelastic_threshold_gev(lepton_mass, params.dis_min_w_gev)
    if antineutrino:
        slope, power = params.dis_slope_nubar_cm2_per_gev, params.dis_turn_on_power_nubar
    else:
        slope, power = params.dis_slope_nu_cm2_per_gev, params.dis_turn_on_power_nu
    energy = np.asarray(energy_gev, dtype=float)
    return slope * energy * turn_on(energy, threshold, power)


# Share of the isoscalar cross section carried by a proton (the neutron has 2 minus it).
# RES: isospin of Delta production, nu p -> Delta++ is 3 times nu n -> Delta+ (and mirrored for
# anti-nu). DIS: valence-quark counting, nu scatters on d quarks (1 in p, 2 in n) and anti-nu on
# u quarks (estimate that ignores the sea).
PROTON_SHARE = {
    (MODE_RES, False): 1.5,
    (MODE_RES, True): 0.5,
    (MODE_DIS, False): 2.0 / 3.0,
    (MODE_DIS, True): 4.0 / 3.0,
}


class CrossSections:
    """Channel cross sections of one neutrino species on LAB, tabulated in energy for fast lookup.

    Values are per CH_x formula unit (one carbon nucleus and x hydrogen nuclei), in cm^2.
    """

    def __init__(self, params: CrossSectionParams | None = None, *, energy_min_gev: float = 0.05,
                 energy_max_gev: float = 20.0, n_energies: int = 160) -> None:
        if not 0 < energy_min_gev < energy_max_gev:
            raise ValueError(f"need 0 < energy_min_gev < energy_max_gev, got {energy_min_gev} and {energy_max_gev}")
        self.params = params or CrossSectionParams()
        self.energy_grid_gev = np.geomspace(energy_min_gev, energy_max_gev, n_energies)
        self._tables: dict[int, np.ndarray] = {}

    def nucleon_counts(self) -> dict[str, float]:
        """Return the number of each target nucleon per CH_x unit."""
        return {PROTON_BOUND: 6.0, NEUTRON_BOUND: 6.0, PROTON_FREE: self.params.hydrogen_per_carbon}

    def per_nucleon(self, pdg: int, channel: Channel, energy_gev) -> np.ndarray:
        """Return the cross section of one channel per target nucleon of its kind, in cm^2 (not tabulated)."""
        anti = is_antineutrino(pdg)
        energy = np.asarray(energy_gev, dtype=float)
        lepton_mass = lepton_mass_gev(pdg) if channel.is_cc else 0.0
        bound = channel.target != PROTON_FREE
        is_proton = channel.target != NEUTRON_BOUND

        if channel.is_cc:
            if channel.mode == MODE_QE:
                # CCQE needs a neutron for nu and a proton for anti-nu.
                if is_proton == anti:
                    return qe_cross_section(energy, antineutrino=anti, lepton_mass=lepton_mass, params=self.params, bound=bound)
                return np.zeros_like(energy)
            share = PROTON_SHARE[(channel.mode, anti)]
            share = share if is_proton else 2.0 - share
            iso = isoscalar_res_cross_section if channel.mode == MODE_RES else isoscalar_dis_cross_section
            return share * iso(energy, antineutrino=anti, lepton_mass=lepton_mass, params=self.params)

        # NC: ratio times the isoscalar CC of the same mode with a massless lepton, the same on p and n.
        ratio = self.params.nc_to_cc_nubar if anti else self.params.nc_to_cc_nu
        if channel.mode == MODE_QE:
            cc = 0.5 * qe_cross_section(energy, antineutrino=anti, lepton_mass=0.0, params=self.params, bound=bound)
        elif channel.mode == MODE_RES:
            cc = isoscalar_res_cross_section(energy, antineutrino=anti, lepton_mass=0.0, params=self.params)
        else:
            cc = isoscalar_dis_cross_section(energy, antineutrino=anti, lepton_mass=0.0, params=self.params)
        return ratio * cc

    def _table(self, pdg: int) -> np.ndarray:
        if pdg not in self._tables:
            counts = self.nucleon_counts()
            self._tables[pdg] = np.array([
                counts[channel.target] * self.per_nucleon(pdg, channel, self.energy_grid_gev) for channel in CHANNELS
            ])
        return self._tables[pdg]

    def channel_cross_sections(self, pdg: int, energy_gev) -> np.ndarray:
        """Return the cross section of every channel in CHANNELS per CH_x unit, in cm^2.

        Shape (len(CHANNELS),) + energy shape; linear interpolation in log(E) of the table.
        """
        energy = np.asarray(energy_gev, dtype=float)
        grid = self.energy_grid_gev
        if np.any(energy < grid[0] * (1 - 1e-9)) or np.any(energy > grid[-1] * (1 + 1e-9)):
            raise ValueError(
                f"energy {energy} GeV outside the cross-section table [{grid[0]}, {grid[-1]}] GeV; "
                "build CrossSections with a wider energy_min_gev / energy_max_gev"
            )
        table = self._table(pdg)
        log_energy = np.log(energy)
        return np.array([np.interp(log_energy, np.log(grid), row) for row in table])

    def total_cross_section(self, pdg: int, energy_gev, *, is_cc: bool | None = None) -> np.ndarray:
        """Return the summed cross section per CH_x unit in cm^2 (CC, NC, or both when is_cc is None)."""
        values = self.channel_cross_sections(pdg, energy_gev)
        mask = np.array([is_cc is None or channel.is_cc == is_cc for channel in CHANNELS])
        return values[mask].sum(axis=0)

    def isoscalar_cc_per_nucleon(self, pdg: int, energy_gev, *, mode: int | None = None) -> np.ndarray:
        """Return the CC cross section per nucleon of carbon (isoscalar, 6 p + 6 n bound) in cm^2.

        This is the quantity that published sigma/E slopes refer to. mode selects QE, RES or DIS.
        """
        energy = np.asarray(energy_gev, dtype=float)
        total = np.zeros_like(energy)
        for channel in CHANNELS:
            if channel.is_cc and channel.target != PROTON_FREE and (mode is None or channel.mode == mode):
                total = total + 6.0 * self.per_nucleon(pdg, channel, energy)
        return total / 12.0
