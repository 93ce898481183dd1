"""Job of rule flux_table: Honda's 2014 Kamioka flux tables, extracted from the nuflux wheel and checked."""

from junoml.generator.flux import fetch_honda_tables
from junoml.logs import configure_job_logging

configure_job_logging(snakemake.log[0])
fetch_honda_tables(snakemake.output.tables, checksums=snakemake.params.flux["sha256"], package=snakemake.params.flux["package"])
