"""Config checks: the JSON schema and the cross-key checks of junoml.config."""

import copy
from pathlib import Path

import pytest
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from junoml import config as junoml_config

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"


def load(name: str = "config.yaml") -> dict:
    config = yaml.safe_load((REPO / "config" / name).read_text())
    if name != "config.yaml":
        base = load()
        _merge(base, config)
        config = base
    return config


def _merge(base: dict, update: dict) -> None:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value


@pytest.mark.parametrize("name", ["config.yaml", "quick.yaml"])
def test_shipped_configs_pass_schema_and_checks(name):
    config = load(name)
    validate(config, str(SCHEMA))
    junoml_config.check_config(config, base_dir=REPO)


def test_schema_rejects_unknown_top_level_key():
    config = load()
    config["light_yeld"] = 1300
    with pytest.raises(WorkflowError, match="light_yeld"):
        validate(config, str(SCHEMA))


def test_schema_rejects_wrong_type():
    config = load()
    config["detector"]["pe_per_mev"] = "many"
    with pytest.raises(WorkflowError, match="pe_per_mev"):
        validate(config, str(SCHEMA))


def test_schema_rejects_out_of_range_value():
    config = load()
    config["detector"]["charge_resolution"] = -0.1
    with pytest.raises(WorkflowError, match="charge_resolution"):
        validate(config, str(SCHEMA))


def test_schema_rejects_unknown_model():
    config = load()
    config["tasks"]["flavour"]["models"] = ["r2plus1d", "transformer"]
    with pytest.raises(WorkflowError, match="transformer"):
        validate(config, str(SCHEMA))


def test_check_rejects_decreasing_energy_bins():
    config = load()
    config["tasks"]["muon_direction"]["energy_bin_edges_gev"] = [0.1, 1.0, 0.5, 10.0]
    with pytest.raises(junoml_config.ConfigError, match=r"tasks\.muon_direction\.energy_bin_edges_gev"):
        junoml_config.check_config(config, base_dir=REPO)


def test_check_rejects_bins_outside_simulated_range():
    config = load()
    config["tasks"]["muon_direction"]["energy_bin_edges_gev"] = [0.1, 1.0, 100.0]
    with pytest.raises(junoml_config.ConfigError, match="simulated energy range"):
        junoml_config.check_config(config, base_dir=REPO)


def test_check_rejects_split_larger_than_sample():
    config = load()
    config["samples"]["muon"]["n_events"] = 1000
    with pytest.raises(junoml_config.ConfigError, match=r"samples\.muon\.n_events = 1000") as error:
        junoml_config.check_config(config, base_dir=REPO)
    assert "90000" in str(error.value)


def test_check_rejects_model_of_other_task():
    config = load()
    config["tasks"]["muon_direction"]["models"] = ["bdt"]
    with pytest.raises(junoml_config.ConfigError, match="no such model for muon_direction"):
        junoml_config.check_config(config, base_dir=REPO)


def test_check_rejects_missing_geometry_file(tmp_path):
    config = load()
    config["geometry"]["pmt_positions_csv"] = str(tmp_path / "missing.csv")
    with pytest.raises(junoml_config.ConfigError, match=r"geometry\.pmt_positions_csv.*does not exist"):
        junoml_config.check_config(config, base_dir=REPO)


def test_sample_size_covers_margin_and_fluctuation():
    config = load()
    needed = sum(config["tasks"]["muon_direction"]["split_sizes"].values())
    n_bins = len(config["tasks"]["muon_direction"]["energy_bin_edges_gev"]) - 1
    size = junoml_config.sample_size(config, "muon")
    per_bin = size * config["samples"]["muon"].get("selection_efficiency", 1.0) / n_bins
    assert per_bin >= needed * config["simulation_margin"] / n_bins
    assert per_bin - 3 * per_bin**0.5 >= needed / n_bins


def test_explicit_sample_size_wins():
    config = load()
    config["samples"]["muon"]["n_events"] = 123456
    assert junoml_config.sample_size(config, "muon") == 123456


def test_chunks_cover_sample_exactly():
    config = load()
    total = junoml_config.sample_size(config, "muon")
    chunks = junoml_config.chunk_ids(config, "muon")
    counts = [junoml_config.chunk_events(config, "muon", chunk)[1] for chunk in chunks]
    assert sum(counts) == total
    assert junoml_config.chunk_events(config, "muon", chunks[-1])[0] + counts[-1] == total


