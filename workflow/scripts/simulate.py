"""Job of rule simulate: one chunk of events of a sample, through the detector, to a ROOT file."""

import pandas as pd

from junoml.detector.params import DetectorParams
from junoml.detector.simulation import Detector, simulate_chunk
from junoml.logs import configure_job_logging
from junoml.samples import make_source

configure_job_logging(snakemake.log[0])
params = snakemake.params
detector = Detector(pd.read_parquet(snakemake.input.geometry), DetectorParams.from_config(params.detector))
source = make_source(params.sample, flux_dir=snakemake.input.get("flux"))
simulate_chunk(
    source,
    detector,
    sample=snakemake.wildcards.sample,
    seed=params.seed,
    first_event_id=params.chunk["first_event_id"],
    n_events=params.chunk["n_events"],
    out_path=snakemake.output.root,
    metadata={"config": {"sample": params.sample, "detector": params.detector, "seed": params.seed, "chunk": params.chunk}},
)
