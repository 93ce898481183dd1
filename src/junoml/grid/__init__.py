"""Gridding of hits into [C, T, H, W] tensors and the per-chunk grid store."""

from junoml.grid.gridder import CHANNELS, EventGridder, GridInputError, GridOptions, grid_chunk
from junoml.grid.projection import GridConfigError, Projection, equirectangular, make_projection, pmt_angles, rings

__all__ = [
    "CHANNELS",
    "EventGridder",
    "GridConfigError",
    "GridInputError",
    "GridOptions",
    "Projection",
    "equirectangular",
    "grid_chunk",
    "make_projection",
    "pmt_angles",
    "rings",
]
