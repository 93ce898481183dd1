"""Job of rule environment: package versions and the config, for the report."""

from junoml.logs import configure_job_logging
from junoml.plotting.environment import write_environment_report

configure_job_logging(snakemake.log[0])
write_environment_report(snakemake.output.page, config=snakemake.params.config)
