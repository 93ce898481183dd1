"""Interrupted workflow runs: the killed job reruns, finished work stays, and the results equal an uninterrupted run.

Each scenario copies the finished tiny run, deletes the outputs of one job and starts Snakemake
for that job's target in the background. The job is mid-way once its output file is open under
its temporary name, or once training has written its first checkpoint. The test then stops the
job with SIGSTOP, so that it stays mid-way however fast it runs, and sends the signal under test:

- SIGKILL or SIGTERM to the job process: Snakemake marks the job failed and removes its outputs.
- SIGTERM to Snakemake: Snakemake lets the running job finish and starts no new job.
- SIGINT to Snakemake's process group (Ctrl-C in a terminal): the job stops and Snakemake removes its outputs.
- SIGKILL to Snakemake alone: the job runs on to its end, but Snakemake's lock and its
  incomplete markers stay, so the rerun needs `--unlock` and then `--rerun-incomplete`.
- SIGKILL to the whole process group (a lost node): the job dies mid-way and the lock stays.

The rerun must run exactly the interrupted jobs, and its outputs must equal the tiny run's.
Parquet tables and grid shards are compared byte by byte. ROOT files contain their write time
and a random UUID, so simulation files are compared branch by branch. Trained weights and losses
are compared within the tolerance of the resume test in test_learn_train.py (torch runs on one
thread in the tiny config).
"""

import contextlib
import csv
import os
import re
import signal
import subprocess
import sys
import textwrap
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import awkward as ak
import numpy as np
import pytest
import torch

from junoml.io.simroot import read_events
from workflow_runner import (
    copy_workdir,
    job_processes,
    merged_config,
    parse_job_stats,
    process_exited,
    process_state,
    snakemake,
    start_snakemake,
    wait_until,
)

from conftest import TINY_CONFIG

pytestmark = pytest.mark.e2e

CHUNK = "0001"
SIM = f"results/sim/muon/{CHUNK}.root"
HITS = f"results/hits/muon/{CHUNK}.parquet"
EVENTS = f"results/events/muon/{CHUNK}.parquet"
GRID = [f"results/grid/muon/{CHUNK}{suffix}" for suffix in (".grid", ".index.parquet", ".meta.json")]
MODEL_DIR = "results/models/muon_direction/r2plus1d"
SUMMARY = f"{MODEL_DIR}/training_summary.json"
TRAINING_LOG = f"{MODEL_DIR}/training_log.csv"
CHECKPOINT = f"{MODEL_DIR}/checkpoint_last.pt"
TRAIN_JOB_LOG = "logs/train/muon_direction/r2plus1d.log"
SPLIT_DIR = "results/splits/muon_direction"
# Training log columns that do not measure time.
LEARNING_COLUMNS = ("epoch", "train_loss", "val_loss", "val_metric", "learning_rate")

# Seconds. Starting a job (Snakemake builds the DAG, the job imports its libraries) and simulating
# one chunk of 40 events each take up to a minute on two busy cores, so the limits leave a margin.
START_TIMEOUT = 180
FINISH_TIMEOUT = 600


@dataclass
class Interruption:
    """What an interrupted Snakemake run left behind, and what its rerun did."""

    workdir: Path
    signal_name: str
    job_pid: int
    returncode: int
    console: str
    left: list[str] = field(default_factory=list)
    checkpoint_epoch: int | None = None
    reruns: list[str] = field(default_factory=list)
    advice: list[str] = field(default_factory=list)
    rerun_jobs: Counter = field(default_factory=Counter)


# ---- running and interrupting ----------------------------------------------------------------


def delete(workdir: Path, *paths: str) -> None:
    for path in paths:
        (workdir / path).unlink()


def temporaries(folder: Path, name: str) -> list[Path]:
    """Return the temporary files that junoml.io.atomic writes `name` to before renaming it."""
    return sorted(folder.glob(f".{name}.*.tmp"))


def left_in(folder: Path, prefix: str) -> list[str]:
    """Return the names in folder that start with prefix, outputs and temporaries alike."""
    return sorted(path.name for path in folder.iterdir() if path.name.lstrip(".").startswith(prefix))


