# Config validation and the functions that build paths, targets and params for the rules.

import json

from snakemake.utils import validate

from junoml import config as junoml_config


validate(config, schema="../schemas/config.schema.yaml")
junoml_config.check_config(config, base_dir=".")


wildcard_constraints:
    sample=r"[A-Za-z0-9_]+",
    chunk=r"\d{4}",
    task="|".join(junoml_config.TASK_MODELS),
    model=r"[a-z0-9]+(?:_[a-z0-9]+)*",


def maybe_temp(path):
    """Mark an intermediate temporary when temporary_intermediates is on."""
    return temp(path) if config["temporary_intermediates"] else path


def task_samples():
    """Return the samples that the configured tasks use."""
    return sorted({junoml_config.TASK_SAMPLES[task] for task in config["tasks"]})


def chunks(sample):
    return junoml_config.chunk_ids(config, sample)


def task_sample(task):
    return junoml_config.TASK_SAMPLES[task]


def split_owner(task):
    return junoml_config.TASK_SPLIT_OWNER[task]


def task_models(task):
    return config["tasks"][task].get("models", [])


def is_net(model):
    return model in junoml_config.NET_MODELS


# ---- inputs built from wildcards -------------------------------------------------------------


def chunk_paths(pattern, sample):
    return expand(pattern, sample=sample, chunk=chunks(sample))


def sample_events(wildcards):
    return chunk_paths("results/events/{sample}/{chunk}.parquet", task_sample(wildcards.task))


def sample_hits(wildcards):
    return chunk_paths("results/hits/{sample}/{chunk}.parquet", task_sample(wildcards.task))


def grid_shards(wildcards):
    sample = task_sample(wildcards.task)
    return [
        path
        for pattern in ("{chunk}.grid", "{chunk}.index.parquet", "{chunk}.meta.json")
        for path in chunk_paths(f"results/grid/{{sample}}/{pattern}", sample)
    ]


def split_files(wildcards):
    owner = split_owner(wildcards.task)
    return {name: f"results/splits/{owner}/{name}.parquet" for name in junoml_config.SPLITS}


def feature_files(wildcards):
    return chunk_paths("results/features/{sample}/{chunk}.parquet", task_sample(wildcards.task))


def model_inputs(wildcards):
    """Inputs of `train`: the grid for nets, features for bdt, nothing beyond the splits for track_fit."""
    inputs = dict(split_files(wildcards))
    if is_net(wildcards.model):
        inputs["grid"] = grid_shards(wildcards)
    elif wildcards.model == "bdt":
        inputs["features"] = feature_files(wildcards)
    return inputs


def evaluation_inputs(wildcards):
    inputs = model_inputs(wildcards)
    inputs["trained"] = f"results/models/{wildcards.task}/{wildcards.model}/training_summary.json"
    if wildcards.model == "track_fit":
        inputs["hits"] = sample_hits(wildcards)
        inputs["events"] = sample_events(wildcards)
        inputs["geometry"] = rules.geometry.output.pmts
    return inputs


# ---- params: each rule gets only the config values it uses, so a change reruns exactly the rules
# ---- that depend on it.


def sample_settings(wildcards):
    return config["samples"][wildcards.sample]


def chunk_settings(wildcards):
    first, n_events = junoml_config.chunk_events(config, wildcards.sample, wildcards.chunk)
    return {"first_event_id": first, "n_events": n_events}


def task_settings(wildcards):
    """The split settings of a task (bins, sizes, seed), without its list of models and training keys."""
    owner = split_owner(wildcards.task)
    settings = {key: value for key, value in config["tasks"][owner].items() if key not in ("models", "training")}
    return settings


def architecture_section(model):
    """The `models.<model>` section without its `training` keys, which reach the job as training settings."""
    return {key: value for key, value in config.get("models", {}).get(model, {}).items() if key != "training"}


def model_settings(wildcards):
    """The architecture settings of one model; conv3d's widths follow from r2plus1d's."""
    settings = {wildcards.model: architecture_section(wildcards.model)}
    if wildcards.model == "conv3d":
        settings["r2plus1d"] = architecture_section("r2plus1d")
    if wildcards.model in ("track_fit", "bdt"):
        settings["baselines"] = config.get("baselines", {})
        settings["photon_speed_mm_per_ns"] = config["detector"]["photon_speed_mm_per_ns"]
        settings["ls_radius_mm"] = config["detector"]["ls_radius_mm"]
    return settings


