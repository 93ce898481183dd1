"""Job of rule validate_generator: the generator's validation figures and plots."""

from pathlib import Path

from junoml.generator.validation import validate_generator
from junoml.logs import configure_job_logging

configure_job_logging(snakemake.log[0])
validate_generator(
    snakemake.params.generator,
    snakemake.input.flux,
    Path(snakemake.output.figures).parent,
    events_paths=list(snakemake.input.events),
    hits_paths=list(snakemake.input.hits),
    pmts=snakemake.input.geometry,
    validation=snakemake.params.validation,
    seed=snakemake.params.seed,
)
