"""End-to-end checks of every stage's outputs after one run of the workflow on the tiny config."""

import json

import numpy as np
import pandas as pd
import pytest
import uproot

from junoml.grid.store import GridStore

pytestmark = pytest.mark.e2e

SAMPLES = ("muon", "atmospheric")
TASK_MODELS = {
    "muon_direction": ("r2plus1d", "conv3d", "cnn2d", "track_fit"),
    "flavour": ("r2plus1d", "conv3d", "cnn2d", "bdt"),
    "nu_direction": ("r2plus1d", "conv3d", "cnn2d", "track_fit"),
}


def test_geometry_has_every_pmt(tiny_run):
    pmts = pd.read_parquet(tiny_run / "results/geometry/pmts.parquet")
    assert len(pmts) == 17612
    assert pmts["pmt_id"].is_unique


@pytest.mark.parametrize("sample", SAMPLES)
def test_simulation_files_hold_contract_branches(tiny_run, sample):
    paths = sorted((tiny_run / "results/sim" / sample).glob("*.root"))
    assert paths
    with uproot.open(paths[0]) as file:
        branches = set(file["events"].keys())
    for name in ("event_id", "energy_gev", "dir_x", "triggered", "contained", "pmt_id", "hit_time_ns", "charge_pe"):
        assert name in branches, name


@pytest.mark.parametrize("sample", SAMPLES)
def test_event_ids_are_consecutive_over_chunks(tiny_run, sample):
    paths = sorted((tiny_run / "results/events" / sample).glob("*.parquet"))
    event_ids = pd.concat([pd.read_parquet(path, columns=["event_id"]) for path in paths])["event_id"].to_numpy()
    assert np.array_equal(event_ids, np.arange(len(event_ids)))


def test_atmospheric_events_carry_labels_and_weights(tiny_run):
    paths = sorted((tiny_run / "results/events/atmospheric").glob("*.parquet"))
    events = pd.concat([pd.read_parquet(path) for path in paths])
    assert set(events["label"].unique()) <= {0, 1, 2, 3}
    assert (events["weight"] > 0).all()
    assert events["mode"].isin([1, 2, 3]).all()


@pytest.mark.parametrize("sample", SAMPLES)
def test_grid_store_matches_hit_charge(tiny_run, sample):
    prefixes = sorted(path.with_suffix("") for path in (tiny_run / "results/grid" / sample).glob("*.grid"))
    store = GridStore(prefixes)
    event_id = int(store.index.sort_values("charge_in_grid_pe").iloc[-1]["event_id"])
    tensor = store.read(event_id)
    recorded = float(store.index.loc[event_id, "charge_in_grid_pe"])
    assert tensor.shape == tuple(store.meta["shape"])
    # The charge channel is stored as float16 of log1p(charge): 0.4% relative precision per pixel.
    assert tensor[0].sum() == pytest.approx(recorded, rel=5e-3)


@pytest.mark.parametrize("task", ["muon_direction", "flavour"])
def test_splits_are_disjoint_and_sized(tiny_run, task):
    tables = {name: pd.read_parquet(tiny_run / f"results/splits/{task}/{name}.parquet") for name in ("train", "val", "test")}
    assert [len(tables[name]) for name in ("train", "val", "test")] == [30, 10, 20]
    ids = [set(table["event_id"]) for table in tables.values()]
    assert not ids[0] & ids[1]
    assert not ids[0] & ids[2]
    assert not ids[1] & ids[2]


@pytest.mark.parametrize("task,model", [(task, model) for task, models in TASK_MODELS.items() for model in models])
def test_evaluation_outputs_follow_contract(tiny_run, task, model):
    predictions = pd.read_parquet(tiny_run / f"results/eval/{task}/{model}/predictions.parquet")
    metrics = json.loads((tiny_run / f"results/eval/{task}/{model}/metrics.json").read_text())
    assert len(predictions) == 20
    assert metrics["task"] == task
    assert metrics["model"] == model
    assert len(metrics["bins"]) == 2
    if task == "flavour":
        assert {"prob_numu_cc", "prob_nue_cc", "prob_nc", "pred_label"} <= set(predictions.columns)
        assert 0.0 <= metrics["pooled"]["accuracy"] <= 1.0
    else:
        assert {"pred_dir_x", "pred_dir_y", "pred_dir_z"} <= set(predictions.columns)
        assert "opening_angle_median_deg" in metrics["pooled"]


@pytest.mark.parametrize("task", list(TASK_MODELS))
def test_plots_and_tables_exist(tiny_run, task):
    figures = sorted((tiny_run / f"results/plots/{task}").glob("*.png"))
    assert len(figures) >= 4
    assert all(path.stat().st_size > 0 for path in figures)
    table = pd.read_csv(tiny_run / f"results/tables/{task}_comparison.csv")
    assert set(table["model"]) == set(TASK_MODELS[task])


def test_event_displays_show_three_classes(tiny_run):
    displays = sorted((tiny_run / "results/plots/event_displays").glob("*.png"))
    assert len(displays) >= 3


def test_validation_figures_exist(tiny_run):
    simulation = json.loads((tiny_run / "results/validation/simulation/figures.json").read_text())
    generator = json.loads((tiny_run / "results/validation/generator/figures.json").read_text())
    assert simulation
    assert generator
