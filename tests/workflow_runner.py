"""Run the Snakemake workflow of this repository from tests, in a working directory of the test's own."""

import os
import re
import subprocess
import sys
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