def test_chunk_events_beyond_sample_fail():
    config = copy.deepcopy(load())
    beyond = f"{len(junoml_config.chunk_ids(config, 'muon')):04d}"
    with pytest.raises(junoml_config.ConfigError, match="beyond the sample size"):
        junoml_config.chunk_events(config, "muon", beyond)


def _load_tiny() -> dict:
    config = load()
    _merge(config, yaml.safe_load((REPO / "tests" / "config" / "tiny.yaml").read_text()))
    return config


def _juno_user_sample() -> dict:
    return {
        "source": "external",
        "files": ["user_0.root"],
        "reader": {
            "tree": "evt",
            "layout": "hit_per_entry",
            "event_id": "position",
            "branches": {"event_id": "evtID", "pmt_id": "pmtID", "hit_time_ns": "hitTime", "charge_pe": None},
            "apply_response": True,
        },
    }


def test_schema_accepts_tiny_test_config():
    validate(_load_tiny(), str(SCHEMA))


def test_schema_rejects_unknown_key_in_grid():
    config = load()
    config["grid"]["hieght"] = 32
    with pytest.raises(WorkflowError, match=r"\('hieght' was unexpected\)"):
        validate(config, str(SCHEMA))


def test_schema_rejects_unknown_grid_projection():
    config = load()
    config["grid"]["projection"] = "mercator"
    with pytest.raises(WorkflowError, match=r"'mercator' is not one of"):
        validate(config, str(SCHEMA))


def test_schema_rejects_grid_channels_without_charge_first():
    config = load()
    config["grid"]["channels"] = ["first_hit_time", "charge"]
    with pytest.raises(WorkflowError, match=r"'charge' was expected"):
        validate(config, str(SCHEMA))


def test_schema_rejects_even_kernel_size():
    config = load()
    config["models"]["cnn2d"]["kernel_size"] = 4
    with pytest.raises(WorkflowError, match=r"4 should not be valid under \{'multipleOf': 2\}"):
        validate(config, str(SCHEMA))


def test_schema_rejects_unknown_training_schedule():
    config = load()
    config["training"]["schedule"] = "step"
    with pytest.raises(WorkflowError, match=r"'step' is not one of"):
        validate(config, str(SCHEMA))


def test_schema_rejects_unknown_key_in_simulation_validation():
    config = load()
    config["validation"]["simulation"]["n_electron"] = 10
    with pytest.raises(WorkflowError, match=r"\('n_electron' was unexpected\)"):
        validate(config, str(SCHEMA))


def test_schema_rejects_unknown_key_in_atmospheric_sample():
    config = load()
    config["samples"]["atmospheric"]["cross_sections"]["axial_mas_gev"] = 1.0
    with pytest.raises(WorkflowError, match=r"\('axial_mas_gev' was unexpected\)"):
        validate(config, str(SCHEMA))


def test_schema_rejects_oscillation_on():
    config = load()
    config["samples"]["atmospheric"]["oscillation"] = True
    with pytest.raises(WorkflowError, match=r"True is not one of \[False\]"):
        validate(config, str(SCHEMA))


def test_schema_accepts_external_sample_with_reader_override():
    config = load()
    config["samples"]["juno_user"] = _juno_user_sample()
    validate(config, str(SCHEMA))


def test_schema_rejects_unknown_key_in_sample_reader():
    config = load()
    config["samples"]["juno_user"] = _juno_user_sample()
    config["samples"]["juno_user"]["reader"]["treename"] = "evt"
    with pytest.raises(WorkflowError, match=r"\('treename' was unexpected\)"):
        validate(config, str(SCHEMA))


def test_schema_rejects_external_sample_without_files():
    config = load()
    config["samples"]["juno_user"] = _juno_user_sample()
    del config["samples"]["juno_user"]["files"]
    with pytest.raises(WorkflowError, match=r"'files' is a required property"):
        validate(config, str(SCHEMA))


def test_schema_rejects_simulated_sample_without_chunk_size():
    config = load()
    del config["samples"]["muon"]["chunk_size"]
    with pytest.raises(WorkflowError, match=r"'chunk_size' is a required property"):
        validate(config, str(SCHEMA))


def test_schema_rejects_reader_step_size_without_unit():
    config = load()
    config["reader"]["step_size"] = "100 apples"
    with pytest.raises(WorkflowError, match=r"'100 apples' is not valid under any of the given schemas"):
        validate(config, str(SCHEMA))
