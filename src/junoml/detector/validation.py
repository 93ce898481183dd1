"""Validation of the fast simulation against the configured light yield, timing and JUNO's published figures."""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
from pathlib import Path

import numpy as np

from junoml.detector.electronics import apply_pmt_response
from junoml.detector.particles import Particle, Segments
from junoml.detector.simulation import Detector
from junoml.detector.tracks import propagate_charged
from junoml.io.atomic import atomic_output

logger = logging.getLogger(__name__)

# Defaults of the `validation.simulation` config section.
DEFAULT_VALIDATION = {
    "seed": 20261204,
    "n_electrons": 400,
    "electron_energy_mev": 1.0,
    "radii_mm": [0.0, 5000.0, 10000.0, 15000.0, 17000.0],
    "n_electrons_per_radius": 100,
    "muon_track_lengths_mm": [1000.0, 2500.0, 5000.0, 7500.0, 10000.0],
    "muon_energy_gev": 10.0,
    "n_timing_electrons": 100,
    # t0 is the start of the t0_window_ns window with the most pulses; the energy estimate sums
    # the charge from t0 + charge_window_start_ns to t0 + charge_window_end_ns.
    "t0_window_ns": 20.0,
    "charge_window_start_ns": -50.0,
    "charge_window_end_ns": 250.0,
    "cherenkov_muon_energy_mev": 280.0,
    "display_muon_energy_gev": 1.0,
    "plot_dpi": 120,
}
# Tolerances checked by validate_simulation.
PE_PER_MEV_TOLERANCE = 0.02
RESOLUTION_RANGE = (0.027, 0.035)
TRACK_LINEARITY_TOLERANCE = 0.02
CHERENKOV_RATIO_RANGE = (0.01, 0.05)
TIME_QUANTILES = (0.10, 0.25, 0.50, 0.75, 0.90)


def event_time_ns(hit_time_ns: np.ndarray, *, window_ns: float) -> float:
    """Return the start of the window of `window_ns` that contains the most pulses (the event time t0)."""
    times = np.sort(np.asarray(hit_time_ns, dtype=np.float64))
    if times.size == 0:
        return math.nan
    counts = np.searchsorted(times, times + window_ns) - np.arange(times.size)
    return float(times[int(np.argmax(counts))])


def charge_in_window(hit_time_ns: np.ndarray, charge_pe: np.ndarray, *, t0_ns: float, start_ns: float, end_ns: float) -> float:
    """Return the charge (p.e.) of the pulses from t0 + start_ns to t0 + end_ns."""
    times = np.asarray(hit_time_ns, dtype=np.float64)
    keep = (times >= t0_ns + start_ns) & (times < t0_ns + end_ns)
    return float(np.asarray(charge_pe, dtype=np.float64)[keep].sum())


def expected_dark_charge(detector: Detector, window_ns: float) -> float:
    """Return the mean dark-noise charge (p.e.) of all PMTs in a window of `window_ns`."""
    if not detector.params.dark_noise:
        return 0.0
    rate_hz = detector.pmts["dark_rate_hz"].to_numpy().sum()
    return float(rate_hz * window_ns * 1e-9 * _mean_truncated_charge(detector.params.charge_resolution))