def stop_midway(process, script: str, midway, *, console: Path) -> int:
    """Wait until the job running workflow/scripts/{script}.py is mid-way, stop it with SIGSTOP and return its pid."""

    def job_started():
        if process.poll() is not None:
            raise AssertionError(f"snakemake exited with {process.returncode} before the {script} job started:\n{console.read_text()[-4000:]}")
        jobs = job_processes(process.pid, script)
        return jobs[0] if len(jobs) == 1 else None

    job_pid = wait_until(job_started, timeout=START_TIMEOUT, description=f"the {script} job to start")
    wait_until(lambda: midway() or process_exited(job_pid), timeout=START_TIMEOUT, description=f"the {script} job to reach its mid-way point")
    with contextlib.suppress(ProcessLookupError):
        os.kill(job_pid, signal.SIGSTOP)
    wait_until(lambda: process_state(job_pid) in ("T", "t", "Z", None), timeout=10, description=f"the {script} job to stop")
    if not midway():
        raise AssertionError(
            f"the {script} job finished or failed before SIGSTOP could hold it mid-way:\n{console.read_text()[-4000:]}"
        )
    return job_pid


def send(signal_name: str, process, job_pid: int, *, console: Path) -> None:
    """Send the interruption under test to the stopped job, to Snakemake or to both."""
    if signal_name == "SIGKILL to job":
        os.kill(job_pid, signal.SIGKILL)
    elif signal_name == "SIGTERM to job":
        os.kill(job_pid, signal.SIGTERM)
        os.kill(job_pid, signal.SIGCONT)
    elif signal_name == "SIGTERM to snakemake":
        os.kill(process.pid, signal.SIGTERM)
        wait_until(lambda: "Will exit after finishing currently running jobs" in console.read_text(), timeout=60, description="snakemake to take note of SIGTERM")
        os.kill(job_pid, signal.SIGCONT)
    elif signal_name == "SIGINT to process group":
        os.killpg(process.pid, signal.SIGINT)
        os.kill(job_pid, signal.SIGCONT)
    elif signal_name == "SIGKILL to snakemake":
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
        os.kill(job_pid, signal.SIGCONT)
    elif signal_name == "SIGKILL to process group":
        os.killpg(process.pid, signal.SIGKILL)
    else:
        raise ValueError(f"unknown interruption {signal_name!r}")


def interrupt(workdir: Path, targets: list[str], *, script: str, midway, signal_name: str) -> Interruption:
    """Run snakemake for targets, interrupt the `script` job mid-way with signal_name and wait until every process has exited."""
    console = workdir / "interrupted_snakemake.txt"
    process = start_snakemake(workdir, "--cores", "1", *targets, configfiles=[TINY_CONFIG], console=console)
    try:
        job_pid = stop_midway(process, script, midway, console=console)
        send(signal_name, process, job_pid, console=console)
        returncode = process.wait(timeout=FINISH_TIMEOUT)
        wait_until(lambda: process_exited(job_pid), timeout=FINISH_TIMEOUT, description=f"the {script} job to exit")
    except BaseException:
        # A failed check leaves no process behind: the job and Snakemake share this process group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
        raise
    return Interruption(workdir=workdir, signal_name=signal_name, job_pid=job_pid, returncode=returncode, console=console.read_text())


def rerun(interruption: Interruption, targets: list[str], *options: str) -> None:
    """Run snakemake again on the interrupted working directory and record the jobs it ran."""
    result = snakemake(interruption.workdir, "--cores", "1", *options, *targets, configfiles=[TINY_CONFIG], timeout=FINISH_TIMEOUT)
    interruption.reruns.append(result.stdout + result.stderr)
    interruption.rerun_jobs = parse_job_stats(result.stdout + result.stderr)


def recover(interruption: Interruption, targets: list[str]) -> None:
    """Rerun snakemake as its error messages advise, with --unlock and --rerun-incomplete, until it builds targets.

    Records each piece of advice followed in interruption.advice and the jobs of the successful run.
    """
    options: list[str] = []
    for _ in range(3):
        result = snakemake(interruption.workdir, "--cores", "1", *options, *targets, configfiles=[TINY_CONFIG], timeout=FINISH_TIMEOUT, check=False)
        output = result.stdout + result.stderr
        interruption.reruns.append(output)
        if result.returncode == 0:
            interruption.rerun_jobs = parse_job_stats(output)
            return
        if "--unlock" in output:
            snakemake(interruption.workdir, "--unlock", *targets, configfiles=[TINY_CONFIG], timeout=FINISH_TIMEOUT)
            interruption.advice.append("--unlock")
        elif "--rerun-incomplete" in output and "--rerun-incomplete" not in options:
            options.append("--rerun-incomplete")
            interruption.advice.append("--rerun-incomplete")
        else:
            raise AssertionError(f"snakemake failed with advice the test does not follow:\n{output[-4000:]}")
    raise AssertionError(f"snakemake still fails after {interruption.advice}:\n{interruption.reruns[-1][-4000:]}")


