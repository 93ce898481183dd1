"""Stepping of charged particles through the liquid scintillator with continuous energy loss and multiple scattering."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

from junoml.detector.medium import LiquidScintillator, _frank_tamm_per_mm, _stopping_power
from junoml.detector.particles import Particle, Segments

SPEED_OF_LIGHT_MM_PER_NS = 299.792458
# Columns of the compiled stepper's output, in the order of the Segments fields.
_N_COLUMNS = 12


@dataclass
class Track:
    """Result of stepping one charged particle: its segments in the LS and where it ended."""

    segments: Segments
    end_position_mm: np.ndarray
    end_direction: np.ndarray
    end_kinetic_energy_mev: float
    end_time_ns: float
    exited: bool
    stopped: bool
    path_length_mm: float


def propagate_charged(
    particle: Particle,
    *,
    mass_mev: float,
    charge: int,
    medium: LiquidScintillator,
    rng: np.random.Generator,
    step_mm: float = 10.0,
    stop_at_exit: bool = True,
    max_energy_loss_fraction: float = 0.05,
    cutoff_energy_mev: float = 0.01,
) -> Track:
    """Step a charged particle until it stops or, with `stop_at_exit`, leaves the LS sphere.

    Each step loses the mean Bethe-Bloch energy (evaluated at the step's midpoint energy, so the
    loss is second-order accurate), then turns the direction by two Gaussian projected angles. The
    angle variance of a step is the increase of the squared Highland width between the path
    travelled before and after the step: summing per-step Highland widths instead would
    underestimate the spread, because of the logarithmic term of the formula. Steps are at most
    `step_mm` long and shorter near the end of the range, so that no step loses more than
    `max_energy_loss_fraction` of the kinetic energy; below `cutoff_energy_mev` the rest of the
    energy is deposited at once. Cherenkov photons in the band are counted per step while
    beta > 1/n.
    """
    if mass_mev <= 0:
        raise ValueError(f"propagate_charged: mass_mev must be positive, got {mass_mev} for pdg {particle.pdg}")
    if charge == 0:
        raise ValueError(f"propagate_charged: particle pdg {particle.pdg} is neutral; use the shower functions")
    if not step_mm > 0:
        raise ValueError(f"propagate_charged: step_mm must be positive, got {step_mm}")
    if not 0 < max_energy_loss_fraction < 1:
        raise ValueError(f"propagate_charged: max_energy_loss_fraction must be in (0, 1), got {max_energy_loss_fraction}")
    start_radius = float(np.linalg.norm(particle.position_mm))
    if stop_at_exit and start_radius > medium.radius_mm * (1 + 1e-9):
        raise ValueError(
            f"propagate_charged: particle pdg {particle.pdg} starts at radius {start_radius:.1f} mm, outside the "
            f"LS sphere of {medium.radius_mm} mm; start it on the sphere at its entry point"
        )

    constants = medium.energy_loss_constants()
    optics = np.array([medium.density_g_cm3, medium.refractive_index, medium.cherenkov_band_nm[0],
                       medium.cherenkov_band_nm[1], medium.birks_kb_g_cm2_per_mev, medium.radiation_length_mm,
                       medium.radius_mm if stop_at_exit else np.inf])
    state = np.empty(9)
    state[0:3] = particle.position_mm
    state[3:6] = particle.direction
    state[6] = particle.kinetic_energy_mev
    state[7] = particle.time_ns
    state[8] = 0.0  # path length so far, mm

    pieces = []
    status = 0
    while status == 0:
        # Standard normals for the scattering angles, drawn in blocks so that the compiled loop
        # stays deterministic with the caller's generator.
        normals = rng.standard_normal((4096, 2))
        out = np.empty((4096, _N_COLUMNS))
        n_steps, status = _step_charged(state, normals, out, float(mass_mev), float(charge), constants, optics,
                                        float(step_mm), float(max_energy_loss_fraction), float(cutoff_energy_mev))
        pieces.append(out[:n_steps])

    table = np.concatenate(pieces) if pieces else np.empty((0, _N_COLUMNS))
    segments = Segments(*[table[:, i] for i in range(_N_COLUMNS)])
    return Track(
        segments=segments,
        end_position_mm=state[0:3].copy(),
        end_direction=state[3:6].copy(),
        end_kinetic_energy_mev=float(state[6]),
        end_time_ns=float(state[7]),
        exited=status == 2,
        stopped=status == 1,
        path_length_mm=float(state[8]),
    )


@numba.njit(cache=True)
def _highland_variance(path_x0):
    # Squared Highland width times (beta c p / 13.6 MeV)^2, for a path in radiation lengths.
    if path_x0 <= 0.0:
        return 0.0
    term = 1.0 + 0.038 * math.log(path_x0)
    return path_x0 * term * term


@numba.njit(cache=True)
def _distance_to_sphere(position, direction, radius):
    # Distance along the direction from a point inside the sphere to its surface.
    b = position[0] * direction[0] + position[1] * direction[1] + position[2] * direction[2]
    c = position[0] ** 2 + position[1] ** 2 + position[2] ** 2 - radius * radius
    disc = b * b - c
    if disc < 0.0:
        return 0.0
    return max(-b + math.sqrt(disc), 0.0)


@numba.njit(cache=True)
def _step_charged(state, normals, out, mass, charge, constants, optics, step_max, max_loss_fraction, cutoff):
    """Fill `out` with at most len(normals) steps; return (steps, status) with 0 more, 1 stopped, 2 exited."""
    density, n_index, band_low, band_high, birks_kb, x0_mm, radius = (
        optics[0], optics[1], optics[2], optics[3], optics[4], optics[5], optics[6])
    n_max = normals.shape[0]
    for i in range(n_max):
        energy = state[6]
        if energy <= cutoff:
            return i, 1

        # Step length: limited by the energy loss near the end of the range and by the sphere.
        sp0 = _stopping_power(energy, mass, charge, constants)
        dedx0 = sp0 * density / 10.0
        length = min(step_max, max_loss_fraction * energy / max(dedx0, 1e-12))
        length = max(length, 1e-3)
        to_exit = _distance_to_sphere(state[0:3], state[3:6], radius) if radius < np.inf else np.inf
        exits = to_exit <= length
        if exits:
            length = to_exit

        # Midpoint energy for the loss (second order), then the deposit of this step.
        e_mid = max(energy - 0.5 * dedx0 * length, 0.5 * energy)
        sp_mid = _stopping_power(e_mid, mass, charge, constants)
        edep = min(sp_mid * density / 10.0 * length, energy)
        last = (energy - edep) <= cutoff and not exits
        if last:
            edep = energy
        gamma = 1.0 + e_mid / mass
        beta = math.sqrt(1.0 - 1.0 / (gamma * gamma))
        momentum = mass * beta * gamma

        x, y, z = state[0], state[1], state[2]
        ux, uy, uz = state[3], state[4], state[5]
        t_mid = state[7] + 0.5 * length / (beta * 299.792458)
        out[i, 0] = x + 0.5 * length * ux
        out[i, 1] = y + 0.5 * length * uy
        out[i, 2] = z + 0.5 * length * uz
        out[i, 3] = t_mid
        out[i, 4] = ux
        out[i, 5] = uy
        out[i, 6] = uz
        out[i, 7] = length
        out[i, 8] = edep
        out[i, 9] = edep / (1.0 + birks_kb * sp_mid)
        out[i, 10] = _frank_tamm_per_mm(beta, n_index, band_low, band_high, charge) * length
        out[i, 11] = min(1.0, 1.0 / (n_index * beta))

        # Move to the end of the step.
        state[0] = x + length * ux
        state[1] = y + length * uy
        state[2] = z + length * uz
        state[6] = energy - edep
        state[7] = t_mid + 0.5 * length / (beta * 299.792458)
        path_before = state[8]
        state[8] = path_before + length
        if exits:
            return i + 1, 2
        if last:
            return i + 1, 1

        # Highland: variance increase between the path before and after this step.
        scale = 13.6 * abs(charge) / (beta * momentum)
        variance = scale * scale * (_highland_variance(state[8] / x0_mm) - _highland_variance(path_before / x0_mm))
        sigma = math.sqrt(max(variance, 0.0))
        theta_a = sigma * normals[i, 0]
        theta_b = sigma * normals[i, 1]

        # Two unit vectors perpendicular to the direction.
        if abs(uz) < 0.9:
            ax, ay, az = -uy, ux, 0.0
        else:
            ax, ay, az = 0.0, -uz, uy
        norm = math.sqrt(ax * ax + ay * ay + az * az)
        ax, ay, az = ax / norm, ay / norm, az / norm
        bx = uy * az - uz * ay
        by = uz * ax - ux * az
        bz = ux * ay - uy * ax
        nx = ux + theta_a * ax + theta_b * bx
        ny = uy + theta_a * ay + theta_b * by
        nz = uz + theta_a * az + theta_b * bz
        norm = math.sqrt(nx * nx + ny * ny + nz * nz)
        state[3] = nx / norm
        state[4] = ny / norm
        state[5] = nz / norm
    return n_max, 0
