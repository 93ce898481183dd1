# JUNO spatiotemporal ML: simulation -> hit tables -> grid tensors -> splits -> training ->
# evaluation -> plots. Run `snakemake --cores N` (full study) or add
# `--configfile config/quick.yaml` for the small built-in study.

from pathlib import Path

from snakemake.utils import min_version

min_version("9.1.5")


configfile: Path(workflow.basedir) / "config" / "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/geometry.smk"
include: "workflow/rules/simulate.smk"
include: "workflow/rules/ingest.smk"
include: "workflow/rules/grid.smk"
include: "workflow/rules/split.smk"
include: "workflow/rules/learn.smk"
include: "workflow/rules/plots.smk"


localrules:
    all,
    plots,
    tables,
    event_displays,
    environment,


rule all:
    input:
        all_targets(),
    default_target: True
