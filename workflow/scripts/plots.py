"""Job of rule plots: every summary figure of one task."""

from pathlib import Path

from junoml.logs import configure_job_logging
from junoml.plotting.tasks import make_task_plots

configure_job_logging(snakemake.log[0])
models = list(snakemake.params.models)
make_task_plots(
    snakemake.wildcards.task,
    models=models,
    eval_dirs={model: Path(path).parent for model, path in zip(models, snakemake.input.metrics)},
    model_dirs={model: Path(path).parent for model, path in zip(models, snakemake.input.training_logs)},
    out_dir=snakemake.output.figures,
    params=snakemake.params.plots,
)
