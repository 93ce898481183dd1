"""Job of rule evaluate: test-split predictions and metrics of one model of one task."""

from junoml.jobs import evaluate_job
from junoml.logs import configure_job_logging

configure_job_logging(snakemake.log[0])
evaluate_job(
    snakemake.wildcards.task,
    snakemake.wildcards.model,
    inputs=dict(snakemake.input),
    out_predictions=snakemake.output.predictions,
    out_metrics=snakemake.output.metrics,
    params={
        "seed": snakemake.params.seed,
        "task": snakemake.params.task,
        "model": snakemake.params.model,
        "evaluation": snakemake.params.evaluation,
    },
)