def validate_simulation(detector: Detector, params: dict, out_dir: str | os.PathLike) -> dict:
    """Run the validation checks, write figures.json and PNG plots to `out_dir`, and return the figures.

    Checks: p.e. per MeV and energy resolution of electrons at the centre, p.e. yield against
    radius, linearity of the muon charge in the track length, hit-time residuals against the
    configured emission profile convolved with the TTS, the Cherenkov to scintillation photon
    ratio of a minimum-ionising muon, and one muon event display.
    """
    unknown = set(params) - set(DEFAULT_VALIDATION)
    if unknown:
        raise ValueError(f"validation.simulation: unknown keys {sorted(unknown)}; known keys are {sorted(DEFAULT_VALIDATION)}")
    p = {**DEFAULT_VALIDATION, **params}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(int(p["seed"]))

    figures = {"light_yield": check_light_yield(detector, p, rng)}
    figures["radius_scan"] = check_radius_scan(detector, p, rng)
    figures["track_length"] = check_track_length(detector, p, rng)
    figures["timing"] = check_timing(detector, p, rng)
    figures["cherenkov"] = check_cherenkov_ratio(detector, p, rng)
    figures["passed"] = all(section.get("passed", True) for section in figures.values() if isinstance(section, dict))

    _plot_validation(figures, out_dir, dpi=int(p["plot_dpi"]))
    _plot_muon_display(detector, p, rng, out_dir / "muon_event_display.png")
    with atomic_output(out_dir / "figures.json") as tmp:
        tmp.write_text(json.dumps(_without_arrays(figures), indent=2))
    logger.info("simulation validation %s; figures in %s", "passed" if figures["passed"] else "FAILED", out_dir)
    return figures


def electron_charges(detector: Detector, p: dict, rng: np.random.Generator, *, position_mm, n_events: int) -> np.ndarray:
    """Simulate electrons of p["electron_energy_mev"] at a position and return each event's charge-window charge."""
    charges = np.empty(n_events)
    for i in range(n_events):
        direction = _isotropic(rng)
        result = detector.simulate_event([Particle(11, p["electron_energy_mev"], position_mm, direction)], rng)
        t0 = event_time_ns(result.hit_time_ns, window_ns=p["t0_window_ns"])
        charges[i] = charge_in_window(result.hit_time_ns, result.charge_pe, t0_ns=t0,
                                      start_ns=p["charge_window_start_ns"], end_ns=p["charge_window_end_ns"])
    return charges


def check_light_yield(detector: Detector, p: dict, rng: np.random.Generator) -> dict:
    """Measure p.e. per MeV (dark charge subtracted) and the energy resolution of electrons at the centre."""
    energy = float(p["electron_energy_mev"])
    charges = electron_charges(detector, p, rng, position_mm=(0.0, 0.0, 0.0), n_events=int(p["n_electrons"]))
    dark = expected_dark_charge(detector, p["charge_window_end_ns"] - p["charge_window_start_ns"])
    signal = charges - dark
    pe_per_mev = float(signal.mean() / energy)
    resolution = float(signal.std(ddof=1) / signal.mean())
    relative = pe_per_mev / detector.params.pe_per_mev - 1.0
    return {
        "pe_per_mev": pe_per_mev,
        "pe_per_mev_configured": detector.params.pe_per_mev,
        "pe_per_mev_relative_difference": relative,
        "pe_per_mev_statistical_error": float(signal.std(ddof=1) / math.sqrt(signal.size) / energy),
        "expected_dark_charge_pe": dark,
        "energy_resolution": resolution,
        "energy_resolution_statistical_error": resolution / math.sqrt(2 * (signal.size - 1)),
        "n_events": int(signal.size),
        "passed": bool(abs(relative) < PE_PER_MEV_TOLERANCE and RESOLUTION_RANGE[0] <= resolution <= RESOLUTION_RANGE[1]),
        "charges": signal,
    }


def check_radius_scan(detector: Detector, p: dict, rng: np.random.Generator) -> dict:
    """Measure the mean p.e. yield of electrons on the z axis at each radius, relative to the centre."""
    dark = expected_dark_charge(detector, p["charge_window_end_ns"] - p["charge_window_start_ns"])
    radii = [float(r) for r in p["radii_mm"]]
    yields = []
    for radius in radii:
        charges = electron_charges(detector, p, rng, position_mm=(0.0, 0.0, radius), n_events=int(p["n_electrons_per_radius"]))
        yields.append(float((charges - dark).mean() / p["electron_energy_mev"]))
    centre = yields[radii.index(0.0)] if 0.0 in radii else math.nan
    at_15m = yields[radii.index(15000.0)] / centre if 15000.0 in radii else math.nan
    return {"radii_mm": radii, "pe_per_mev": yields, "yield_15m_over_centre": at_15m}


