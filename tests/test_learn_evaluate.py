"""Tests of the metrics on hand-computed cases, write_evaluation's metrics.json, and evaluate_model."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from junoml.learn.evaluate import evaluate_model, write_evaluation
from junoml.learn.metrics import direction_metrics, flavour_metrics, opening_angle_deg, weighted_quantile
from junoml.learn.synthetic import write_synthetic_task
from junoml.learn.train import train_model

CLASSES = ("numu_cc", "nue_cc", "nc")
PARAMS = {"seed": 5, "evaluation": {"n_bootstrap": 20, "num_workers": 0}}


def rotated_about_y(angles_deg: np.ndarray) -> np.ndarray:
    """Return (sin a, 0, -cos a): down-going (0, 0, -1) tilted by each angle a towards +x."""
    a = np.radians(angles_deg)
    return np.stack([np.sin(a), np.zeros_like(a), -np.cos(a)], axis=1)


def test_opening_angle_right_angle():
    assert opening_angle_deg(np.array([[1.0, 0, 0]]), np.array([[0, 2.0, 0]]))[0] == pytest.approx(90.0)


def test_opening_angle_identical_is_zero():
    v = np.array([[0.3, -0.4, 0.5]])
    assert opening_angle_deg(v, v)[0] == pytest.approx(0.0, abs=1e-5)


def test_weighted_quantile_equal_weights_is_numpy_linear():
    values = np.array([3.0, 1.0, 4.0, 1.5, 9.0])
    for q in (0.16, 0.5, 0.68, 0.84):
        assert weighted_quantile(values, q, np.full(5, 2.0)) == pytest.approx(np.quantile(values, q))


def test_weighted_quantile_hand_case():
    # Positions (S_k - w_k) / (S_N - w_N) = 0, 2/3, 1 for weights 2, 1, 1: the median is 3/4 of the way from 0 to 1.
    assert weighted_quantile(np.array([0.0, 1.0, 2.0]), 0.5, np.array([2.0, 1.0, 1.0])) == pytest.approx(0.75)


def test_weighted_quantile_ignores_zero_weight():
    assert weighted_quantile(np.array([0.0, 100.0, 2.0]), 0.5, np.array([1.0, 0.0, 1.0])) == pytest.approx(1.0)


def test_direction_metrics_hand_case():
    angles = np.array([10.0, 20.0, 30.0, 40.0, 50.0])
    true = np.tile([0.0, 0.0, -1.0], (5, 1))
    metrics = direction_metrics(rotated_about_y(angles), true, weights=None, n_bootstrap=10, rng=np.random.default_rng(0))
    assert metrics["opening_angle_median_deg"] == pytest.approx(30.0)
    # numpy linear quantile: position 0.68 * 4 = 2.72 between 30 and 40 degrees.
    assert metrics["opening_angle_68_deg"] == pytest.approx(37.2)
    # cos(zenith) = -dir_z: true 1, predicted cos(a); half the 16-84% range of cos(a) - 1.
    error = np.cos(np.radians(angles)) - 1.0
    expected = 0.5 * (np.quantile(error, 0.84) - np.quantile(error, 0.16))
    assert metrics["cos_zenith_resolution"] == pytest.approx(expected)


def test_direction_metrics_bootstrap_error_positive():
    angles = np.linspace(1.0, 60.0, 50)
    true = np.tile([0.0, 0.0, -1.0], (50, 1))
    metrics = direction_metrics(rotated_about_y(angles), true, weights=None, n_bootstrap=50, rng=np.random.default_rng(0))
    assert 0.0 < metrics["opening_angle_median_deg_err"] < 10.0


def test_direction_metrics_single_event_is_none():
    metrics = direction_metrics(rotated_about_y(np.array([5.0])), np.array([[0.0, 0.0, -1.0]]), weights=None, n_bootstrap=10, rng=np.random.default_rng(0))
    assert metrics["opening_angle_median_deg"] is None


def test_direction_metrics_weighted_median():
    angles = np.array([10.0, 20.0, 30.0])
    true = np.tile([0.0, 0.0, -1.0], (3, 1))
    metrics = direction_metrics(rotated_about_y(angles), true, weights=np.array([2.0, 1.0, 1.0]), n_bootstrap=10, rng=np.random.default_rng(0))
    assert metrics["opening_angle_median_deg"] == pytest.approx(17.5)


FLAVOUR_TRUE = np.array([0, 0, 1, 1, 2, 2])
FLAVOUR_PRED = np.array([0, 1, 1, 1, 2, 0])


def flavour_probabilities() -> np.ndarray:
    probabilities = np.full((6, 3), 0.1)
    probabilities[np.arange(6), FLAVOUR_PRED] = 0.8
    return probabilities


def test_flavour_metrics_hand_case():
    metrics = flavour_metrics(FLAVOUR_TRUE, FLAVOUR_PRED, flavour_probabilities(), CLASSES, weights=None)
    assert metrics["accuracy"] == pytest.approx(4 / 6)
    assert metrics["efficiency_numu_cc"] == pytest.approx(1 / 2)
    assert metrics["purity_numu_cc"] == pytest.approx(1 / 2)
    assert metrics["efficiency_nue_cc"] == pytest.approx(1.0)
    assert metrics["purity_nue_cc"] == pytest.approx(2 / 3)
    assert metrics["efficiency_nc"] == pytest.approx(1 / 2)
    assert metrics["purity_nc"] == pytest.approx(1.0)
    assert metrics["confusion_matrix"] == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]


def test_flavour_roc_auc_hand_case():
    # nc scores: true nc events 0.8 and 0.1, others 0.1 (x3) and 0.1: pairs (8 of them) win 4, tie 4 -> 0.5 + 0.5 * 0.5 = 0.75.
    metrics = flavour_metrics(FLAVOUR_TRUE, FLAVOUR_PRED, flavour_probabilities(), CLASSES, weights=None)
    assert metrics["roc_auc_nc"] == pytest.approx(0.75)


def test_flavour_weighted_accuracy():
    weights = np.array([3.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    metrics = flavour_metrics(FLAVOUR_TRUE, FLAVOUR_PRED, flavour_probabilities(), CLASSES, weights=weights)
    assert metrics["accuracy"] == pytest.approx(6 / 8)


def test_flavour_auc_none_without_class():
    metrics = flavour_metrics(np.array([0, 0]), np.array([0, 1]), np.full((2, 3), 1 / 3), CLASSES, weights=None)
    assert metrics["roc_auc_nc"] is None


def direction_table(n: int, rng: np.random.Generator) -> pd.DataFrame:
    true = rng.normal(size=(n, 3))
    true /= np.linalg.norm(true, axis=1, keepdims=True)
    predicted = true + 0.2 * rng.normal(size=(n, 3))
    return pd.DataFrame(
        {
            "event_id": np.arange(n),
            "energy_bin": rng.integers(0, 2, n),
            "dir_x": true[:, 0],
            "dir_y": true[:, 1],
            "dir_z": true[:, 2],
            "label": rng.integers(0, 3, n),
            "weight": rng.uniform(0.5, 2.0, n),
            "pred_dir_x": predicted[:, 0],
            "pred_dir_y": predicted[:, 1],
            "pred_dir_z": predicted[:, 2],
        }
    )


def test_write_evaluation_nu_direction_layout(tmp_path):
    table = direction_table(60, np.random.default_rng(1))
    metrics = write_evaluation(
        "nu_direction", "track_fit", table, energy_bin_edges_gev=[0.1, 1.0, 10.0], out_predictions=tmp_path / "p.parquet", out_metrics=tmp_path / "m.json", params=PARAMS
    )
    assert json.loads((tmp_path / "m.json").read_text()) == metrics
    assert [b["n_events"] for b in metrics["bins"]] == [int((table["energy_bin"] == k).sum()) for k in (0, 1)]
    assert metrics["bins"][1]["energy_min_gev"] == 1.0
    assert "opening_angle_68_deg_err" in metrics["pooled_weighted"]
    assert set(metrics["per_class"]) == set(CLASSES)
    assert metrics["per_class"]["nc"]["pooled"]["n_events"] == int((table["label"] == 2).sum())


def test_write_evaluation_muon_has_no_weighted(tmp_path):
    table = direction_table(20, np.random.default_rng(2)).drop(columns=["weight", "label"])
    metrics = write_evaluation(
        "muon_direction", "r2plus1d", table, energy_bin_edges_gev=[0.1, 1.0, 10.0], out_predictions=tmp_path / "p.parquet", out_metrics=tmp_path / "m.json", params=PARAMS
    )
    assert "pooled_weighted" not in metrics


def test_write_evaluation_bootstrap_seeded(tmp_path):
    table = direction_table(40, np.random.default_rng(3))
    kwargs = {"energy_bin_edges_gev": [0.1, 1.0, 10.0], "out_predictions": tmp_path / "p.parquet", "out_metrics": tmp_path / "m.json", "params": PARAMS}
    first = write_evaluation("muon_direction", "r2plus1d", table, **kwargs)
    second = write_evaluation("muon_direction", "r2plus1d", table, **kwargs)
    assert first == second


def test_write_evaluation_missing_column_named(tmp_path):
    table = direction_table(10, np.random.default_rng(4)).drop(columns=["pred_dir_z"])
    with pytest.raises(KeyError, match="pred_dir_z"):
        write_evaluation("muon_direction", "r2plus1d", table, energy_bin_edges_gev=[0.1, 10.0], out_predictions=tmp_path / "p.parquet", out_metrics=tmp_path / "m.json", params=PARAMS)


def test_write_evaluation_flavour_layout(tmp_path):
    rng = np.random.default_rng(5)
    probabilities = rng.dirichlet(np.ones(3), size=30)
    table = pd.DataFrame(
        {
            "event_id": np.arange(30),
            "energy_bin": rng.integers(0, 2, 30),
            "label": rng.integers(0, 3, 30),
            "weight": rng.uniform(0.5, 2.0, 30),
            "prob_numu_cc": probabilities[:, 0],
            "prob_nue_cc": probabilities[:, 1],
            "prob_nc": probabilities[:, 2],
            "pred_label": probabilities.argmax(axis=1),
        }
    )
    metrics = write_evaluation("flavour", "bdt", table, energy_bin_edges_gev=[0.1, 1.0, 10.0], out_predictions=tmp_path / "p.parquet", out_metrics=tmp_path / "m.json", params=PARAMS)
    assert np.array(metrics["pooled"]["confusion_matrix"]).sum() == 30
    assert metrics["pooled_weighted"]["accuracy"] is not None
    assert "per_class" not in metrics


@pytest.fixture
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_evaluate_model_writes_contract_columns(tmp_path, one_thread):
    prefixes, split_dir = write_synthetic_task(tmp_path / "data", shape=(2, 4, 8, 16), split_sizes={"train": 16, "val": 8, "test": 12}, seed=9)
    architecture = {
        "stem_channels": 4,
        "stem_kernel_size": [3, 3, 3],
        "stem_stride": [1, 1, 1],
        "stage_channels": [8],
        "blocks_per_stage": [1],
        "stage_strides": [[2, 2, 2]],
        "kernel_size": [3, 3, 3],
        "dropout": 0.0,
        "position_channels": True,
    }
    params = {"seed": 1, "models": {"r2plus1d": architecture}, "training": {"max_epochs": 1, "batch_size": 8, "num_workers": 0}}
    train_model("nu_direction", "r2plus1d", grid_prefixes=prefixes, split_dir=split_dir, out_dir=tmp_path / "model", params=params)

    metrics = evaluate_model(
        "nu_direction",
        "r2plus1d",
        model_dir=tmp_path / "model",
        grid_prefixes=prefixes,
        split_dir=split_dir,
        out_predictions=tmp_path / "eval" / "predictions.parquet",
        out_metrics=tmp_path / "eval" / "metrics.json",
        params={**PARAMS, "energy_bin_edges_gev": [0.1, 1.0, 10.0]},
    )
    predictions = pd.read_parquet(tmp_path / "eval" / "predictions.parquet")
    for column in ("event_id", "energy_bin", "dir_x", "weight", "pred_dir_x", "pred_dir_y", "pred_dir_z", "pred_kappa"):
        assert column in predictions.columns
    assert "chunk" not in predictions.columns
    assert metrics["n_events"] == 12


def test_write_evaluation_counts_failed_fits(tmp_path):
    table = direction_table(20, np.random.default_rng(6))
    table.loc[3, "pred_dir_x"] = np.nan
    metrics = write_evaluation("muon_direction", "track_fit", table, energy_bin_edges_gev=[0.1, 1.0, 10.0], out_predictions=tmp_path / "p.parquet", out_metrics=tmp_path / "m.json", params=PARAMS)
    assert metrics["pooled"]["n_failed"] == 1
    assert metrics["pooled"]["n_events"] == 20
    assert metrics["pooled"]["opening_angle_median_deg"] is not None
