"""Job of rule geometry: write the PMT table."""

from junoml.detector.geometry import build_geometry, write_geometry
from junoml.logs import configure_job_logging

configure_job_logging(snakemake.log[0])
pmts = build_geometry(snakemake.params.geometry, {"pmt_types": snakemake.params.pmt_types}, seed=snakemake.params.seed)
write_geometry(pmts, snakemake.output.pmts)
