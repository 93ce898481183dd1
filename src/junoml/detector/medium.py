"""The liquid scintillator: material constants, mean energy loss, Birks quenching and Cherenkov yield."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

ELECTRON_MASS_MEV = 0.51099895  # PDG 2024
# K = 4 pi N_A r_e^2 m_e c^2 in MeV cm2/mol (PDG, Passage of particles through matter).
BETHE_K_MEV_CM2_MOL = 0.307075
FINE_STRUCTURE = 1.0 / 137.035999  # PDG 2024
# Lower validity limits of the stopping-power formulas (estimate from PDG, Passage of particles
# through matter: Bethe-Bloch is valid down to beta*gamma of about 0.05; the electron formula is used
# down to 10 keV).
MIN_BETA_GAMMA = 0.05
MIN_ELECTRON_KINETIC_MEV = 0.01


@dataclass(frozen=True)
class LiquidScintillator:
    """Constants of JUNO's LAB-based liquid scintillator (LS) and of the sphere that contains it.

    Lengths in mm, densities in g/cm3, energies in MeV unless the name says otherwise.
    """

    # Acrylic sphere inner radius (arXiv:2104.02565).
    radius_mm: float = 17700.0
    # LAB density (LAB datasheets, to verify).
    density_g_cm3: float = 0.86
    # LAB refractive index at 430 nm (to verify).
    refractive_index: float = 1.50
    # Effective photon group speed in LAB (to verify).
    photon_speed_mm_per_ns: float = 190.0
    # Radiation and nuclear interaction lengths of hydrocarbons (estimate from PDG tables).
    radiation_length_g_cm2: float = 45.0
    nuclear_interaction_length_g_cm2: float = 80.0
    # JUNO offline LS ConstantProperty values, as quoted in the public Opticks documentation.
    birks_kb_g_cm2_per_mev: float = 0.01205
    scintillation_yield_per_mev: float = 9846.0
    # Cherenkov photons are counted in this band (Frank-Tamm, PDG).
    cherenkov_band_nm: tuple[float, float] = (300.0, 600.0)
    # LAB, about C18H30 = CH1.67: Z/A = (6 + 1.67) / (12.011 + 1.67 * 1.008) (estimate).
    z_over_a: float = 0.5605
    # Mean excitation energy, interpolated by H:C ratio between PDG's polystyrene (CH, 68.7 eV)
    # and paraffin (CH2, 55.9 eV) (estimate).
    mean_excitation_ev: float = 59.7
    # Sternheimer density-effect parameters x0, x1, k (estimate, close to PDG's polystyrene);
    # C and a follow from the plasma energy and continuity at x0.
    density_effect_x0: float = 0.14
    density_effect_x1: float = 2.5
    density_effect_k: float = 3.0
    # Mean radiative energy loss of muons, b in dE/dx = b E, in cm2/g (estimate: PDG quotes
    # b of about 3e-6 cm2/g for water; it matters only above about 100 GeV).
    muon_radiative_b_cm2_g: float = 3.0e-6

    def __post_init__(self) -> None:
        for name in ("radius_mm", "density_g_cm3", "photon_speed_mm_per_ns", "radiation_length_g_cm2",
                     "scintillation_yield_per_mev", "mean_excitation_ev"):
            value = getattr(self, name)
            if not value > 0:
                raise ValueError(f"LiquidScintillator.{name} must be positive, got {value}")
        if not self.refractive_index > 1:
            raise ValueError(f"LiquidScintillator.refractive_index must be above 1, got {self.refractive_index}")
        low, high = self.cherenkov_band_nm
        if not 0 < low < high:
            raise ValueError(f"LiquidScintillator.cherenkov_band_nm must be (low, high) with 0 < low < high, got {self.cherenkov_band_nm}")

    @classmethod
    def from_config(cls, detector_cfg: dict) -> LiquidScintillator:
        """Build the medium from the `detector` section of the config (keys that are absent keep their defaults)."""
        keys = {
            "ls_radius_mm": "radius_mm",
            "ls_density_g_cm3": "density_g_cm3",
            "refractive_index": "refractive_index",
            "photon_speed_mm_per_ns": "photon_speed_mm_per_ns",
            "birks_kb_g_cm2_per_mev": "birks_kb_g_cm2_per_mev",
            "scintillation_yield_per_mev": "scintillation_yield_per_mev",
            "radiation_length_g_cm2": "radiation_length_g_cm2",
            "nuclear_interaction_length_g_cm2": "nuclear_interaction_length_g_cm2",
        }
        kwargs = {attr: float(detector_cfg[key]) for key, attr in keys.items() if key in detector_cfg}
        if "cherenkov_band_nm" in detector_cfg:
            band = detector_cfg["cherenkov_band_nm"]
            if len(band) != 2:
                raise ValueError(f"detector.cherenkov_band_nm must be [low, high] in nm, got {band}")
            kwargs["cherenkov_band_nm"] = (float(band[0]), float(band[1]))
        return cls(**kwargs)

    @property
    def radiation_length_mm(self) -> float:
        """Radiation length in mm."""
        return self.radiation_length_g_cm2 / self.density_g_cm3 * 10.0

    @property
    def nuclear_interaction_length_mm(self) -> float:
        """Nuclear interaction length in mm."""
        return self.nuclear_interaction_length_g_cm2 / self.density_g_cm3 * 10.0

    @property
    def plasma_energy_ev(self) -> float:
        """Plasma energy h-bar omega_p = 28.816 sqrt(rho Z/A) eV (PDG)."""
        return 28.816 * math.sqrt(self.density_g_cm3 * self.z_over_a)

    def energy_loss_constants(self) -> np.ndarray:
        """Pack the constants that the compiled energy-loss functions need into one float64 array."""
        c_bar = 2.0 * math.log(self.mean_excitation_ev / self.plasma_energy_ev) + 1.0
        x0, x1, k = self.density_effect_x0, self.density_effect_x1, self.density_effect_k
        a = (c_bar - 2.0 * math.log(10.0) * x0) / (x1 - x0) ** k
        return np.array(
            [self.z_over_a, self.mean_excitation_ev * 1e-6, c_bar, x0, x1, k, a,
             self.muon_radiative_b_cm2_g],
            dtype=np.float64,
        )

    def stopping_power_mev_cm2_g(self, kinetic_energy_mev, *, mass_mev: float, charge: int = 1) -> np.ndarray:
        """Return the mean mass stopping power in MeV cm2/g (Bethe-Bloch, Moller for electrons)."""
        if mass_mev <= 0:
            raise ValueError(f"mass_mev must be positive for a charged particle, got {mass_mev}")
        energies = np.atleast_1d(np.asarray(kinetic_energy_mev, dtype=np.float64))
        constants = self.energy_loss_constants()
        out = np.array([_stopping_power(float(t), float(mass_mev), float(charge), constants) for t in energies])
        return out if np.ndim(kinetic_energy_mev) else out[0]

    def dedx_mev_per_mm(self, kinetic_energy_mev, *, mass_mev: float, charge: int = 1) -> np.ndarray:
        """Return the mean energy loss per mm of LS in MeV/mm."""
        return self.stopping_power_mev_cm2_g(kinetic_energy_mev, mass_mev=mass_mev, charge=charge) * self.density_g_cm3 / 10.0

    def birks_factor(self, stopping_power_mev_cm2_g) -> np.ndarray:
        """Return the Birks quenching factor 1 / (1 + kB dE/dx) for a mass stopping power in MeV cm2/g."""
        return 1.0 / (1.0 + self.birks_kb_g_cm2_per_mev * np.asarray(stopping_power_mev_cm2_g))

    def cherenkov_photons_per_mm(self, beta, *, charge: int = 1) -> np.ndarray:
        """Return the Frank-Tamm number of Cherenkov photons per mm in the detection band (0 below threshold)."""
        beta = np.asarray(beta, dtype=np.float64)
        return _frank_tamm_per_mm(beta, self.refractive_index, self.cherenkov_band_nm[0],
                                  self.cherenkov_band_nm[1], float(charge))


@numba.njit(cache=True)
def _frank_tamm_per_mm(beta, refractive_index, band_low_nm, band_high_nm, charge):
    # dN/dx = 2 pi alpha z^2 (1 - 1/(n beta)^2) (1/lambda1 - 1/lambda2); 1/nm = 1e6/mm.
    band = (1.0 / band_low_nm - 1.0 / band_high_nm) * 1e6
    sin2 = 1.0 - 1.0 / (refractive_index * beta) ** 2
    return 2.0 * np.pi * FINE_STRUCTURE * charge * charge * band * np.maximum(sin2, 0.0)


@numba.njit(cache=True)
def _density_effect(beta_gamma, constants):
    c_bar, x0, x1, k, a = constants[2], constants[3], constants[4], constants[5], constants[6]
    x = math.log10(beta_gamma)
    if x >= x1:
        return 2.0 * math.log(10.0) * x - c_bar
    if x >= x0:
        return 2.0 * math.log(10.0) * x - c_bar + a * (x1 - x) ** k
    return 0.0


@numba.njit(cache=True)
def _stopping_power(kinetic_energy, mass, charge, constants):
    """Mean mass stopping power in MeV cm2/g; Moller collision loss for electrons (mass = m_e)."""
    z_over_a = constants[0]
    mean_excitation = constants[1]
    # Bethe-Bloch (and the Moller formula for electrons) fails below beta*gamma of about 0.05
    # (PDG, Passage of particles through matter), where it falls to zero or below. The stopping
    # power is held at its value there, so a slow particle deposits its last energy within
    # micrometres instead of stepping on without losing energy.
    is_electron = abs(mass - ELECTRON_MASS_MEV) < 1e-6
    min_kinetic = mass * (math.sqrt(1.0 + MIN_BETA_GAMMA * MIN_BETA_GAMMA) - 1.0)
    if is_electron:
        min_kinetic = max(min_kinetic, MIN_ELECTRON_KINETIC_MEV)
    if kinetic_energy < min_kinetic:
        kinetic_energy = min_kinetic
    gamma = 1.0 + kinetic_energy / mass
    beta2 = 1.0 - 1.0 / (gamma * gamma)
    beta_gamma = math.sqrt(gamma * gamma - 1.0)
    delta = _density_effect(beta_gamma, constants)

    if is_electron:
        # Electron collision stopping power (ICRU 37, as in PDG eq. 34.24 with F-).
        tau = kinetic_energy / mass
        f_minus = 1.0 - beta2 + (tau * tau / 8.0 - (2.0 * tau + 1.0) * math.log(2.0)) / ((tau + 1.0) ** 2)
        log_term = math.log(tau * tau * (tau + 2.0) / (2.0 * (mean_excitation / mass) ** 2))
        value = 0.5 * BETHE_K_MEV_CM2_MOL * z_over_a / beta2 * (log_term + f_minus - delta)
        return max(value, 0.0)

    ratio = ELECTRON_MASS_MEV / mass
    t_max = 2.0 * ELECTRON_MASS_MEV * beta_gamma * beta_gamma / (1.0 + 2.0 * gamma * ratio + ratio * ratio)
    log_term = 0.5 * math.log(2.0 * ELECTRON_MASS_MEV * beta_gamma * beta_gamma * t_max / (mean_excitation * mean_excitation))
    value = BETHE_K_MEV_CM2_MOL * charge * charge * z_over_a / beta2 * (log_term - beta2 - 0.5 * delta)
    # Muons also lose energy to bremsstrahlung, pair production and photonuclear interactions.
    if abs(mass - 105.6583755) < 1e-3:
        value += constants[7] * (kinetic_energy + mass)
    return max(value, 0.0)
