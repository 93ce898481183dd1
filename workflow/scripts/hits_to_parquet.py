"""Job of rule hits_to_parquet: one ROOT chunk to a hit table and an events table."""

import pandas as pd

from junoml.ingest import hits_to_parquet
from junoml.logs import configure_job_logging

configure_job_logging(snakemake.log[0])
hits_to_parquet(
    [snakemake.input.root],
    reader=snakemake.params.reader,
    pmts=pd.read_parquet(snakemake.input.geometry),
    out_hits=snakemake.output.hits,
    out_events=snakemake.output.events,
    sample=snakemake.wildcards.sample,
    seed=snakemake.params.seed,
    trigger=snakemake.params.trigger,
    file_index_offset=int(snakemake.wildcards.chunk),
    response=snakemake.params.response,
)
