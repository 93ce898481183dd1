"""Baselines without deep learning: a fastest-light muon track fit and boosted trees on handcrafted features."""

from junoml.baselines.bdt import FLAVOUR_CLASSES, flavour_predictions, predict_bdt, train_bdt
from junoml.baselines.features import extract_features, feature_names
from junoml.baselines.hits import read_split_hits
from junoml.baselines.params import BdtParams, FeatureParams, TrackFitParams
from junoml.baselines.track_fit import FIT_COLUMNS, fit_track, fit_tracks, track_fit_predictions

__all__ = [
    "FIT_COLUMNS",
    "FLAVOUR_CLASSES",
    "BdtParams",
    "FeatureParams",
    "TrackFitParams",
    "extract_features",
    "feature_names",
    "fit_track",
    "fit_tracks",
    "flavour_predictions",
    "predict_bdt",
    "read_split_hits",
    "track_fit_predictions",
    "train_bdt",
]
