"""Job of rule tables: the model-comparison table of one task."""

from pathlib import Path

from junoml.logs import configure_job_logging
from junoml.plotting.tables import make_comparison_table

configure_job_logging(snakemake.log[0])
make_comparison_table(
    snakemake.wildcards.task,
    metrics_paths={Path(path).parent.name: path for path in snakemake.input.metrics},
    out_csv=snakemake.output.csv,
    out_md=snakemake.output.markdown,
    out_html=snakemake.output.html,
)
