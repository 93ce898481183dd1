"""A config change reruns exactly the jobs that use the changed value (dry runs after the tiny run).

Each row changes one value on top of the tiny config and compares the jobs that `snakemake -n`
plans with the expected jobs, rule by rule. The `environment` job records the whole config for the
report, so it reruns with every change; `all` is the target rule and always appears.
"""

from collections import Counter

import pytest

from junoml import config as junoml_config
from workflow_runner import merged_config, planned_jobs, write_config

from conftest import TINY_CONFIG

pytestmark = pytest.mark.e2e

NETS = ("r2plus1d", "conv3d", "cnn2d")


def tiny_counts() -> dict:
    config = merged_config(TINY_CONFIG)
    return {
        "muon_chunks": len(junoml_config.chunk_ids(config, "muon")),
        "atmospheric_chunks": len(junoml_config.chunk_ids(config, "atmospheric")),
        "models": {task: len(task_cfg["models"]) for task, task_cfg in config["tasks"].items()},
    }


def expected_jobs(**rules: int) -> Counter:
    jobs = Counter({"environment": 1, "all": 1})
    jobs.update({rule: count for rule, count in rules.items() if count})
    return jobs


def planned_after_change(tiny_run, tmp_path, change: dict) -> Counter:
    override = write_config(tmp_path / "change.yaml", change)
    return planned_jobs(tiny_run, [TINY_CONFIG, override])


def test_unchanged_config_plans_nothing(tiny_run):
    assert planned_jobs(tiny_run, [TINY_CONFIG]) == Counter()


def test_light_yield_reruns_everything_downstream_of_simulation(tiny_run, tmp_path):
    counts = tiny_counts()
    chunks = counts["muon_chunks"] + counts["atmospheric_chunks"]
    models = sum(counts["models"].values())
    planned = planned_after_change(tiny_run, tmp_path, {"detector": {"pe_per_mev": 1250.0}})
    assert planned == expected_jobs(
        simulate=chunks,
        validate_simulation=1,
        hits_to_parquet=chunks,
        grid=chunks,
        features=counts["atmospheric_chunks"],
        split=2,
        train=models,
        evaluate=models,
        plots=3,
        tables=3,
        event_displays=1,
        validate_generator=1,
    )


def test_cross_section_reruns_only_atmospheric_sample(tiny_run, tmp_path):
    counts = tiny_counts()
    chunks = counts["atmospheric_chunks"]
    models = counts["models"]["flavour"] + counts["models"]["nu_direction"]
    change = {"samples": {"atmospheric": {"cross_sections": {"axial_mass_gev": 1.10}}}}
    planned = planned_after_change(tiny_run, tmp_path, change)
    assert planned == expected_jobs(
        simulate=chunks,
        hits_to_parquet=chunks,
        grid=chunks,
        features=chunks,
        split=1,
        train=models,
        evaluate=models,
        plots=2,
        tables=2,
        event_displays=1,
        validate_generator=1,
    )


def test_time_bin_width_reruns_grid_and_nets(tiny_run, tmp_path):
    counts = tiny_counts()
    chunks = counts["muon_chunks"] + counts["atmospheric_chunks"]
    nets = 3 * len(NETS)
    planned = planned_after_change(tiny_run, tmp_path, {"grid": {"time_bin_ns": 24.0}})
    assert planned == expected_jobs(grid=chunks, train=nets, evaluate=nets, plots=3, tables=3)


def test_muon_energy_bins_rerun_only_muon_direction(tiny_run, tmp_path):
    counts = tiny_counts()
    models = counts["models"]["muon_direction"]
    change = {"tasks": {"muon_direction": {"energy_bin_edges_gev": [0.1, 0.3, 2.0]}}}
    planned = planned_after_change(tiny_run, tmp_path, change)
    assert planned == expected_jobs(split=1, train=models, evaluate=models, plots=1, tables=1)


def test_flavour_split_seed_reruns_flavour_and_nu_direction(tiny_run, tmp_path):
    counts = tiny_counts()
    models = counts["models"]["flavour"] + counts["models"]["nu_direction"]
    planned = planned_after_change(tiny_run, tmp_path, {"tasks": {"flavour": {"split_seed": 999}}})
    assert planned == expected_jobs(split=1, train=models, evaluate=models, plots=2, tables=2)


def test_r2plus1d_width_reruns_it_and_its_conv3d_twin(tiny_run, tmp_path):
    change = {"models": {"r2plus1d": {"stage_channels": [8, 24]}}}
    planned = planned_after_change(tiny_run, tmp_path, change)
    assert planned == expected_jobs(train=6, evaluate=6, plots=3, tables=3)


def test_model_training_key_reruns_only_that_model(tiny_run, tmp_path):
    change = {"models": {"cnn2d": {"training": {"max_epochs": 3}}}}
    planned = planned_after_change(tiny_run, tmp_path, change)
    assert planned == expected_jobs(train=3, evaluate=3, plots=3, tables=3)


def test_task_training_key_reruns_only_that_task(tiny_run, tmp_path):
    nets = sum(model in NETS for model in merged_config(TINY_CONFIG)["tasks"]["nu_direction"]["models"])
    change = {"tasks": {"nu_direction": {"training": {"max_epochs": 3}}}}
    planned = planned_after_change(tiny_run, tmp_path, change)
    assert planned == expected_jobs(train=nets, evaluate=nets, plots=1, tables=1)


def test_r2plus1d_training_key_leaves_its_conv3d_twin(tiny_run, tmp_path):
    change = {"models": {"r2plus1d": {"training": {"learning_rate": 2.0e-3}}}}
    planned = planned_after_change(tiny_run, tmp_path, change)
    assert planned == expected_jobs(train=3, evaluate=3, plots=3, tables=3)


def test_plot_option_reruns_only_plots(tiny_run, tmp_path):
    planned = planned_after_change(tiny_run, tmp_path, {"plots": {"n_opening_angle_bins": 30}})
    assert planned == expected_jobs(plots=3)


def test_validation_plot_option_reruns_only_validation(tiny_run, tmp_path):
    planned = planned_after_change(tiny_run, tmp_path, {"validation": {"simulation": {"plot_dpi": 90}}})
    assert planned == expected_jobs(validate_simulation=1)