def check_track_length(detector: Detector, p: dict, rng: np.random.Generator) -> dict:
    """Fit total charge against track length for muon track pieces centred on the detector centre.

    Each piece is the first L of a muon's track, started at -L/2 along a random direction; the
    rest of the track is not simulated. Centred pieces keep the radial dependence of the light
    yield (recorded by check_radius_scan) out of the linearity check: chords of the sphere would
    put the short tracks next to the wall, where the yield is higher.
    """
    dark = expected_dark_charge(detector, detector.params.readout_window_ns)
    lengths, charges = [], []
    for length in p["muon_track_lengths_mm"]:
        length = float(length)
        if not 0 < length < 2 * detector.medium.radius_mm:
            raise ValueError(f"validation.simulation.muon_track_lengths_mm: {length} does not fit in the LS sphere")
        direction = _isotropic(rng)
        muon = Particle(13, p["muon_energy_gev"] * 1000.0, -0.5 * length * direction, direction)
        track = propagate_charged(muon, mass_mev=105.6583755, charge=-1, medium=detector.medium, rng=rng,
                                  step_mm=detector.params.tracking_step_mm, stop_at_exit=False)
        keep = np.cumsum(track.segments.length_mm) <= length + 1e-6
        piece = Segments(**{name: values[keep] for name, values in vars(track.segments).items()})
        result = detector.simulate_event([], rng, extra_segments=piece)
        lengths.append(float(piece.length_mm.sum()))
        charges.append(float(result.charge_pe.sum()) - dark)
    lengths_m = np.asarray(lengths) / 1000.0
    charges = np.asarray(charges)
    slope, intercept = np.polyfit(lengths_m, charges, 1)
    residuals = charges / (slope * lengths_m + intercept) - 1.0
    max_residual = float(np.max(np.abs(residuals)))
    return {
        "track_length_m": lengths_m.tolist(),
        "charge_pe": charges.tolist(),
        "slope_pe_per_m": float(slope),
        "intercept_pe": float(intercept),
        "relative_residuals": residuals.tolist(),
        "max_relative_residual": max_residual,
        "passed": bool(max_residual < TRACK_LINEARITY_TOLERANCE),
    }


def check_timing(detector: Detector, p: dict, rng: np.random.Generator) -> dict:
    """Compare hit-time residuals of electrons at the centre with the emission profile convolved with the TTS.

    Scattering, dark noise and pulse merging are off, so that each residual is the emission
    delay plus the TTS (the electron's own flight of a few mm adds about 0.03 ns).
    """
    params = dataclasses.replace(detector.params, scattering=False, dark_noise=False)
    bare = Detector(detector.pmts, params)
    residuals = []
    pmt_xyz = bare.pmt_xyz
    for _ in range(int(p["n_timing_electrons"])):
        electron = Particle(11, p["electron_energy_mev"], (0.0, 0.0, 0.0), _isotropic(rng))
        segments, _, _ = bare.particle_segments(electron, rng)
        pe_pmt, pe_time = bare.sample_photoelectrons(segments, rng)
        pmt_id, hit_time, _ = apply_pmt_response(pe_pmt, pe_time, bare.pmts, params, rng, dark_noise=False, merge=False)
        flight = np.linalg.norm(pmt_xyz[pmt_id], axis=1) / bare.medium.photon_speed_mm_per_ns
        residuals.append(hit_time - flight)
    residuals = np.concatenate(residuals)

    reference = reference_time_residuals(bare, p, rng, n=400_000)
    observed = np.quantile(residuals, TIME_QUANTILES)
    expected = np.quantile(reference, TIME_QUANTILES)
    # Fraction of simulated residuals below each reference quantile: binomial with p = q.
    fractions = np.array([np.mean(residuals < value) for value in expected])
    errors = np.sqrt(np.array(TIME_QUANTILES) * (1 - np.array(TIME_QUANTILES)) / residuals.size)
    pulls = (fractions - np.array(TIME_QUANTILES)) / errors
    return {
        "quantiles": list(TIME_QUANTILES),
        "residual_quantiles_ns": observed.tolist(),
        "reference_quantiles_ns": expected.tolist(),
        "fraction_below_reference_quantile": fractions.tolist(),
        "pulls": pulls.tolist(),
        "n_hits": int(residuals.size),
        "passed": bool(np.all(np.abs(pulls) < 4.0)),
        "residuals": residuals,
        "reference": reference,
    }


