"""Tests of the handcrafted event features on hand-made events."""

import numpy as np
import pandas as pd
import pytest

from junoml.baselines.features import extract_features, feature_names
from junoml.baselines.hits import read_split_hits
from junoml.baselines.params import FeatureParams

PMTS = pd.DataFrame(
    {
        "pmt_id": np.arange(4, dtype=np.int32),
        "x_mm": [0.0, 0.0, 19434.0, 0.0],
        "y_mm": [0.0, 0.0, 0.0, 19434.0],
        "z_mm": [19434.0, -19434.0, 0.0, 0.0],
        "tts_sigma_ns": [1.3, 7.0, 7.0, 1.3],
    }
)
PARAMS = FeatureParams(early_windows_ns=(10.0, 30.0), include_track_fit=False)


def features_of(hits: dict, event_ids=(0,)) -> pd.DataFrame:
    return extract_features(pd.DataFrame(hits), pd.DataFrame({"event_id": list(event_ids)}), PMTS, PARAMS)


@pytest.fixture(scope="module")
def single_hit() -> pd.Series:
    return features_of({"event_id": [0], "pmt_id": [0], "hit_time_ns": [42.0], "charge_pe": [3.0]}).iloc[0]


@pytest.mark.parametrize(
    "name, expected",
    [
        ("charge_total_pe", 3.0),
        ("n_pulses", 1),
        ("n_fired_pmts", 1),
        ("max_pmt_charge_fraction", 1.0),
        ("time_mean_ns", 0.0),
        ("time_std_ns", 0.0),
        ("time_spread_10_90_ns", 0.0),
        ("first_hit_spread_10_90_ns", 0.0),
        ("early_fraction_10ns", 1.0),
        ("late_fraction", 0.0),
        ("charge_dipole", 1.0),
        ("charge_hemisphere_asymmetry", 1.0),
        ("quadrupole_max_eigenvalue", 1.0),
        ("quadrupole_min_eigenvalue", -0.5),
        ("charge_centroid_radius_mm", 19434.0),
    ],
)
def test_features_single_hit_values(single_hit, name, expected):
    assert single_hit[name] == pytest.approx(expected)


def test_features_single_hit_skewness_is_nan(single_hit):
    assert np.isnan(single_hit["time_skewness"])


@pytest.fixture(scope="module")
def opposite_pair() -> pd.Series:
    hits = {"event_id": [0, 0], "pmt_id": [0, 1], "hit_time_ns": [100.0, 120.0], "charge_pe": [2.0, 2.0]}
    return features_of(hits).iloc[0]


@pytest.mark.parametrize(
    "name, expected",
    [
        ("time_mean_ns", 10.0),
        ("time_std_ns", 10.0),
        ("time_skewness", 0.0),
        ("time_kurtosis", -2.0),
        ("early_fraction_10ns", 0.5),
        ("early_fraction_30ns", 1.0),
        ("max_pmt_charge_fraction", 0.5),
        ("charge_dipole", 0.0),
        ("charge_centroid_radius_mm", 0.0),
        ("quadrupole_max_eigenvalue", 1.0),
    ],
)
def test_features_opposite_pair_values(opposite_pair, name, expected):
    assert opposite_pair[name] == pytest.approx(expected, abs=1e-9)


def test_features_late_light_fraction():
    hits = {"event_id": [0, 0, 0], "pmt_id": [0, 2, 3], "hit_time_ns": [0.0, 5.0, 600.0], "charge_pe": [1.0, 2.0, 1.0]}
    assert features_of(hits).iloc[0]["late_fraction"] == pytest.approx(0.25)


def test_features_pulses_below_threshold_ignored():
    hits = {"event_id": [0, 0], "pmt_id": [0, 1], "hit_time_ns": [10.0, 0.0], "charge_pe": [1.0, 0.1]}
    assert features_of(hits).iloc[0]["n_pulses"] == 1


def test_features_event_without_hits_has_zero_charge():
    hits = {"event_id": [0], "pmt_id": [0], "hit_time_ns": [42.0], "charge_pe": [3.0]}
    features = features_of(hits, event_ids=(0, 7)).set_index("event_id")
    assert features.loc[7, "charge_total_pe"] == 0.0
    assert np.isnan(features.loc[7, "time_mean_ns"])


def test_features_columns_match_feature_names():
    hits = {"event_id": [0], "pmt_id": [0], "hit_time_ns": [42.0], "charge_pe": [3.0]}
    assert list(features_of(hits).columns) == ["event_id", *feature_names(PARAMS)]


def test_features_missing_column_raises():
    with pytest.raises(ValueError, match="charge_pe"):
        features_of({"event_id": [0], "pmt_id": [0], "hit_time_ns": [42.0]})


def test_feature_params_negative_window_raises():
    with pytest.raises(ValueError, match="early_windows_ns"):
        FeatureParams(early_windows_ns=(-5.0,))


def test_features_track_fit_too_few_hits():
    params = FeatureParams(early_windows_ns=(10.0,), include_track_fit=True)
    hits = pd.DataFrame({"event_id": [0], "pmt_id": [0], "hit_time_ns": [42.0], "charge_pe": [3.0]})
    features = extract_features(hits, pd.DataFrame({"event_id": [0]}), PMTS, params).iloc[0]
    assert features["fit_converged"] == 0.0


def test_features_independent_of_row_order():
    hits = {
        "event_id": [1, 0, 1, 0, 0],
        "pmt_id": [2, 0, 3, 1, 2],
        "hit_time_ns": [5.0, 0.0, 40.0, 20.0, 7.0],
        "charge_pe": [1.0, 2.0, 3.0, 1.5, 0.5],
    }
    forward = features_of(hits, event_ids=(0, 1))
    backward = features_of({key: values[::-1] for key, values in hits.items()}, event_ids=(0, 1))
    pd.testing.assert_frame_equal(forward, backward)


def test_read_split_hits_selects_split_events(tmp_path):
    hits = pd.DataFrame(
        {
            "event_id": np.array([0, 0, 1, 2], dtype=np.int64),
            "pmt_id": np.array([0, 1, 2, 3], dtype=np.int32),
            "hit_time_ns": np.array([1.0, 2.0, 3.0, 4.0], dtype=np.float32),
            "charge_pe": np.ones(4, dtype=np.float32),
        }
    )
    hits.to_parquet(tmp_path / "0000.parquet")
    split = pd.DataFrame({"event_id": [0, 2], "chunk": [0, 0]})
    selected = read_split_hits(split, str(tmp_path / "{chunk}.parquet"))
    assert selected["event_id"].tolist() == [0, 0, 2]


def test_read_split_hits_missing_chunk_raises(tmp_path):
    split = pd.DataFrame({"event_id": [0], "chunk": [3]})
    with pytest.raises(FileNotFoundError, match="0003.parquet"):
        read_split_hits(split, str(tmp_path / "{chunk}.parquet"))
