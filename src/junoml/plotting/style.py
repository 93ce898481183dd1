"""Plot parameters, the shared look of every figure, model colours and figure output."""

import dataclasses
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker as ticker  # noqa: E402
import numpy as np  # noqa: E402
import seaborn as sns  # noqa: E402

from junoml.io.atomic import atomic_output  # noqa: E402

logger = logging.getLogger(__name__)

# Fixed colour slot per model, so a model has the same colour in every figure of every task.
MODEL_ORDER = ("r2plus1d", "conv3d", "cnn2d", "track_fit", "bdt")
MODEL_LABELS = {
    "r2plus1d": "R(2+1)D",
    "conv3d": "3D CNN",
    "cnn2d": "2D CNN",
    "track_fit": "track fit",
    "bdt": "BDT",
}
# Flavour classes in the order of the label column (0, 1, 2) and of the probability columns.
CLASS_NAMES = ("numu_cc", "nue_cc", "nc")
CLASS_LABELS = {"numu_cc": r"$\nu_\mu$ CC", "nue_cc": r"$\nu_e$ CC", "nc": "NC"}
PROBABILITY_COLUMNS = ("prob_numu_cc", "prob_nue_cc", "prob_nc")


@dataclasses.dataclass(frozen=True)
class PlotParams:
    """Settings of the summary plots and event displays (config section `plots`).

    Binning choices are estimates made for readability, not physics inputs.
    """

    # File formats written for every figure. PNG goes into the report, PDF into papers.
    formats: tuple[str, ...] = ("png", "pdf")
    # Raster resolution of PNG files (dots per inch).
    dpi: int = 150
    # Opening-angle histograms: log-spaced bin edges between these angles (degrees).
    opening_angle_range_deg: tuple[float, float] = (0.1, 180.0)
    n_opening_angle_bins: int = 40
    # Bins of cos(zenith) over [-1, 1] in the reconstructed-versus-true histograms.
    n_cos_zenith_bins: int = 40
    # Credible levels p (fractions) at which the vMF calibration is evaluated.
    calibration_levels: tuple[float, ...] = tuple(np.round(np.arange(0.05, 0.951, 0.05), 2))
    # Visible-energy bins of the flavour efficiency and purity plots (GeV), estimate.
    visible_energy_bin_edges_gev: tuple[float, ...] = (0.03, 0.1, 0.3162, 1.0, 3.162, 10.0)
    # Bins of the classifier-score histograms over [0, 1].
    n_score_bins: int = 25
    # Event displays: visible energy (MeV) near which the three example events are chosen.
    event_display_visible_energy_mev: float = 1000.0
    # Event displays: width (ns) and number of the time bins of the small multiples.
    event_display_time_bin_ns: float = 20.0
    event_display_n_time_bins: int = 8
    # Event displays: also write an animated GIF of the time bins.
    event_display_gif: bool = False
    # Frames per second of the GIF.
    event_display_gif_fps: float = 2.0

    def __post_init__(self) -> None:
        unknown = set(self.formats) - {"png", "pdf", "svg"}
        if unknown:
            raise ValueError(f"plots.formats has unsupported formats {sorted(unknown)}; use png, pdf or svg")
        low, high = self.opening_angle_range_deg
        if not 0.0 < low < high <= 180.0:
            raise ValueError(
                f"plots.opening_angle_range_deg must satisfy 0 < low < high <= 180, got {[low, high]}"
            )
        levels = np.asarray(self.calibration_levels, dtype=float)
        if levels.size == 0 or np.any((levels <= 0.0) | (levels >= 1.0)):
            raise ValueError(f"plots.calibration_levels must lie strictly between 0 and 1, got {list(levels)}")
        edges = np.asarray(self.visible_energy_bin_edges_gev, dtype=float)
        if edges.size < 2 or np.any(np.diff(edges) <= 0.0) or edges[0] <= 0.0:
            raise ValueError(
                "plots.visible_energy_bin_edges_gev must be positive and increasing, "
                f"got {list(edges)}"
            )
        for name in ("n_opening_angle_bins", "n_cos_zenith_bins", "n_score_bins", "event_display_n_time_bins", "dpi"):
            if getattr(self, name) < 1:
                raise ValueError(f"plots.{name} must be at least 1, got {getattr(self, name)}")
        if self.event_display_time_bin_ns <= 0.0:
            raise ValueError(f"plots.event_display_time_bin_ns must be positive, got {self.event_display_time_bin_ns}")

    @classmethod
    def from_mapping(cls, params: Mapping | None) -> "PlotParams":
        """Build the parameters from the config's `plots` section. Absent keys keep their defaults."""
        if params is None:
            return cls()
        if isinstance(params, PlotParams):
            return params
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = set(params) - known
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)} in the plots config; known keys are {sorted(known)}")
        values = {}
        for key, value in params.items():
            # YAML gives lists, but the dataclass stores tuples so that it stays hashable.
            values[key] = tuple(value) if isinstance(value, list) else value
        return cls(**values)


def apply_style() -> None:
    """Set the common look of all figures: seaborn ticks theme, colour-blind palette, readable fonts."""
    sns.set_theme(context="paper", style="ticks", palette="colorblind", font_scale=1.2)
    plt.rcParams.update(
        {
            "axes.grid": True,
            "grid.alpha": 0.3,
            "legend.frameon": False,
            "figure.constrained_layout.use": True,
            "savefig.bbox": "tight",
        }
    )


def plain_log_ticks(axis: matplotlib.axis.Axis, *, subs: tuple[float, ...] = (1.0, 2.0, 5.0)) -> None:
    """Label a log axis with plain numbers (0.1, 0.2, 0.5, 1, ... for the default `subs`) instead of powers of ten."""
    axis.set_major_locator(ticker.LogLocator(base=10.0, subs=subs))
    axis.set_major_formatter(ticker.FuncFormatter(lambda value, _: f"{value:g}"))
    axis.set_minor_formatter(ticker.NullFormatter())


def model_colours(models: Sequence[str]) -> dict[str, tuple[float, float, float]]:
    """Return a fixed colour-blind-safe colour per model. Unknown models take the slots after the known ones."""
    palette = sns.color_palette("colorblind", 10)
    colours = {}
    extra = 0
    for model in models:
        if model in MODEL_ORDER:
            slot = MODEL_ORDER.index(model)
        else:
            slot = len(MODEL_ORDER) + extra
            extra += 1
        colours[model] = palette[slot % len(palette)]
    return colours


def model_label(model: str) -> str:
    """Return the legend label of a model."""
    return MODEL_LABELS.get(model, model)


def save_figure(fig: plt.Figure, out_dir: str | os.PathLike, name: str, params: PlotParams) -> list[Path]:
    """Write the figure as out_dir/name.{format} for each configured format, atomically, and close it."""
    out_dir = Path(out_dir)
    paths = []
    for fmt in params.formats:
        path = out_dir / f"{name}.{fmt}"
        with atomic_output(path) as tmp:
            fig.savefig(tmp, format=fmt, dpi=params.dpi)
        paths.append(path)
    plt.close(fig)
    logger.info("wrote %s", ", ".join(str(path) for path in paths))
    return paths


def energy_bin_centres(bins: Sequence[Mapping]) -> tuple[np.ndarray, np.ndarray]:
    """Return the geometric bin centres (GeV) and the asymmetric x errors [2, n] that span each bin."""
    low = np.array([b["energy_min_gev"] for b in bins], dtype=float)
    high = np.array([b["energy_max_gev"] for b in bins], dtype=float)
    centre = np.sqrt(low * high)
    return centre, np.vstack([centre - low, high - centre])
