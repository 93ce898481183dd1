"""Sources of primary particles for the detector simulation: muon gun, through-going muons, electrons."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from junoml.detector.particles import Particle

MUON_PDG = 13
ELECTRON_PDG = 11


def isotropic_direction(rng: np.random.Generator) -> np.ndarray:
    """Draw a unit vector uniformly over the sphere."""
    cos_theta = 2.0 * rng.random() - 1.0
    phi = 2.0 * math.pi * rng.random()
    sin_theta = math.sqrt(max(1.0 - cos_theta * cos_theta, 0.0))
    return np.array([sin_theta * math.cos(phi), sin_theta * math.sin(phi), cos_theta])


def uniform_in_ball(rng: np.random.Generator, radius_mm: float) -> np.ndarray:
    """Draw a point uniformly inside a ball of `radius_mm` (mm)."""
    return radius_mm * rng.random() ** (1.0 / 3.0) * isotropic_direction(rng)


def primary_truth(pdg: int, energy_gev: float, direction: np.ndarray, vertex_mm: np.ndarray) -> dict:
    """Return the primary truth columns of docs/contracts.md."""
    return {
        "pdg": int(pdg),
        "energy_gev": float(energy_gev),
        "dir_x": float(direction[0]),
        "dir_y": float(direction[1]),
        "dir_z": float(direction[2]),
        "vertex_x_mm": float(vertex_mm[0]),
        "vertex_y_mm": float(vertex_mm[1]),
        "vertex_z_mm": float(vertex_mm[2]),
    }


@dataclass(frozen=True)
class MuonGun:
    """Muons and anti-muons with log-uniform kinetic energy, a vertex uniform in a ball and isotropic directions."""

    # Cosmic-ray charge ratio mu+/mu- of about 1.27 (PDG, Cosmic rays).
    mu_minus_fraction: float = 0.44
    energy_min_gev: float = 0.1
    energy_max_gev: float = 10.0
    vertex_radius_mm: float = 17700.0
    # The simulation adds the muon's path length in the LS to the truth.
    result_columns: tuple[str, ...] = ("track_length_mm",)

    def __post_init__(self) -> None:
        if not 0.0 <= self.mu_minus_fraction <= 1.0:
            raise ValueError(f"samples.muon.mu_minus_fraction must be in [0, 1], got {self.mu_minus_fraction}")
        if not 0.0 < self.energy_min_gev <= self.energy_max_gev:
            raise ValueError(
                f"samples.muon energies need 0 < energy_min_gev <= energy_max_gev, got {self.energy_min_gev} "
                f"and {self.energy_max_gev}"
            )
        if not self.vertex_radius_mm > 0:
            raise ValueError(f"samples.muon.vertex_radius_mm must be positive, got {self.vertex_radius_mm}")

    @classmethod
    def from_config(cls, sample_cfg: dict) -> MuonGun:
        """Build the gun from a `samples.muon` config section."""
        keys = ("mu_minus_fraction", "energy_min_gev", "energy_max_gev", "vertex_radius_mm")
        return cls(**{key: float(sample_cfg[key]) for key in keys if key in sample_cfg})

    def generate(self, event_id: int, rng: np.random.Generator) -> tuple[dict, list[Particle]]:
        """Draw one muon: (truth columns, [the muon])."""
        pdg = MUON_PDG if rng.random() < self.mu_minus_fraction else -MUON_PDG
        log_min, log_max = math.log(self.energy_min_gev), math.log(self.energy_max_gev)
        energy_gev = math.exp(log_min + (log_max - log_min) * rng.random())
        vertex = uniform_in_ball(rng, self.vertex_radius_mm)
        direction = isotropic_direction(rng)
        particle = Particle(pdg, energy_gev * 1000.0, vertex, direction)
        return primary_truth(pdg, energy_gev, direction, vertex), [particle]


@dataclass(frozen=True)
class ThroughGoingMuons:
    """Muons that enter the LS from outside, for comparison with JUNO's published muon tracking.

    The direction is isotropic over the downward hemisphere, or weighted with cos(zenith)
    (`angular="cos_zenith"`, the flux through a horizontal surface); the track's closest approach
    to the centre is uniform over the disc of the LS radius, so every track crosses the sphere.
    The muon starts where it enters the LS; `distance_to_centre_mm` is added to the truth.
    """

    energy_min_gev: float = 100.0
    energy_max_gev: float = 300.0
    ls_radius_mm: float = 17700.0
    angular: str = "isotropic"
    mu_minus_fraction: float = 0.44
    result_columns: tuple[str, ...] = ("track_length_mm",)

    def __post_init__(self) -> None:
        if self.angular not in ("isotropic", "cos_zenith"):
            raise ValueError(f"ThroughGoingMuons.angular must be 'isotropic' or 'cos_zenith', got {self.angular!r}")
        if not 0.0 < self.energy_min_gev <= self.energy_max_gev:
            raise ValueError(f"ThroughGoingMuons energies need 0 < min <= max, got {self.energy_min_gev}, {self.energy_max_gev}")

    def generate(self, event_id: int, rng: np.random.Generator) -> tuple[dict, list[Particle]]:
        """Draw one through-going muon: (truth columns, [the muon])."""
        pdg = MUON_PDG if rng.random() < self.mu_minus_fraction else -MUON_PDG
        energy_gev = self.energy_min_gev + (self.energy_max_gev - self.energy_min_gev) * rng.random()
        # Arrival from the upper hemisphere: cos(zenith) = -dir_z in (0, 1].
        cos_zenith = rng.random() if self.angular == "isotropic" else math.sqrt(rng.random())
        phi = 2.0 * math.pi * rng.random()
        sin_zenith = math.sqrt(max(1.0 - cos_zenith * cos_zenith, 0.0))
        direction = np.array([sin_zenith * math.cos(phi), sin_zenith * math.sin(phi), -cos_zenith])

        # Closest approach: uniform on the disc through the centre, perpendicular to the track.
        helper = np.array([1.0, 0.0, 0.0]) if abs(direction[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
        axis_a = np.cross(direction, helper)
        axis_a /= np.linalg.norm(axis_a)
        axis_b = np.cross(direction, axis_a)
        impact = self.ls_radius_mm * math.sqrt(rng.random())
        angle = 2.0 * math.pi * rng.random()
        closest = impact * (math.cos(angle) * axis_a + math.sin(angle) * axis_b)
        half_chord = math.sqrt(max(self.ls_radius_mm**2 - impact**2, 0.0))
        # Start a hair inside the sphere so that rounding never puts it outside.
        vertex = closest - half_chord * direction * (1.0 - 1e-9)

        truth = primary_truth(pdg, energy_gev, direction, vertex)
        truth["distance_to_centre_mm"] = float(impact)
        return truth, [Particle(pdg, energy_gev * 1000.0, vertex, direction)]


@dataclass(frozen=True)
class ElectronSource:
    """Electrons of one kinetic energy (MeV) at one position (mm) with isotropic directions, for validation."""

    energy_mev: float = 1.0
    position_mm: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def __post_init__(self) -> None:
        if not self.energy_mev > 0:
            raise ValueError(f"ElectronSource.energy_mev must be positive, got {self.energy_mev}")

    def generate(self, event_id: int, rng: np.random.Generator) -> tuple[dict, list[Particle]]:
        """Draw one electron: (truth columns, [the electron])."""
        direction = isotropic_direction(rng)
        position = np.asarray(self.position_mm, dtype=np.float64)
        truth = primary_truth(ELECTRON_PDG, self.energy_mev / 1000.0, direction, position)
        return truth, [Particle(ELECTRON_PDG, self.energy_mev, position, direction)]


DETECTOR_SOURCES = ("muon_gun", "through_going_muons", "electrons")


def source_from_config(sample_cfg: dict):
    """Build the source named by `sample_cfg["source"]` (muon_gun, through_going_muons or electrons) from its sample section.

    The atmospheric-neutrino source lives in junoml.generator.
    """
    kind = sample_cfg.get("source")
    if kind == "muon_gun":
        return MuonGun.from_config(sample_cfg)
    if kind == "through_going_muons":
        keys = ("energy_min_gev", "energy_max_gev", "ls_radius_mm", "mu_minus_fraction")
        kwargs = {key: float(sample_cfg[key]) for key in keys if key in sample_cfg}
        if "angular" in sample_cfg:
            kwargs["angular"] = str(sample_cfg["angular"])
        return ThroughGoingMuons(**kwargs)
    if kind == "electrons":
        position = tuple(float(v) for v in sample_cfg.get("position_mm", (0.0, 0.0, 0.0)))
        if len(position) != 3:
            raise ValueError(f"samples.<name>.position_mm must have 3 values in mm, got {position}")
        return ElectronSource(energy_mev=float(sample_cfg.get("energy_mev", 1.0)), position_mm=position)
    raise ValueError(
        f"samples.<name>.source {kind!r} is not a detector source; expected one of {list(DETECTOR_SOURCES)} "
        f"(the atmospheric source comes from junoml.generator)"
    )
