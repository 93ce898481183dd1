"""Tests of the event displays and the environment record, on a generated PMT layout and synthetic hits."""

import numpy as np
import pandas as pd
import pytest
import yaml

from junoml.detector.geometry import build_geometry
from junoml.plotting import make_event_displays, write_environment_report
from junoml.plotting.displays import choose_display_events, time_bin_start_ns

DETECTOR_CONFIG = {
    "pmt_types": {
        "hamamatsu": {"detection_efficiency": 0.281, "tts_sigma_ns": 1.3, "dark_rate_hz": 15300.0},
        "nnvt": {"detection_efficiency": 0.289, "tts_sigma_ns": 7.0, "dark_rate_hz": 49300.0},
    }
}
LIGHT_START_NS = 300.0


@pytest.fixture(scope="module")
def pmts():
    return build_geometry({"n_pmts": 2000, "radius_mm": 19434.0, "n_hamamatsu": 500}, DETECTOR_CONFIG, seed=1)


def event_hits(rng, event_id, pmts, centre_pmt):
    """Hits of a light spot around one PMT starting at LIGHT_START_NS, plus uniform dark-noise hits."""
    xyz = pmts[["x_mm", "y_mm", "z_mm"]].to_numpy()
    distance = np.linalg.norm(xyz - xyz[centre_pmt], axis=1)
    near = np.argsort(distance)[:150]
    signal_pmts = rng.choice(near, size=8000)
    signal_time = LIGHT_START_NS + rng.exponential(15.0, size=signal_pmts.size)
    noise_pmts = rng.integers(0, len(pmts), size=100)
    noise_time = rng.uniform(-100.0, 900.0, size=noise_pmts.size)
    hits = pd.DataFrame(
        {
            "event_id": np.int64(event_id),
            "pmt_id": np.concatenate([signal_pmts, noise_pmts]).astype(np.int32),
            "hit_time_ns": np.concatenate([signal_time, noise_time]).astype(np.float32),
            "charge_pe": rng.gamma(10.0, 0.1, size=signal_pmts.size + noise_pmts.size).astype(np.float32),
        }
    )
    return hits.sort_values(["event_id", "pmt_id", "hit_time_ns"])


@pytest.fixture(scope="module")
def event_tables(tmp_path_factory, pmts):
    root = tmp_path_factory.mktemp("events")
    rng = np.random.default_rng(3)
    events_paths, hits_paths = [], []
    # Two chunks of six events: labels 0, 1, 2 twice each, at known visible energies.
    energies = [[400.0, 950.0, 2000.0, 1200.0, 1020.0, 700.0], [990.0, 5000.0, 1100.0, 1005.0, 300.0, 1500.0]]
    for chunk, chunk_energies in enumerate(energies):
        event_ids = np.arange(6) + 6 * chunk
        events = pd.DataFrame(
            {
                "event_id": event_ids.astype(np.int64),
                "label": np.array([0, 1, 2, 0, 1, 2], dtype=np.int8),
                "visible_energy_mev": chunk_energies,
                "triggered": [True, True, True, True, True, chunk == 0],
            }
        )
        hits = pd.concat([event_hits(rng, event_id, pmts, int(rng.integers(len(pmts)))) for event_id in event_ids])
        events_paths.append(root / f"{chunk:04d}.events.parquet")
        hits_paths.append(root / f"{chunk:04d}.hits.parquet")
        events.to_parquet(events_paths[-1])
        hits.to_parquet(hits_paths[-1])
    return events_paths, hits_paths


def test_choose_display_events_closest_energy(event_tables):
    events = pd.concat(pd.read_parquet(path) for path in event_tables[0])
    chosen = choose_display_events(events, visible_energy_mev=1000.0)
    assert {name: int(row["event_id"]) for name, row in chosen.items()} == {"numu_cc": 9, "nue_cc": 4, "nc": 8}


