"""Shared fixtures: one run of the whole workflow on the tiny test config, reused by every end-to-end test."""

import os
from pathlib import Path

import pytest

from workflow_runner import REPO, snakemake

TINY_CONFIG = REPO / "tests" / "config" / "tiny.yaml"


def pytest_collection_modifyitems(config, items):
    """Run tests/test_slurm.py last, keeping the order of everything else.

    Its local reference run is then the tiny_run of the earlier end-to-end tests. It also stops
    the Slurm daemons at its end, and with the Slurm plugin installed every later Snakemake start
    would wait about 9 s for the stopped controller.
    """
    items.sort(key=lambda item: item.path.name == "test_slurm.py")


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
