"""Gradient-boosted trees (scikit-learn's HistGradientBoostingClassifier) on handcrafted features for the flavour task."""

import logging
import os
import time

import joblib
import numpy as np
import pandas as pd
import sklearn
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import log_loss

from junoml.baselines.params import BdtParams
from junoml.io.atomic import atomic_output

log = logging.getLogger(__name__)

# Flavour classes in label order (docs/contracts.md): 0 nu_mu CC, 1 nu_e CC, 2 NC.
FLAVOUR_CLASSES = ("numu_cc", "nue_cc", "nc")
TRAINING_LOG_COLUMNS = ("epoch", "train_loss", "val_loss", "val_metric", "learning_rate", "seconds", "events_per_s")


def _feature_matrix(features: pd.DataFrame, feature_names: list[str] | None = None) -> tuple[np.ndarray, list[str]]:
    """Return the feature values [n, k] without event_id, in the order of `feature_names` when given."""
    names = [column for column in features.columns if column != "event_id"] if feature_names is None else feature_names
    missing = [name for name in names if name not in features.columns]
    if missing:
        raise ValueError(
            f"feature table lacks columns {missing} that the model was trained on; "
            "compute the features with the same baselines.features config"
        )
    return features[names].to_numpy(np.float64), list(names)


def _check_labels(labels: np.ndarray, n_rows: int, name: str) -> np.ndarray:
    labels = np.asarray(labels).astype(np.int64)
    if labels.shape != (n_rows,):
        raise ValueError(f"{name} has shape {labels.shape}; expected one label per feature row, ({n_rows},)")
    invalid = sorted(set(np.unique(labels)) - set(range(len(FLAVOUR_CLASSES))))
    if invalid:
        raise ValueError(f"{name} contains labels {invalid}; valid labels are 0 (numu_cc), 1 (nue_cc) and 2 (nc)")
    return labels


def train_bdt(
    features_train: pd.DataFrame,
    labels: np.ndarray,
    features_val: pd.DataFrame,
    labels_val: np.ndarray,
    params: BdtParams,
    out_path: str | os.PathLike,
) -> pd.DataFrame:
    """Train the classifier, stop early on the validation set, and write the model to `out_path` (joblib).

    Args:
        features_train, features_val: tables of extract_features (event_id is ignored).
        labels, labels_val: flavour labels 0 (numu_cc), 1 (nue_cc), 2 (nc), one per row.
        params: hyperparameters; params.seed makes the training reproducible.
        out_path: model file, e.g. results/models/flavour/bdt/model.joblib.

    Returns the training log with the columns of TRAINING_LOG_COLUMNS, one row per boosting
    iteration ("epoch"): train and validation log-loss and the validation accuracy.
    """
    x_train, names = _feature_matrix(features_train)
    x_val, _ = _feature_matrix(features_val, names)
    y_train = _check_labels(labels, len(x_train), "labels")
    y_val = _check_labels(labels_val, len(x_val), "labels_val")
    absent = sorted(set(range(len(FLAVOUR_CLASSES))) - set(np.unique(y_train)))
    if absent:
        raise ValueError(f"training labels contain no event of classes {absent}; every flavour class needs events")

    classifier = HistGradientBoostingClassifier(
        learning_rate=params.learning_rate,
        max_iter=params.max_iter,
        max_leaf_nodes=params.max_leaf_nodes,
        min_samples_leaf=params.min_samples_leaf,
        l2_regularization=params.l2_regularization,
        early_stopping=params.n_iter_no_change > 0,
        n_iter_no_change=max(params.n_iter_no_change, 1),
        scoring="loss",
        class_weight=params.class_weight,
        random_state=params.seed,
    )
    clock = time.perf_counter()
    if params.n_iter_no_change > 0:
        classifier.fit(x_train, y_train, X_val=x_val, y_val=y_val)
    else:
        classifier.fit(x_train, y_train)
    seconds = time.perf_counter() - clock
    log.info(
        "bdt: %d boosting iterations on %d events with %d features in %.1f s",
        classifier.n_iter_,
        len(x_train),
        len(names),
        seconds,
    )

    training_log = _training_log(classifier, x_train, y_train, x_val, y_val, params, seconds)
    with atomic_output(out_path) as tmp:
        joblib.dump(
            {
                "model": classifier,
                "feature_names": names,
                "classes": list(FLAVOUR_CLASSES),
                "sklearn_version": sklearn.__version__,
            },
            tmp,
        )
    log.info("bdt: model written to %s (validation accuracy %.4f)", out_path, training_log["val_metric"].iloc[-1])
    return training_log


def _training_log(classifier, x_train, y_train, x_val, y_val, params: BdtParams, seconds: float) -> pd.DataFrame:
    """Evaluate the staged predictions of every boosting iteration on the training and validation sets."""
    labels = list(range(len(FLAVOUR_CLASSES)))
    staged = zip(classifier.staged_predict_proba(x_train), classifier.staged_predict_proba(x_val))
    per_iteration = seconds / max(classifier.n_iter_, 1)
    rows = []
    for iteration, (train_probability, val_probability) in enumerate(staged, start=1):
        rows.append(
            {
                "epoch": iteration,
                "train_loss": log_loss(y_train, train_probability, labels=labels),
                "val_loss": log_loss(y_val, val_probability, labels=labels),
                "val_metric": float(np.mean(val_probability.argmax(axis=1) == y_val)),
                "learning_rate": params.learning_rate,
                # The fit is timed as a whole, so every iteration gets the mean time.
                "seconds": per_iteration,
                "events_per_s": len(x_train) / per_iteration if per_iteration > 0 else np.nan,
            }
        )
    return pd.DataFrame(rows, columns=list(TRAINING_LOG_COLUMNS))


def predict_bdt(model_path: str | os.PathLike, features: pd.DataFrame) -> np.ndarray:
    """Return the class probabilities [n, 3] of each row of `features`, columns in FLAVOUR_CLASSES order."""
    bundle = joblib.load(model_path)
    if not isinstance(bundle, dict) or "model" not in bundle:
        raise ValueError(f"{model_path} is not a model file written by train_bdt; retrain the bdt model")
    if bundle.get("sklearn_version") != sklearn.__version__:
        log.warning(
            "bdt: %s was written by scikit-learn %s, running %s",
            model_path,
            bundle.get("sklearn_version"),
            sklearn.__version__,
        )
    x, _ = _feature_matrix(features, bundle["feature_names"])
    return bundle["model"].predict_proba(x)


def flavour_predictions(split: pd.DataFrame, features: pd.DataFrame, probabilities: np.ndarray) -> pd.DataFrame:
    """Build the flavour predictions table: the split's columns plus prob_numu_cc, prob_nue_cc, prob_nc and pred_label.

    `features` and `probabilities` are row-aligned; rows are matched to the split by event_id.
    """
    if probabilities.shape != (len(features), len(FLAVOUR_CLASSES)):
        raise ValueError(
            f"probabilities have shape {probabilities.shape}; expected ({len(features)}, {len(FLAVOUR_CLASSES)})"
        )
    table = pd.DataFrame({"event_id": features["event_id"].to_numpy(np.int64)})
    for index, name in enumerate(FLAVOUR_CLASSES):
        table[f"prob_{name}"] = probabilities[:, index]
    table["pred_label"] = probabilities.argmax(axis=1).astype(np.int8)
    merged = split.merge(table, on="event_id", how="left", validate="one_to_one")
    missing = int(merged["pred_label"].isna().sum())
    if missing:
        raise ValueError(f"{missing} split events have no features; compute the features of every split event")
    return merged
