"""Fast simulation, gridding and spatiotemporal deep learning for JUNO muon and atmospheric-neutrino events."""

__version__ = "0.1.0"
