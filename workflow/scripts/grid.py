"""Job of rule grid: grid tensors of one chunk."""

from pathlib import Path

import pandas as pd

from junoml.grid.gridder import grid_chunk
from junoml.logs import configure_job_logging

configure_job_logging(snakemake.log[0])
grid_chunk(
    snakemake.input.hits,
    snakemake.input.events,
    pd.read_parquet(snakemake.input.geometry),
    snakemake.params.grid,
    Path(snakemake.output.grid).with_suffix(""),
)
