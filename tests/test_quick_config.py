"""The quick study (config/quick.yaml) runs end to end and its models learn.

Thresholds on the quick test split: the muon_direction median opening angle stays below 45
degrees (an isotropic guess has a median of 90), and the flavour accuracy is at least 5 points
above the rate of the most frequent class. nu_direction is only recorded.
"""

import json

import pandas as pd
import pytest

from workflow_runner import REPO, snakemake

pytestmark = [pytest.mark.quick, pytest.mark.slow]

QUICK_CONFIG = REPO / "config" / "quick.yaml"


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("quick_workflow")
    snakemake(workdir, "--cores", "2", configfiles=[QUICK_CONFIG], timeout=2700)
    return workdir


def read_metrics(workdir, task, model) -> dict:
    return json.loads((workdir / f"results/eval/{task}/{model}/metrics.json").read_text())


@pytest.mark.parametrize("model", ["r2plus1d", "conv3d", "cnn2d"])
def test_muon_direction_beats_isotropic_guess(quick_run, model):
    median = read_metrics(quick_run, "muon_direction", model)["pooled"]["opening_angle_median_deg"]
    assert median < 45.0


@pytest.mark.parametrize("model", ["r2plus1d", "conv3d", "cnn2d", "bdt"])
def test_flavour_beats_majority_class(quick_run, model):
    test = pd.read_parquet(quick_run / "results/splits/flavour/test.parquet")
    majority_rate = test["label"].value_counts(normalize=True).max()
    accuracy = read_metrics(quick_run, "flavour", model)["pooled"]["accuracy"]
    assert accuracy >= majority_rate + 0.05


@pytest.mark.parametrize("model", ["r2plus1d", "conv3d", "cnn2d", "track_fit"])
def test_nu_direction_metrics_recorded(quick_run, model):
    pooled = read_metrics(quick_run, "nu_direction", model)["pooled"]
    assert 0.0 <= pooled["opening_angle_median_deg"] <= 180.0
