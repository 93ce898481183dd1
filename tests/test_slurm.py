"""The workflow through Slurm: `snakemake --profile slurm` on the tiny config, compared with the local run.

Needs the one-node test cluster of .ci/slurm-setup.sh (root, Debian's Slurm 22.05, 127.0.0.1 only);
the tests skip without it, and fail instead when JUNOML_SLURM_TEST=1 is set, because CI starts it.
The module stops the cluster's daemons through their pid files when it finishes.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import uproot

from conftest import TINY_CONFIG
from workflow_runner import REPO, SNAKEFILE, SNAKEMAKE, parse_job_stats

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SLURM_CONF = Path("/etc/slurm/slurm.conf")
# First line of the slurm.conf that .ci/slurm-setup.sh writes; any other cluster is left alone.
TEST_CLUSTER_MARKER = "# One-node Slurm 22.05 cluster on 127.0.0.1 for tests/test_slurm.py"
STATE_DIR = Path(os.environ.get("JUNOML_SLURM_STATE_DIR", "/var/lib/junoml-slurm"))
PROFILES = ("--profile", str(REPO / "slurm"), "--profile", str(REPO / "tests" / "slurm"))
# Rules that run on the submitting host (the Snakefile's localrules); every other job goes to Slurm.
LOCAL_RULES = {"all", "plots", "tables", "event_displays", "environment"}
# Models whose training jobs request a GPU; the baselines request none.
NET_MODELS = ("r2plus1d", "conv3d", "cnn2d")
# Seconds for the whole Slurm run, including the local run of the tiny config that shares the
# machine with it.
SLURM_RUN_TIMEOUT_S = 600
# Training and evaluation run with the same 2 torch threads in both runs (--max-threads 2 here,
# --cores 2 in the local run), so their numbers agree to float32 rounding. The tolerance leaves
# room for another summation order of multithreaded kernels on another CPU.
TRAINING_RTOL = 1e-4
TRAINING_ATOL = 1e-6
# Columns of training_log.csv that measure speed, not the training itself.
TIMING_COLUMNS = {"seconds", "events_per_s"}


def _test_cluster_missing() -> str | None:
    """Return the reason why the test cluster cannot be used, or None when it responds."""
    if shutil.which("sinfo") is None or shutil.which("sbatch") is None:
        return "Slurm is not installed; run .ci/slurm-setup.sh as root to install and start a one-node test cluster"
    if not SLURM_CONF.is_file() or TEST_CLUSTER_MARKER not in SLURM_CONF.read_text():
        return f"{SLURM_CONF} is not the one-node test cluster of .ci/slurm-setup.sh; the test submits only to that cluster"
    # sinfo retries for about 10 s when slurmctld is down, so a missing pid file ends the check first.
    if not (STATE_DIR / "slurmctld.pid").is_file():
        return f"slurmctld of the test cluster is not running (no {STATE_DIR / 'slurmctld.pid'}); start it with .ci/slurm-setup.sh"
    try:
        states = subprocess.run(["sinfo", "--noheader", "--format=%t"], capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        return "sinfo timed out after 20 s; start the test cluster with .ci/slurm-setup.sh"
    if states.returncode != 0:
        return f"sinfo failed ({states.stderr.strip()}); start the test cluster with .ci/slurm-setup.sh"
    if not {"idle", "mix", "alloc"} & set(states.stdout.split()):
        return f"no Slurm node is up (sinfo states: {states.stdout.split()}); restart it with .ci/slurm-setup.sh"
    return None


# The check runs when pytest collects the module: a skip inside a fixture would come only after the
# session-scoped local run of the tiny config, which the comparisons also request, had finished.
_missing_reason = _test_cluster_missing()
if _missing_reason and os.environ.get("JUNOML_SLURM_TEST") == "1":
    pytest.fail(f"JUNOML_SLURM_TEST=1 but {_missing_reason}", pytrace=False)
if _missing_reason:
    pytest.skip(_missing_reason, allow_module_level=True)


@pytest.fixture(scope="module")
def slurm_cluster():
    """Stop the test cluster's daemons when the module's tests end."""
    yield

    _stop_test_cluster()


def _stop_test_cluster() -> None:
    """Stop slurmd, slurmctld and munged through the pid files that .ci/slurm-setup.sh configured."""
    pid_files = [STATE_DIR / "slurmd.pid", STATE_DIR / "slurmctld.pid", Path("/run/munge/munged.pid")]
    for pid_file in pid_files:
        if not pid_file.is_file():
            continue
        try:
            os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
        except ProcessLookupError:
            pass
        pid_file.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def slurm_run(slurm_cluster, request, tmp_path_factory) -> tuple[Path, str]:
    """Run the tiny config through Slurm; return the working directory and Snakemake's output.

    Most of the Slurm run is spent in job start-ups and in waits for the plugin's status polls,
    so the local run of the tiny config (the tiny_run fixture, which the comparisons need) runs
    at the same time.
    """
    workdir = tmp_path_factory.mktemp("tiny_workflow_slurm")
    log_path = workdir.parent / f"{workdir.name}.snakemake.log"
    command = [str(SNAKEMAKE), "--snakefile", str(SNAKEFILE), "--directory", str(workdir), "--configfile", str(TINY_CONFIG), *PROFILES, "--max-threads", "2"]
    deadline = time.monotonic() + SLURM_RUN_TIMEOUT_S
    with open(log_path, "w") as log_file:
        process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            request.getfixturevalue("tiny_run")
            returncode = process.wait(timeout=max(1.0, deadline - time.monotonic()))
        except BaseException as error:
            process.terminate()
            process.wait(timeout=60)
            _cancel_run(log_path.read_text())
            if isinstance(error, subprocess.TimeoutExpired):
                raise AssertionError(f"snakemake --profile slurm did not finish within {SLURM_RUN_TIMEOUT_S} s; its output is in {log_path}") from error
            raise
    output = log_path.read_text()
    if returncode != 0:
        raise AssertionError(f"snakemake --profile slurm failed with exit code {returncode}\n--- output ---\n{output[-8000:]}")
    return workdir, output


def _cancel_run(output: str) -> None:
    match = re.search(r"SLURM run ID: (\S+)", output)
    if match:
        subprocess.run(["scancel", f"--name={match.group(1)}"], check=False, timeout=20)


def slurm_jobs(run_id: str) -> list[dict]:
    """Return the Slurm records (partition, state, comment, GPUs) of the jobs of one Snakemake run.

    squeue lists finished jobs for MinJobAge (15 min on the test cluster), which covers the test.
    """
    fields = ("JobID", "Partition", "State", "Comment", "tres-per-job")
    listing = subprocess.run(
        ["squeue", "--states=all", f"--name={run_id}", "--noheader", "-O", ",".join(f"{field}:400|" for field in fields)],
        capture_output=True,
        text=True,
        check=True,
        timeout=20,
    )
    records = []
    for line in listing.stdout.splitlines():
        values = [value.strip() for value in line.split("|")[: len(fields)]]
        records.append(dict(zip(("job_id", "partition", "state", "comment", "gpus"), values)))
    return records


def _run_id(output: str) -> str:
    match = re.search(r"SLURM run ID: (\S+)", output)
    assert match, "snakemake printed no 'SLURM run ID'; did it use the slurm executor?"
    return match.group(1)


def _local_rule_jobs(output: str) -> Counter:
    return Counter(re.findall(r"^localrule (\w+):", output, flags=re.MULTILINE))


def _rule_of(comment: str) -> str:
    # The plugin comments each job with rule_<name> or rule_<name>_wildcards_<values>.
    return re.match(r"rule_(\w+?)(?:_wildcards_.*)?$", comment).group(1)


def test_slurm_run_submits_every_remote_job(slurm_run):
    workdir, output = slurm_run
    planned = parse_job_stats(output)
    local = _local_rule_jobs(output)
    submitted = Counter(_rule_of(job["comment"]) for job in slurm_jobs(_run_id(output)))

    assert planned, "no job statistics in the output of snakemake --profile slurm"
    assert submitted == planned - local


def test_slurm_run_keeps_local_rules_local(slurm_run):
    _, output = slurm_run
    submitted = {_rule_of(job["comment"]) for job in slurm_jobs(_run_id(output))}

    assert submitted.isdisjoint(LOCAL_RULES)


def test_slurm_jobs_all_completed(slurm_run):
    _, output = slurm_run
    states = Counter(job["state"] for job in slurm_jobs(_run_id(output)))

    assert set(states) == {"COMPLETED"}


def test_slurm_jobs_have_plugin_logs(slurm_run):
    workdir, output = slurm_run
    job_ids = {job["job_id"] for job in slurm_jobs(_run_id(output))}
    logged = {path.stem for path in (workdir / ".snakemake" / "slurm_logs").rglob("*.log")}

    assert job_ids <= logged


def test_slurm_training_of_nets_gets_gpu(slurm_run):
    _, output = slurm_run
    training = [job for job in slurm_jobs(_run_id(output)) if _rule_of(job["comment"]) == "train"]
    nets = [job for job in training if _is_net_training(job["comment"])]

    assert nets, "the tiny config trains no network through Slurm"
    for job in nets:
        assert job["partition"] == "gpu", job
        assert "gpu:1" in job["gpus"], job


def test_slurm_cpu_jobs_use_cpu_partition(slurm_run):
    _, output = slurm_run
    cpu_jobs = [job for job in slurm_jobs(_run_id(output)) if not _is_net_training(job["comment"])]

    assert cpu_jobs, "no CPU job went through Slurm"
    for job in cpu_jobs:
        assert job["partition"] == "cpu", job
        assert "gpu" not in job["gpus"], job


def _is_net_training(comment: str) -> bool:
    # train's wildcards are task and model, so the model name ends the comment.
    return comment.startswith("rule_train_wildcards_") and comment.endswith(tuple(f"_{model}" for model in NET_MODELS))


# ---- outputs: the Slurm run against the local run of tests/conftest.py --------------------------


def result_files(workdir: Path, stage: str) -> set[Path]:
    """Return the files under results/<stage>/, relative to results/."""
    results = workdir / "results"
    return {path.relative_to(results) for path in (results / stage).rglob("*") if path.is_file()}


def test_slurm_outputs_same_file_list(slurm_run, tiny_run):
    workdir, _ = slurm_run
    stages = sorted({path.name for path in (tiny_run / "results").iterdir()} - {"benchmarks"})

    for stage in stages:
        assert result_files(workdir, stage) == result_files(tiny_run, stage), stage


@pytest.mark.parametrize("stage", ["geometry", "sim", "hits", "events", "grid", "splits"])
def test_slurm_outputs_identical_before_training(slurm_run, tiny_run, stage):
    workdir, _ = slurm_run
    files = sorted(result_files(tiny_run, stage))
    if not files and stage in ("sim", "hits"):
        pytest.skip(f"the tiny config keeps no results/{stage} files (temporary_intermediates)")

    assert files, f"the local run wrote nothing under results/{stage}"
    for relative in files:
        assert_identical(workdir / "results" / relative, tiny_run / "results" / relative)


def test_slurm_training_logs_match_local(slurm_run, tiny_run):
    workdir, _ = slurm_run
    logs = sorted(path for path in result_files(tiny_run, "models") if path.name == "training_log.csv")

    assert logs, "the local run wrote no training_log.csv"
    for relative in logs:
        slurm_log = pd.read_csv(workdir / "results" / relative)
        local_log = pd.read_csv(tiny_run / "results" / relative)
        columns = [column for column in local_log.columns if column not in TIMING_COLUMNS]
        pd.testing.assert_frame_equal(slurm_log[columns], local_log[columns], check_exact=False, rtol=TRAINING_RTOL, atol=TRAINING_ATOL)


def test_slurm_predictions_match_local(slurm_run, tiny_run):
    workdir, _ = slurm_run
    predictions = sorted(path for path in result_files(tiny_run, "eval") if path.name == "predictions.parquet")

    assert predictions, "the local run wrote no predictions.parquet"
    for relative in predictions:
        slurm_table = pd.read_parquet(workdir / "results" / relative)
        local_table = pd.read_parquet(tiny_run / "results" / relative)
        pd.testing.assert_frame_equal(slurm_table, local_table, check_exact=False, rtol=TRAINING_RTOL, atol=TRAINING_ATOL)


def test_slurm_metrics_match_local(slurm_run, tiny_run):
    workdir, _ = slurm_run
    metrics = sorted(path for path in result_files(tiny_run, "eval") if path.name == "metrics.json")

    assert metrics, "the local run wrote no metrics.json"
    for relative in metrics:
        slurm_metrics = json.loads((workdir / "results" / relative).read_text())
        local_metrics = json.loads((tiny_run / "results" / relative).read_text())
        assert_close_tree(slurm_metrics, local_metrics, str(relative))


def assert_identical(path: Path, reference: Path) -> None:
    """Assert that two outputs hold the same data: same table, same ROOT branches or same bytes."""
    if path.suffix == ".parquet":
        pd.testing.assert_frame_equal(pd.read_parquet(path), pd.read_parquet(reference), check_exact=True)
    elif path.suffix == ".root":
        # ROOT files carry their creation time and a random UUID, so only their contents can match.
        with uproot.open(path) as file, uproot.open(reference) as reference_file:
            assert sorted(file.keys()) == sorted(reference_file.keys()), path
            arrays = file["events"].arrays(library="ak")
            reference_arrays = reference_file["events"].arrays(library="ak")
            assert arrays.fields == reference_arrays.fields, path
            for field in arrays.fields:
                assert arrays[field].tolist() == reference_arrays[field].tolist(), f"{path}: branch {field}"
    elif path.suffix == ".json":
        assert json.loads(path.read_text()) == json.loads(reference.read_text()), path
    else:
        assert path.read_bytes() == reference.read_bytes(), path


def assert_close_tree(value, reference, where: str) -> None:
    """Assert that two JSON trees have the same keys and strings and numbers within the training tolerance."""
    if isinstance(reference, dict):
        assert isinstance(value, dict) and sorted(value) == sorted(reference), where
        for key in reference:
            assert_close_tree(value[key], reference[key], f"{where}.{key}")
    elif isinstance(reference, list):
        assert isinstance(value, list) and len(value) == len(reference), where
        for index, (item, reference_item) in enumerate(zip(value, reference)):
            assert_close_tree(item, reference_item, f"{where}[{index}]")
    elif isinstance(reference, float):
        assert np.isclose(value, reference, rtol=TRAINING_RTOL, atol=TRAINING_ATOL, equal_nan=True), f"{where}: {value} != {reference}"
    else:
        assert value == reference, where
