"""Classical muon track fit: a straight track fitted to the PMTs' first-hit times with a fastest-light model.

Model. The muon starts at point r0 at time t0 and moves along the unit vector u at the speed of
light c. It emits light at every point of the segment s in [s_lo, s_hi] (distance from r0 along
u) that lies inside the liquid scintillator (LS), and the light moves at the effective photon
speed v < c. For a PMT at p, let l = (p - r0) . u be its distance along the track and rho its
distance from the track's line. Light emitted at s reaches the PMT at

    t(s) = t0 + s / c + sqrt((l - s)^2 + rho^2) / v.

t(s) is convex in s, and dt/ds = 0 where (l - s) / sqrt((l - s)^2 + rho^2) = v / c, so the
earliest light leaves the track at the angle theta_c = arccos(v / c) to it, from

    s* = l - rho / tan(theta_c),    t(s*) = t0 + (l + rho tan(theta_c)) / c,

with tan(theta_c) = sqrt(c^2 - v^2) / v. For v = 190 mm/ns, theta_c = 50.7 degrees. When s*
lies before the emitting segment (a PMT "behind" the start point) or after it (a track that
stops inside the LS or leaves it), convexity puts the earliest light at the nearer end of the
segment, so the model clips s* to [s_lo, s_hi]: s_lo = max(0, entry into the LS) and
s_hi = min(L, exit from the LS), where L is the fitted track length.

First-hit time. A PMT's first hit is its first pulse above a charge threshold. For a PMT that
detects n photo-electrons, the first of them is early by the first order statistic of n Gaussian
transit times, sigma_tts * Phi^-1((1 - 0.375) / (n + 0.25)) in Blom's approximation. It is also
late by the first of n scintillation delays, on average tau / n. The model adds both to t(s*), using the
charge of the PMT's first pulse as n, and weighs each residual by sigma^2 = floor^2 + sigma_tts^2 + (tau / n)^2.

Fit. Seven parameters: r0 (3), two angles of u around a reference direction, t0 and L. The
initial directions are the principal axes of the charge-weighted PMT positions, each pointed
along the time order of the hits and reversed. Each gives a through-going track (the chord
through the charge centroid). When the event's charge suggests a track of a few metres, short
tracks of that length, centred on a point-source fit of the first hits, replace the chords.
From each initial track, a Levenberg-Marquardt fit (robust_fit.py) minimises a Cauchy loss of
the normalised residuals, which is robust to dark noise and late light. The fit with the lowest
cost is refitted with a soft-L1 loss on the hits within a residual cut.
"""

import dataclasses
import logging
import time

import numpy as np
import pandas as pd
from scipy.special import ndtri

from junoml.baselines.hits import check_columns, event_slices, lookup_pmts, pmt_positions, pmt_summary
from junoml.baselines.params import SPEED_OF_LIGHT_MM_PER_NS, TrackFitParams
from junoml.baselines.robust_fit import RobustFitResult, minimise_robust

log = logging.getLogger(__name__)

N_FIT_PARAMETERS = 7
FIT_COLUMNS = (
    "event_id",
    "pred_dir_x",
    "pred_dir_y",
    "pred_dir_z",
    "fit_x_mm",
    "fit_y_mm",
    "fit_z_mm",
    "fit_time_ns",
    "fit_length_mm",
    "fit_chi2_ndf",
    "fit_n_hits",
    "fit_n_used_hits",
    "fit_converged",
)


@dataclasses.dataclass(frozen=True)
class TrackFitResult:
    """Result of one event's fit.

    `point_mm` is where the fitted track starts to emit light (its start, or its entry into
    the LS), `time_ns` the muon's time there and `length_mm` the emitting length in the LS.
    """

    direction: np.ndarray
    point_mm: np.ndarray
    time_ns: float
    length_mm: float
    chi2_ndf: float
    n_hits: int
    n_used_hits: int
    converged: bool


def _failed_fit(n_hits: int) -> TrackFitResult:
    nan3 = np.full(3, np.nan)
    return TrackFitResult(nan3, nan3, np.nan, np.nan, np.nan, n_hits, 0, False)


