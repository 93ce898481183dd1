"""Honda atmospheric-neutrino flux tables: download, parsing, interpolation and zenith sampling.

Honda's cos(zenith) is that of the arrival direction, the direction the neutrino comes from, so
cos(zenith) = 1 is a neutrino falling straight down and its direction of travel has
dir_z = -cos(zenith). Fluxes are in m^-2 s^-1 sr^-1 GeV^-1, averaged over azimuth.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from junoml.io.atomic import atomic_output

log = logging.getLogger(__name__)

NU_E, NU_E_BAR, NU_MU, NU_MU_BAR = 12, -12, 14, -14
FLAVOURS = (NU_E, NU_E_BAR, NU_MU, NU_MU_BAR)

# File-name codes of the nuflux 2.0.7 reformatting of Honda's tables.
NUFLUX_CODES = {NU_MU: "num", NU_MU_BAR: "nbm", NU_E: "nue", NU_E_BAR: "nbe"}
NUFLUX_PACKAGE = "nuflux==2.0.7"
NUFLUX_DATA_DIR = "nuflux/data/IPLEFlux"
NUFLUX_WHEEL_PLATFORM = "manylinux_2_17_x86_64"
# Honda 2014, Kamioka site, solar minimum, azimuth-averaged ("2D") tables.
NUFLUX_TABLE_STEM = "IPhonda2014_sk_solmin"

# Column names of Honda's own files, in the order Honda publishes them.
HONDA_COLUMN_NAMES = {NU_MU: "NuMu", NU_MU_BAR: "NuMubar", NU_E: "NuE", NU_E_BAR: "NuEbar"}
HONDA_COLUMNS = {name.lower(): pdg for pdg, name in HONDA_COLUMN_NAMES.items()}


def nuflux_file_name(pdg: int) -> str:
    """Return the nuflux file name of one flavour's table, e.g. IPhonda2014_sk_solmin_num2D.dat."""
    if pdg not in NUFLUX_CODES:
        raise ValueError(f"no Honda table for pdg {pdg}; expected one of {sorted(NUFLUX_CODES)}")
    return f"{NUFLUX_TABLE_STEM}_{NUFLUX_CODES[pdg]}2D.dat"


