"""Tests of the task figures and comparison tables on synthetic evaluation outputs with known values."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from junoml.plotting import make_comparison_table, make_task_plots
from junoml.plotting.direction import calibration_coverage, vmf_angle_cdf
from junoml.plotting.flavour import efficiency_purity_from_counts, row_normalised, wilson_interval
from junoml.plotting.style import PlotParams

EDGES_GEV = [0.1, 1.0, 10.0]
CLASSES = ("numu_cc", "nue_cc", "nc")


def random_unit_vectors(rng, n):
    vectors = rng.normal(size=(n, 3))
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def sample_vmf(rng, mean, kappa):
    """Draw one direction per row from a vMF around `mean` (the exact inverse-CDF of cos theta)."""
    n = len(mean)
    u = rng.uniform(size=n)
    cos_theta = 1.0 + np.log(u + (1.0 - u) * np.exp(-2.0 * kappa)) / kappa
    sin_theta = np.sqrt(np.clip(1.0 - cos_theta**2, 0.0, None))
    helper = np.where(np.abs(mean[:, :1]) < 0.9, [[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]])
    e1 = np.cross(mean, helper)
    e1 /= np.linalg.norm(e1, axis=1, keepdims=True)
    e2 = np.cross(mean, e1)
    phi = rng.uniform(0.0, 2.0 * np.pi, size=n)
    return (cos_theta[:, None] * mean + sin_theta[:, None] * (np.cos(phi)[:, None] * e1 + np.sin(phi)[:, None] * e2))


def direction_predictions(seed, n=600, kappa=200.0, with_kappa=True):
    rng = np.random.default_rng(seed)
    energy = np.exp(rng.uniform(np.log(0.1), np.log(10.0), size=n))
    true = random_unit_vectors(rng, n)
    kappa_values = np.full(n, kappa)
    pred = sample_vmf(rng, true, kappa_values)
    table = pd.DataFrame(
        {
            "event_id": np.arange(n, dtype=np.int64),
            "energy_bin": np.digitize(energy, EDGES_GEV) - 1,
            "energy_gev": energy,
            "dir_x": true[:, 0], "dir_y": true[:, 1], "dir_z": true[:, 2],
            "pred_dir_x": pred[:, 0], "pred_dir_y": pred[:, 1], "pred_dir_z": pred[:, 2],
            "label": rng.integers(0, 3, size=n).astype(np.int8),
            "weight": rng.uniform(0.5, 1.5, size=n),
        }
    )
    if with_kappa:
        table["pred_kappa"] = kappa_values
    return table


def direction_entry(table):
    cosine = np.clip(np.sum(table[["dir_x", "dir_y", "dir_z"]].to_numpy() * table[["pred_dir_x", "pred_dir_y", "pred_dir_z"]].to_numpy(), axis=1), -1, 1)
    angle = np.degrees(np.arccos(cosine))
    delta = table["dir_z"].to_numpy() - table["pred_dir_z"].to_numpy()
    return {
        "n_events": len(table),
        "opening_angle_median_deg": float(np.median(angle)),
        "opening_angle_median_deg_err": 0.1,
        "opening_angle_68_deg": float(np.quantile(angle, 0.68)),
        "opening_angle_68_deg_err": 0.2,
        "cos_zenith_resolution": float(np.diff(np.quantile(delta, [0.16, 0.84]))[0] / 2),
        "cos_zenith_resolution_err": 0.01,
    }


def direction_metrics(task, model, table):
    bins = []
    for k in range(len(EDGES_GEV) - 1):
        entry = direction_entry(table[table["energy_bin"] == k])
        bins.append({"energy_bin": k, "energy_min_gev": EDGES_GEV[k], "energy_max_gev": EDGES_GEV[k + 1], **entry})
    metrics = {"task": task, "model": model, "n_events": len(table), "energy_bin_edges_gev": EDGES_GEV,
               "bins": bins, "pooled": direction_entry(table)}
    if task == "nu_direction":
        metrics["pooled_weighted"] = {**direction_entry(table), "opening_angle_median_deg": 1.5}
        metrics["per_class"] = {
            name: {
                "bins": [{"energy_bin": k, **direction_entry(table[(table["label"] == label) & (table["energy_bin"] == k)])}
                         for k in range(len(EDGES_GEV) - 1)],
                "pooled": direction_entry(table[table["label"] == label]),
            }
            for label, name in enumerate(CLASSES)
        }
    return metrics


def flavour_predictions(seed, n=900, skill=2.0):
    rng = np.random.default_rng(seed)
    label = rng.integers(0, 3, size=n)
    logits = rng.normal(size=(n, 3))
    logits[np.arange(n), label] += skill
    prob = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    energy = np.exp(rng.uniform(np.log(0.1), np.log(10.0), size=n))
    return pd.DataFrame(
        {
            "event_id": np.arange(n, dtype=np.int64),
            "energy_bin": np.digitize(energy, EDGES_GEV) - 1,
            "energy_gev": energy,
            "visible_energy_mev": energy * 1000.0 * np.where(label == 2, 0.3, 0.9),
            "label": label.astype(np.int8),
            "weight": rng.uniform(0.5, 1.5, size=n),
            "prob_numu_cc": prob[:, 0], "prob_nue_cc": prob[:, 1], "prob_nc": prob[:, 2],
            "pred_label": prob.argmax(axis=1).astype(np.int8),
        }
    )


def flavour_entry(table):
    counts = np.zeros((3, 3), dtype=int)
    np.add.at(counts, (table["label"].to_numpy(int), table["pred_label"].to_numpy(int)), 1)
    derived = efficiency_purity_from_counts(counts)
    entry = {"n_events": len(table), "accuracy": float(np.trace(counts) / counts.sum()), "confusion_matrix": counts.tolist()}
    for i, name in enumerate(CLASSES):
        entry[f"efficiency_{name}"] = float(derived["efficiency"][i])
        entry[f"purity_{name}"] = float(derived["purity"][i])
        entry[f"roc_auc_{name}"] = float(roc_auc_score(table["label"] == i, table[f"prob_{name}"]))
    return entry


def flavour_metrics(model, table):
    bins = [{"energy_bin": k, "energy_min_gev": EDGES_GEV[k], "energy_max_gev": EDGES_GEV[k + 1],
             **flavour_entry(table[table["energy_bin"] == k])} for k in range(len(EDGES_GEV) - 1)]
    return {"task": "flavour", "model": model, "n_events": len(table), "energy_bin_edges_gev": EDGES_GEV,
            "bins": bins, "pooled": flavour_entry(table), "pooled_weighted": flavour_entry(table)}


def write_model(root, task, model, predictions, metrics, log_rows):
    eval_dir = root / "eval" / task / model
    model_dir = root / "models" / task / model
    eval_dir.mkdir(parents=True)
    model_dir.mkdir(parents=True)
    predictions.to_parquet(eval_dir / "predictions.parquet")
    (eval_dir / "metrics.json").write_text(json.dumps(metrics))
    if log_rows is not None:
        pd.DataFrame(
            {
                "epoch": np.arange(log_rows),
                "train_loss": np.linspace(1.0, 0.2, log_rows),
                "val_loss": np.linspace(1.1, 0.3, log_rows),
                "val_metric": np.linspace(20.0, 5.0, log_rows),
                "learning_rate": 1e-3,
                "seconds": 10.0,
                "events_per_s": 100.0,
            }
        ).to_csv(model_dir / "training_log.csv", index=False)
    return eval_dir, model_dir


@pytest.fixture(scope="module")
def nu_direction_outputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("nu_direction")
    eval_dirs, model_dirs, metrics = {}, {}, {}
    for seed, (model, kappa, with_kappa, log_rows) in enumerate(
        [("r2plus1d", 300.0, True, 5), ("track_fit", 50.0, False, None)]
    ):
        table = direction_predictions(seed, kappa=kappa, with_kappa=with_kappa)
        metrics[model] = direction_metrics("nu_direction", model, table)
        eval_dirs[model], model_dirs[model] = write_model(root, "nu_direction", model, table, metrics[model], log_rows)
    paths = make_task_plots("nu_direction", models=list(eval_dirs), eval_dirs=eval_dirs, model_dirs=model_dirs,
                            out_dir=root / "plots", params={"formats": ["png", "pdf"], "dpi": 60})
    return root, paths, metrics


@pytest.fixture(scope="module")
def flavour_outputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("flavour")
    eval_dirs, model_dirs, metrics = {}, {}, {}
    for seed, (model, skill, log_rows) in enumerate([("cnn2d", 2.5, 4), ("bdt", 1.0, 1)]):
        table = flavour_predictions(seed, skill=skill)
        metrics[model] = flavour_metrics(model, table)
        eval_dirs[model], model_dirs[model] = write_model(root, "flavour", model, table, metrics[model], log_rows)
    paths = make_task_plots("flavour", models=list(eval_dirs), eval_dirs=eval_dirs, model_dirs=model_dirs,
                            out_dir=root / "plots", params={"dpi": 60, "formats": ["png"]})
    return root, paths, metrics


def test_vmf_cdf_full_sphere_is_one():
    assert vmf_angle_cdf(np.pi, np.array([0.01, 1.0, 1e4])) == pytest.approx(1.0)


def test_vmf_cdf_small_kappa_is_uniform():
    angle = np.radians(60.0)
    assert vmf_angle_cdf(angle, 1e-9) == pytest.approx((1.0 - np.cos(angle)) / 2.0, rel=1e-6)


def test_calibration_coverage_of_true_kappa_is_diagonal():
    table = direction_predictions(7, n=20000, kappa=100.0)
    angle = np.degrees(np.arccos(np.clip(np.sum(
        table[["dir_x", "dir_y", "dir_z"]].to_numpy() * table[["pred_dir_x", "pred_dir_y", "pred_dir_z"]].to_numpy(),
        axis=1), -1, 1)))
    levels = [0.1, 0.5, 0.9]
    assert calibration_coverage(angle, table["pred_kappa"].to_numpy(), levels) == pytest.approx(levels, abs=0.015)


def test_calibration_coverage_of_overconfident_kappa_is_low():
    table = direction_predictions(8, n=5000, kappa=100.0)
    angle = np.degrees(np.arccos(np.clip(np.sum(
        table[["dir_x", "dir_y", "dir_z"]].to_numpy() * table[["pred_dir_x", "pred_dir_y", "pred_dir_z"]].to_numpy(),
        axis=1), -1, 1)))
    assert calibration_coverage(angle, np.full(len(angle), 400.0), [0.5])[0] < 0.3


def test_row_normalised_rows_sum_to_one():
    assert row_normalised([[2, 2, 0], [1, 3, 0], [0, 0, 5]]).sum(axis=1) == pytest.approx([1.0, 1.0, 1.0])


def test_efficiency_purity_from_counts_values():
    derived = efficiency_purity_from_counts(np.array([[8, 2, 0], [1, 3, 0], [1, 0, 5]]))
    assert derived["efficiency"] == pytest.approx([0.8, 0.75, 5 / 6])
    assert derived["purity"] == pytest.approx([0.8, 0.6, 1.0])


def test_wilson_interval_at_zero_has_width():
    low, high = wilson_interval(np.array([0.0]), np.array([10.0]))
    assert low[0] == pytest.approx(0.0, abs=1e-12)
    assert high[0] > 0.05


def test_wilson_interval_contains_fraction():
    low, high = wilson_interval(np.array([30.0]), np.array([100.0]))
    assert low[0] < 0.3 < high[0]


@pytest.mark.parametrize(
    "name",
    [
        "opening_angle_vs_energy",
        "opening_angle_distributions",
        "cos_zenith_reco_vs_true",
        "cos_zenith_resolution_vs_energy",
        "kappa_calibration",
        "opening_angle_vs_energy_per_class",
        "training_curves",
        "pooled_metrics",
    ],
)
@pytest.mark.parametrize("fmt", ["png", "pdf"])
def test_nu_direction_figure_written(nu_direction_outputs, name, fmt):
    root, paths, _ = nu_direction_outputs
    path = root / "plots" / f"{name}.{fmt}"
    assert path in paths
    assert path.stat().st_size > 0


def test_nu_direction_plotted_medians_equal_metrics(nu_direction_outputs):
    root, _, metrics = nu_direction_outputs
    plotted = json.loads((root / "plots" / "plot_data.json").read_text())["opening_angle_vs_energy"][""]
    for model, model_metrics in metrics.items():
        expected = [entry["opening_angle_median_deg"] for entry in model_metrics["bins"]]
        assert plotted[model]["opening_angle_median_deg"]["value"] == pytest.approx(expected)


def test_nu_direction_plotted_errors_equal_metrics(nu_direction_outputs):
    root, _, metrics = nu_direction_outputs
    plotted = json.loads((root / "plots" / "plot_data.json").read_text())["opening_angle_vs_energy"][""]
    expected = [entry["opening_angle_68_deg_err"] for entry in metrics["r2plus1d"]["bins"]]
    assert plotted["r2plus1d"]["opening_angle_68_deg"]["err"] == pytest.approx(expected)


def test_nu_direction_per_class_equal_metrics(nu_direction_outputs):
    root, _, metrics = nu_direction_outputs
    plotted = json.loads((root / "plots" / "plot_data.json").read_text())["opening_angle_vs_energy_per_class"]
    expected = [entry["cos_zenith_resolution"] for entry in metrics["track_fit"]["per_class"]["nc"]["bins"]]
    assert plotted["NC"]["track_fit"]["cos_zenith_resolution"]["value"] == pytest.approx(expected)


def test_nu_direction_pooled_weighted_equal_metrics(nu_direction_outputs):
    root, _, metrics = nu_direction_outputs
    plotted = json.loads((root / "plots" / "plot_data.json").read_text())["pooled_metrics"]
    expected = [metrics[model]["pooled_weighted"]["opening_angle_median_deg"] for model in plotted["models"]]
    assert plotted["opening_angle_median_deg"]["pooled_weighted"]["value"] == pytest.approx(expected)


def test_nu_direction_calibration_only_kappa_models(nu_direction_outputs):
    root, _, _ = nu_direction_outputs
    plotted = json.loads((root / "plots" / "plot_data.json").read_text())["kappa_calibration"]
    assert set(plotted["coverage"]["pooled"]) == {"r2plus1d"}


def test_nu_direction_training_curves_skip_empty_log(nu_direction_outputs):
    root, _, _ = nu_direction_outputs
    plotted = json.loads((root / "plots" / "plot_data.json").read_text())["training_curves"]
    assert set(plotted) == {"r2plus1d"}


@pytest.mark.parametrize(
    "name",
    [
        "confusion_matrix_cnn2d",
        "confusion_matrix_bdt",
        "roc_curves",
        "efficiency_purity_vs_true_energy",
        "efficiency_purity_vs_visible_energy",
        "score_distributions_cnn2d",
        "score_distributions_bdt",
        "training_curves",
        "pooled_metrics",
    ],
)
def test_flavour_figure_written(flavour_outputs, name):
    root, paths, _ = flavour_outputs
    path = root / "plots" / f"{name}.png"
    assert path in paths
    assert path.stat().st_size > 0


def test_flavour_plotted_efficiency_equal_metrics(flavour_outputs):
    root, _, metrics = flavour_outputs
    plotted = json.loads((root / "plots" / "plot_data.json").read_text())["efficiency_purity_vs_true_energy"]
    expected = [[entry[f"efficiency_{name}"] for name in CLASSES] for entry in metrics["bdt"]["bins"]]
    assert np.array(plotted["bdt"]["efficiency"]) == pytest.approx(np.array(expected))


def test_flavour_confusion_matrix_is_row_normalised_metrics(flavour_outputs):
    root, _, metrics = flavour_outputs
    plotted = json.loads((root / "plots" / "plot_data.json").read_text())["confusion_matrix_cnn2d"]
    expected = row_normalised(metrics["cnn2d"]["pooled"]["confusion_matrix"])
    assert np.array(plotted["all energies"]) == pytest.approx(expected)


def test_flavour_roc_curve_area_matches_sklearn(flavour_outputs):
    root, _, _ = flavour_outputs
    table = pd.read_parquet(root / "eval" / "flavour" / "cnn2d" / "predictions.parquet")
    plotted = json.loads((root / "plots" / "plot_data.json").read_text())["roc_curves"]
    expected = roc_auc_score(table["label"] == 1, table["prob_nue_cc"])
    assert plotted["nue_cc"]["cnn2d"]["auc_of_curve"] == pytest.approx(expected)


def test_make_task_plots_rejects_unknown_task(tmp_path):
    with pytest.raises(ValueError, match="unknown task 'energy'"):
        make_task_plots("energy", models=["bdt"], eval_dirs={}, model_dirs={}, out_dir=tmp_path)


def test_make_task_plots_rejects_missing_metrics(tmp_path):
    with pytest.raises(FileNotFoundError, match="metrics.json"):
        make_task_plots("flavour", models=["bdt"], eval_dirs={"bdt": tmp_path}, model_dirs={}, out_dir=tmp_path)


def test_plot_params_reject_unknown_key():
    with pytest.raises(ValueError, match="unknown keys \\['colour'\\]"):
        PlotParams.from_mapping({"colour": "red"})


def test_plot_params_reject_bad_levels():
    with pytest.raises(ValueError, match="calibration_levels"):
        PlotParams.from_mapping({"calibration_levels": [0.5, 1.0]})


def test_comparison_table_has_every_model_and_bin(nu_direction_outputs, tmp_path):
    root, _, metrics = nu_direction_outputs
    paths = {model: root / "eval" / "nu_direction" / model / "metrics.json" for model in metrics}
    table = make_comparison_table("nu_direction", metrics_paths=paths, out_csv=tmp_path / "t.csv",
                                  out_md=tmp_path / "t.md", out_html=tmp_path / "t.html")
    expected = {(model, "all", bin_name) for model in metrics for bin_name in ("0", "1", "pooled", "pooled_weighted")}
    assert expected <= set(zip(table["model"], table["selection"], table["energy_bin"]))


def test_comparison_table_values_equal_metrics(nu_direction_outputs, tmp_path):
    root, _, metrics = nu_direction_outputs
    paths = {model: root / "eval" / "nu_direction" / model / "metrics.json" for model in metrics}
    make_comparison_table("nu_direction", metrics_paths=paths, out_csv=tmp_path / "t.csv", out_md=tmp_path / "t.md")
    table = pd.read_csv(tmp_path / "t.csv", dtype={"energy_bin": str})
    value = table.query("model == 'track_fit' and selection == 'nue_cc' and energy_bin == '1'")["opening_angle_68_deg"]
    assert value.item() == pytest.approx(metrics["track_fit"]["per_class"]["nue_cc"]["bins"][1]["opening_angle_68_deg"])


def test_comparison_table_markdown_lists_every_model(flavour_outputs, tmp_path):
    root, _, metrics = flavour_outputs
    paths = {model: root / "eval" / "flavour" / model / "metrics.json" for model in metrics}
    make_comparison_table("flavour", metrics_paths=paths, out_csv=tmp_path / "t.csv", out_md=tmp_path / "t.md")
    rows = [line for line in (tmp_path / "t.md").read_text().splitlines() if line.startswith("| ")][1:]
    assert sorted({line.split(" | ")[0][2:] for line in rows}) == ["bdt", "cnn2d"]


def test_comparison_table_markdown_row_count(flavour_outputs, tmp_path):
    root, _, metrics = flavour_outputs
    paths = {model: root / "eval" / "flavour" / model / "metrics.json" for model in metrics}
    make_comparison_table("flavour", metrics_paths=paths, out_csv=tmp_path / "t.csv", out_md=tmp_path / "t.md")
    rows = [line for line in (tmp_path / "t.md").read_text().splitlines() if line.startswith("| ")][1:]
    # Per model: 2 bins, pooled and pooled_weighted.
    assert len(rows) == 2 * 4


REPORT_SNAKEFILE = """
from junoml.plotting import make_comparison_table, make_task_plots, write_environment_report

