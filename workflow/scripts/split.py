"""Job of rule split: per-energy-bin train/val/test splits of one task."""

from pathlib import Path

from junoml.logs import configure_job_logging
from junoml.splits import make_splits

configure_job_logging(snakemake.log[0])
make_splits(
    list(snakemake.input.events),
    task=snakemake.wildcards.task,
    task_cfg=snakemake.params.task,
    seed=snakemake.params.seed,
    out_dir=Path(snakemake.output.train).parent,
)
