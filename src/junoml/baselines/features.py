"""Handcrafted event features for the flavour baseline, one row per event; docs/baselines.md defines each one."""

import logging

import numpy as np
import pandas as pd

from junoml.baselines.hits import HIT_COLUMNS, check_columns, event_slices, lookup_pmts, pmt_positions, pmt_summary
from junoml.baselines.params import FeatureParams, TrackFitParams
from junoml.baselines.track_fit import fit_tracks

log = logging.getLogger(__name__)

TRACK_FIT_FEATURES = ("fit_chi2_ndf", "fit_used_fraction", "fit_length_mm", "fit_converged")


def feature_names(params: FeatureParams) -> list[str]:
    """Return the feature columns that extract_features writes for `params`, in order."""
    names = [
        "charge_total_pe",
        "n_pulses",
        "n_fired_pmts",
        "max_pmt_charge_fraction",
        "time_mean_ns",
        "time_std_ns",
        "time_skewness",
        "time_kurtosis",
        "time_spread_10_90_ns",
        "first_hit_spread_10_90_ns",
        *(f"early_fraction_{window:g}ns" for window in params.early_windows_ns),
        "late_fraction",
        "charge_dipole",
        "charge_hemisphere_asymmetry",
        "quadrupole_max_eigenvalue",
        "quadrupole_min_eigenvalue",
        "charge_centroid_radius_mm",
    ]
    if params.include_track_fit:
        names += list(TRACK_FIT_FEATURES)
    return names


def _weighted_quantile_sorted(sorted_values: np.ndarray, cumulative_fraction: np.ndarray, q: float) -> float:
    """Return the first value at which the cumulative weight fraction reaches q."""
    index = int(np.searchsorted(cumulative_fraction, q, side="left"))
    return float(sorted_values[min(index, sorted_values.size - 1)])


def _time_features(time_ns: np.ndarray, charge_pe: np.ndarray, params: FeatureParams) -> dict[str, float]:
    """Charge-weighted moments and fractions of the pulse times of one event."""
    order = np.argsort(time_ns, kind="stable")
    time_ns, charge_pe = time_ns[order], charge_pe[order]
    total = charge_pe.sum()
    cumulative_fraction = np.cumsum(charge_pe) / total

    reference_ns = _weighted_quantile_sorted(time_ns, cumulative_fraction, params.reference_charge_fraction)
    relative_ns = time_ns - reference_ns
    weight = charge_pe / total
    mean = float(weight @ relative_ns)
    centred = relative_ns - mean
    variance = float(weight @ centred**2)
    std = np.sqrt(variance)
    # A single time (std 0) has no skewness or kurtosis; the trees take NaN as missing.
    skewness = float(weight @ centred**3) / std**3 if std > 0 else np.nan
    kurtosis = float(weight @ centred**4) / variance**2 - 3.0 if std > 0 else np.nan

    features = {
        "time_mean_ns": mean,
        "time_std_ns": float(std),
        "time_skewness": skewness,
        "time_kurtosis": kurtosis,
        "time_spread_10_90_ns": _weighted_quantile_sorted(time_ns, cumulative_fraction, 0.9)
        - _weighted_quantile_sorted(time_ns, cumulative_fraction, 0.1),
    }
    for window in params.early_windows_ns:
        features[f"early_fraction_{window:g}ns"] = float(charge_pe[relative_ns < window].sum() / total)
    features["late_fraction"] = float(charge_pe[relative_ns >= params.late_light_start_ns].sum() / total)
    return features


def _charge_map_features(pmt_mm: np.ndarray, charge_pe: np.ndarray) -> dict[str, float]:
    """Moments of the charge on the PMT sphere for one event (charge summed per PMT)."""
    weight = charge_pe / charge_pe.sum()
    unit = pmt_mm / np.linalg.norm(pmt_mm, axis=1, keepdims=True)

    dipole = weight @ unit
    dipole_length = float(np.linalg.norm(dipole))
    if dipole_length > 0:
        cosine = unit @ (dipole / dipole_length)
        asymmetry = float(weight[cosine > 0].sum() - weight[cosine < 0].sum())
    else:
        asymmetry = 0.0

    # Traceless quadrupole tensor sum_i w_i (3 n_i n_i^T - 1) / 2; its eigenvalues sum to zero.
    quadrupole = 1.5 * (unit * weight[:, None]).T @ unit - 0.5 * np.eye(3)
    eigenvalues = np.linalg.eigvalsh(quadrupole)
    return {
        "charge_dipole": dipole_length,
        "charge_hemisphere_asymmetry": asymmetry,
        "quadrupole_max_eigenvalue": float(eigenvalues[-1]),
        "quadrupole_min_eigenvalue": float(eigenvalues[0]),
        "charge_centroid_radius_mm": float(np.linalg.norm(weight @ pmt_mm)),
    }


