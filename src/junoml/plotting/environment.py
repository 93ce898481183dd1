"""A record of the software versions and the config of a run, as an HTML page for the Snakemake report."""

import html
import importlib.metadata
import logging
import os
import platform
import sys
from collections.abc import Mapping, Sequence

import yaml

from junoml.io.atomic import atomic_output

logger = logging.getLogger(__name__)

# Distributions whose versions can change a result: the workflow engine and every numerical library used.
REPORTED_PACKAGES = (
    "junoml",
    "snakemake",
    "torch",
    "numpy",
    "scipy",
    "pandas",
    "pyarrow",
    "uproot",
    "awkward",
    "numba",
    "scikit-learn",
    "iminuit",
    "zstandard",
    "matplotlib",
    "seaborn",
    "pyyaml",
)


def package_versions(packages: Sequence[str] = REPORTED_PACKAGES) -> dict[str, str]:
    """Return the installed version of each distribution, or "not installed"."""
    versions = {"python": platform.python_version()}
    for name in packages:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def torch_build() -> str:
    """Return torch's CUDA build and the visible GPU, or why there is none; torch is imported only here."""
    try:
        import torch
    except ImportError:
        return "torch not installed"
    if not torch.cuda.is_available():
        return f"CPU only (CUDA build {torch.version.cuda or 'none'})"
    return f"CUDA {torch.version.cuda}, {torch.cuda.get_device_name(0)}"


def write_environment_report(out_path: str | os.PathLike, *, config: Mapping | None = None) -> dict[str, str]:
    """Write an HTML page with the Python, package and platform versions and the config; return the versions.

    Args:
        out_path: the HTML file (e.g. results/report/environment.html), written atomically.
        config: the workflow config used for the run; printed as YAML below the versions.
    """
    versions = package_versions()
    platform_rows = {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python executable": sys.executable,
        "torch build": torch_build(),
    }
    rows = "\n".join(
        f"<tr><td>{html.escape(name)}</td><td>{html.escape(value)}</td></tr>"
        for name, value in {**versions, **platform_rows}.items()
    )
    config_text = yaml.safe_dump(dict(config), sort_keys=False) if config is not None else "(no config given)"
    page = (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>Software environment</title>"
        "<style>table{border-collapse:collapse;font-family:sans-serif}"
        "td{border:1px solid #ccc;padding:2px 8px}pre{background:#f6f6f6;padding:8px}</style></head><body>\n"
        "<h1>Software environment</h1>\n"
        f"<table><tbody>\n{rows}\n</tbody></table>\n"
        "<h2>Config</h2>\n"
        f"<pre>{html.escape(config_text)}</pre>\n</body></html>\n"
    )
    with atomic_output(out_path) as tmp:
        tmp.write_text(page)
    logger.info("environment record written to %s", out_path)
    return versions