def test_choose_display_events_skips_untriggered(event_tables):
    events = pd.concat(pd.read_parquet(path) for path in event_tables[0])
    chosen = choose_display_events(events, visible_energy_mev=1500.0)
    assert int(chosen["nc"]["event_id"]) == 8


def test_choose_display_events_missing_class_skipped():
    events = pd.DataFrame({"event_id": [0], "label": [0], "visible_energy_mev": [1000.0], "triggered": [True]})
    assert list(choose_display_events(events, visible_energy_mev=1000.0)) == ["numu_cc"]


def test_time_bin_start_ignores_single_early_hit():
    hit_time_ns = np.concatenate([[-100.0], np.linspace(300.0, 400.0, 500)])
    # t0 is the first hit of the first dense window minus the 5 ns pre-window of the grid.
    assert time_bin_start_ns(hit_time_ns) == pytest.approx(295.0, abs=0.5)


def test_time_bin_start_ignores_dark_noise():
    rng = np.random.default_rng(3)
    dark = rng.uniform(-100.0, 900.0, 700)
    light = 250.0 + rng.exponential(10.0, 3000)
    start = time_bin_start_ns(np.concatenate([dark, light]))
    # A dark pulse up to one 10 ns window before the light can open the window, minus the 5 ns pre-window.
    assert 234.0 < start < 250.0


@pytest.fixture(scope="module")
def displays(tmp_path_factory, event_tables, pmts):
    out_dir = tmp_path_factory.mktemp("displays")
    params = {"dpi": 50, "event_display_gif": True, "event_display_n_time_bins": 4, "formats": ["png"]}
    return out_dir, make_event_displays(*event_tables, pmts, out_dir, params)


@pytest.mark.parametrize("name", ["numu_cc", "nue_cc", "nc"])
def test_event_display_written(displays, name):
    out_dir, paths = displays
    path = out_dir / f"event_display_{name}.png"
    assert path in paths
    assert path.stat().st_size > 0


@pytest.mark.parametrize("name", ["numu_cc", "nue_cc", "nc"])
def test_event_display_gif_is_gif(displays, name):
    out_dir, _ = displays
    assert (out_dir / f"event_display_{name}.gif").read_bytes()[:4] == b"GIF8"


def test_event_display_gif_frame_per_time_bin(displays):
    from PIL import Image

    out_dir, _ = displays
    with Image.open(out_dir / "event_display_nc.gif") as image:
        assert image.n_frames == 4


def test_event_displays_reject_unpaired_tables(event_tables, pmts, tmp_path):
    with pytest.raises(ValueError, match="2 events tables but 1 hit tables"):
        make_event_displays(event_tables[0], event_tables[1][:1], pmts, tmp_path)


def test_environment_report_lists_versions(tmp_path):
    versions = write_environment_report(tmp_path / "environment.html", config={"seed": 1})
    text = (tmp_path / "environment.html").read_text()
    assert f"<td>numpy</td><td>{versions['numpy']}</td>" in text


def test_environment_report_has_config(tmp_path):
    config = {"seed": 20261204, "tasks": {"flavour": {"models": ["bdt"]}}}
    write_environment_report(tmp_path / "environment.html", config=config)
    text = (tmp_path / "environment.html").read_text()
    assert yaml.safe_dump(config, sort_keys=False).splitlines()[0] in text


@pytest.mark.parametrize("display, expected", [("event_display_nue_cc", "true nu_e CC"), ("event_display_nc", "true NC")])
def test_event_display_caption_names_class(display, expected):
    from pathlib import Path
    from types import SimpleNamespace

    import jinja2
    from docutils.core import publish_parts

    caption = Path(__file__).resolve().parents[1] / "workflow" / "report" / "event_display.rst"
    snakemake = SimpleNamespace(wildcards=SimpleNamespace(display=display), config={"plots": {}})
    text = jinja2.Environment().from_string(caption.read_text()).render(snakemake=snakemake)
    assert expected in publish_parts(text, writer="html")["body"]
