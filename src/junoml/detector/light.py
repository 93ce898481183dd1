"""Light emission along track segments and its transport to the PMTs, down to photo-electron times.

Approximations, each also described in docs/simulation.md:
- Every PMT is a disc of radius r facing the centre; the solid angle it subtends from a light
  source at distance d is pi r^2 cos(incidence) / d^2, and the light travels in a straight line
  at one effective speed (photon_speed_mm_per_ns), through LS all the way: the acrylic and the
  water buffer are treated as LS.
- Consecutive segments are merged into light sources of at most light_step_mm.
- Scintillation is isotropic. Cherenkov light leaves on a cone of angle arccos(1/(n beta)) about
  the segment direction, with a Gaussian spread in angle; it is prompt.
- One detection efficiency per PMT applies to both scintillation and Cherenkov light.
- Rayleigh scattering (when enabled) removes the fraction 1 - exp(-d / rayleigh_length) from the
  direct light. The scattered photons leave the source's region isotropically: they reach each
  PMT in proportion to the solid angle it subtends from the centre, after a detour. Each
  scattered photo-electron scatters at a distance drawn from the exponential law (truncated at
  the LS sphere) along a random direction, and arrives after the path source -> scattering
  point -> PMT. Scattered light is attenuated by absorption along the direct paths (so the
  longer detour absorbs slightly too little), and it keeps no memory of the Cherenkov direction.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from junoml.detector.particles import Segments


def merge_segments(segments: Segments, *, max_length_mm: float, min_cos_angle: float) -> Segments:
    """Merge consecutive, touching segments into light sources of at most `max_length_mm`.

    Segments merge while their summed length stays within `max_length_mm`, their directions stay
    within the angle whose cosine is `min_cos_angle` of the group's first segment, and each one
    starts where the previous one ended (within 1 mm), so that separate particles never merge.
    Positions, times and Cherenkov cosines are weighted means; energies and photon counts add up.
    """
    if len(segments) == 0:
        return segments
    group = _group_segments(segments.x_mm, segments.y_mm, segments.z_mm, segments.ux, segments.uy, segments.uz,
                            segments.length_mm, float(max_length_mm), float(min_cos_angle))
    n_groups = int(group[-1]) + 1
    if n_groups == len(segments):
        return segments

    length = np.bincount(group, weights=segments.length_mm, minlength=n_groups)
    # Light-weighted means; fall back to length weights where a group emits no light.
    weight = segments.evis_mev + 1e-4 * segments.n_cherenkov + 1e-9 * segments.length_mm
    total_weight = np.bincount(group, weights=weight, minlength=n_groups)

    def weighted_mean(values):
        return np.bincount(group, weights=weight * values, minlength=n_groups) / total_weight

    ux = np.bincount(group, weights=segments.ux * segments.length_mm, minlength=n_groups)
    uy = np.bincount(group, weights=segments.uy * segments.length_mm, minlength=n_groups)
    uz = np.bincount(group, weights=segments.uz * segments.length_mm, minlength=n_groups)
    norm = np.sqrt(ux * ux + uy * uy + uz * uz)
    norm[norm == 0] = 1.0
    n_cherenkov = np.bincount(group, weights=segments.n_cherenkov, minlength=n_groups)
    cherenkov_cos_sum = np.bincount(group, weights=segments.n_cherenkov * segments.cos_cherenkov, minlength=n_groups)
    cos_cherenkov = np.where(n_cherenkov > 0, cherenkov_cos_sum / np.maximum(n_cherenkov, 1e-300), 1.0)
    return Segments(
        x_mm=weighted_mean(segments.x_mm),
        y_mm=weighted_mean(segments.y_mm),
        z_mm=weighted_mean(segments.z_mm),
        t_ns=weighted_mean(segments.t_ns),
        ux=ux / norm,
        uy=uy / norm,
        uz=uz / norm,
        length_mm=length,
        edep_mev=np.bincount(group, weights=segments.edep_mev, minlength=n_groups),
        evis_mev=np.bincount(group, weights=segments.evis_mev, minlength=n_groups),
        n_cherenkov=n_cherenkov,
        cos_cherenkov=cos_cherenkov,
    )


@numba.njit(cache=True)
def _group_segments(x, y, z, ux, uy, uz, length, max_length, min_cos):
    n = x.size
    group = np.empty(n, dtype=np.int64)
    current = 0
    first = 0
    group_length = 0.0
    for i in range(n):
        if i > 0:
            # The previous segment's end point and this segment's start point.
            gap_x = (x[i - 1] + 0.5 * length[i - 1] * ux[i - 1]) - (x[i] - 0.5 * length[i] * ux[i])
            gap_y = (y[i - 1] + 0.5 * length[i - 1] * uy[i - 1]) - (y[i] - 0.5 * length[i] * uy[i])
            gap_z = (z[i - 1] + 0.5 * length[i - 1] * uz[i - 1]) - (z[i] - 0.5 * length[i] * uz[i])
            touching = gap_x * gap_x + gap_y * gap_y + gap_z * gap_z < 1.0
            aligned = ux[i] * ux[first] + uy[i] * uy[first] + uz[i] * uz[first] >= min_cos
            if touching and aligned and group_length + length[i] <= max_length:
                group_length += length[i]
            else:
                current += 1
                first = i
                group_length = length[i]
        else:
            group_length = length[i]
        group[i] = current
    return group


@numba.njit(cache=True)
def _sample_scintillation_delay(rng, u, cumulative_weights, decay_ns, rise_ns):
    # `u` is a uniform number in [0, 1) that picks the decay component.
    k = 0
    while k < cumulative_weights.size - 1 and u > cumulative_weights[k]:
        k += 1
    # Sum of a rise-time and a decay-time exponential: its density is the difference of the two
    # exponentials, (exp(-t/decay) - exp(-t/rise)) / (decay - rise).
    return -rise_ns * math.log(1.0 - rng.random()) - decay_ns[k] * math.log(1.0 - rng.random())


@numba.njit(cache=True)
def _search(cumulative, value):
    lo = 0
    hi = cumulative.size - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cumulative[mid] < value:
            lo = mid + 1
        else:
            hi = mid
    return lo


@numba.njit(cache=True)
def _append(pmt_out, time_out, n, pmt, time):
    if n == pmt_out.size:
        new_pmt = np.empty(2 * n + 1024, dtype=np.int32)
        new_time = np.empty(2 * n + 1024, dtype=np.float64)
        new_pmt[:n] = pmt_out[:n]
        new_time[:n] = time_out[:n]
        pmt_out = new_pmt
        time_out = new_time
    pmt_out[n] = pmt
    time_out[n] = time
    return pmt_out, time_out


@numba.njit(cache=True)
def sample_photoelectrons(rng, pmt_xyz, pmt_efficiency, src_xyz, src_t, src_u, n_scint, n_cherenkov, cos_cherenkov,
                          pmt_radius, inv_absorption, inv_rayleigh, cone_sigma_rad, cumulative_weights, decay_ns,
                          rise_ns, photon_speed, ls_radius, capacity):
    """Draw the photo-electrons of all PMTs; return (pmt_id int32, time_ns float64) grouped by PMT.

    pmt_efficiency is the detection efficiency times the light-yield normalisation; n_scint and
    n_cherenkov are photon counts per source.
    """
    n_pmt = pmt_xyz.shape[0]
    n_src = src_xyz.shape[0]
    pmt_out = np.empty(capacity, dtype=np.int32)
    time_out = np.empty(capacity, dtype=np.float64)
    n_out = 0

    area_factor = pmt_radius * pmt_radius / 4.0  # solid angle over 4 pi = r^2 cos / (4 d^2)
    src_r2 = np.empty(n_src)
    cone_lo = np.empty(n_src)  # cosine limits of the cone +- 5 sigma
    cone_hi = np.empty(n_src)
    cone_theta = np.empty(n_src)
    for s in range(n_src):
        src_r2[s] = src_xyz[s, 0] ** 2 + src_xyz[s, 1] ** 2 + src_xyz[s, 2] ** 2
        theta = math.acos(min(cos_cherenkov[s], 1.0))
        cone_theta[s] = theta
        cone_hi[s] = math.cos(max(theta - 5.0 * cone_sigma_rad, 0.0))
        cone_lo[s] = math.cos(min(theta + 5.0 * cone_sigma_rad, math.pi))
    cone_norm = 1.0 / (cone_sigma_rad * math.sqrt(2.0 * math.pi) * 2.0 * math.pi)

    omega_sum = np.zeros(n_src)
    omega_scattered = np.zeros(n_src)
    omega_transmitted = np.zeros(n_src)
    cumulative = np.empty(n_src)
    scint_part = np.empty(n_src)
    distance = np.empty(n_src)

    # Direct light, PMT by PMT.
    for j in range(n_pmt):
        px, py, pz = pmt_xyz[j, 0], pmt_xyz[j, 1], pmt_xyz[j, 2]
        pr2 = px * px + py * py + pz * pz
        pr = math.sqrt(pr2)
        total = 0.0
        for s in range(n_src):
            dot = px * src_xyz[s, 0] + py * src_xyz[s, 1] + pz * src_xyz[s, 2]
            d2 = max(pr2 + src_r2[s] - 2.0 * dot, 1.0)
            d = math.sqrt(d2)
            distance[s] = d
            cos_incidence = (pr2 - dot) / (pr * d)
            mu_s = 0.0
            mu_c = 0.0
            if cos_incidence > 0.0:
                omega = area_factor * cos_incidence / d2
                transmitted = math.exp(-d * inv_absorption)
                unscattered = math.exp(-d * inv_rayleigh)
                omega_sum[s] += omega
                omega_scattered[s] += omega * (1.0 - unscattered)
                omega_transmitted[s] += omega * transmitted
                weight = omega * transmitted * unscattered * pmt_efficiency[j]
                mu_s = n_scint[s] * weight
                if n_cherenkov[s] > 0.0:
                    cos_alpha = ((px - src_xyz[s, 0]) * src_u[s, 0] + (py - src_xyz[s, 1]) * src_u[s, 1]
                                 + (pz - src_xyz[s, 2]) * src_u[s, 2]) / d
                    if cone_lo[s] <= cos_alpha <= cone_hi[s]:
                        alpha = math.acos(min(max(cos_alpha, -1.0), 1.0))
                        x = (alpha - cone_theta[s]) / cone_sigma_rad
                        # Density per solid angle of a Gaussian ring: g(alpha) / (2 pi sin alpha),
                        # times 4 pi because omega is already divided by 4 pi.
                        density = cone_norm * math.exp(-0.5 * x * x) / max(math.sin(alpha), 0.05)
                        mu_c = n_cherenkov[s] * weight * 4.0 * math.pi * density
            scint_part[s] = mu_s
            total += mu_s + mu_c
            cumulative[s] = total
        if total <= 0.0:
            continue
        n_pe = rng.poisson(total)
        for _ in range(n_pe):
            # One uniform number picks the source, then, rescaled within the source's share, the
            # kind of light and the decay component.
            value = rng.random() * total
            s = _search(cumulative, value)
            lower = cumulative[s - 1] if s > 0 else 0.0
            within = value - lower
            t = src_t[s] + distance[s] / photon_speed
            if within < scint_part[s]:
                t += _sample_scintillation_delay(rng, within / scint_part[s], cumulative_weights, decay_ns, rise_ns)
            pmt_out, time_out = _append(pmt_out, time_out, n_out, j, t)
            n_out += 1

    if inv_rayleigh <= 0.0:
        return pmt_out[:n_out], time_out[:n_out]

    # Scattered light: expected photons per source, then PMTs weighted by their solid angle
    # from the centre.
    scattered_cumulative = np.empty(n_src)
    running = 0.0
    for s in range(n_src):
        if omega_sum[s] > 0.0:
            fraction = omega_scattered[s] / omega_sum[s]
            transmission = omega_transmitted[s] / omega_sum[s]
            running += (n_scint[s] + n_cherenkov[s]) * fraction * transmission
        scattered_cumulative[s] = running
    if running <= 0.0:
        return pmt_out[:n_out], time_out[:n_out]
    for j in range(n_pmt):
        px, py, pz = pmt_xyz[j, 0], pmt_xyz[j, 1], pmt_xyz[j, 2]
        pr2 = px * px + py * py + pz * pz
        n_pe = rng.poisson(running * pmt_efficiency[j] * area_factor / pr2)
        for _ in range(n_pe):
            value = rng.random() * running
            s = _search(scattered_cumulative, value)
            lower = scattered_cumulative[s - 1] if s > 0 else 0.0
            # Position within the source's share, rescaled to its photon count.
            within = (value - lower) / max(scattered_cumulative[s] - lower, 1e-300) * (n_scint[s] + n_cherenkov[s])

            # Random direction and scattering distance, truncated at the LS sphere.
            cos_t = 2.0 * rng.random() - 1.0
            sin_t = math.sqrt(max(1.0 - cos_t * cos_t, 0.0))
            phi = 2.0 * math.pi * rng.random()
            wx, wy, wz = sin_t * math.cos(phi), sin_t * math.sin(phi), cos_t
            b = src_xyz[s, 0] * wx + src_xyz[s, 1] * wy + src_xyz[s, 2] * wz
            to_wall = max(-b + math.sqrt(max(b * b - src_r2[s] + ls_radius * ls_radius, 0.0)), 0.0)
            survive = math.exp(-to_wall * inv_rayleigh)
            d1 = -math.log(1.0 - rng.random() * (1.0 - survive)) / inv_rayleigh
            sx = src_xyz[s, 0] + d1 * wx
            sy = src_xyz[s, 1] + d1 * wy
            sz = src_xyz[s, 2] + d1 * wz
            d2 = math.sqrt((px - sx) ** 2 + (py - sy) ** 2 + (pz - sz) ** 2)
            t = src_t[s] + (d1 + d2) / photon_speed
            if within < n_scint[s]:
                t += _sample_scintillation_delay(rng, within / n_scint[s], cumulative_weights, decay_ns, rise_ns)
            pmt_out, time_out = _append(pmt_out, time_out, n_out, j, t)
            n_out += 1
    return pmt_out[:n_out], time_out[:n_out]