def checkpoint_epoch(workdir: Path) -> int:
    return int(torch.load(workdir / CHECKPOINT, map_location="cpu", weights_only=True)["epoch"])


def max_epochs() -> int:
    return int(merged_config(TINY_CONFIG)["training"]["max_epochs"])


def training_midway(workdir: Path):
    """Return a check that training has written a checkpoint but has not finished."""
    last_epoch = max_epochs()

    def midway() -> bool:
        return (workdir / CHECKPOINT).exists() and not (workdir / SUMMARY).exists() and checkpoint_epoch(workdir) < last_epoch

    return midway


# ---- comparisons with the uninterrupted tiny run -----------------------------------------------


def same_bytes(workdir: Path, tiny_run: Path, path: str) -> bool:
    return (workdir / path).read_bytes() == (tiny_run / path).read_bytes()


def trained_epochs(job_log: str) -> list[int]:
    """Return the epochs that a training job log reports as trained, in order."""
    return [int(number) for number in re.findall(r"INFO junoml\.learn\.train: epoch (\d+): train_loss", job_log)]


def read_training_log(path: Path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


# ---- a job script that gets SIGTERM ---------------------------------------------------------


def test_sigterm_job_removes_temporary_output(tmp_path):
    # What every job script does: configure_job_logging, then write an output with atomic_output.
    script = tmp_path / "job.py"
    script.write_text(textwrap.dedent(f"""
        import time
        from junoml.io.atomic import atomic_output
        from junoml.logs import configure_job_logging

        configure_job_logging({str(tmp_path / "job.log")!r})
        with atomic_output({str(tmp_path / "output.txt")!r}) as tmp:
            tmp.write_text("half of the output")
            print("writing", flush=True)
            time.sleep(120)
    """))
    process = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline() == "writing\n"
        process.send_signal(signal.SIGTERM)
        returncode = process.wait(timeout=60)
    finally:
        process.kill()
        process.wait(timeout=60)

    assert returncode == 128 + signal.SIGTERM
    assert sorted(path.name for path in tmp_path.iterdir()) == ["job.log", "job.py"]
    assert "job received SIGTERM" in (tmp_path / "job.log").read_text()


# ---- scenario: a simulation job killed mid-way -----------------------------------------------


@pytest.fixture(scope="module", params=["SIGKILL to job", "SIGTERM to job"])
def killed_simulation(request, tiny_run, tmp_path_factory) -> Interruption:
    workdir = copy_workdir(tiny_run, tmp_path_factory.mktemp("killed_simulation") / "workdir")
    delete(workdir, SIM)
    folder = workdir / "results/sim/muon"
    interruption = interrupt(workdir, [SIM], script="simulate", midway=lambda: temporaries(folder, f"{CHUNK}.root"), signal_name=request.param)
    interruption.left = left_in(folder, CHUNK)
    rerun(interruption, [SIM])
    return interruption


def test_killed_simulation_fails_the_run(killed_simulation):
    assert killed_simulation.returncode != 0


def test_killed_simulation_leaves_no_output(killed_simulation):
    if killed_simulation.signal_name == "SIGTERM to job":
        assert killed_simulation.left == []
    else:
        # SIGKILL gives the job no chance to clean up: only its temporary file stays.
        assert killed_simulation.left == [f".{CHUNK}.root.{killed_simulation.job_pid}.tmp"]


def test_killed_simulation_reruns_only_itself(killed_simulation):
    assert killed_simulation.rerun_jobs == Counter(simulate=1)


def test_killed_simulation_rerun_equals_uninterrupted(killed_simulation, tiny_run):
    rerun_columns, rerun_hits, rerun_metadata = read_events(killed_simulation.workdir / SIM)
    columns, hits, metadata = read_events(tiny_run / SIM)
    assert sorted(rerun_columns) == sorted(columns)
    for name, values in columns.items():
        assert np.array_equal(rerun_columns[name], values, equal_nan=True), name
    for name, values in hits.items():
        assert ak.num(rerun_hits[name]).tolist() == ak.num(values).tolist(), name
        assert np.array_equal(ak.flatten(rerun_hits[name]).to_numpy(), ak.flatten(values).to_numpy()), name
    assert rerun_metadata == metadata


# ---- scenario: a grid job killed mid-way -------------------------------------------------------


@pytest.fixture(scope="module", params=["SIGKILL to job", "SIGTERM to job"])
def killed_grid(request, tiny_run, tmp_path_factory) -> Interruption:
    workdir = copy_workdir(tiny_run, tmp_path_factory.mktemp("killed_grid") / "workdir")
    delete(workdir, *GRID)
    folder = workdir / "results/grid/muon"
    interruption = interrupt(workdir, [GRID[1]], script="grid", midway=lambda: temporaries(folder, f"{CHUNK}.grid"), signal_name=request.param)
    interruption.left = left_in(folder, CHUNK)
    rerun(interruption, [GRID[1]])
    return interruption


def test_killed_grid_fails_the_run(killed_grid):
    assert killed_grid.returncode != 0


def test_killed_grid_leaves_no_shard(killed_grid):
    if killed_grid.signal_name == "SIGTERM to job":
        assert killed_grid.left == []
    else:
        assert killed_grid.left == [f".{CHUNK}.grid.{killed_grid.job_pid}.tmp"]


def test_killed_grid_reruns_only_itself(killed_grid):
    assert killed_grid.rerun_jobs == Counter(grid=1)


@pytest.mark.parametrize("path", GRID)
def test_killed_grid_rerun_equals_uninterrupted(killed_grid, tiny_run, path):
    assert same_bytes(killed_grid.workdir, tiny_run, path)


# ---- scenario: a training job killed after its first epoch -----------------------------------


def start_training_again(tiny_run, tmp_path_factory, name: str) -> Path:
    """Copy the tiny run without the r2plus1d model of muon_direction, so that its training starts from scratch."""
    workdir = copy_workdir(tiny_run, tmp_path_factory.mktemp(name) / "workdir")
    for path in (workdir / MODEL_DIR).iterdir():
        path.unlink()
    return workdir


@pytest.fixture(scope="module", params=["SIGKILL to job", "SIGTERM to job"])
def killed_training(request, tiny_run, tmp_path_factory) -> Interruption:
    workdir = start_training_again(tiny_run, tmp_path_factory, "killed_training")
    interruption = interrupt(workdir, [SUMMARY], script="train", midway=training_midway(workdir), signal_name=request.param)
    interruption.left = left_in(workdir / MODEL_DIR, "")
    interruption.checkpoint_epoch = checkpoint_epoch(workdir)
    rerun(interruption, [SUMMARY])
    return interruption


def test_killed_training_fails_the_run(killed_training):
    assert killed_training.returncode != 0


def test_killed_training_keeps_only_checkpoint(killed_training):
    visible = [name for name in killed_training.left if not name.startswith(".")]
    assert visible == ["checkpoint_last.pt"]


def test_killed_training_temporaries_match_signal(killed_training):
    hidden = [name for name in killed_training.left if name.startswith(".")]
    if killed_training.signal_name == "SIGTERM to job":
        assert hidden == []
    else:
        assert all(name.endswith(f".{killed_training.job_pid}.tmp") for name in hidden), hidden


def test_killed_training_reruns_only_itself(killed_training):
    assert killed_training.rerun_jobs == Counter(train=1)


def test_killed_training_resumes_from_checkpoint(killed_training):
    job_log = (killed_training.workdir / TRAIN_JOB_LOG).read_text()
    assert f"checkpoint_last.pt after epoch {killed_training.checkpoint_epoch} " in job_log


def test_killed_training_skips_finished_epochs(killed_training):
    job_log = (killed_training.workdir / TRAIN_JOB_LOG).read_text()
    assert trained_epochs(job_log) == list(range(killed_training.checkpoint_epoch + 1, max_epochs() + 1))


def test_killed_training_log_has_every_epoch(killed_training):
    rows = read_training_log(killed_training.workdir / TRAINING_LOG)
    assert [int(row["epoch"]) for row in rows] == list(range(1, max_epochs() + 1))


def test_killed_training_losses_equal_uninterrupted(killed_training, tiny_run):
    resumed = read_training_log(killed_training.workdir / TRAINING_LOG)
    straight = read_training_log(tiny_run / TRAINING_LOG)
    for column in LEARNING_COLUMNS:
        assert [float(row[column]) for row in resumed] == pytest.approx([float(row[column]) for row in straight], rel=1e-5), column


def test_killed_training_model_equals_uninterrupted(killed_training, tiny_run):
    resumed = torch.load(killed_training.workdir / MODEL_DIR / "model.pt", map_location="cpu", weights_only=True)
    straight = torch.load(tiny_run / MODEL_DIR / "model.pt", map_location="cpu", weights_only=True)
    assert resumed["best_epoch"] == straight["best_epoch"]
    for name, value in straight["state_dict"].items():
        torch.testing.assert_close(resumed["state_dict"][name], value, rtol=1e-5, atol=1e-6, msg=name)


# ---- scenario: SIGTERM to Snakemake while the ingest job of a chunk runs -----------------------


@pytest.fixture(scope="module")
def stopped_snakemake(tiny_run, tmp_path_factory) -> Interruption:
    workdir = copy_workdir(tiny_run, tmp_path_factory.mktemp("stopped_snakemake") / "workdir")
    delete(workdir, HITS, EVENTS, *GRID)
    for path in (workdir / SPLIT_DIR).iterdir():
        path.unlink()
    folder = workdir / "results/hits/muon"
    targets = [GRID[1], f"{SPLIT_DIR}/test.parquet"]
    interruption = interrupt(workdir, targets, script="hits_to_parquet", midway=lambda: temporaries(folder, f"{CHUNK}.parquet"), signal_name="SIGTERM to snakemake")
    interruption.left = left_in(workdir / "results/grid/muon", CHUNK)
    rerun(interruption, targets)
    return interruption


def test_sigterm_to_snakemake_lets_job_finish(stopped_snakemake):
    assert "Finished jobid" in stopped_snakemake.console


@pytest.mark.parametrize("path", [HITS, EVENTS])
def test_sigterm_to_snakemake_finished_job_equals_uninterrupted(stopped_snakemake, tiny_run, path):
    assert same_bytes(stopped_snakemake.workdir, tiny_run, path)


def test_sigterm_to_snakemake_starts_no_new_job(stopped_snakemake):
    assert re.search(r"^(local)?rule (grid|split):", stopped_snakemake.console, re.MULTILINE) is None


def test_sigterm_to_snakemake_leaves_no_shard(stopped_snakemake):
    assert stopped_snakemake.left == []


def test_sigterm_to_snakemake_rerun_keeps_finished_job(stopped_snakemake):
    assert stopped_snakemake.rerun_jobs == Counter(grid=1, split=1)


def test_sigterm_to_snakemake_rerun_splits_equal_uninterrupted(stopped_snakemake, tiny_run):
    names = sorted(path.name for path in (tiny_run / SPLIT_DIR).iterdir())
    assert sorted(path.name for path in (stopped_snakemake.workdir / SPLIT_DIR).iterdir()) == names
    for name in names:
        assert same_bytes(stopped_snakemake.workdir, tiny_run, f"{SPLIT_DIR}/{name}"), name


@pytest.mark.parametrize("path", GRID)
def test_sigterm_to_snakemake_rerun_equals_uninterrupted(stopped_snakemake, tiny_run, path):
    assert same_bytes(stopped_snakemake.workdir, tiny_run, path)


# ---- scenario: Ctrl-C (SIGINT to the process group) while a grid job runs ----------------------


@pytest.fixture(scope="module")
def ctrl_c(tiny_run, tmp_path_factory) -> Interruption:
    workdir = copy_workdir(tiny_run, tmp_path_factory.mktemp("ctrl_c") / "workdir")
    delete(workdir, *GRID)
    folder = workdir / "results/grid/muon"
    interruption = interrupt(workdir, [GRID[1]], script="grid", midway=lambda: temporaries(folder, f"{CHUNK}.grid"), signal_name="SIGINT to process group")
    interruption.left = left_in(folder, CHUNK)
    rerun(interruption, [GRID[1]])
    return interruption


def test_ctrl_c_leaves_no_shard(ctrl_c):
    assert ctrl_c.left == []


def test_ctrl_c_rerun_runs_grid(ctrl_c):
    assert ctrl_c.rerun_jobs == Counter(grid=1)


@pytest.mark.parametrize("path", GRID)
def test_ctrl_c_rerun_equals_uninterrupted(ctrl_c, tiny_run, path):
    assert same_bytes(ctrl_c.workdir, tiny_run, path)


# ---- scenario: SIGKILL to Snakemake alone while a grid job runs ---------------------------------


@pytest.fixture(scope="module")
def killed_snakemake(tiny_run, tmp_path_factory) -> Interruption:
    workdir = copy_workdir(tiny_run, tmp_path_factory.mktemp("killed_snakemake") / "workdir")
    delete(workdir, *GRID)
    folder = workdir / "results/grid/muon"
    interruption = interrupt(workdir, [GRID[1]], script="grid", midway=lambda: temporaries(folder, f"{CHUNK}.grid"), signal_name="SIGKILL to snakemake")
    interruption.left = left_in(folder, CHUNK)
    recover(interruption, [GRID[1]])
    return interruption


def test_killed_snakemake_job_runs_to_end(killed_snakemake):
    assert killed_snakemake.left == [f"{CHUNK}{suffix}" for suffix in (".grid", ".index.parquet", ".meta.json")]


def test_killed_snakemake_needs_unlock_and_rerun_incomplete(killed_snakemake):
    assert sorted(killed_snakemake.advice) == ["--rerun-incomplete", "--unlock"]


def test_killed_snakemake_reports_incomplete_shard(killed_snakemake):
    incomplete_report = next(output for output in killed_snakemake.reruns if "IncompleteFilesException" in output)
    assert all(path in incomplete_report for path in GRID)


def test_rerun_incomplete_runs_grid(killed_snakemake):
    assert killed_snakemake.rerun_jobs == Counter(grid=1)


@pytest.mark.parametrize("path", GRID)
def test_rerun_incomplete_equals_uninterrupted(killed_snakemake, tiny_run, path):
    assert same_bytes(killed_snakemake.workdir, tiny_run, path)


# ---- scenario: SIGKILL to the whole process group during training (a lost node) -----------------


@pytest.fixture(scope="module")
def lost_node(tiny_run, tmp_path_factory) -> Interruption:
    workdir = start_training_again(tiny_run, tmp_path_factory, "lost_node")
    interruption = interrupt(workdir, [SUMMARY], script="train", midway=training_midway(workdir), signal_name="SIGKILL to process group")
    interruption.checkpoint_epoch = checkpoint_epoch(workdir)
    recover(interruption, [SUMMARY])
    return interruption


def test_lost_node_needs_unlock_and_rerun_incomplete(lost_node):
    assert sorted(lost_node.advice) == ["--rerun-incomplete", "--unlock"]


def test_lost_node_reports_incomplete_training_log(lost_node):
    # The training log is a declared output that training rewrites after every epoch.
    incomplete_report = next(output for output in lost_node.reruns if "IncompleteFilesException" in output)
    assert TRAINING_LOG in incomplete_report


def test_lost_node_rerun_runs_only_training(lost_node):
    assert lost_node.rerun_jobs == Counter(train=1)


def test_lost_node_training_skips_finished_epochs(lost_node):
    job_log = (lost_node.workdir / TRAIN_JOB_LOG).read_text()
    assert trained_epochs(job_log) == list(range(lost_node.checkpoint_epoch + 1, max_epochs() + 1))


def test_lost_node_model_equals_uninterrupted(lost_node, tiny_run):
    resumed = torch.load(lost_node.workdir / MODEL_DIR / "model.pt", map_location="cpu", weights_only=True)
    straight = torch.load(tiny_run / MODEL_DIR / "model.pt", map_location="cpu", weights_only=True)
    for name, value in straight["state_dict"].items():
        torch.testing.assert_close(resumed["state_dict"][name], value, rtol=1e-5, atol=1e-6, msg=name)
