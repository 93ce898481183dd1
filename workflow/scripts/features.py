"""Job of rule features: handcrafted event features of one chunk, for the bdt baseline."""

import pandas as pd

from junoml.baselines.features import extract_features
from junoml.baselines.hits import read_hit_table
from junoml.baselines.params import FeatureParams, TrackFitParams
from junoml.io.atomic import atomic_output
from junoml.jobs import baseline_config
from junoml.logs import configure_job_logging

configure_job_logging(snakemake.log[0])
config = baseline_config(
    {
        "baselines": snakemake.params.baselines,
        "photon_speed_mm_per_ns": snakemake.params.photon_speed_mm_per_ns,
        "ls_radius_mm": snakemake.params.ls_radius_mm,
    }
)
features = extract_features(
    read_hit_table(snakemake.input.hits),
    pd.read_parquet(snakemake.input.events),
    pd.read_parquet(snakemake.input.geometry),
    FeatureParams.from_config(config),
    track_fit_params=TrackFitParams.from_config(config),
)
with atomic_output(snakemake.output.features) as tmp:
    features.to_parquet(tmp, index=False)
