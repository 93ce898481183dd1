"""Particles handed to the detector simulation and the track segments that carry their energy deposits."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

# Rest masses in MeV and charges in units of e, by PDG code (PDG Review of Particle Physics, 2024).
PARTICLE_MASS_MEV: dict[int, float] = {
    11: 0.51099895,
    -11: 0.51099895,
    13: 105.6583755,
    -13: 105.6583755,
    22: 0.0,
    111: 134.9768,
    211: 139.57039,
    -211: 139.57039,
    2212: 938.27208816,
    2112: 939.56542052,
}
PARTICLE_CHARGE: dict[int, int] = {
    11: -1,
    -11: 1,
    13: -1,
    -13: 1,
    22: 0,
    111: 0,
    211: 1,
    -211: -1,
    2212: 1,
    2112: 0,
}


def particle_mass_mev(pdg: int) -> float:
    """Return the rest mass in MeV of a particle known to the simulation."""
    try:
        return PARTICLE_MASS_MEV[int(pdg)]
    except KeyError:
        raise ValueError(
            f"unknown particle pdg={pdg}; the simulation knows {sorted(PARTICLE_MASS_MEV)}"
        ) from None


def particle_charge(pdg: int) -> int:
    """Return the charge in units of e of a particle known to the simulation."""
    particle_mass_mev(pdg)
    return PARTICLE_CHARGE[int(pdg)]


@dataclass(frozen=True)
class Particle:
    """A particle to simulate: PDG code, kinetic energy (MeV), start position (mm), unit direction, start time (ns)."""

    pdg: int
    kinetic_energy_mev: float
    position_mm: np.ndarray
    direction: np.ndarray
    time_ns: float = 0.0

    def __post_init__(self) -> None:
        position = np.asarray(self.position_mm, dtype=np.float64).reshape(-1)
        direction = np.asarray(self.direction, dtype=np.float64).reshape(-1)
        if position.shape != (3,) or direction.shape != (3,):
            raise ValueError(
                f"Particle pdg={self.pdg}: position_mm and direction need 3 components, "
                f"got {position.shape} and {direction.shape}"
            )
        if not np.isfinite(self.kinetic_energy_mev) or self.kinetic_energy_mev < 0:
            raise ValueError(
                f"Particle pdg={self.pdg}: kinetic_energy_mev must be finite and >= 0, "
                f"got {self.kinetic_energy_mev}"
            )
        norm = float(np.linalg.norm(direction))
        if not np.isfinite(norm) or abs(norm - 1.0) > 1e-6:
            raise ValueError(
                f"Particle pdg={self.pdg}: direction must be a unit vector, got {direction} "
                f"(norm {norm}); divide it by its norm"
            )
        object.__setattr__(self, "position_mm", position)
        object.__setattr__(self, "direction", direction / norm)


@dataclass
class Segments:
    """Straight pieces of charged tracks, one entry per piece, as equal-length float64 arrays.

    x_mm, y_mm, z_mm: midpoint; t_ns: time at the midpoint; ux, uy, uz: unit direction;
    length_mm: path length; edep_mev: deposited energy; evis_mev: Birks-quenched deposited
    energy; n_cherenkov: mean number of Cherenkov photons in the detection band;
    cos_cherenkov: cosine of the Cherenkov cone angle, 1/(n beta) (1 where no light is emitted).
    """

    x_mm: np.ndarray = field(default_factory=lambda: np.empty(0))
    y_mm: np.ndarray = field(default_factory=lambda: np.empty(0))
    z_mm: np.ndarray = field(default_factory=lambda: np.empty(0))
    t_ns: np.ndarray = field(default_factory=lambda: np.empty(0))
    ux: np.ndarray = field(default_factory=lambda: np.empty(0))
    uy: np.ndarray = field(default_factory=lambda: np.empty(0))
    uz: np.ndarray = field(default_factory=lambda: np.empty(0))
    length_mm: np.ndarray = field(default_factory=lambda: np.empty(0))
    edep_mev: np.ndarray = field(default_factory=lambda: np.empty(0))
    evis_mev: np.ndarray = field(default_factory=lambda: np.empty(0))
    n_cherenkov: np.ndarray = field(default_factory=lambda: np.empty(0))
    cos_cherenkov: np.ndarray = field(default_factory=lambda: np.empty(0))

    def __post_init__(self) -> None:
        lengths = set()
        for f in fields(self):
            values = np.ascontiguousarray(getattr(self, f.name), dtype=np.float64).reshape(-1)
            setattr(self, f.name, values)
            lengths.add(values.size)
        if len(lengths) > 1:
            sizes = {f.name: getattr(self, f.name).size for f in fields(self)}
            raise ValueError(f"Segments arrays must have equal lengths, got {sizes}")

    def __len__(self) -> int:
        return int(self.x_mm.size)

    @classmethod
    def empty(cls) -> Segments:
        """Return segments with no entries."""
        return cls()

    @classmethod
    def concatenate(cls, parts: list[Segments]) -> Segments:
        """Join segments in order into one set."""
        if not parts:
            return cls.empty()
        return cls(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)})

    def position_mm(self) -> np.ndarray:
        """Return the midpoints as an [N, 3] array in mm."""
        return np.stack([self.x_mm, self.y_mm, self.z_mm], axis=1)

    def direction(self) -> np.ndarray:
        """Return the unit directions as an [N, 3] array."""
        return np.stack([self.ux, self.uy, self.uz], axis=1)