def extract_features(
    hits: pd.DataFrame,
    events: pd.DataFrame,
    pmts: pd.DataFrame,
    params: FeatureParams,
    *,
    track_fit_params: TrackFitParams | None = None,
) -> pd.DataFrame:
    """Compute the handcrafted features of every event of `events`.

    Args:
        hits: pulses with event_id, pmt_id, hit_time_ns (ns) and charge_pe (p.e.).
        events: one row per event with event_id. Events without pulses get zero counts and NaN
            for the features that need light.
        pmts: geometry with pmt_id, x_mm, y_mm, z_mm (and tts_sigma_ns for the track fit).
        params: feature parameters.
        track_fit_params: parameters of the track fit whose quality enters the features when
            params.include_track_fit is true; the defaults of TrackFitParams when None.

    Returns a table with event_id and the columns of feature_names(params), in the order of `events`.
    """
    check_columns(hits, HIT_COLUMNS, "hit")
    check_columns(events, ("event_id",), "events")
    positions, known = pmt_positions(pmts)

    # Group the pulses by event; _time_features sorts each event's pulses by time.
    pulse_charge_pe = hits["charge_pe"].to_numpy(np.float64)
    keep = pulse_charge_pe >= params.charge_threshold_pe
    pulse_event_id = hits["event_id"].to_numpy(np.int64)[keep]
    pulse_time_ns = hits["hit_time_ns"].to_numpy(np.float64)[keep]
    pulse_charge_pe = pulse_charge_pe[keep]
    if np.any(np.diff(pulse_event_id) < 0):
        order = np.argsort(pulse_event_id, kind="stable")
        pulse_event_id, pulse_time_ns, pulse_charge_pe = pulse_event_id[order], pulse_time_ns[order], pulse_charge_pe[order]
    pulse_slices = event_slices(pulse_event_id)

    per_pmt = pmt_summary(hits, charge_threshold_pe=params.charge_threshold_pe)
    pmt_id = per_pmt["pmt_id"].to_numpy(np.int64)
    lookup_pmts(pmt_id, known)
    pmt_slices = event_slices(per_pmt["event_id"].to_numpy(np.int64))
    pmt_mm = positions[pmt_id]
    pmt_charge_pe = per_pmt["charge_pe"].to_numpy(np.float64)
    first_hit_ns = per_pmt["first_hit_time_ns"].to_numpy(np.float64)

    names = feature_names(params)
    rows = []
    for event_id in events["event_id"].to_numpy(np.int64):
        row = dict.fromkeys(names, np.nan)
        row["event_id"] = int(event_id)
        pulse_rows = pulse_slices.get(int(event_id), slice(0, 0))
        pmt_rows = pmt_slices.get(int(event_id), slice(0, 0))
        charge = pulse_charge_pe[pulse_rows]
        row["n_pulses"] = int(charge.size)
        row["n_fired_pmts"] = int(pmt_rows.stop - pmt_rows.start)
        row["charge_total_pe"] = float(charge.sum())
        if charge.size:
            row["max_pmt_charge_fraction"] = float(pmt_charge_pe[pmt_rows].max() / charge.sum())
            row.update(_time_features(pulse_time_ns[pulse_rows], charge, params))
            first = first_hit_ns[pmt_rows]
            row["first_hit_spread_10_90_ns"] = float(np.quantile(first, 0.9) - np.quantile(first, 0.1))
            row.update(_charge_map_features(pmt_mm[pmt_rows], pmt_charge_pe[pmt_rows]))
        rows.append(row)
    features = pd.DataFrame.from_records(rows, columns=["event_id", *names])
    features["event_id"] = features["event_id"].astype(np.int64)

    if params.include_track_fit:
        fits = fit_tracks(hits, events, pmts, track_fit_params or TrackFitParams())
        features["fit_chi2_ndf"] = fits["fit_chi2_ndf"].to_numpy()
        n_hits = fits["fit_n_hits"].to_numpy(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            features["fit_used_fraction"] = np.where(n_hits > 0, fits["fit_n_used_hits"].to_numpy() / n_hits, np.nan)
        features["fit_length_mm"] = fits["fit_length_mm"].to_numpy()
        features["fit_converged"] = fits["fit_converged"].astype(np.float64).to_numpy()
    log.info("features: %d events, %d features", len(features), len(names))
    return features