@dataclass(frozen=True)
class HondaTable:
    """Azimuth-averaged flux of the four flavours on a grid of energy and cos(zenith).

    energy_gev: ascending neutrino energies (GeV), shape (n_energy,).
    cos_zenith_edges: ascending bin edges of cos(zenith) of the arrival direction, shape (n_bins + 1,).
    flux: pdg -> flux in m^-2 s^-1 sr^-1 GeV^-1, shape (n_energy, n_bins), bin-averaged.
    """

    energy_gev: np.ndarray
    cos_zenith_edges: np.ndarray
    flux: dict[int, np.ndarray]

    def __post_init__(self) -> None:
        n_energy, n_bins = len(self.energy_gev), len(self.cos_zenith_edges) - 1
        if n_energy < 2 or np.any(np.diff(self.energy_gev) <= 0):
            raise ValueError(f"flux table energies must be at least two and ascending, got {self.energy_gev}")
        if n_bins < 1 or np.any(np.diff(self.cos_zenith_edges) <= 0):
            raise ValueError(f"cos(zenith) edges must be ascending, got {self.cos_zenith_edges}")
        for pdg, values in self.flux.items():
            if values.shape != (n_energy, n_bins):
                raise ValueError(
                    f"flux of pdg {pdg} has shape {values.shape}, expected (n_energy, n_bins) = {(n_energy, n_bins)}"
                )
            if np.any(values <= 0):
                raise ValueError(f"flux of pdg {pdg} has non-positive entries; log interpolation needs flux > 0")

    @property
    def cos_zenith_centres(self) -> np.ndarray:
        return 0.5 * (self.cos_zenith_edges[1:] + self.cos_zenith_edges[:-1])

    @property
    def flavours(self) -> tuple[int, ...]:
        return tuple(self.flux)

    def check_energy_range(self, energy_min_gev: float, energy_max_gev: float) -> None:
        """Raise ValueError unless [energy_min_gev, energy_max_gev] lies inside the table."""
        low, high = self.energy_gev[0], self.energy_gev[-1]
        if energy_min_gev < low * (1 - 1e-9) or energy_max_gev > high * (1 + 1e-9):
            raise ValueError(
                f"energy range [{energy_min_gev}, {energy_max_gev}] GeV is outside the flux table's "
                f"[{low}, {high}] GeV; narrow energy_min_gev / energy_max_gev"
            )

    def flux_per_bin(self, pdg: int, energy_gev: np.ndarray | float) -> np.ndarray:
        """Interpolate the flux of each cos(zenith) bin, log-log in energy.

        Returns m^-2 s^-1 sr^-1 GeV^-1 with shape energy_gev.shape + (n_bins,).
        """
        if pdg not in self.flux:
            raise ValueError(f"no flux table for pdg {pdg}; the table contains {sorted(self.flux)}")
        log_energy = np.log(np.atleast_1d(np.asarray(energy_gev, dtype=float)))
        log_flux = np.log(self.flux[pdg])
        table_log_energy = np.log(self.energy_gev)
        out = np.empty(log_energy.shape + (log_flux.shape[1],))
        for k in range(log_flux.shape[1]):
            out[..., k] = np.interp(log_energy, table_log_energy, log_flux[:, k])
        out = np.exp(out)
        return out if np.ndim(energy_gev) else out[0]

    def all_sky_flux(self, pdg: int, energy_gev: np.ndarray | float) -> np.ndarray:
        """Return the flux integrated over all directions, in m^-2 s^-1 GeV^-1."""
        solid_angle_sr = 2.0 * np.pi * np.diff(self.cos_zenith_edges)
        return self.flux_per_bin(pdg, energy_gev) @ solid_angle_sr

    def sample_cos_zenith(self, pdg: int, energy_gev: float, rng: np.random.Generator) -> float:
        """Draw cos(zenith) of the arrival direction from the table at this energy.

        A bin is chosen with probability flux x bin width, then cos(zenith) is uniform in the bin.
        """
        weights = self.flux_per_bin(pdg, energy_gev) * np.diff(self.cos_zenith_edges)
        k = rng.choice(len(weights), p=weights / weights.sum())
        return float(rng.uniform(self.cos_zenith_edges[k], self.cos_zenith_edges[k + 1]))


def direction_from_zenith(cos_zenith: float, azimuth_rad: float) -> np.ndarray:
    """Return the unit direction of travel of a particle arriving from (cos_zenith, azimuth).

    The arrival direction points to the sky at cos(zenith), so travel has dir_z = -cos(zenith).
    """
    sin_zenith = np.sqrt(max(0.0, 1.0 - cos_zenith**2))
    return -np.array([sin_zenith * np.cos(azimuth_rad), sin_zenith * np.sin(azimuth_rad), cos_zenith])


def _bin_edges_from_centres(centres: np.ndarray, source: str) -> np.ndarray:
    """Return the edges of equal-width bins with the given ascending centres."""
    widths = np.diff(centres)
    if len(centres) < 2 or not np.allclose(widths, widths[0], rtol=1e-6, atol=1e-9):
        raise ValueError(f"{source}: cos(zenith) centres {centres} are not equally spaced; cannot build bin edges")
    half = 0.5 * widths[0]
    return np.append(centres - half, centres[-1] + half)


