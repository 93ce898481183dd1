"""The quick study (config/quick.yaml) runs end to end, and its models beat the reference guesses.

Thresholds on the quick test splits: a muon_direction median opening angle below 45 degrees for
the three nets and the track fit (an isotropic guess has a median of 90), and a flavour accuracy
at least 5 points above the rate of the most frequent class in the test split for r2plus1d and
the boosted trees.
Every model of every task is checked for complete, finite metrics; docs/results.md records every
value.
"""

import json
import math

import pandas as pd
import pytest

from workflow_runner import REPO, merged_config, snakemake

pytestmark = [pytest.mark.quick, pytest.mark.slow]

QUICK_CONFIG = REPO / "config" / "quick.yaml"
TASK_MODELS = {task: tuple(settings["models"]) for task, settings in merged_config(QUICK_CONFIG)["tasks"].items()}
MUON_MEDIAN_LIMIT_DEG = 45.0
FLAVOUR_MARGIN = 0.05


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("quick_workflow")
    snakemake(workdir, "--cores", "2", configfiles=[QUICK_CONFIG], timeout=2700)
    return workdir


def read_metrics(workdir, task, model) -> dict:
    return json.loads((workdir / f"results/eval/{task}/{model}/metrics.json").read_text())


@pytest.mark.parametrize("model", ["r2plus1d", "conv3d", "cnn2d", "track_fit"])
def test_muon_direction_beats_isotropic_guess(quick_run, model):
    median = read_metrics(quick_run, "muon_direction", model)["pooled"]["opening_angle_median_deg"]
    assert median < MUON_MEDIAN_LIMIT_DEG


# cnn2d misses this target in the quick study: its time-integrated maps merge the delayed
# Michel-electron light, the clearest nu_mu CC signature, into the total charge. Four training
# seeds gave 0.425 to 0.470, and boosted trees on the features such a map contains gave 0.460
# (docs/results.md).
@pytest.mark.parametrize("model", ["r2plus1d", "bdt"])
def test_flavour_beats_majority_class(quick_run, model):
    labels = pd.read_parquet(quick_run / "results/splits/flavour/test.parquet")["label"]
    majority = labels.value_counts(normalize=True).max()
    accuracy = read_metrics(quick_run, "flavour", model)["pooled"]["accuracy"]
    assert accuracy >= majority + FLAVOUR_MARGIN


@pytest.mark.parametrize("task,model", [(task, model) for task, models in TASK_MODELS.items() for model in models])
def test_quick_metrics_complete(quick_run, task, model):
    metrics = read_metrics(quick_run, task, model)
    name = "accuracy" if task == "flavour" else "opening_angle_median_deg"
    values = [metrics["pooled"][name], *(entry[name] for entry in metrics["bins"])]
    assert len(metrics["bins"]) == 2
    assert all(math.isfinite(value) for value in values)
    if task != "muon_direction":
        assert math.isfinite(metrics["pooled_weighted"][name])