report: "{report_dir}/workflow.rst"

EVAL_ROOT = "{root}"
MODELS = ["r2plus1d", "track_fit"]

rule all:
    input:
        "plots/nu_direction",
        "tables/nu_direction_comparison.html",
        "environment.html",

rule plots:
    output:
        report(
            directory("plots/{{task}}"),
            patterns=["{{figure}}.png"],
            caption="{report_dir}/figure.rst",
            category="{{task}}",
            subcategory="Figures",
            labels={{"figure": "{{figure}}"}},
        ),
    run:
        make_task_plots(
            wildcards.task,
            models=MODELS,
            eval_dirs={{m: f"{{EVAL_ROOT}}/eval/{{wildcards.task}}/{{m}}" for m in MODELS}},
            model_dirs={{m: f"{{EVAL_ROOT}}/models/{{wildcards.task}}/{{m}}" for m in MODELS}},
            out_dir=output[0],
            params={{"dpi": 40, "formats": ["png"]}},
        )

rule tables:
    output:
        csv="tables/{{task}}_comparison.csv",
        markdown="tables/{{task}}_comparison.md",
        html=report(
            "tables/{{task}}_comparison.html",
            caption="{report_dir}/table.rst",
            category="{{task}}",
            subcategory="Tables",
        ),
    run:
        make_comparison_table(
            wildcards.task,
            metrics_paths={{m: f"{{EVAL_ROOT}}/eval/{{wildcards.task}}/{{m}}/metrics.json" for m in MODELS}},
            out_csv=output.csv,
            out_md=output.markdown,
            out_html=output.html,
        )

