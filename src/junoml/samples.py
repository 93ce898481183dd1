"""Event sources by sample kind: the detector's particle guns and the atmospheric-neutrino generator."""

import os

from junoml.detector.sources import DETECTOR_SOURCES, source_from_config


def make_source(sample_cfg: dict, *, flux_dir: str | os.PathLike | None = None):
    """Build the event source of a sample section; atmospheric samples need the flux tables in flux_dir."""
    kind = sample_cfg.get("source")
    if kind in DETECTOR_SOURCES:
        return source_from_config(sample_cfg)
    if kind == "atmospheric":
        if flux_dir is None:
            raise ValueError("an atmospheric sample needs the Honda flux tables; run the flux_table rule and pass its folder")
        from junoml.generator.source import AtmosphericSource

        return AtmosphericSource(sample_cfg, flux_dir)
    raise ValueError(
        f"samples.<name>.source = {kind!r} cannot be simulated; use one of {', '.join((*DETECTOR_SOURCES, 'atmospheric'))}, "
        "or 'external' with a list of ROOT files"
    )
