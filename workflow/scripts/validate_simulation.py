"""Job of rule validate_simulation: the detector simulation's validation figures and plots."""

from pathlib import Path

import pandas as pd

from junoml.detector.params import DetectorParams
from junoml.detector.simulation import Detector
from junoml.detector.validation import validate_simulation
from junoml.logs import configure_job_logging

configure_job_logging(snakemake.log[0])
detector = Detector(pd.read_parquet(snakemake.input.geometry), DetectorParams.from_config(snakemake.params.detector))
validate_simulation(detector, snakemake.params.validation, Path(snakemake.output.figures).parent)