def reference_time_residuals(detector: Detector, p: dict, rng: np.random.Generator, *, n: int) -> np.ndarray:
    """Draw n residuals from the configured emission profile and Cherenkov share, convolved with the TTS of the PMT mix."""
    params = detector.params
    visible, cherenkov = detector.electron_light(p["electron_energy_mev"])
    scintillation = detector.medium.scintillation_yield_per_mev * visible
    cherenkov_fraction = cherenkov / (cherenkov + scintillation)
    weights = np.asarray(params.scintillation_weights) / np.sum(params.scintillation_weights)
    component = rng.choice(len(weights), size=n, p=weights)
    delay = rng.exponential(params.scintillation_rise_ns, n) + rng.exponential(np.asarray(params.scintillation_decay_ns)[component])
    delay[rng.random(n) < cherenkov_fraction] = 0.0
    # PMTs are hit in proportion to efficiency over distance squared, as from the centre.
    radius = np.linalg.norm(detector.pmt_xyz, axis=1)
    hit_weight = detector.detection_efficiency * np.exp(-radius / params.absorption_length_mm) / radius**2
    pmt = rng.choice(len(radius), size=n, p=hit_weight / hit_weight.sum())
    tts = detector.pmts["tts_sigma_ns"].to_numpy()[pmt]
    return delay + tts * rng.standard_normal(n)


def check_cherenkov_ratio(detector: Detector, p: dict, rng: np.random.Generator) -> dict:
    """Return the Cherenkov to scintillation photon ratio of a minimum-ionising muon over its first metre."""
    muon = Particle(13, p["cherenkov_muon_energy_mev"], (0.0, 0.0, 0.0), (0.0, 0.0, 1.0))
    track = propagate_charged(muon, mass_mev=105.6583755, charge=-1, medium=detector.medium, rng=rng,
                              step_mm=detector.params.tracking_step_mm)
    first_metre = np.cumsum(track.segments.length_mm) <= 1000.0
    cherenkov = float(track.segments.n_cherenkov[first_metre].sum())
    scintillation = float(detector.medium.scintillation_yield_per_mev * track.segments.evis_mev[first_metre].sum())
    ratio = cherenkov / scintillation
    band = detector.medium.cherenkov_band_nm
    return {
        "band_nm": list(band),
        "muon_kinetic_energy_mev": float(p["cherenkov_muon_energy_mev"]),
        "cherenkov_photons_per_cm": cherenkov / 100.0,
        "scintillation_photons_per_cm": scintillation / 100.0,
        "ratio": ratio,
        "passed": bool(CHERENKOV_RATIO_RANGE[0] <= ratio <= CHERENKOV_RATIO_RANGE[1]),
    }


def _mean_truncated_charge(resolution: float) -> float:
    # Mean of a Gaussian of mean 1 and sigma `resolution` truncated at 0.
    if resolution <= 0:
        return 1.0
    from scipy.stats import norm

    a = 1.0 / resolution
    return float(1.0 + resolution * norm.pdf(a) / norm.cdf(a))


def _isotropic(rng: np.random.Generator) -> np.ndarray:
    cos_theta = 2.0 * rng.random() - 1.0
    phi = 2.0 * math.pi * rng.random()
    sin_theta = math.sqrt(1.0 - cos_theta**2)
    return np.array([sin_theta * math.cos(phi), sin_theta * math.sin(phi), cos_theta])