def read_three_column_table(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read one flavour's table in the nuflux three-column layout.

    Each row is `energy_gev cos_zenith_centre flux`; rows come in blocks of ascending energy per
    cos(zenith) bin. Returns (energies, cos(zenith) edges, flux of shape (n_energy, n_bins)).
    """
    path = Path(path)
    try:
        rows = np.loadtxt(path, comments="#", ndmin=2)
    except ValueError as error:
        raise ValueError(f"{path}: not a three-column Honda table (energy, cos zenith, flux): {error}") from None
    if rows.shape[1] != 3:
        raise ValueError(f"{path}: expected 3 columns (energy GeV, cos zenith, flux), found {rows.shape[1]}")

    energies = np.unique(rows[:, 0])
    centres = np.unique(np.round(rows[:, 1], 6))
    if len(energies) * len(centres) != len(rows):
        raise ValueError(
            f"{path}: {len(rows)} rows do not form a full grid of {len(energies)} energies x {len(centres)} "
            "cos(zenith) bins; the file is truncated or mixes tables"
        )
    flux = np.empty((len(energies), len(centres)))
    flux[np.searchsorted(energies, rows[:, 0]), np.searchsorted(centres, np.round(rows[:, 1], 6))] = rows[:, 2]
    return energies, _bin_edges_from_centres(centres, str(path)), flux


def read_nuflux_tables(table_dir: str | os.PathLike) -> HondaTable:
    """Read the four nuflux-format tables (see nuflux_file_name) from one folder."""
    table_dir = Path(table_dir)
    flux: dict[int, np.ndarray] = {}
    energies = edges = None
    for pdg in FLAVOURS:
        path = table_dir / nuflux_file_name(pdg)
        if not path.is_file():
            raise FileNotFoundError(f"flux table {path} not found; run fetch_honda_tables({str(table_dir)!r}, ...)")
        table_energies, table_edges, flux[pdg] = read_three_column_table(path)
        if energies is None:
            energies, edges = table_energies, table_edges
        elif not (np.allclose(table_energies, energies) and np.allclose(table_edges, edges)):
            raise ValueError(f"{path}: energy or cos(zenith) grid differs from the other flavours' tables")
    return HondaTable(energy_gev=energies, cos_zenith_edges=edges, flux=flux)


_BLOCK_HEADER = re.compile(r"cosZ\s*=\s*([-+]?\d*\.?\d+)\s*--\s*([-+]?\d*\.?\d+)")


def read_honda_file(path: str | os.PathLike) -> HondaTable:
    """Read a table in Honda's own layout: one block per cos(zenith) bin, one column per flavour.

    Each block starts with a line like `average flux in [cosZ =  1.00 --  0.90, phi_Az =   0 -- 360]`,
    then a column header `Enu(GeV) NuMu NuMubar NuE NuEbar`, then one row per energy.
    """
    path = Path(path)
    blocks: list[tuple[float, float, list[int], list[list[float]]]] = []
    columns: list[int] | None = None
    for line_number, line in enumerate(path.read_text().splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        header = _BLOCK_HEADER.search(stripped)
        if header:
            blocks.append((float(header.group(1)), float(header.group(2)), [], []))
            columns = None
            continue
        if stripped.lower().startswith("enu"):
            names = [name.lower() for name in stripped.split()[1:]]
            unknown = [name for name in names if name not in HONDA_COLUMNS]
            if unknown:
                raise ValueError(f"{path}:{line_number}: unknown flavour columns {unknown}; expected {list(HONDA_COLUMNS)}")
            columns = [HONDA_COLUMNS[name] for name in names]
            if blocks:
                blocks[-1][2].extend(columns)
            continue
        if not blocks or columns is None:
            raise ValueError(f"{path}:{line_number}: data line before a 'cosZ = a -- b' block header and column header")
        values = [float(value) for value in stripped.split()]
        if len(values) != len(columns) + 1:
            raise ValueError(f"{path}:{line_number}: expected {len(columns) + 1} numbers, found {len(values)}")
        blocks[-1][3].append(values)

    if not blocks:
        raise ValueError(f"{path}: no 'cosZ = a -- b' block headers found; not a Honda flux file")
    blocks.sort(key=lambda block: min(block[0], block[1]))
    edges = [min(blocks[0][0], blocks[0][1])] + [max(block[0], block[1]) for block in blocks]
    energies = np.array([row[0] for row in blocks[0][3]])
    flux = {pdg: np.empty((len(energies), len(blocks))) for pdg in blocks[0][2]}
    for k, (_, _, block_columns, rows) in enumerate(blocks):
        data = np.array(rows)
        if data.shape[0] != len(energies) or not np.allclose(data[:, 0], energies):
            raise ValueError(f"{path}: block {k} has a different energy grid from the first block")
        for column, pdg in enumerate(block_columns):
            flux[pdg][:, k] = data[:, column + 1]
    return HondaTable(energy_gev=energies, cos_zenith_edges=np.array(edges), flux=flux)


def write_honda_file(table: HondaTable, path: str | os.PathLike) -> None:
    """Write a table in Honda's own block layout (the inverse of read_honda_file)."""
    order = [pdg for pdg in HONDA_COLUMN_NAMES if pdg in table.flux]
    lines = []
    for k in range(len(table.cos_zenith_edges) - 2, -1, -1):
        high, low = table.cos_zenith_edges[k + 1], table.cos_zenith_edges[k]
        lines.append(f"average flux in [cosZ = {high:5.2f} -- {low:5.2f}, phi_Az =   0 -- 360]")
        lines.append(" Enu(GeV)   " + "  ".join(f"{HONDA_COLUMN_NAMES[pdg]:<10}" for pdg in order))
        for i, energy in enumerate(table.energy_gev):
            lines.append(f" {energy:.4E} " + " ".join(f"{table.flux[pdg][i, k]:.4E}" for pdg in order))
    with atomic_output(path) as tmp:
        Path(tmp).write_text("\n".join(lines) + "\n")


def load_flux_tables(flux_path: str | os.PathLike) -> HondaTable:
    """Load the flux from a folder of nuflux-format tables or from one file in Honda's layout."""
    flux_path = Path(flux_path)
    if flux_path.is_file():
        return read_honda_file(flux_path)
    if flux_path.is_dir():
        return read_nuflux_tables(flux_path)
    raise FileNotFoundError(f"flux tables not found at {flux_path}; run fetch_honda_tables or give a Honda file")


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch_honda_tables(
    out_dir: str | os.PathLike, *, checksums: dict[str, str], package: str = NUFLUX_PACKAGE, timeout_s: float = 600.0
) -> dict[int, Path]:
    """Download the nuflux wheel with pip and extract Honda's four 2D Kamioka tables.

    checksums maps each file name (see nuflux_file_name) to its expected sha256; a mismatch raises
    ValueError and writes nothing for that file. Files are written atomically into out_dir.
    Returns pdg -> written path. Needs network access to the Python package index.
    """
    names = {pdg: nuflux_file_name(pdg) for pdg in FLAVOURS}
    missing = [name for name in names.values() if name not in checksums]
    if missing:
        raise ValueError(f"checksums has no sha256 for {missing}; add them under samples.atmospheric.flux.sha256")
    out_dir = Path(out_dir)

    with tempfile.TemporaryDirectory(prefix="nuflux-") as download_dir:
        # The platform is pinned so that every machine downloads the same wheel (the tables are
        # identical in all of nuflux's wheels, but the checksums are checked on this one).
        command = [sys.executable, "-m", "pip", "download", package, "--no-deps", "--only-binary=:all:",
                   "--platform", NUFLUX_WHEEL_PLATFORM, "--python-version", "3.11", "--implementation", "cp",
                   "--abi", "cp311", "--dest", download_dir, "--quiet"]
        log.info("downloading %s with pip", package)
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"`{' '.join(command)}` failed with exit code {result.returncode}: {result.stderr.strip()}")
        wheels = sorted(Path(download_dir).glob("*.whl"))
        if not wheels:
            raise RuntimeError(f"pip download of {package} produced no wheel in {download_dir}")

        written: dict[int, Path] = {}
        with zipfile.ZipFile(wheels[0]) as wheel:
            for pdg, name in names.items():
                member = f"{NUFLUX_DATA_DIR}/{name}"
                try:
                    data = wheel.read(member)
                except KeyError:
                    raise RuntimeError(f"{wheels[0].name} has no member {member}; is {package} the right version?") from None
                digest = sha256_of(data)
                if digest != checksums[name]:
                    raise ValueError(
                        f"{name} from {wheels[0].name} has sha256 {digest}, expected {checksums[name]}; "
                        "the package changed, so check the table and update samples.atmospheric.flux.sha256"
                    )
                with atomic_output(out_dir / name) as tmp:
                    Path(tmp).write_bytes(data)
                written[pdg] = out_dir / name
                log.info("wrote %s (sha256 %s)", out_dir / name, digest[:12])
    return written
