"""Atmospheric-neutrino event generator: Honda flux, cross sections on LAB and interaction final states."""

from junoml.generator.flux import fetch_honda_tables, load_flux_tables
from junoml.generator.source import AtmosphericSource, GeneratorParams, event_label

__all__ = ["AtmosphericSource", "GeneratorParams", "event_label", "fetch_honda_tables", "load_flux_tables"]
