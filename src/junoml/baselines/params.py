"""Parameters of the baselines: the classical muon track fit, the event features and the boosted trees."""

import dataclasses
from collections.abc import Mapping
from typing import Any, Self

# Speed of light in vacuum, mm/ns (CODATA, exact).
SPEED_OF_LIGHT_MM_PER_NS = 299.792458


def _from_mapping(cls: type, values: Mapping[str, Any] | None, key: str):
    """Build dataclass `cls` from a config mapping, rejecting keys that the dataclass does not have."""
    values = dict(values or {})
    names = {field.name for field in dataclasses.fields(cls)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise ValueError(
            f"config key {key!r} has unknown entries {unknown}; valid entries are {sorted(names)}"
        )
    return cls(**values)


@dataclasses.dataclass(frozen=True)
class TrackFitParams:
    """Parameters of the fastest-light muon track fit.

    The fit compares each PMT's first-hit time with the earliest arrival of light from a muon
    that moves at the speed of light along a straight segment inside the liquid scintillator.
    """

    # Effective photon speed in the LS, mm/ns. The config passes the detector section's value;
    # 190 mm/ns is the commonly quoted LAB group speed (to verify).
    photon_speed_mm_per_ns: float = 190.0
    # Radius of the acrylic sphere that contains the LS, mm (arXiv:2104.02565). Light is emitted
    # only by the part of the track inside it.
    ls_radius_mm: float = 17700.0
    # A PMT's first hit is its first pulse with at least this charge, in p.e. (estimate: below
    # the single-p.e. peak for a 30% charge resolution, so it removes only electronic noise).
    first_hit_charge_threshold_pe: float = 0.2
    # Time uncertainty added in quadrature to each PMT's transit-time spread, ns (estimate: the
    # model error of one effective photon speed and a straight track).
    time_uncertainty_floor_ns: float = 2.0
    # Mean delay of the first scintillation photon, ns, divided by the PMT's charge in the model
    # of the first-hit time (fast decay component of LAB, 4.93 ns, to verify).
    scintillation_delay_ns: float = 4.93
    # Subtract the expected early shift of the first of n photons with Gaussian transit times
    # (order statistics). False fits the plain fastest-light time.
    first_hit_bias_correction: bool = True
    # Charge (p.e.) that stands for the number of photo-electrons n in the first-hit model:
    # "first_pulse_charge_pe" (the first pulse, which merges the photo-electrons of its first
    # few ns) or "charge_pe" (every pulse of the PMT).
    photon_count_column: str = "first_pulse_charge_pe"
    # Scale of the Cauchy loss on the normalised time residuals, in units of the residual's
    # sigma (estimate: keeps hits within a few sigma near-quadratic, suppresses dark noise).
    cauchy_scale: float = 2.0
    # Hits whose normalised residual after the robust pass exceeds this are dropped from the
    # final pass and from the quality numbers (estimate).
    residual_cut_sigma: float = 4.0
    # Events with fewer fired PMTs than this are not fitted and get NaN predictions.
    min_hits: int = 20
    # Number of principal axes of the charge-weighted PMT positions (1 to 3) that the fit starts
    # from. More axes cost more time but catch tracks whose first axis is wrong.
    n_initial_axes: int = 3
    # Fit the reversed initial direction too and keep the better of the two fits.
    try_reversed_direction: bool = True
    # Start from short tracks centred on a point-source fit of the first hits, instead of the
    # chords, for events whose charge suggests a track shorter than contained_start_max_length_mm:
    # muons that start and stop in the LS.
    contained_track_starts: bool = True
    # mm; longer tracks start from the chords. On simulated muons of 0.1 to 10 GeV, the fits of
    # contained tracks of 5 to 20 m ended a few degrees worse from the short starts (measured).
    contained_start_max_length_mm: float = 5000.0
    # Charge per mm of muon track, p.e./mm, that turns an event's total charge into the length of
    # the short starts. Estimate: a minimum-ionising dE/dx in LAB of about 0.17 MeV/mm times
    # 1,300 p.e./MeV, plus Cherenkov light. This project's simulation gives 260 to 300 for
    # contained muons. The value sets only where the fit starts.
    charge_per_track_mm_pe: float = 250.0
    # The robust passes use at most this many PMTs, spread evenly over the fired ones (estimate,
    # enough in the tests of docs/baselines.md). The final pass uses every PMT.
    max_hits_robust_pass: int = 3000
    # Maximum number of model evaluations of one least-squares pass.
    max_function_evaluations: int = 400

    def __post_init__(self):
        if not 0.0 < self.photon_speed_mm_per_ns < SPEED_OF_LIGHT_MM_PER_NS:
            raise ValueError(
                f"photon_speed_mm_per_ns must be in (0, {SPEED_OF_LIGHT_MM_PER_NS}), got "
                f"{self.photon_speed_mm_per_ns}; set detector.photon_speed_mm_per_ns in the config"
            )
        positive = {
            "ls_radius_mm": self.ls_radius_mm,
            "time_uncertainty_floor_ns": self.time_uncertainty_floor_ns,
            "cauchy_scale": self.cauchy_scale,
            "residual_cut_sigma": self.residual_cut_sigma,
            "charge_per_track_mm_pe": self.charge_per_track_mm_pe,
            "contained_start_max_length_mm": self.contained_start_max_length_mm,
        }
        for name, value in positive.items():
            if not value > 0:
                raise ValueError(f"baselines.track_fit.{name} must be positive, got {value}")
        if self.photon_count_column not in ("first_pulse_charge_pe", "charge_pe"):
            raise ValueError(
                "baselines.track_fit.photon_count_column must be 'first_pulse_charge_pe' or 'charge_pe', "
                f"got {self.photon_count_column!r}"
            )
        if self.scintillation_delay_ns < 0:
            raise ValueError(
                f"baselines.track_fit.scintillation_delay_ns must be non-negative, got {self.scintillation_delay_ns}"
            )
        if self.min_hits < 8:
            raise ValueError(
                f"baselines.track_fit.min_hits must be at least 8 (the fit has 7 parameters), got {self.min_hits}"
            )
        if self.n_initial_axes not in (1, 2, 3):
            raise ValueError(f"baselines.track_fit.n_initial_axes must be 1, 2 or 3, got {self.n_initial_axes}")
        if self.max_hits_robust_pass < self.min_hits:
            raise ValueError(
                f"baselines.track_fit.max_hits_robust_pass must be at least min_hits ({self.min_hits}), got {self.max_hits_robust_pass}"
            )
        if self.max_function_evaluations < 10:
            raise ValueError(
                f"baselines.track_fit.max_function_evaluations must be at least 10, got {self.max_function_evaluations}"
            )

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Self:
        """Build the parameters from the full config: `baselines.track_fit` plus the LS speed and radius of `detector`."""
        section = dict(config.get("baselines", {}).get("track_fit", {}) or {})
        detector = config.get("detector", {})
        for name in ("photon_speed_mm_per_ns", "ls_radius_mm"):
            if name in detector:
                section.setdefault(name, float(detector[name]))
        return _from_mapping(cls, section, "baselines.track_fit")


@dataclasses.dataclass(frozen=True)
class FeatureParams:
    """Parameters of the handcrafted event features."""

    # Pulses below this charge are ignored, p.e. (the track fit's threshold by default).
    charge_threshold_pe: float = 0.2
    # The reference time of an event is the time at which this fraction of its charge has
    # arrived (estimate: high enough to skip the dark-noise pulses before the event).
    reference_charge_fraction: float = 0.01
    # Early-light windows after the reference time, ns: one feature per window (estimate: the
    # fast scintillation decay is about 5 ns, light crosses the detector in about 190 ns).
    early_windows_ns: tuple[float, ...] = (10.0, 30.0, 100.0)
    # Light later than this after the reference time counts as late light, ns (estimate:
    # after the prompt light, where muon-decay electrons appear within the readout window).
    late_light_start_ns: float = 400.0
    # Add the track fit's quality and length to the features (costs one fit per event).
    include_track_fit: bool = True

    def __post_init__(self):
        if self.charge_threshold_pe < 0:
            raise ValueError(
                f"baselines.features.charge_threshold_pe must be non-negative, got {self.charge_threshold_pe}"
            )
        if not 0.0 <= self.reference_charge_fraction < 0.5:
            raise ValueError(
                "baselines.features.reference_charge_fraction must be in [0, 0.5), got "
                f"{self.reference_charge_fraction}"
            )
        if not self.early_windows_ns or any(not w > 0 for w in self.early_windows_ns):
            raise ValueError(
                f"baselines.features.early_windows_ns must be a non-empty list of positive times in ns, got {self.early_windows_ns}"
            )
        if not self.late_light_start_ns > 0:
            raise ValueError(
                f"baselines.features.late_light_start_ns must be positive, got {self.late_light_start_ns}"
            )
        object.__setattr__(self, "early_windows_ns", tuple(float(w) for w in self.early_windows_ns))

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Self:
        """Build the parameters from the full config's `baselines.features` section."""
        return _from_mapping(cls, config.get("baselines", {}).get("features", {}), "baselines.features")


@dataclasses.dataclass(frozen=True)
class BdtParams:
    """Hyperparameters of scikit-learn's HistGradientBoostingClassifier for the flavour task."""

    # Maximum number of boosting iterations; early stopping on the validation set may stop sooner.
    max_iter: int = 500
    learning_rate: float = 0.1
    max_leaf_nodes: int = 31
    min_samples_leaf: int = 20
    l2_regularization: float = 0.0
    # Stop when the validation log-loss has not improved for this many iterations; 0 disables
    # early stopping.
    n_iter_no_change: int = 20
    # null: every event weighs the same; "balanced": weights inversely proportional to the class
    # frequencies of the training set.
    class_weight: str | None = None
    seed: int = 0

    def __post_init__(self):
        if self.max_iter < 1:
            raise ValueError(f"baselines.bdt.max_iter must be at least 1, got {self.max_iter}")
        if not self.learning_rate > 0:
            raise ValueError(f"baselines.bdt.learning_rate must be positive, got {self.learning_rate}")
        if self.max_leaf_nodes < 2:
            raise ValueError(f"baselines.bdt.max_leaf_nodes must be at least 2, got {self.max_leaf_nodes}")
        if self.min_samples_leaf < 1:
            raise ValueError(f"baselines.bdt.min_samples_leaf must be at least 1, got {self.min_samples_leaf}")
        if self.l2_regularization < 0:
            raise ValueError(f"baselines.bdt.l2_regularization must be non-negative, got {self.l2_regularization}")
        if self.n_iter_no_change < 0:
            raise ValueError(f"baselines.bdt.n_iter_no_change must be non-negative, got {self.n_iter_no_change}")
        if self.class_weight not in (None, "balanced"):
            raise ValueError(f"baselines.bdt.class_weight must be null or 'balanced', got {self.class_weight!r}")

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Self:
        """Build the parameters from the full config's `baselines.bdt` section."""
        return _from_mapping(cls, config.get("baselines", {}).get("bdt", {}), "baselines.bdt")