def _without_arrays(figures: dict) -> dict:
    clean = {}
    for key, value in figures.items():
        if isinstance(value, dict):
            clean[key] = _without_arrays(value)
        elif not isinstance(value, np.ndarray):
            clean[key] = value
    return clean


def _plot_validation(figures: dict, out_dir: Path, *, dpi: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    light = figures["light_yield"]
    fig, ax = plt.subplots(figsize=(5, 3.5), constrained_layout=True)
    ax.hist(light["charges"], bins=40, color="#0072B2")
    ax.set_xlabel("charge in window minus expected dark charge (p.e.)")
    ax.set_ylabel("events")
    ax.set_title(f"1 MeV electrons at the centre: {light['pe_per_mev']:.0f} p.e./MeV, "
                 f"resolution {100 * light['energy_resolution']:.2f}%", fontsize=9)
    _save(fig, out_dir / "electron_charge.png", dpi)

    scan = figures["radius_scan"]
    fig, ax = plt.subplots(figsize=(5, 3.5), constrained_layout=True)
    ax.plot(np.asarray(scan["radii_mm"]) / 1000.0, scan["pe_per_mev"], "o-", color="#0072B2")
    ax.set_xlabel("electron radius (m)")
    ax.set_ylabel("p.e. per MeV")
    ax.set_title("light yield against radius (z axis)", fontsize=9)
    _save(fig, out_dir / "yield_vs_radius.png", dpi)

    track = figures["track_length"]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(5, 5), sharex=True, constrained_layout=True,
                                      gridspec_kw={"height_ratios": [3, 1]})
    length = np.asarray(track["track_length_m"])
    top.plot(length, np.asarray(track["charge_pe"]) / 1e6, "o", color="#0072B2")
    grid = np.linspace(0, length.max() * 1.05, 50)
    top.plot(grid, (track["slope_pe_per_m"] * grid + track["intercept_pe"]) / 1e6, "-", color="#D55E00")
    top.set_ylabel("total charge (10^6 p.e.)")
    bottom.plot(length, 100 * np.asarray(track["relative_residuals"]), "o", color="#0072B2")
    bottom.axhline(0, color="0.5")
    bottom.set_xlabel("muon track length in the LS (m)")
    bottom.set_ylabel("residual (%)")
    _save(fig, out_dir / "charge_vs_track_length.png", dpi)

    timing = figures["timing"]
    fig, ax = plt.subplots(figsize=(5, 3.5), constrained_layout=True)
    bins = np.linspace(-20, 120, 141)
    ax.hist(timing["residuals"], bins=bins, density=True, histtype="step", color="#0072B2", label="simulation")
    ax.hist(timing["reference"], bins=bins, density=True, histtype="step", color="#D55E00", label="emission profile * TTS")
    ax.set_yscale("log")
    ax.set_xlabel("hit time - time of flight (ns)")
    ax.set_ylabel("density (1/ns)")
    ax.legend(fontsize=8)
    _save(fig, out_dir / "time_residuals.png", dpi)


def _plot_muon_display(detector: Detector, p: dict, rng: np.random.Generator, out_path: Path) -> None:
    from junoml.plotting.event_display import plot_event_display

    direction = _isotropic(rng)
    start = -5000.0 * direction
    muon = Particle(13, p["display_muon_energy_gev"] * 1000.0, start, direction)
    result = detector.simulate_event([muon], rng)
    plot_event_display(detector.pmts, result.pmt_id, result.hit_time_ns, result.charge_pe,
                       title=f"{p['display_muon_energy_gev']:g} GeV muon", out_path=out_path,
                       n_time_panels=8, time_bin_ns=20.0, dpi=int(p["plot_dpi"]))


def _save(fig, path: Path, dpi: int) -> None:
    import matplotlib.pyplot as plt

    with atomic_output(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format="png")
    plt.close(fig)
