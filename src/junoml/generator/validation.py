"""Validation plots and numbers of the atmospheric generator, written as PNG files and figures.json.

The checks compare with published numbers: the flavour ratio of the Honda flux, the CC slopes
sigma/E per nucleon (PDG; Formaggio and Zeller, Rev. Mod. Phys. 84 (2012) 1307), the energy
regions where QE, RES and DIS dominate (same review) and the NC/CC ratios (PDG).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from junoml.baselines.hits import read_hit_table  # noqa: E402
from junoml.generator.flux import NU_E, NU_E_BAR, NU_MU, NU_MU_BAR  # noqa: E402
from junoml.generator.source import LABEL_NC, LABEL_NUE_CC, LABEL_NUMU_CC, AtmosphericSource  # noqa: E402
from junoml.generator.xsec import MODE_DIS, MODE_QE, MODE_RES, MODES  # noqa: E402
from junoml.io.atomic import atomic_output  # noqa: E402
from junoml.rng import event_rng  # noqa: E402

log = logging.getLogger(__name__)

FLAVOUR_NAMES = {NU_MU: r"$\nu_\mu$", NU_MU_BAR: r"$\bar\nu_\mu$", NU_E: r"$\nu_e$", NU_E_BAR: r"$\bar\nu_e$"}
MODE_NAMES = {MODE_QE: "QE", MODE_RES: "RES", MODE_DIS: "DIS"}
CLASS_NAMES = {LABEL_NUMU_CC: r"$\nu_\mu$ CC", LABEL_NUE_CC: r"$\nu_e$ CC", LABEL_NC: "NC"}
# CC slopes sigma/E per isoscalar nucleon in 1e-38 cm^2/GeV (PDG; Formaggio and Zeller 2012).
PUBLISHED_CC_SLOPE = {"nu": 0.677, "nubar": 0.334}
# NC/CC per isoscalar nucleon (PDG; to verify).
PUBLISHED_NC_TO_CC = {"nu": 0.30, "nubar": 0.37}
# Regions where each mode dominates nu_mu CC, as stated by Formaggio and Zeller (2012): QE below
# about 1 GeV, RES from 1 to 3 GeV, DIS above about 5 GeV (a statement, not digitised curves).
PUBLISHED_DOMINANT_REGIONS_GEV = {"QE": (0.1, 1.0), "RES": (1.0, 3.0), "DIS": (5.0, 10.0)}
# Honda flavour ratio (nu_mu + anti-nu_mu) / (nu_e + anti-nu_e) near 2 below 1 GeV (Kajita,
# hep-ex/9810001); the band checked between 0.3 and 1 GeV.
FLAVOUR_RATIO_BAND = (1.9, 2.3)


def validate_generator(
    params: dict,
    flux_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    events_paths: list[str | os.PathLike] | None = None,
    hits_paths: list[str | os.PathLike] | None = None,
    pmts: pd.DataFrame | str | os.PathLike | None = None,
    validation: dict | None = None,
    seed: int = 0,
) -> dict:
    """Write the generator's validation plots and figures.json into out_dir; return the figures.json content.

    params: the `samples.atmospheric` config section; validation: `validation.generator`
    (n_events, display_visible_energy_mev). events_paths and hits_paths: simulated atmospheric
    events and hit tables, for the visible-energy spectra and the event displays. pmts: the
    geometry table (or its path) for the displays.
    """
    validation = dict(validation or {})
    n_events = int(validation.get("n_events", 20000))
    if n_events < 10:
        raise ValueError(f"validation.generator.n_events must be at least 10, got {n_events}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    source = AtmosphericSource(params, flux_dir)
    figures: dict[str, str] = {}
    checks: dict[str, object] = {}

    checks.update(_plot_flux(source, out_dir, figures))
    checks.update(_plot_cross_sections(source, out_dir, figures))
    table = _generate_table(source, n_events, seed)
    checks.update(_plot_interacting_spectra(source, table, out_dir, figures))
    checks.update(_plot_balance(table, out_dir, figures))
    _plot_lepton_kinematics(table, out_dir, figures)

    if events_paths:
        events = pd.concat([pd.read_parquet(path) for path in events_paths], ignore_index=True)
        _plot_visible_energy(events, out_dir, figures)
        if hits_paths and pmts is not None:
            target = float(validation.get("display_visible_energy_mev", 1000.0))
            checks["event_displays"] = _event_displays(events, events_paths, hits_paths, pmts, target, out_dir, figures)

    summary = {"n_generated_events": n_events, "seed": int(seed), "figures": figures, "checks": checks}
    with atomic_output(out_dir / "figures.json") as tmp:
        Path(tmp).write_text(json.dumps(summary, indent=2, default=float))
    log.info("generator validation: %d figures in %s", len(figures), out_dir)
    return summary


def _save(fig, out_dir: Path, name: str, figures: dict, caption: str) -> None:
    path = out_dir / f"{name}.png"
    with atomic_output(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    figures[name] = caption


def _plot_flux(source: AtmosphericSource, out_dir: Path, figures: dict) -> dict:
    energies = np.geomspace(source.params.energy_min_gev, source.params.energy_max_gev, 120)
    flux = {pdg: source.flux.all_sky_flux(pdg, energies) for pdg in FLAVOUR_NAMES}
    ratio = (flux[NU_MU] + flux[NU_MU_BAR]) / (flux[NU_E] + flux[NU_E_BAR])

    fig, (ax_flux, ax_ratio) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    for pdg, values in flux.items():
        ax_flux.loglog(energies, values * energies**2, label=FLAVOUR_NAMES[pdg])
    ax_flux.set(xlabel="neutrino energy (GeV)", ylabel=r"$E^2\,\Phi$ (GeV m$^{-2}$ s$^{-1}$)",
                title="Honda 2014 Kamioka, all directions")
    ax_flux.legend()
    ax_ratio.semilogx(energies, ratio, color="k")
    ax_ratio.axhspan(*FLAVOUR_RATIO_BAND, xmin=0, xmax=1, color="0.85", label="1.9 to 2.3")
    ax_ratio.axvspan(0.3, 1.0, color="tab:blue", alpha=0.1, label="0.3 to 1 GeV")
    ax_ratio.set(xlabel="neutrino energy (GeV)", ylabel=r"$(\nu_\mu+\bar\nu_\mu)/(\nu_e+\bar\nu_e)$")
    ax_ratio.legend()
    _save(fig, out_dir, "flux", figures, "All-direction flux per flavour and the mu/e flavour ratio")

    in_band = (energies >= 0.3) & (energies <= 1.0)
    above = energies >= 3.0
    return {
        "flux_ratio_0p3_to_1gev_min": float(ratio[in_band].min()),
        "flux_ratio_0p3_to_1gev_max": float(ratio[in_band].max()),
        "flux_ratio_above_3gev_min": float(ratio[above].min()) if above.any() else None,
        "flux_ratio_in_band": bool(FLAVOUR_RATIO_BAND[0] <= ratio[in_band].min() and ratio[in_band].max() <= FLAVOUR_RATIO_BAND[1]),
    }


def _plot_cross_sections(source: AtmosphericSource, out_dir: Path, figures: dict) -> dict:
    xsec = source.xsec
    energies = np.geomspace(source.params.energy_min_gev, source.params.energy_max_gev, 80)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4), constrained_layout=True)

    for pdg, style in ((NU_MU, "-"), (NU_MU_BAR, "--")):
        axes[0].semilogx(energies, xsec.isoscalar_cc_per_nucleon(pdg, energies) / energies / 1e-38, style,
                         color="k", label=f"{FLAVOUR_NAMES[pdg]} CC, this model")
    for key, value in PUBLISHED_CC_SLOPE.items():
        axes[0].axhline(value, color="tab:red", ls=":" if key == "nubar" else "-.",
                        label=f"PDG high-energy slope {'anti-nu' if key == 'nubar' else 'nu'}: {value}")
    axes[0].set(xlabel="neutrino energy (GeV)", ylabel=r"$\sigma_{CC}/E$ per nucleon ($10^{-38}$ cm$^2$/GeV)",
                title="CC cross section on carbon (isoscalar)")
    axes[0].legend(fontsize=7)

    total = xsec.isoscalar_cc_per_nucleon(NU_MU, energies)
    for mode in MODES:
        with np.errstate(divide="ignore", invalid="ignore"):
            share = xsec.isoscalar_cc_per_nucleon(NU_MU, energies, mode=mode) / total
        axes[1].semilogx(energies, share, label=MODE_NAMES[mode])
    for colour, (name, (low, high)) in zip(("tab:blue", "tab:orange", "tab:green"), PUBLISHED_DOMINANT_REGIONS_GEV.items()):
        axes[1].axvspan(low, high, ymin=0.95, ymax=1.0, color=colour, alpha=0.5)
    axes[1].set(xlabel="neutrino energy (GeV)", ylabel=r"fraction of $\nu_\mu$ CC", ylim=(0, 1.05),
                title="Bars: regions where Formaggio & Zeller (2012) state each mode dominates")
    axes[1].title.set_fontsize(8)
    axes[1].legend()

    for pdg, key in ((NU_MU, "nu"), (NU_MU_BAR, "nubar")):
        nc = xsec.total_cross_section(pdg, energies, is_cc=False)
        cc = xsec.total_cross_section(pdg, energies, is_cc=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            axes[2].semilogx(energies, nc / cc, label=f"{FLAVOUR_NAMES[pdg]}, LAB (CH1.7)")
        axes[2].axhline(PUBLISHED_NC_TO_CC[key], color="tab:red", ls=":" if key == "nubar" else "-.",
                        label=f"PDG isoscalar {PUBLISHED_NC_TO_CC[key]} (to verify)")
    axes[2].set(xlabel="neutrino energy (GeV)", ylabel="NC / CC", ylim=(0, 1.5))
    axes[2].legend(fontsize=7)
    _save(fig, out_dir, "cross_sections", figures, "sigma_CC/E, nu_mu CC mode fractions and NC/CC versus energy")

    def fraction(mode, energy):
        return float(xsec.isoscalar_cc_per_nucleon(NU_MU, energy, mode=mode) / xsec.isoscalar_cc_per_nucleon(NU_MU, energy))

    top = min(10.0, source.params.energy_max_gev)
    return {
        "sigma_cc_over_e_nu_10gev_1e38": float(xsec.isoscalar_cc_per_nucleon(NU_MU, top) / top / 1e-38),
        "sigma_cc_over_e_nubar_10gev_1e38": float(xsec.isoscalar_cc_per_nucleon(NU_MU_BAR, top) / top / 1e-38),
        "numu_cc_qe_fraction_0p5gev": fraction(MODE_QE, 0.5),
        "numu_cc_dis_fraction_10gev": fraction(MODE_DIS, top),
    }


def _generate_table(source: AtmosphericSource, n_events: int, seed: int) -> pd.DataFrame:
    """Generate interactions (no detector) and return their truth with the four-momentum imbalance."""
    rows = []
    for event_id in range(n_events):
        truth, _, state = source.generate_with_final_state(event_id, event_rng(seed, "generator_validation", event_id))
        imbalance = state.momentum_imbalance()
        lepton = state.lepton
        cos_angle = lepton[3] / max(np.linalg.norm(lepton[1:]), 1e-300)
        rows.append({**truth, "energy_imbalance_gev": float(imbalance[0]),
                     "momentum_imbalance_gev": float(np.linalg.norm(imbalance[1:])),
                     "lepton_angle_deg": float(np.degrees(np.arccos(np.clip(cos_angle, -1.0, 1.0))))})
        if (event_id + 1) % 5000 == 0:
            log.info("generator validation: %d of %d interactions", event_id + 1, n_events)
    return pd.DataFrame(rows)


def _plot_interacting_spectra(source: AtmosphericSource, table: pd.DataFrame, out_dir: Path, figures: dict) -> dict:
    edges = np.geomspace(source.params.energy_min_gev, source.params.energy_max_gev, 21)
    centres = np.sqrt(edges[1:] * edges[:-1])
    widths = np.diff(edges)
    n = len(table)
    rates = source.channel_rate_density(centres).sum(axis=1)
    fig, ax = plt.subplots(figsize=(6, 4.5), constrained_layout=True)
    pulls = []
    for row, pdg in enumerate(source.params.flavours):
        chosen = table[table["pdg"] == pdg]
        weighted = np.histogram(chosen["energy_gev"], bins=edges, weights=chosen["weight"])[0] / n / widths
        error = np.sqrt(np.histogram(chosen["energy_gev"], bins=edges, weights=chosen["weight"] ** 2)[0]) / n / widths
        line = ax.loglog(centres, rates[row] * 3.156e7, label=f"{FLAVOUR_NAMES[pdg]} flux x cross section")[0]
        ax.errorbar(centres, weighted * 3.156e7, yerr=error * 3.156e7, fmt="o", ms=3, color=line.get_color())
        good = error > 0
        pulls.extend(((weighted[good] - rates[row][good]) / error[good]).tolist())
    ax.set(xlabel="neutrino energy (GeV)", ylabel="interactions per kton-year per GeV",
           title="Interacting spectra (lines) and reweighted events (points)")
    ax.legend(fontsize=7)
    _save(fig, out_dir, "interacting_spectra", figures, "Interacting spectrum per flavour and the reweighted sample")
    total_rate = float(np.mean(table["weight"]))
    return {"rate_per_kton_year": total_rate * 3.156e7,
            "reweighting_mean_squared_pull": float(np.mean(np.square(pulls))) if pulls else None}


def _plot_balance(table: pd.DataFrame, out_dir: Path, figures: dict) -> dict:
    fig, ax = plt.subplots(figsize=(6, 4), constrained_layout=True)
    for column, label in (("energy_imbalance_gev", "|energy| imbalance"), ("momentum_imbalance_gev", "|momentum| imbalance")):
        values = np.maximum(np.abs(table[column].to_numpy()), 1e-18)
        ax.hist(np.log10(values), bins=60, histtype="step", label=label)
    ax.set(xlabel="log10(imbalance / GeV), final state minus neutrino plus struck nucleon", ylabel="events")
    ax.legend()
    _save(fig, out_dir, "momentum_balance", figures, "Four-momentum balance at the vertex")
    return {"max_energy_imbalance_gev": float(np.abs(table["energy_imbalance_gev"]).max()),
            "max_momentum_imbalance_gev": float(table["momentum_imbalance_gev"].max())}


def _plot_lepton_kinematics(table: pd.DataFrame, out_dir: Path, figures: dict) -> None:
    edges = np.geomspace(table["energy_gev"].min(), table["energy_gev"].max() * 1.0001, 13)
    centres = np.sqrt(edges[1:] * edges[:-1])
    fig, (ax_fraction, ax_angle) = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
    for label, name in CLASS_NAMES.items():
        chosen = table[table["label"] == label]
        bins = np.digitize(chosen["energy_gev"], edges) - 1
        fraction = chosen["lepton_energy_gev"] / chosen["energy_gev"]
        mean_fraction = [fraction[bins == k].mean() if np.any(bins == k) else np.nan for k in range(len(centres))]
        median_angle = [chosen["lepton_angle_deg"][bins == k].median() if np.any(bins == k) else np.nan for k in range(len(centres))]
        ax_fraction.semilogx(centres, mean_fraction, "o-", label=name)
        ax_angle.semilogx(centres, median_angle, "o-", label=name)
    ax_fraction.set(xlabel="neutrino energy (GeV)", ylabel="mean outgoing lepton energy / neutrino energy", ylim=(0, 1))
    ax_angle.set(xlabel="neutrino energy (GeV)", ylabel="median lepton-neutrino angle (deg)")
    ax_fraction.legend()
    ax_angle.legend()
    _save(fig, out_dir, "lepton_kinematics", figures,
          "Lepton energy fraction and lepton-neutrino angle versus energy (NC: the outgoing neutrino)")


def _plot_visible_energy(events: pd.DataFrame, out_dir: Path, figures: dict) -> None:
    fig, ax = plt.subplots(figsize=(6, 4.5), constrained_layout=True)
    visible = events["visible_energy_mev"].to_numpy()
    edges = np.geomspace(max(np.percentile(visible[visible > 0], 1), 1.0), max(visible.max(), 10.0), 40) if np.any(visible > 0) else np.geomspace(1, 1e4, 40)
    for label, name in CLASS_NAMES.items():
        chosen = events[events["label"] == label]
        ax.hist(chosen["visible_energy_mev"], bins=edges, weights=chosen["weight"] * 3.156e7 / max(len(events), 1),
                histtype="step", label=name)
    ax.set(xscale="log", yscale="log", xlabel="visible energy (MeV)", ylabel="events per kton-year per bin")
    ax.legend()
    _save(fig, out_dir, "visible_energy", figures, "Visible energy per class, weighted to the physical rate")


def _event_displays(events, events_paths, hits_paths, pmts, target_mev, out_dir: Path, figures: dict) -> dict:
    """Draw one nu_mu CC, one nu_e CC and one NC event with visible energy closest to target_mev."""
    try:
        from junoml.plotting.event_display import plot_event_display
    except ImportError as error:
        log.warning("event displays skipped: %s", error)
        return {"skipped": str(error)}
    if not isinstance(pmts, pd.DataFrame):
        pmts = pd.read_parquet(pmts)
    triggered = events[events["triggered"]] if "triggered" in events else events
    chosen = {}
    for label, name in CLASS_NAMES.items():
        candidates = triggered[triggered["label"] == label]
        if len(candidates):
            row = candidates.iloc[int(np.argmin(np.abs(candidates["visible_energy_mev"] - target_mev)))]
            chosen[label] = row
    hits = pd.DataFrame()
    if chosen:
        chosen_ids = [int(row["event_id"]) for row in chosen.values()]
        hits = pd.concat([read_hit_table(str(path), event_ids=chosen_ids) for path in hits_paths], ignore_index=True)
    displayed = {}
    for label, row in chosen.items():
        event_hits = hits[hits["event_id"] == row["event_id"]]
        name = f"event_display_{['numu_cc', 'nue_cc', 'nc'][label]}"
        title = (f"{CLASS_NAMES[label]} event {int(row['event_id'])}, E_nu {row['energy_gev']:.2f} GeV, "
                 f"visible {row['visible_energy_mev']:.0f} MeV")
        plot_event_display(pmts, event_hits["pmt_id"].to_numpy(), event_hits["hit_time_ns"].to_numpy(),
                           event_hits["charge_pe"].to_numpy(), title=title, out_path=out_dir / f"{name}.png")
        figures[name] = title
        displayed[name] = {"event_id": int(row["event_id"]), "visible_energy_mev": float(row["visible_energy_mev"])}
    return displayed