def emission_range(
    start_mm: np.ndarray, direction: np.ndarray, length_mm: float, ls_radius_mm: float
) -> tuple[float, float]:
    """Return the distances (s_lo, s_hi) along the track, in mm, between which it emits light inside the LS."""
    b = float(start_mm @ direction)
    discriminant = b * b - (float(start_mm @ start_mm) - ls_radius_mm**2)
    if discriminant <= 0.0:
        # The line misses the LS; keep the whole segment so that the model stays defined.
        return 0.0, max(float(length_mm), 0.0)
    root = np.sqrt(discriminant)
    s_lo = max(0.0, -b - root)
    s_hi = min(float(length_mm), -b + root)
    return s_lo, max(s_hi, s_lo)


def first_light_time(
    pmt_mm: np.ndarray,
    start_mm: np.ndarray,
    direction: np.ndarray,
    start_time_ns: float,
    length_mm: float,
    *,
    photon_speed_mm_per_ns: float,
    ls_radius_mm: float,
) -> np.ndarray:
    """Return the earliest arrival time (ns) of the track's light at each PMT [n, 3] (mm); see the module docstring."""
    c = SPEED_OF_LIGHT_MM_PER_NS
    v = photon_speed_mm_per_ns
    cot_theta_c = v / np.sqrt(c * c - v * v)

    offset = pmt_mm - start_mm
    along = offset @ direction
    rho = np.sqrt(np.maximum(np.einsum("ij,ij->i", offset, offset) - along * along, 0.0))

    s_lo, s_hi = emission_range(start_mm, direction, length_mm, ls_radius_mm)
    s = np.clip(along - rho * cot_theta_c, s_lo, s_hi)
    return start_time_ns + s / c + np.hypot(along - s, rho) / v


def first_hit_delay(charge_pe: np.ndarray, tts_sigma_ns: np.ndarray, params: TrackFitParams) -> np.ndarray:
    """Return the expected shift (ns) of a PMT's first hit from the first light, for n = charge photo-electrons."""
    n = np.maximum(charge_pe, 1.0)
    delay = params.scintillation_delay_ns / n
    if params.first_hit_bias_correction:
        # Blom's approximation of the expected minimum of n standard normal values.
        delay = delay + tts_sigma_ns * ndtri(0.625 / (n + 0.25))
    return delay