def training_processes(wildcards):
    """Data-parallel processes of a network's train job: its training settings' n_gpus (default 1)."""
    return training_settings(wildcards).get("n_gpus", 1)


def training_threads(wildcards):
    """CPU threads of a train job: per process training.cpu_threads for the nets when set, else 8, times
    training.n_gpus processes (capped by --cores)."""
    if is_net(wildcards.model):
        return (training_settings(wildcards).get("cpu_threads") or 8) * training_processes(wildcards)
    return 1 if wildcards.model == "track_fit" else 8


def evaluation_threads(wildcards):
    """CPU threads of an evaluate job: evaluation.cpu_threads for the nets when set, else 8 (capped by --cores)."""
    if is_net(wildcards.model):
        return config.get("evaluation", {}).get("cpu_threads") or 8
    return 1


def gpus_of_model(wildcards):
    """GPUs that a train job requests: training.n_gpus (default 1) for the nets, none for the baselines."""
    return training_processes(wildcards) if is_net(wildcards.model) else 0


def training_settings(wildcards):
    """The training section of a network: `training`, then `tasks.<task>.training`, then `models.<model>.training`."""
    if not is_net(wildcards.model):
        return {}
    of_task = config["tasks"][wildcards.task].get("training", {})
    of_model = config.get("models", {}).get(wildcards.model, {}).get("training", {})
    return {**config.get("training", {}), **of_task, **of_model}


# ---- targets ---------------------------------------------------------------------------------


def evaluation_targets():
    return [
        f"results/eval/{task}/{model}/{name}"
        for task in config["tasks"]
        for model in task_models(task)
        for name in ("predictions.parquet", "metrics.json")
    ]


def all_targets():
    targets = [rules.geometry.output.pmts, "results/validation/simulation/figures.json"]
    if "atmospheric" in task_samples():
        targets.append("results/validation/generator/figures.json")
    for sample in task_samples():
        targets += chunk_paths("results/grid/{sample}/{chunk}.index.parquet", sample)
    for task in config["tasks"]:
        targets.append(f"results/splits/{split_owner(task)}/test.parquet")
    targets += evaluation_targets()
    targets += expand("results/plots/{task}", task=list(config["tasks"]))
    targets += expand("results/tables/{task}_comparison.html", task=list(config["tasks"]))
    targets.append("results/report/environment.html")
    if "atmospheric" in task_samples():
        targets.append("results/plots/event_displays")
    return targets


# ---- inputs and params of single rules ------------------------------------------------------


def simulation_inputs(wildcards):
    inputs = {"geometry": rules.geometry.output.pmts}
    if config["samples"][wildcards.sample]["source"] == "atmospheric":
        inputs["flux"] = rules.flux_table.output.tables
    return inputs


def ingest_input(wildcards):
    sample_cfg = config["samples"][wildcards.sample]
    if sample_cfg["source"] == "external":
        return {"root": sample_cfg["files"][int(wildcards.chunk)], "geometry": rules.geometry.output.pmts}
    return {"root": rules.simulate.output.root, "geometry": rules.geometry.output.pmts}


def reader_settings(wildcards):
    """The ROOT reader settings: the global `reader` section, updated by the sample's own `reader`."""
    settings = dict(config.get("reader", {}))
    settings.update(config["samples"][wildcards.sample].get("reader", {}))
    return settings


def response_settings(wildcards):
    """The detector response to apply to external photon hits, or None."""
    if reader_settings(wildcards).get("apply_response"):
        return config["detector"]
    return None


def task_evaluations(wildcards):
    models = task_models(wildcards.task)
    return {
        "metrics": [f"results/eval/{wildcards.task}/{model}/metrics.json" for model in models],
        "predictions": [f"results/eval/{wildcards.task}/{model}/predictions.parquet" for model in models],
        "training_logs": [f"results/models/{wildcards.task}/{model}/training_log.csv" for model in models],
    }


def plotted_models(wildcards):
    return task_models(wildcards.task)


def display_settings():
    """The `plots` keys that the event displays use, so that other plot options do not redraw them."""
    plots = config.get("plots", {})
    return {key: value for key, value in plots.items() if key.startswith("event_display") or key in ("formats", "dpi")}
