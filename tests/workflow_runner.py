"""Run the Snakemake workflow of this repository from tests, in a working directory of the test's own."""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
SNAKEFILE = REPO / "Snakefile"
SNAKEMAKE = Path(sys.executable).with_name("snakemake")


def snakemake(workdir: Path, *args: str, configfiles=(), timeout: float = 1800, check: bool = True) -> subprocess.CompletedProcess:
    """Run snakemake on the repository's Snakefile in workdir and return the finished process."""
    command = [str(SNAKEMAKE), "--snakefile", str(SNAKEFILE), "--directory", str(workdir)]
    if configfiles:
        command += ["--configfile", *map(str, configfiles)]
    command += list(args)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
    if check and result.returncode != 0:
        raise AssertionError(
            f"snakemake {' '.join(args)} failed with exit code {result.returncode}\n"
            f"--- stdout ---\n{result.stdout[-8000:]}\n--- stderr ---\n{result.stderr[-8000:]}"
        )
    return result


def write_config(path: Path, overrides: dict) -> Path:
    path.write_text(yaml.safe_dump(overrides, sort_keys=False))
    return path


def planned_jobs(workdir: Path, configfiles) -> Counter:
    """Return how many jobs of each rule a dry run would execute."""
    result = snakemake(workdir, "--dry-run", "--quiet", "rules", configfiles=configfiles)
    return parse_job_stats(result.stdout + result.stderr)


def parse_job_stats(text: str) -> Counter:
    """Parse the 'job count' table that snakemake prints before running or after a dry run."""
    counts: Counter = Counter()
    in_table = False
    for line in text.splitlines():
        if re.match(r"^\s*job\s+count\s*$", line):
            in_table = True
            continue
        if not in_table:
            continue
        match = re.match(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s+(\d+)\s*$", line)
        if match and match.group(1) != "total":
            counts[match.group(1)] += int(match.group(2))
        elif match and match.group(1) == "total":
            break
    return counts


def merged_config(*configfiles: Path) -> dict:
    """Return config/config.yaml updated by the given files, as Snakemake merges --configfile."""
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    for path in configfiles:
        _update(config, yaml.safe_load(Path(path).read_text()))
    return config


def _update(base: dict, update: dict) -> None:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _update(base[key], value)
        else:
            base[key] = value


# ---- background runs and copies of a finished run, for the interruption tests ----------------


def copy_workdir(source: Path, dest: Path) -> Path:
    """Copy a finished workflow directory (results/, logs/ and Snakemake's .snakemake/) to dest and return dest.

    The simulation and hit files, most of the bytes, are hard links to those of source. Jobs
    replace their outputs by renaming a new file onto the path, and Snakemake deletes outputs
    before it reruns a job, so neither changes the files of source. A test that damages such a
    file must also replace it (unlink, then write), never write into it.
    """
    linked = {source / "results" / "sim", source / "results" / "hits"}

    def skip_linked(folder, names):
        return [name for name in names if Path(folder, name) in linked]

    shutil.copytree(source, dest, symlinks=True, ignore=skip_linked)
    for folder in sorted(linked):
        if folder.exists():
            shutil.copytree(folder, dest / folder.relative_to(source), copy_function=_link_or_copy)
    return dest


def _link_or_copy(source: str, dest: str) -> None:
    try:
        os.link(source, dest)
    except OSError:
        shutil.copy2(source, dest)


def start_snakemake(workdir: Path, *args: str, configfiles=(), console: Path) -> subprocess.Popen:
    """Start snakemake in the background, in a session and process group of its own; its stdout and stderr go to console."""
    command = [str(SNAKEMAKE), "--snakefile", str(SNAKEFILE), "--directory", str(workdir)]
    if configfiles:
        command += ["--configfile", *map(str, configfiles)]
    command += list(args)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with open(console, "w") as handle:
        return subprocess.Popen(
            command, stdout=handle, stderr=subprocess.STDOUT, env=env, start_new_session=True, preexec_fn=_default_sigint
        )


def _default_sigint() -> None:
    # A shell without job control starts background commands with SIGINT ignored, and children
    # inherit that. Snakemake and its jobs get the default action back, as in a terminal.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def descendant_processes(pid: int) -> list[int]:
    """Return the ids of all running processes below pid in the process tree (read from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the command name, which is in parentheses and may contain spaces: state, ppid, ...
        state, parent = stat.rsplit(")", 1)[1].split()[:2]
        if state != "Z":
            children.setdefault(int(parent), []).append(int(entry.name))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def job_processes(snakemake_pid: int, script: str) -> list[int]:
    """Return the processes below snakemake_pid that run the job script workflow/scripts/{script}.py.

    Snakemake runs a copy of the script, .snakemake/scripts/tmpXXXXXXXX.{script}.py, in a child
    process. A shell between the two, where the shell does not exec the interpreter, is left out.
    """
    jobs = []
    for pid in descendant_processes(snakemake_pid):
        words = process_command(pid).split()
        if words and Path(words[0]).name.startswith("python") and any(word.endswith(f".{script}.py") for word in words[1:]):
            jobs.append(pid)
    return jobs


def process_command(pid: int) -> str:
    """Return the command line of a process, or "" when it has exited."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def process_state(pid: int) -> str | None:
    """Return the state letter of a process (R, S, T for stopped, Z for exited but not reaped), or None when it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def process_exited(pid: int) -> bool:
    return process_state(pid) in (None, "Z")


def wait_until(condition, *, timeout: float, description: str, interval: float = 0.005):
    """Call condition() every interval seconds until it returns a true value, and return that value.

    Raises AssertionError with the description after timeout seconds, so a hang fails the test instead of blocking it.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {description}")
        time.sleep(interval)
