"""Shared fixtures: one run of the whole workflow on the tiny test config, reused by every end-to-end test."""

import os
from pathlib import Path

import pytest

from workflow_runner import REPO, snakemake

TINY_CONFIG = REPO / "tests" / "config" / "tiny.yaml"


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> Path:
    """Run `snakemake --cores 2` on tests/config/tiny.yaml once per test session; return its working directory.

    Stage tests read the outputs under <workdir>/results and may run further Snakemake commands
    (dry runs with changed configs) in the same folder.
    """
    workdir = tmp_path_factory.mktemp("tiny_workflow")
    snakemake(workdir, "--cores", "2", configfiles=[TINY_CONFIG], timeout=900)
    return workdir


@pytest.fixture(scope="session")
def juno_positions() -> Path:
    """Path of the real JUNO 20-inch PMT positions; skip the test when JUNO_PMT_POSITIONS is unset."""
    path = os.environ.get("JUNO_PMT_POSITIONS")
    if not path:
        pytest.skip("JUNO_PMT_POSITIONS is not set; point it at PMTPos_CD_LPMT.csv to run this test")
    return Path(path)