rule environment:
    output:
        report("environment.html", caption="{report_dir}/environment.rst", category="Environment"),
    run:
        write_environment_report(output[0], config=config)
"""


@pytest.mark.slow
def test_snakemake_report_has_captions(nu_direction_outputs, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root, _, _ = nu_direction_outputs
    report_dir = Path(__file__).resolve().parents[1] / "workflow" / "report"
    (tmp_path / "Snakefile").write_text(REPORT_SNAKEFILE.format(report_dir=report_dir, root=root))
    command = [sys.executable, "-m", "snakemake", "--cores", "1", "--quiet", "all"]
    subprocess.run(command, cwd=tmp_path, check=True, capture_output=True)
    subprocess.run(command + ["--report", "report.html"], cwd=tmp_path, check=True, capture_output=True)
    text = (tmp_path / "report.html").read_text()
    assert "Calibration of the per-event direction uncertainty" in text


def test_comparison_table_keeps_null_metric(tmp_path):
    table = direction_predictions(11, n=200)
    metrics = direction_metrics("muon_direction", "cnn2d", table)
    metrics["bins"][0]["opening_angle_68_deg"] = None
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps(metrics))
    result = make_comparison_table("muon_direction", metrics_paths={"cnn2d": path}, out_csv=tmp_path / "t.csv",
                                   out_md=tmp_path / "t.md")
    assert result.loc[result["energy_bin"] == "0", "opening_angle_68_deg"].isna().all()


def test_plot_params_accept_study_config():
    from pathlib import Path

    import yaml

    config = yaml.safe_load((Path(__file__).resolve().parents[1] / "config" / "config.yaml").read_text())
    assert PlotParams.from_mapping(config["plots"]).formats == ("png", "pdf")


def test_flavour_plots_accept_null_metrics(tmp_path):
    table = flavour_predictions(12, n=300)
    metrics = flavour_metrics("bdt", table)
    metrics["pooled"]["roc_auc_nc"] = None
    metrics["bins"][1]["purity_nc"] = None
    eval_dir, model_dir = write_model(tmp_path, "flavour", "bdt", table, metrics, None)
    paths = make_task_plots("flavour", models=["bdt"], eval_dirs={"bdt": eval_dir}, model_dirs={"bdt": model_dir},
                            out_dir=tmp_path / "plots", params={"dpi": 40, "formats": ["png"]})
    assert tmp_path / "plots" / "roc_curves.png" in paths


def test_muon_direction_baseline_only(tmp_path):
    table = direction_predictions(13, n=300, with_kappa=False)
    metrics = direction_metrics("muon_direction", "track_fit", table)
    eval_dir, model_dir = write_model(tmp_path, "muon_direction", "track_fit", table, metrics, None)
    paths = make_task_plots("muon_direction", models=["track_fit"], eval_dirs={"track_fit": eval_dir},
                            model_dirs={"track_fit": model_dir}, out_dir=tmp_path / "plots",
                            params={"dpi": 40, "formats": ["png"]})
    names = sorted(path.name for path in paths)
    assert names == [
        "cos_zenith_reco_vs_true.png",
        "cos_zenith_resolution_vs_energy.png",
        "opening_angle_distributions.png",
        "opening_angle_vs_energy.png",
        "plot_data.json",
        "pooled_metrics.png",
    ]
