"""Parameters of the detector response: light emission, transport, PMTs, electronics and trigger."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

from junoml.detector.medium import LiquidScintillator


@dataclass(frozen=True)
class DetectorParams:
    """Detector response parameters; each default names its source. Times in ns, lengths in mm."""

    medium: LiquidScintillator = field(default_factory=LiquidScintillator)
    # Scintillation time profile: JUNO simulation defaults, commonly quoted (to verify); the rise
    # time is an estimate.
    scintillation_decay_ns: tuple[float, ...] = (4.93, 20.6, 190.0)
    scintillation_weights: tuple[float, ...] = (0.799, 0.171, 0.030)
    scintillation_rise_ns: float = 1.0
    # Width of the Cherenkov cone from chromatic dispersion and electron scattering (estimate).
    cherenkov_cone_spread_deg: float = 3.0
    # Rayleigh scattering length at 430 nm (Zhou et al., arXiv:1504.01001).
    rayleigh_length_mm: float = 28200.0
    # Absorption length (estimate): with the Rayleigh length it gives an attenuation length of
    # 20.6 m, above the "more than 20 m" of arXiv:2104.02565.
    absorption_length_mm: float = 77000.0
    scattering: bool = True
    # Photo-electrons per MeV for a 1 MeV electron at the centre (arXiv:2104.02565).
    pe_per_mev: float = 1300.0
    # 20-inch photocathode radius.
    pmt_radius_mm: float = 254.0
    # Single-p.e. charge resolution, Gaussian sigma over mean (arXiv:2205.08629, to verify).
    charge_resolution: float = 0.30
    # Photo-electrons closer than this to a pulse's first one merge into it (estimate).
    pulse_resolving_time_ns: float = 10.0
    # Readout window relative to the primary's start time (about 1 microsecond in JUNO).
    readout_start_ns: float = -100.0
    readout_window_ns: float = 1000.0
    dark_noise: bool = True
    # Multiplicity trigger (estimate).
    trigger_window_ns: float = 300.0
    trigger_threshold_hits: int = 400
    # Tracking step of muons and electrons (estimate: 10 mm of LS is 2% of a radiation length).
    tracking_step_mm: float = 10.0
    # Consecutive track segments are merged into light sources of at most this length (estimate:
    # 100 mm is a fifth of a PMT diameter and 0.5 ns of flight).
    light_step_mm: float = 100.0
    # Electrons and positrons below this kinetic energy are stepped with collision losses only;
    # above it they go to the EM shower model (estimate: the critical energy of LAB is about
    # 90 MeV, so radiative losses are below about 20% of the total under 20 MeV).
    electron_tracking_max_mev: float = 20.0

    def __post_init__(self) -> None:
        decays, weights = self.scintillation_decay_ns, self.scintillation_weights
        if len(decays) != len(weights) or not decays:
            raise ValueError(
                f"detector.scintillation_decay_ns {list(decays)} and scintillation_weights {list(weights)} "
                f"must have the same, non-zero length"
            )
        if any(d <= 0 for d in decays) or any(w < 0 for w in weights) or not math.isclose(sum(weights), 1.0, abs_tol=1e-3):
            raise ValueError(
                f"detector.scintillation_decay_ns must be positive and scintillation_weights non-negative with sum 1, "
                f"got {list(decays)} and {list(weights)} (sum {sum(weights):.4f})"
            )
        for name in ("rayleigh_length_mm", "absorption_length_mm", "pe_per_mev", "pmt_radius_mm", "readout_window_ns",
                     "trigger_window_ns", "tracking_step_mm", "light_step_mm", "scintillation_rise_ns"):
            value = getattr(self, name)
            if not value > 0:
                raise ValueError(f"detector.{name} must be positive, got {value}")
        for name in ("charge_resolution", "pulse_resolving_time_ns", "cherenkov_cone_spread_deg"):
            value = getattr(self, name)
            if not value >= 0:
                raise ValueError(f"detector.{name} must be non-negative, got {value}")
        if self.trigger_threshold_hits < 1:
            raise ValueError(f"detector.trigger.threshold_hits must be at least 1, got {self.trigger_threshold_hits}")

    @classmethod
    def from_config(cls, detector_cfg: dict) -> DetectorParams:
        """Build the parameters from the `detector` section of the config; absent keys keep their defaults."""
        if not isinstance(detector_cfg, dict):
            raise ValueError(f"the detector section of the config must be a mapping, got {type(detector_cfg).__name__}")
        names = {f.name for f in fields(cls)} - {"medium", "trigger_window_ns", "trigger_threshold_hits"}
        kwargs = {}
        for name in names:
            if name not in detector_cfg:
                continue
            value = detector_cfg[name]
            if name in ("scintillation_decay_ns", "scintillation_weights"):
                kwargs[name] = tuple(float(v) for v in value)
            elif name in ("scattering", "dark_noise"):
                kwargs[name] = bool(value)
            else:
                kwargs[name] = float(value)
        trigger = detector_cfg.get("trigger", {})
        if "window_ns" in trigger:
            kwargs["trigger_window_ns"] = float(trigger["window_ns"])
        if "threshold_hits" in trigger:
            kwargs["trigger_threshold_hits"] = int(trigger["threshold_hits"])
        return cls(medium=LiquidScintillator.from_config(detector_cfg), **kwargs)
