"""Job of rule train: train one model of one task (or record the parameters of a baseline that learns nothing)."""

from junoml.jobs import train_job
from junoml.logs import configure_job_logging

configure_job_logging(snakemake.log[0])
train_job(
    snakemake.wildcards.task,
    snakemake.wildcards.model,
    inputs=dict(snakemake.input),
    out_summary=snakemake.output.summary,
    out_log=snakemake.output.training_log,
    params={
        "seed": snakemake.params.seed,
        "task": snakemake.params.task,
        "model": snakemake.params.model,
        "training": snakemake.params.training,
    },
)