def _orthonormal_basis(direction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    helper = np.array([1.0, 0.0, 0.0]) if abs(direction[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    e1 = np.cross(direction, helper)
    e1 /= np.linalg.norm(e1)
    return e1, np.cross(direction, e1)


class _EventFit:
    """Least-squares problem of one event around a reference direction."""

    def __init__(self, pmt_mm, time_ns, charge_pe, tts_sigma_ns, params: TrackFitParams):
        self.pmt_mm = pmt_mm
        self.time_ns = time_ns
        self.params = params
        self.delay_ns = first_hit_delay(charge_pe, tts_sigma_ns, params)
        self.sigma_ns = np.sqrt(
            params.time_uncertainty_floor_ns**2
            + tts_sigma_ns**2
            + (params.scintillation_delay_ns / np.maximum(charge_pe, 1.0)) ** 2
        )

    def unpack(self, x: np.ndarray, reference: np.ndarray, basis) -> tuple[np.ndarray, np.ndarray, float, float]:
        direction = reference + x[3] * basis[0] + x[4] * basis[1]
        return x[:3], direction / np.linalg.norm(direction), x[5], x[6]

    def residuals(self, x, reference, basis, mask=None) -> np.ndarray:
        start, direction, start_time, length = self.unpack(x, reference, basis)
        pmt_mm = self.pmt_mm if mask is None else self.pmt_mm[mask]
        predicted = first_light_time(
            pmt_mm,
            start,
            direction,
            start_time,
            length,
            photon_speed_mm_per_ns=self.params.photon_speed_mm_per_ns,
            ls_radius_mm=self.params.ls_radius_mm,
        )
        if mask is None:
            return (self.time_ns - predicted - self.delay_ns) / self.sigma_ns
        return (self.time_ns[mask] - predicted - self.delay_ns[mask]) / self.sigma_ns[mask]

    def point_source(self, start_mm: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Fit a point source of light (position and time) to the first hits of `mask` and return its position, mm.

        The source's light reaches a PMT at t0 + |p - r| / v. The loss and the first-hit
        corrections are those of the track model.
        """
        radius = self.params.ls_radius_mm
        speed = self.params.photon_speed_mm_per_ns
        pmt_mm, corrected = self.pmt_mm[mask], self.time_ns[mask] - self.delay_ns[mask]
        sigma = self.sigma_ns[mask]

        def residuals(x: np.ndarray) -> np.ndarray:
            return (corrected - x[3] - np.linalg.norm(pmt_mm - x[:3], axis=1) / speed) / sigma

        start_time = float(np.median(corrected - np.linalg.norm(pmt_mm - start_mm, axis=1) / speed))
        result = minimise_robust(
            residuals,
            np.r_[start_mm, start_time],
            x_scale=np.array([1000.0, 1000.0, 1000.0, 10.0]),
            lower=np.r_[-radius, -radius, -radius, -np.inf],
            upper=np.r_[radius, radius, radius, np.inf],
            loss="cauchy",
            loss_scale=self.params.cauchy_scale,
            max_evaluations=self.params.max_function_evaluations,
        )
        return result.x[:3]

    def solve(
        self,
        start: np.ndarray,
        direction: np.ndarray,
        length_mm: float,
        *,
        loss: str,
        loss_scale: float,
        mask: np.ndarray | None = None,
        start_time_ns: float | None = None,
    ) -> tuple[RobustFitResult, np.ndarray, tuple[np.ndarray, np.ndarray]]:
        """Minimise the robust loss from a track; return (RobustFitResult, reference direction, basis)."""
        radius = self.params.ls_radius_mm
        basis = _orthonormal_basis(direction)
        if start_time_ns is None:
            # The time offset that puts the median residual at zero.
            zero_time = self.residuals(np.r_[start, 0.0, 0.0, 0.0, length_mm], direction, basis) * self.sigma_ns
            start_time_ns = float(np.median(zero_time if mask is None else zero_time[mask]))
        x0 = np.r_[start, 0.0, 0.0, start_time_ns, length_mm]
        lower = np.r_[-1.5 * radius, -1.5 * radius, -1.5 * radius, -np.inf, -np.inf, -np.inf, 0.0]
        upper = np.r_[1.5 * radius, 1.5 * radius, 1.5 * radius, np.inf, np.inf, np.inf, 2.0 * radius]
        result = minimise_robust(
            lambda x: self.residuals(x, direction, basis, mask),
            x0,
            x_scale=np.array([1000.0, 1000.0, 1000.0, 0.1, 0.1, 10.0, 1000.0]),
            lower=lower,
            upper=upper,
            loss=loss,
            loss_scale=loss_scale,
            max_evaluations=self.params.max_function_evaluations,
        )
        return result, direction, basis


def _line_entry(point: np.ndarray, direction: np.ndarray, ls_radius_mm: float) -> tuple[np.ndarray, float]:
    """Return where the line through `point` along `direction` enters the LS (mm) and its chord length (mm)."""
    radius = np.linalg.norm(point)
    if radius > 0.9 * ls_radius_mm:
        point = point * (0.9 * ls_radius_mm / radius)
    b = point @ direction
    root = np.sqrt(b * b - (point @ point - ls_radius_mm**2))
    return point + (-b - root) * direction, float(2.0 * root)


def initial_tracks(
    pmt_mm: np.ndarray, time_ns: np.ndarray, charge_pe: np.ndarray, params: TrackFitParams
) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """Return the initial tracks (start in mm, direction, length in mm) that the robust passes start from.

    Each is a through-going track through the charge-weighted centroid of the PMT positions.
    It runs along one of the `n_initial_axes` principal axes of the charge-weighted positions
    (largest spread first), pointed from the early to the late hits. With
    `try_reversed_direction`, each axis is also tried reversed. The first principal axis
    follows most tracks, and the others catch those whose charge pattern is wider across the
    track than along it.
    """
    weight = charge_pe / charge_pe.sum()
    centroid = weight @ pmt_mm
    spread = pmt_mm - centroid
    _, eigenvectors = np.linalg.eigh((spread * weight[:, None]).T @ spread)
    mean_time = weight @ time_ns

    tracks = []
    for axis in range(params.n_initial_axes):
        direction = eigenvectors[:, -1 - axis]
        # The muon moves from early to late hits.
        if weight @ ((spread @ direction) * (time_ns - mean_time)) < 0:
            direction = -direction
        start, chord = _line_entry(centroid, direction, params.ls_radius_mm)
        tracks.append((start, direction, chord))
        if params.try_reversed_direction:
            tracks.append((start + chord * direction, -direction, chord))
    return tracks


def contained_tracks(
    problem: _EventFit,
    tracks: list[tuple[np.ndarray, np.ndarray, float]],
    total_charge_pe: np.ndarray,
    mask: np.ndarray,
    params: TrackFitParams,
) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """Return short initial tracks for a muon of a few metres in the LS, or [] for a longer one.

    The length is the event's total charge over `charge_per_track_mm_pe`. When it is below
    `contained_start_max_length_mm`, each direction of `tracks` gives a track of that length
    centred on the point-source fit of the first hits. From a chord of 30 m, the fit of a 3 m
    track often settled on a long reversed track.
    """
    length = float(total_charge_pe.sum()) / params.charge_per_track_mm_pe
    if length >= params.contained_start_max_length_mm:
        return []
    weight = total_charge_pe / total_charge_pe.sum()
    # Half the charge centroid of the PMT positions lies inside the LS, on the side of the light.
    centre = problem.point_source(0.5 * (weight @ problem.pmt_mm), mask)
    return [(centre - 0.5 * length * direction, direction, length) for _, direction, _ in tracks]


def fit_track(
    pmt_mm: np.ndarray,
    time_ns: np.ndarray,
    charge_pe: np.ndarray,
    tts_sigma_ns: np.ndarray,
    params: TrackFitParams,
    *,
    total_charge_pe: np.ndarray | None = None,
) -> TrackFitResult:
    """Fit one event's track to its fired PMTs.

    Args:
        pmt_mm: positions [n, 3] of the fired PMTs, mm.
        time_ns: first-hit time of each PMT, ns.
        charge_pe: charge of each PMT (the photon count n of the first-hit model), p.e.
        tts_sigma_ns: transit-time spread (Gaussian sigma) of each PMT, ns.
        params: fit parameters.
        total_charge_pe: summed charge of all pulses of each PMT, p.e., which sets the length of
            the short initial tracks (default: charge_pe).
    """
    n_hits = int(time_ns.size)
    if n_hits < params.min_hits:
        return _failed_fit(n_hits)
    problem = _EventFit(pmt_mm, time_ns, charge_pe, tts_sigma_ns, params)

    # The robust passes run on an evenly spread subset of the PMTs, because each of the up to
    # six passes costs time in proportion to the PMTs it uses. The final pass uses every PMT.
    stride = max(1, int(np.ceil(n_hits / params.max_hits_robust_pass)))
    subset = np.zeros(n_hits, dtype=bool)
    subset[::stride] = True
    tracks = initial_tracks(pmt_mm, time_ns, charge_pe, params)
    if params.contained_track_starts:
        total = charge_pe if total_charge_pe is None else total_charge_pe
        # Short tracks replace the chords, because a 30 m chord starts the fit of a 3 m track
        # far from its minimum.
        tracks = contained_tracks(problem, tracks, total, subset, params) or tracks
    candidates = [
        problem.solve(start, direction, length, loss="cauchy", loss_scale=params.cauchy_scale, mask=subset)
        for start, direction, length in tracks
    ]
    # NOTE: below about 2 m of track the reversed track often has the lowest cost, because the
    # first hits barely tell the two ends of a short track apart (docs/baselines.md).
    robust, reference, basis = min(candidates, key=lambda candidate: candidate[0].cost)
    start, direction, start_time, length = problem.unpack(robust.x, reference, basis)

    # Refit on the hits within the residual cut, around the robust solution's direction.
    used = np.abs(problem.residuals(robust.x, reference, basis)) < params.residual_cut_sigma
    if int(used.sum()) < params.min_hits:
        return _failed_fit(n_hits)
    final, reference, basis = problem.solve(
        start, direction, length, loss="soft_l1", loss_scale=params.cauchy_scale, mask=used, start_time_ns=start_time
    )

    start, direction, start_time, length = problem.unpack(final.x, reference, basis)
    s_lo, s_hi = emission_range(start, direction, length, params.ls_radius_mm)
    residual = problem.residuals(final.x, reference, basis)
    used = np.abs(residual) < params.residual_cut_sigma
    n_used = int(used.sum())
    chi2_ndf = float(np.sum(residual[used] ** 2) / max(n_used - N_FIT_PARAMETERS, 1))
    converged = bool(final.converged and n_used >= params.min_hits and np.isfinite(chi2_ndf))
    return TrackFitResult(
        # A fit that did not converge predicts no direction.
        direction=direction if converged else np.full(3, np.nan),
        point_mm=start + s_lo * direction,
        time_ns=float(start_time + s_lo / SPEED_OF_LIGHT_MM_PER_NS),
        length_mm=float(s_hi - s_lo),
        chi2_ndf=chi2_ndf,
        n_hits=n_hits,
        n_used_hits=n_used,
        converged=converged,
    )


def fit_tracks(hits: pd.DataFrame, events: pd.DataFrame, pmts: pd.DataFrame, params: TrackFitParams) -> pd.DataFrame:
    """Fit a muon track to every event of `events`.

    Args:
        hits: pulses with event_id, pmt_id, hit_time_ns (ns) and charge_pe (p.e.).
        events: one row per event with event_id; events without hits get a failed fit.
        pmts: geometry with pmt_id, x_mm, y_mm, z_mm and tts_sigma_ns.
        params: fit parameters.

    Returns one row per event, in the order of `events`, with the columns of FIT_COLUMNS. They
    are the direction (pred_dir_*), the point where the track starts to emit light in the LS
    (fit_*_mm), the muon's time there (fit_time_ns) and the emitting length (fit_length_mm).
    The quality columns are the chi2 per degree of freedom of the hits within the residual cut,
    the numbers of fired and used PMTs, and fit_converged. Failed fits have NaN direction and
    fit_converged False.
    """
    check_columns(events, ("event_id",), "events")
    check_columns(pmts, ("tts_sigma_ns",), "geometry")
    positions, known = pmt_positions(pmts)
    tts_lookup = np.full(known.size, np.nan)
    tts_lookup[pmts["pmt_id"].to_numpy(np.int64)] = pmts["tts_sigma_ns"].to_numpy(np.float64)

    summary = pmt_summary(hits, charge_threshold_pe=params.first_hit_charge_threshold_pe)
    pmt_id = summary["pmt_id"].to_numpy(np.int64)
    lookup_pmts(pmt_id, known)
    slices = event_slices(summary["event_id"].to_numpy(np.int64))
    pmt_mm = positions[pmt_id]
    tts_sigma_ns = tts_lookup[pmt_id]
    time_ns = summary["first_hit_time_ns"].to_numpy(np.float64)
    charge_pe = summary[params.photon_count_column].to_numpy(np.float64)
    total_charge_pe = summary["charge_pe"].to_numpy(np.float64)

    event_ids = events["event_id"].to_numpy(np.int64)
    rows = []
    clock = time.perf_counter()
    report_every = max(1, len(event_ids) // 10)
    for number, event_id in enumerate(event_ids, start=1):
        rows_of_event = slices.get(int(event_id), slice(0, 0))
        result = fit_track(
            pmt_mm[rows_of_event],
            time_ns[rows_of_event],
            charge_pe[rows_of_event],
            tts_sigma_ns[rows_of_event],
            params,
            total_charge_pe=total_charge_pe[rows_of_event],
        )
        rows.append(
            (
                int(event_id),
                *result.direction,
                *result.point_mm,
                result.time_ns,
                result.length_mm,
                result.chi2_ndf,
                result.n_hits,
                result.n_used_hits,
                result.converged,
            )
        )
        if number % report_every == 0 or number == len(event_ids):
            elapsed = time.perf_counter() - clock
            log.info("track fit: %d of %d events, %.3f s per event", number, len(event_ids), elapsed / number)

    fits = pd.DataFrame.from_records(rows, columns=list(FIT_COLUMNS))
    fits["event_id"] = fits["event_id"].astype(np.int64)
    fits["fit_converged"] = fits["fit_converged"].astype(bool)
    n_failed = int((~fits["fit_converged"]).sum())
    if n_failed:
        log.info("track fit: %d of %d events did not converge", n_failed, len(fits))
    return fits


def track_fit_predictions(split: pd.DataFrame, fits: pd.DataFrame) -> pd.DataFrame:
    """Build the direction predictions table: the split's columns plus pred_dir_* and the fit's quality columns.

    Events whose fit failed keep NaN in pred_dir_* and False in fit_converged, so the metrics
    can count them as failures instead of dropping them silently.
    """
    check_columns(split, ("event_id",), "split")
    check_columns(fits, FIT_COLUMNS, "track fit")
    merged = split.merge(fits, on="event_id", how="left", validate="one_to_one")
    missing = int(merged["fit_n_hits"].isna().sum())
    if missing:
        raise ValueError(f"{missing} split events have no track fit; fit every event of the split")
    return merged
