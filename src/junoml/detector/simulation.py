"""The detector: from particles to PMT pulses, one event at a time, and chunks of events to ROOT files."""

from __future__ import annotations

import importlib
import logging
import math
import os
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

import junoml
from junoml.detector.electronics import apply_pmt_response
from junoml.detector.light import merge_segments, sample_photoelectrons
from junoml.detector.medium import ELECTRON_MASS_MEV, LiquidScintillator
from junoml.detector.params import DetectorParams
from junoml.detector.particles import Particle, Segments, particle_charge, particle_mass_mev
from junoml.detector.tracks import propagate_charged
from junoml.detector.trigger import is_triggered
from junoml.rng import event_rng

logger = logging.getLogger(__name__)

NEUTRINO_PDGS = frozenset({12, -12, 14, -14, 16, -16})
EM_SHOWER_PDGS = frozenset({11, -11, 22, 111})
HADRON_PDGS = frozenset({211, -211, 2212, 2112})


@dataclass
class EventResult:
    """Pulses and energy summary of one simulated event.

    Hits are sorted by PMT, then time. `track_length_mm` is the path length in the LS of the
    event's first muon (NaN without a muon); `n_photoelectrons` counts the photo-electrons from
    light before dark noise and pulse merging.
    """

    pmt_id: np.ndarray
    hit_time_ns: np.ndarray
    charge_pe: np.ndarray
    deposited_energy_mev: float
    visible_energy_mev: float
    contained: bool
    triggered: bool
    track_length_mm: float = math.nan
    n_photoelectrons: int = 0
    segments: Segments = field(default_factory=Segments.empty, repr=False)


