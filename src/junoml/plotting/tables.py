"""Comparison tables of every metric per energy bin and pooled, for every model evaluated (CSV, Markdown, HTML)."""

import html
import logging
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from junoml.io.atomic import atomic_output
from junoml.plotting.inputs import check_task, read_metrics

logger = logging.getLogger(__name__)

# Columns that describe a row. Every other column is a metric, with its uncertainty under `_err`.
KEY_COLUMNS = ["model", "selection", "energy_bin", "energy_min_gev", "energy_max_gev", "n_events"]
# Entries that are not scalar metrics. The confusion matrix is shown in its own figure.
NON_METRIC_KEYS = {"energy_bin", "energy_min_gev", "energy_max_gev", "n_events", "confusion_matrix"}


def metric_rows(model: str, metrics: Mapping) -> list[dict]:
    """Flatten one metrics.json into table rows: per bin, pooled and flux-weighted, then per class."""
    edges = metrics.get("energy_bin_edges_gev") or [
        metrics["bins"][0]["energy_min_gev"],
        *[entry["energy_max_gev"] for entry in metrics["bins"]],
    ]
    bin_edges = {entry["energy_bin"]: (entry["energy_min_gev"], entry["energy_max_gev"]) for entry in metrics["bins"]}
    rows = []

    def add(selection: str, entries: list, pooled: Mapping | None, weighted: Mapping | None) -> None:
        for entry in sorted(entries, key=lambda entry: entry["energy_bin"]):
            low, high = bin_edges.get(entry["energy_bin"], (entry.get("energy_min_gev"), entry.get("energy_max_gev")))
            rows.append(row(model, selection, str(entry["energy_bin"]), low, high, entry))
        if pooled is not None:
            rows.append(row(model, selection, "pooled", edges[0], edges[-1], pooled))
        if weighted is not None:
            rows.append(row(model, selection, "pooled_weighted", edges[0], edges[-1], weighted))

    add("all", metrics["bins"], metrics["pooled"], metrics.get("pooled_weighted"))
    for class_name, class_metrics in metrics.get("per_class", {}).items():
        add(class_name, class_metrics.get("bins", []), class_metrics.get("pooled"), class_metrics.get("pooled_weighted"))
    return rows


def row(model: str, selection: str, energy_bin: str, low: float, high: float, entry: Mapping) -> dict:
    """Return one table row: the key columns and every scalar metric of a metrics entry."""
    values = {
        "model": model,
        "selection": selection,
        "energy_bin": energy_bin,
        "energy_min_gev": low,
        "energy_max_gev": high,
        "n_events": entry.get("n_events"),
    }
    for key, value in entry.items():
        # A metric that could not be computed is null in metrics.json, and it keeps its column.
        if key not in NON_METRIC_KEYS and (value is None or np.isscalar(value)):
            values[key] = value
    return values


def comparison_table(task: str, metrics_paths: Mapping[str, str | os.PathLike]) -> pd.DataFrame:
    """Return every metric of every model per energy bin, pooled and (atmospheric tasks) flux-weighted."""
    check_task(task)
    if not metrics_paths:
        raise ValueError(f"task {task!r}: no metrics files given; pass model -> results/eval/{task}/<model>/metrics.json")
    rows = []
    for model, path in metrics_paths.items():
        rows.extend(metric_rows(model, read_metrics(path, task=task)))
    table = pd.DataFrame(rows)

    # Metric columns in a stable order, each followed by its uncertainty.
    names = sorted({column for column in table.columns if column not in KEY_COLUMNS and not column.endswith("_err")})
    ordered = list(KEY_COLUMNS)
    for name in names:
        ordered.append(name)
        if f"{name}_err" in table.columns:
            ordered.append(f"{name}_err")
    return table[ordered]


def format_value(value: float, error: float | None) -> str:
    """Format a metric as 'value ± error' with four significant digits, or '' for a missing value."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (int, np.integer)):
        return str(value)
    text = f"{value:.4g}"
    if error is not None and not np.isnan(error):
        text += f" ± {error:.2g}"
    return text


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """Merge each metric with its uncertainty into one text column, for Markdown and HTML."""
    formatted = pd.DataFrame({column: table[column] for column in KEY_COLUMNS})
    formatted["energy_min_gev"] = table["energy_min_gev"].map(lambda value: f"{value:.4g}")
    formatted["energy_max_gev"] = table["energy_max_gev"].map(lambda value: f"{value:.4g}")
    formatted["n_events"] = table["n_events"].map(lambda value: "" if pd.isna(value) else str(int(value)))
    for column in table.columns:
        if column in KEY_COLUMNS or column.endswith("_err"):
            continue
        errors = table[f"{column}_err"] if f"{column}_err" in table.columns else [None] * len(table)
        formatted[column] = [format_value(value, error) for value, error in zip(table[column], errors)]
    return formatted


def to_markdown(formatted: pd.DataFrame, title: str) -> str:
    """Render a table of strings as a GitHub-flavoured Markdown table under a heading."""
    lines = [f"# {title}", "", "| " + " | ".join(formatted.columns) + " |", "|" + "---|" * len(formatted.columns)]
    for values in formatted.itertuples(index=False):
        lines.append("| " + " | ".join(str(value) for value in values) + " |")
    return "\n".join(lines) + "\n"


def to_html(formatted: pd.DataFrame, title: str) -> str:
    """Render a table of strings as a standalone HTML page (the Snakemake report shows HTML inline)."""
    header = "".join(f"<th>{html.escape(str(column))}</th>" for column in formatted.columns)
    body = "\n".join(
        "<tr>" + "".join(f"<td>{html.escape(str(value))}</td>" for value in values) + "</tr>"
        for values in formatted.itertuples(index=False)
    )
    style = (
        "table{border-collapse:collapse;font-family:sans-serif;font-size:12px}"
        "th,td{border:1px solid #ccc;padding:2px 6px;text-align:right}th{background:#eee}"
    )
    return (
        f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{style}</style></head><body><h1>{html.escape(title)}</h1>\n"
        f"<table><thead><tr>{header}</tr></thead><tbody>\n{body}\n</tbody></table></body></html>\n"
    )


def make_comparison_table(
    task: str,
    *,
    metrics_paths: Mapping[str, str | os.PathLike],
    out_csv: str | os.PathLike,
    out_md: str | os.PathLike,
    out_html: str | os.PathLike | None = None,
) -> pd.DataFrame:
    """Write the comparison table of a task as CSV (numbers), Markdown and optionally HTML (value ± error).

    Args:
        task: muon_direction, nu_direction or flavour.
        metrics_paths: model -> results/eval/{task}/{model}/metrics.json.
        out_csv, out_md, out_html: output paths, written atomically.

    Rows are per model and selection ("all", or a class for nu_direction): one per energy bin, "pooled" and,
    for atmospheric tasks, "pooled_weighted". Energies are in GeV and angles in degrees, as in metrics.json.
    """
    table = comparison_table(task, metrics_paths)
    with atomic_output(out_csv) as tmp:
        table.to_csv(tmp, index=False)

    formatted = display_table(table)
    title = f"{task}: metrics per energy bin and pooled"
    with atomic_output(out_md) as tmp:
        Path(tmp).write_text(to_markdown(formatted, title))
    if out_html is not None:
        with atomic_output(out_html) as tmp:
            Path(tmp).write_text(to_html(formatted, title))
    logger.info("task %s: comparison table of %d rows for models %s written to %s", task, len(table),
                list(metrics_paths), out_csv)
    return table
