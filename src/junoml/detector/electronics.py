"""PMT and electronics response: transit-time spread, single-p.e. charge, dark noise and pulse merging."""

from __future__ import annotations

import numba
import numpy as np
import pandas as pd

from junoml.detector.params import DetectorParams


def apply_pmt_response(
    pmt_id: np.ndarray,
    photon_time_ns: np.ndarray,
    pmts: pd.DataFrame,
    params: DetectorParams,
    rng: np.random.Generator,
    *,
    tts: bool = True,
    charge_resolution: bool = True,
    dark_noise: bool = True,
    merge: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Turn photo-electrons at the photocathodes into pulses: (pmt_id int32, hit_time_ns float32, charge_pe float32).

    Each photo-electron gets a Gaussian transit-time spread with its PMT's `tts_sigma_ns` and a
    charge drawn from a Gaussian of mean 1 p.e. and sigma `params.charge_resolution`, truncated at
    0 (negative draws are redrawn). Dark counts are added with each PMT's `dark_rate_hz`,
    uniformly over the readout window. Photo-electrons of one PMT that arrive less than
    `params.pulse_resolving_time_ns` after the first photo-electron of the current pulse merge
    into it: the pulse keeps the first time and sums the charges. Pulses outside the readout
    window [readout_start_ns, readout_start_ns + readout_window_ns) are dropped. The output is
    sorted by PMT, then time.
    """
    pmt_id = np.asarray(pmt_id)
    photon_time_ns = np.asarray(photon_time_ns, dtype=np.float64)
    if pmt_id.shape != photon_time_ns.shape or pmt_id.ndim != 1:
        raise ValueError(
            f"apply_pmt_response: pmt_id and photon_time_ns must be 1-D arrays of one length, got shapes "
            f"{pmt_id.shape} and {photon_time_ns.shape}"
        )
    n_pmts = len(pmts)
    if pmt_id.size and (pmt_id.min() < 0 or pmt_id.max() >= n_pmts):
        raise ValueError(
            f"apply_pmt_response: pmt_id must lie in [0, {n_pmts - 1}] for this geometry, got values from "
            f"{pmt_id.min()} to {pmt_id.max()}; check that the hits and the geometry table belong together"
        )
    pmt_id = pmt_id.astype(np.int32, copy=False)

    time_ns = photon_time_ns
    if dark_noise:
        dark_pmt, dark_time = sample_dark_noise(pmts["dark_rate_hz"].to_numpy(dtype=np.float64), params, rng)
        pmt_id = np.concatenate([pmt_id, dark_pmt])
        time_ns = np.concatenate([time_ns, dark_time])

    # NOTE: the TTS is a pure Gaussian; the late-pulse tail of the NNVT MCP-PMTs is not simulated.
    tts_sigma_ns = pmts["tts_sigma_ns"].to_numpy(dtype=np.float64) if tts else np.zeros(n_pmts)
    resolution = float(params.charge_resolution) if charge_resolution else 0.0
    resolving_time = float(params.pulse_resolving_time_ns) if merge else -1.0
    window_start = float(params.readout_start_ns)
    window_end = float(params.readout_start_ns + params.readout_window_ns)
    out_pmt, out_time, out_charge = _pmt_response(rng, pmt_id, time_ns, tts_sigma_ns, resolution, resolving_time,
                                                  window_start, window_end)
    return out_pmt, out_time.astype(np.float32), out_charge.astype(np.float32)


def sample_dark_noise(dark_rate_hz: np.ndarray, params: DetectorParams, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Draw dark counts of every PMT, uniform over the readout window; return (pmt_id, time_ns)."""
    expected = dark_rate_hz * params.readout_window_ns * 1e-9
    counts = rng.poisson(expected)
    pmt_id = np.repeat(np.arange(dark_rate_hz.size, dtype=np.int32), counts)
    time_ns = params.readout_start_ns + params.readout_window_ns * rng.random(pmt_id.size)
    return pmt_id, time_ns


@numba.njit(cache=True)
def _pmt_response(rng, pmt_id, time_ns, tts_sigma_ns, resolution, resolving_time, window_start, window_end):
    """Group photo-electrons by PMT (counting sort), smear times and charges, sort each PMT by time and merge."""
    n_pmts = tts_sigma_ns.size
    n = pmt_id.size
    offsets = np.zeros(n_pmts + 1, dtype=np.int64)
    for i in range(n):
        offsets[pmt_id[i] + 1] += 1
    for j in range(n_pmts):
        offsets[j + 1] += offsets[j]
    fill = offsets[:-1].copy()
    times = np.empty(n)
    charges = np.empty(n)
    for i in range(n):
        j = pmt_id[i]
        k = fill[j]
        fill[j] += 1
        times[k] = time_ns[i] + tts_sigma_ns[j] * rng.standard_normal() if tts_sigma_ns[j] > 0 else time_ns[i]
        charge = 1.0
        if resolution > 0:
            # Gaussian truncated at 0: redraw non-positive charges.
            charge = 1.0 + resolution * rng.standard_normal()
            while charge <= 0.0:
                charge = 1.0 + resolution * rng.standard_normal()
        charges[k] = charge

    out_pmt = np.empty(n, dtype=np.int32)
    out_time = np.empty(n)
    out_charge = np.empty(n)
    n_out = 0
    for j in range(n_pmts):
        start, stop = offsets[j], offsets[j + 1]
        if start == stop:
            continue
        order = np.argsort(times[start:stop])
        pulse_time = 0.0
        pulse_charge = 0.0
        open_pulse = False
        for m in range(stop - start):
            t = times[start + order[m]]
            q = charges[start + order[m]]
            if open_pulse and t - pulse_time < resolving_time:
                pulse_charge += q
                continue
            if open_pulse and window_start <= pulse_time < window_end:
                out_pmt[n_out] = j
                out_time[n_out] = pulse_time
                out_charge[n_out] = pulse_charge
                n_out += 1
            pulse_time = t
            pulse_charge = q
            open_pulse = True
        if open_pulse and window_start <= pulse_time < window_end:
            out_pmt[n_out] = j
            out_time[n_out] = pulse_time
            out_charge[n_out] = pulse_charge
            n_out += 1
    return out_pmt[:n_out], out_time[:n_out], out_charge[:n_out]