class Detector:
    """JUNO's central detector: the PMT table, the response parameters and the light-yield normalisation."""

    def __init__(self, pmts: pd.DataFrame, params: DetectorParams) -> None:
        required = ["pmt_id", "x_mm", "y_mm", "z_mm", "detection_efficiency", "tts_sigma_ns", "dark_rate_hz"]
        missing = [c for c in required if c not in pmts.columns]
        if missing:
            raise ValueError(f"Detector: the PMT table lacks the columns {missing}; build it with build_geometry")
        if not np.array_equal(pmts["pmt_id"].to_numpy(), np.arange(len(pmts))):
            raise ValueError("Detector: pmt_id must run 0, 1, ..., N-1 in row order; sort the PMT table by pmt_id")
        self.pmts = pmts.reset_index(drop=True)
        self.params = params
        self.medium: LiquidScintillator = params.medium
        self.pmt_xyz = np.ascontiguousarray(self.pmts[["x_mm", "y_mm", "z_mm"]].to_numpy(dtype=np.float64))
        self.detection_efficiency = self.pmts["detection_efficiency"].to_numpy(dtype=np.float64)
        self.light_normalisation = self._light_normalisation()
        self.pmt_efficiency = np.ascontiguousarray(self.detection_efficiency * self.light_normalisation)
        logger.info("Detector: %d PMTs, light-yield normalisation %.4f (for %.0f p.e./MeV at the centre)",
                    len(self.pmts), self.light_normalisation, params.pe_per_mev)

    def expected_pe_per_photon_at_centre(self) -> float:
        """Return the expected photo-electrons per isotropic photon emitted at the centre, before normalisation."""
        p = self.params
        radius = np.linalg.norm(self.pmt_xyz, axis=1)
        omega = p.pmt_radius_mm**2 / (4.0 * radius**2)  # solid angle over 4 pi, facing the centre
        transmitted = np.exp(-radius / p.absorption_length_mm)
        efficiency = self.detection_efficiency
        if not p.scattering:
            return float(np.sum(efficiency * omega * transmitted))
        unscattered = np.exp(-radius / p.rayleigh_length_mm)
        direct = np.sum(efficiency * omega * transmitted * unscattered)
        # Scattered light, as the light module redistributes it.
        scattered_fraction = np.sum(omega * (1 - unscattered)) / np.sum(omega)
        mean_transmission = np.sum(omega * transmitted) / np.sum(omega)
        scattered = scattered_fraction * mean_transmission * np.sum(efficiency * omega)
        return float(direct + scattered)

    def electron_light(self, kinetic_energy_mev: float) -> tuple[float, float]:
        """Return (visible energy in MeV, Cherenkov photons in the band) of an electron slowing down in the LS.

        Integrates Birks' law and the Frank-Tamm yield over the continuous-slowing-down range.
        """
        energies = np.geomspace(1e-3, kinetic_energy_mev, 2000)
        mass_stopping = self.medium.stopping_power_mev_cm2_g(energies, mass_mev=ELECTRON_MASS_MEV, charge=-1)
        dedx_mev_per_mm = mass_stopping * self.medium.density_g_cm3 / 10.0
        gamma = 1.0 + energies / ELECTRON_MASS_MEV
        beta = np.sqrt(1.0 - 1.0 / gamma**2)
        visible = np.trapezoid(self.medium.birks_factor(mass_stopping), energies)
        cherenkov = np.trapezoid(self.medium.cherenkov_photons_per_mm(beta) / dedx_mev_per_mm, energies)
        return float(visible), float(cherenkov)

    def _light_normalisation(self) -> float:
        # A 1 MeV electron at the centre must give pe_per_mev photo-electrons on average.
        visible, cherenkov = self.electron_light(1.0)
        photons = self.medium.scintillation_yield_per_mev * visible + cherenkov
        expected = photons * self.expected_pe_per_photon_at_centre()
        return self.params.pe_per_mev / expected

    def particle_segments(self, particle: Particle, rng: np.random.Generator) -> tuple[Segments, bool, float]:
        """Return (segments, exited, muon path length in mm or NaN) of one particle."""
        pdg = int(particle.pdg)
        p = self.params
        if pdg in NEUTRINO_PDGS:
            return Segments.empty(), False, math.nan
        if abs(pdg) == 13 or (abs(pdg) == 11 and particle.kinetic_energy_mev < p.electron_tracking_max_mev):
            track = propagate_charged(particle, mass_mev=particle_mass_mev(pdg), charge=particle_charge(pdg),
                                      medium=self.medium, rng=rng, step_mm=p.tracking_step_mm)
            if abs(pdg) != 13:
                return track.segments, track.exited, math.nan
            segments = track.segments
            if not track.exited:
                decay = _shower_function("stopped_muon_decay")(pdg, track.end_position_mm, track.end_time_ns, rng)
                if decay is not None:
                    segments = Segments.concatenate([segments, self.particle_segments(decay, rng)[0]])
            return segments, track.exited, track.path_length_mm
        if pdg in EM_SHOWER_PDGS:
            function = _shower_function("em_shower_segments")
            return function(particle, self.medium, rng), False, math.nan
        if pdg in HADRON_PDGS:
            function = _shower_function("hadron_segments")
            segments, exited = function(particle, self.medium, rng)
            return segments, bool(exited), math.nan
        raise ValueError(
            f"unknown particle pdg={pdg}: the detector simulates mu+-, e+-, gamma, pi0, pi+-, p and n "
            f"(neutrinos pass without a trace)"
        )

    def simulate_event(self, particles: list[Particle], rng: np.random.Generator, *,
                       extra_segments: Segments | None = None) -> EventResult:
        """Simulate one event: track the particles, emit and transport light, and apply the PMT response."""
        parts = []
        contained = True
        track_length_mm = math.nan
        for particle in particles:
            segments, exited, length = self.particle_segments(particle, rng)
            parts.append(segments)
            contained = contained and not exited
            if math.isnan(track_length_mm) and not math.isnan(length):
                track_length_mm = length
        if extra_segments is not None:
            parts.append(extra_segments)
        segments = Segments.concatenate(parts)
        if len(segments):
            radius = np.sqrt(segments.x_mm**2 + segments.y_mm**2 + segments.z_mm**2)
            contained = contained and bool(np.all(radius <= self.medium.radius_mm + 1.0))

        pe_pmt, pe_time = self.sample_photoelectrons(segments, rng)
        pmt_id, hit_time_ns, charge_pe = apply_pmt_response(pe_pmt, pe_time, self.pmts, self.params, rng,
                                                            dark_noise=self.params.dark_noise)
        triggered = is_triggered(hit_time_ns, window_ns=self.params.trigger_window_ns,
                                 threshold_hits=self.params.trigger_threshold_hits)
        return EventResult(
            pmt_id=pmt_id,
            hit_time_ns=hit_time_ns,
            charge_pe=charge_pe,
            deposited_energy_mev=float(segments.edep_mev.sum()),
            visible_energy_mev=float(segments.evis_mev.sum()),
            contained=contained,
            triggered=triggered,
            track_length_mm=track_length_mm,
            n_photoelectrons=int(pe_pmt.size),
            segments=segments,
        )

    def sample_photoelectrons(self, segments: Segments, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Draw the photo-electrons of the light of `segments`: (pmt_id int32, time_ns float64), before the PMT response."""
        p = self.params
        if len(segments) == 0:
            return np.empty(0, dtype=np.int32), np.empty(0)
        sources = merge_segments(segments, max_length_mm=p.light_step_mm,
                                 min_cos_angle=math.cos(math.radians(max(p.cherenkov_cone_spread_deg, 1.0))))
        n_scint = self.medium.scintillation_yield_per_mev * sources.evis_mev
        expected = float(np.sum(n_scint + sources.n_cherenkov)) * self.expected_pe_per_photon_at_centre() * self.light_normalisation
        weights = np.asarray(p.scintillation_weights, dtype=np.float64)
        return sample_photoelectrons(
            rng, self.pmt_xyz, self.pmt_efficiency,
            np.ascontiguousarray(sources.position_mm()), sources.t_ns, np.ascontiguousarray(sources.direction()),
            n_scint, sources.n_cherenkov, sources.cos_cherenkov,
            float(p.pmt_radius_mm), 1.0 / p.absorption_length_mm,
            1.0 / p.rayleigh_length_mm if p.scattering else 0.0,
            math.radians(max(p.cherenkov_cone_spread_deg, 1e-3)),
            np.cumsum(weights) / weights.sum(), np.asarray(p.scintillation_decay_ns, dtype=np.float64),
            float(p.scintillation_rise_ns), float(self.medium.photon_speed_mm_per_ns), float(self.medium.radius_mm),
            int(1.5 * expected) + 1024,
        )


def _shower_function(name: str):
    try:
        showers = importlib.import_module("junoml.detector.showers")
    except ImportError as error:
        raise NotImplementedError(f"junoml.detector.showers is not available ({error}); it provides {name}") from error
    function = getattr(showers, name, None)
    if function is None:
        raise NotImplementedError(f"junoml.detector.showers has no function {name}; e+-, gamma and hadrons need it")
    return function


def simulate_chunk(source, detector: Detector, *, sample: str, seed: int, first_event_id: int, n_events: int,
                   out_path: str | os.PathLike, metadata: dict) -> None:
    """Simulate events first_event_id .. first_event_id + n_events - 1 of a sample and write them to one ROOT file.

    Each event draws from its own stream, event_rng(seed, sample, event_id), so an event is the
    same whatever the chunk it falls in. `source.generate(event_id, rng)` returns the truth columns
    and the particles; a source whose `result_columns` names track_length_mm also gets the muon's
    path length in the LS. `metadata` entries (typically {"junoml_config": config}) are stored in
    the file as JSON strings, with junoml_version added.
    """
    from junoml.io.simroot import SimRootWriter

    if n_events < 0 or first_event_id < 0:
        raise ValueError(f"simulate_chunk: first_event_id and n_events must be >= 0, got {first_event_id} and {n_events}")
    metadata = {"junoml_version": junoml.__version__, **metadata}
    started = time.monotonic()
    last_report = started
    with SimRootWriter(out_path, metadata) as writer:
        batch = _EventBatch()
        for k in range(n_events):
            event_id = first_event_id + k
            rng = event_rng(seed, sample, event_id)
            truth, particles = source.generate(event_id, rng)
            result = detector.simulate_event(particles, rng)
            batch.add(event_id, truth, result, with_track_length="track_length_mm" in getattr(source, "result_columns", ()))
            # Write in batches to bound the memory: a 10 GeV muon gives about 10^5 pulses.
            if batch.n_hits >= FLUSH_HITS or k + 1 == n_events:
                writer.extend(batch.columns, batch.hits)
                batch = _EventBatch()

            now = time.monotonic()
            if now - last_report > 30.0 or k + 1 == n_events:
                rate = (k + 1) / max(now - started, 1e-9)
                logger.info("%s: simulated %d of %d events (%.2f events/s)", sample, k + 1, n_events, rate)
                last_report = now
        if n_events == 0:
            writer.extend(batch.columns, batch.hits)


# Pulses held in memory before simulate_chunk writes them out (about 12 bytes each).
FLUSH_HITS = 5_000_000


class _EventBatch:
    def __init__(self) -> None:
        self.columns: dict[str, list] = {"event_id": []}
        self.hits: dict[str, list] = {"pmt_id": [], "hit_time_ns": [], "charge_pe": []}
        self.n_hits = 0

    def add(self, event_id: int, truth: dict, result: EventResult, *, with_track_length: bool) -> None:
        row = {"event_id": event_id, **truth, "deposited_energy_mev": result.deposited_energy_mev,
               "visible_energy_mev": result.visible_energy_mev, "contained": result.contained,
               "triggered": result.triggered}
        if with_track_length:
            row["track_length_mm"] = result.track_length_mm
        if len(self.columns["event_id"]) and set(row) != set(self.columns):
            raise ValueError(
                f"event {event_id}: the source returned the truth keys {sorted(row)}, unlike earlier events "
                f"({sorted(self.columns)}); every event of a sample needs the same keys"
            )
        for key, value in row.items():
            self.columns.setdefault(key, []).append(value)
        self.hits["pmt_id"].append(result.pmt_id)
        self.hits["hit_time_ns"].append(result.hit_time_ns)
        self.hits["charge_pe"].append(result.charge_pe)
        self.n_hits += result.pmt_id.size
