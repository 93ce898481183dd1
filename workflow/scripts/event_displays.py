"""Job of rule event_displays: one nu_mu CC, one nu_e CC and one NC event of similar visible energy."""

from junoml.logs import configure_job_logging
from junoml.plotting.displays import make_event_displays

configure_job_logging(snakemake.log[0])
make_event_displays(
    list(snakemake.input.events),
    list(snakemake.input.hits),
    snakemake.input.geometry,
    snakemake.output.displays,
    snakemake.params.plots,
)
