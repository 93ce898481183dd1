"""Tests of the boosted-trees flavour baseline on a separable synthetic problem."""

import numpy as np
import pandas as pd
import pytest

from junoml.baselines.bdt import TRAINING_LOG_COLUMNS, flavour_predictions, predict_bdt, train_bdt
from junoml.baselines.params import BdtParams

PARAMS = BdtParams(max_iter=40, n_iter_no_change=5, seed=3)


def blobs(rng: np.random.Generator, n: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Three classes (60/25/15%) that differ in the mean of two features, plus a noise feature."""
    labels = rng.choice(3, size=n, p=[0.6, 0.25, 0.15])
    centres = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]])
    values = centres[labels] + rng.normal(size=(n, 2)) * 0.7
    features = pd.DataFrame(
        {
            "event_id": np.arange(n, dtype=np.int64),
            "charge_total_pe": values[:, 0],
            "time_std_ns": values[:, 1],
            "noise": rng.normal(size=n),
        }
    )
    return features, labels


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    rng = np.random.default_rng(5)
    train, train_labels = blobs(rng, 900)
    val, val_labels = blobs(rng, 300)
    test, test_labels = blobs(rng, 600)
    path = tmp_path_factory.mktemp("bdt") / "model.joblib"
    log = train_bdt(train, train_labels, val, val_labels, PARAMS, path)
    return path, log, test, test_labels, (train, train_labels, val, val_labels)


def test_bdt_accuracy_well_above_majority(trained):
    path, _, test, test_labels, _ = trained
    accuracy = np.mean(predict_bdt(path, test).argmax(axis=1) == test_labels)
    assert accuracy > 0.9


def test_bdt_probabilities_sum_to_one(trained):
    path, _, test, _, _ = trained
    assert np.allclose(predict_bdt(path, test).sum(axis=1), 1.0)


def test_bdt_training_log_columns(trained):
    _, log, _, _, _ = trained
    assert list(log.columns) == list(TRAINING_LOG_COLUMNS)


def test_bdt_training_log_loss_decreases(trained):
    _, log, _, _, _ = trained
    assert log["val_loss"].iloc[-1] < log["val_loss"].iloc[0]


def test_bdt_same_seed_same_probabilities(trained, tmp_path):
    path, _, test, _, (train, train_labels, val, val_labels) = trained
    train_bdt(train, train_labels, val, val_labels, PARAMS, tmp_path / "again.joblib")
    assert np.array_equal(predict_bdt(path, test), predict_bdt(tmp_path / "again.joblib", test))


def test_bdt_balanced_class_weight_trains(trained, tmp_path):
    _, _, test, test_labels, (train, train_labels, val, val_labels) = trained
    params = BdtParams(max_iter=20, n_iter_no_change=0, class_weight="balanced", seed=3)
    train_bdt(train, train_labels, val, val_labels, params, tmp_path / "balanced.joblib")
    accuracy = np.mean(predict_bdt(tmp_path / "balanced.joblib", test).argmax(axis=1) == test_labels)
    assert accuracy > 0.9


def test_predict_bdt_missing_feature_raises(trained):
    path, _, test, _, _ = trained
    with pytest.raises(ValueError, match="noise"):
        predict_bdt(path, test.drop(columns=["noise"]))


def test_train_bdt_invalid_label_raises(trained, tmp_path):
    _, _, _, _, (train, train_labels, val, val_labels) = trained
    with pytest.raises(ValueError, match="labels"):
        train_bdt(train, np.where(train_labels == 2, 3, train_labels), val, val_labels, PARAMS, tmp_path / "m.joblib")


def test_flavour_predictions_pred_label_is_argmax():
    split = pd.DataFrame({"event_id": [10, 11], "label": [0, 2]})
    features = pd.DataFrame({"event_id": [11, 10]})
    probabilities = np.array([[0.1, 0.2, 0.7], [0.5, 0.3, 0.2]])
    predictions = flavour_predictions(split, features, probabilities)
    assert predictions["pred_label"].tolist() == [0, 2]


def test_bdt_params_invalid_class_weight_raises():
    with pytest.raises(ValueError, match="class_weight"):
        BdtParams(class_weight="inverse")
