"""SAE recovery studies: named presets, their sweeps, tables and plots (sae_recovery.md §5.4).

A study is one or more SAE sweeps (``arms``: an SAE variant and its coefficient grid, applied to
one base :class:`SAESweepConfig` that the CLI's flags override) plus a report. The toy-model
studies first train the toy model of superposition through :func:`toymodels.sweep.run_sweep`
(reusing a finished run), pick the lowest-loss seed, and give the SAEs its hidden activations
h = W x. Every sweep has its own run directory (config hash); the study writes its table
(``table.csv``, also printed), ``summary.txt`` and plots into ``<results_dir>/<name>-<hash>/``.

Presets (``toymodels sae --list``):
  sharkey, sharkey-core, sharkey-small, sharkey-tiny   Sharkey et al. 2022 (L1 × dictionary ratio)
  tms-5-2, tms-20-5, tms-tiny                          toy model → SAE, every variant
  wrongL0, wrongL0-tiny                                BatchTopK with k below/at/above the true L0
  absorb, absorb-tiny                                  absorption toy, untied vs tied
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Callable

import numpy as np

from toymodels import store
from toymodels.sae.config import (SAEConfig, SAEGridConfig, SAESweepConfig, SAETrainConfig, validate)
from toymodels.sae.sources import ABSORB, SHARKEY22, SHARKEY22_SMALL, SourceConfig

ALPHAS_SHARKEY = tuple(float(f"{10 ** (k / 4):.4g}") for k in range(-8, 9))  # 0.01 … 100


@dataclasses.dataclass(frozen=True)
class Arm:
    """One SAE sweep of a study: a label, the SAE's variant (and field overrides), its coefs."""

    label: str
    variant: str
    coef: tuple[float, ...] = ()
    """Empty: the base config's grid.coef."""
    sae: tuple[tuple[str, object], ...] = ()
    """(field, value) overrides of the base SAEConfig."""
    n_latents: tuple[int, ...] = ()
    """Empty: the base grid's sizes."""


@dataclasses.dataclass(frozen=True)
class ToyModelSpec:
    """The toy models of superposition a toy study trains first (one per density)."""

    n_features: int = 5
    n_hidden: int = 2
    densities: tuple[float, ...] = (0.05,)
    importance_decay: float = 0.9
    steps: int = 10_000
    n_seeds: int = 5


@dataclasses.dataclass(frozen=True)
class SAEStudy:
    """A named SAE study preset."""

    name: str
    description: str
    kind: str  # "sharkey" | "toy" | "wrongl0" | "absorb"
    base: SAESweepConfig
    expected_runtime: str
    expected_outcome: str
    arms: tuple[Arm, ...] = ()
    toy: ToyModelSpec | None = None

    @property
    def command(self) -> str:
        return f"toymodels sae {self.name}"


# ----------------------------------------------------------------------------- expanding a study


def arm_configs(study: SAEStudy, base: SAESweepConfig, source: SourceConfig | None = None) -> list[tuple[Arm, SAESweepConfig]]:
    """The SAESweepConfig of every arm (the base itself when the study has no arms)."""
    arms = study.arms or (Arm(base.sae.variant, base.sae.variant),)
    out = []
    for arm in arms:
        sae = dataclasses.replace(base.sae, variant=arm.variant, **dict(arm.sae))
        grid = dataclasses.replace(base.grid, coef=arm.coef or base.grid.coef,
                                   n_latents=arm.n_latents or base.grid.n_latents)
        cfg = dataclasses.replace(base, name=f"{study.name}-{arm.label}", sae=sae, grid=grid,
                                  source=source or base.source)
        validate(cfg)
        out.append((arm, cfg))
    return out


def toy_sweep_config(study: SAEStudy, base: SAESweepConfig):
    """The toymodels SweepConfig that trains the study's toy models (n, m, densities, seeds)."""
    from toymodels.config import DataConfig, GridConfig, ModelConfig, SweepConfig, TrainConfig
    t = study.toy
    return SweepConfig(
        name=f"{study.name}-toymodel",
        model=ModelConfig(kind="relu", n_features=t.n_features, n_hidden=t.n_hidden),
        data=DataConfig(importance="decay", importance_decay=t.importance_decay),
        train=TrainConfig(steps=t.steps, batch_size=1024, n_snapshots=0),
        grid=GridConfig(density=t.densities, n_seeds=t.n_seeds),
        results_dir=base.results_dir, progress=base.progress)


def study_dir(study: SAEStudy, cfgs: list[SAESweepConfig], extra: str = "") -> Path:
    from toymodels.config import config_hash
    blob = json.dumps([config_hash(c) for c in cfgs] + [extra])
    return Path(cfgs[0].results_dir) / f"{study.name}-{hashlib.sha256(blob.encode()).hexdigest()[:8]}"


def run_study(study: SAEStudy, base: SAESweepConfig | None = None, echo: Callable[[str], None] = print) -> list[Path]:
    """Run every sweep of the study (resuming finished ones) and write its report; returns the
    paths written."""
    from toymodels.sae.train import run_sae_sweep
    base = base or study.base
    if study.kind == "toy":
        return _run_toy_study(study, base, echo)
    arms = arm_configs(study, base)
    runs = []
    for arm, cfg in arms:
        r = run_sae_sweep(cfg)
        echo(f"{r.run_dir}: " + ("already complete" if r.trained_models == 0 else
                                 f"trained {r.trained_models} SAEs in {r.wall_s:.1f} s"))
        runs.append((arm, r.run_dir))
    out = study_dir(study, [c for _, c in arms])
    out.mkdir(parents=True, exist_ok=True)
    report = {"sharkey": sharkey_report, "wrongl0": wrongl0_report, "absorb": absorb_report}[study.kind]
    return report(study, runs, out, echo)


# ----------------------------------------------------------------------------- reports: helpers


def _rows(run_dir: Path) -> list[dict]:
    rows = store.read_csv(Path(run_dir) / "metrics.csv")
    out = []
    for r in rows:
        d = {}
        for k, v in r.items():
            try:
                d[k] = float(v)
            except ValueError:
                d[k] = v
        out.append(d)
    return out


def _mean_over_seeds(rows: list[dict], keys: tuple[str, ...], metrics: list[str]) -> list[dict]:
    """One row per distinct ``keys`` tuple: the mean of each metric over seeds, and n_seeds."""
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault(tuple(r[k] for k in keys), []).append(r)
    out = []
    for key, rs in groups.items():
        row = dict(zip(keys, key))
        row["n_seeds"] = len(rs)
        for m in metrics:
            vals = [r[m] for r in rs if m in r and isinstance(r[m], float)]
            row[m] = float(np.mean(vals)) if vals else float("nan")
        out.append(row)
    return out


def _write_table(out: Path, name: str, rows: list[dict], cols: list[str], echo, title: str) -> Path:
    from toymodels.cli import format_table
    path = out / f"{name}.csv"
    store.write_csv(path, [{c: r.get(c) for c in cols} for r in rows])
    text = title + "\n" + format_table(cols, [[r.get(c, "") for c in cols] for r in rows])
    store.atomic_write(out / f"{name}.txt", lambda f: f.write((text + "\n").encode()))
    echo(text)
    return path


def _heatmap(ax, Z_RxA, rows_R, cols_A, *, title, xlabel, ylabel, vmin=0.0, vmax=1.0, fmt="{:.2f}"):
    im = ax.imshow(Z_RxA, origin="lower", aspect="auto", vmin=vmin, vmax=vmax, cmap="viridis")
    ax.set_xticks(range(len(cols_A)), [f"{c:g}" for c in cols_A], rotation=45)
    ax.set_yticks(range(len(rows_R)), [f"{r:g}" for r in rows_R])
    for i in range(Z_RxA.shape[0]):
        for j in range(Z_RxA.shape[1]):
            if np.isfinite(Z_RxA[i, j]):
                ax.text(j, i, fmt.format(Z_RxA[i, j]), ha="center", va="center", fontsize=7,
                        color="white" if Z_RxA[i, j] < (vmin + vmax) / 2 else "black")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return im


def _source_label(src: SourceConfig) -> str:
    if src.kind == "synthetic":
        return f"synthetic d={src.d}, {src.n_gt} GT features, E[L0]={src.mean_l0:g}, {src.correlation} correlation"
    if src.kind == "hierarchy":
        return f"hierarchy toy d={src.d} ({src.n_parents} parent × {src.n_children} child, {src.n_free} free)"
    return "toy-model activations"


def _train_label(cfg: SAESweepConfig) -> str:
    t = cfg.train
    return f"{t.steps} steps × batch {t.batch_size}, lr {t.lr:g}, {cfg.grid.n_seeds} seed(s)"


# ----------------------------------------------------------------------------- Sharkey


SHARKEY_COLS = ["dict_ratio", "n_latents", "coef", "n_seeds", "mmcs_recall", "rec@0.9", "rec@0.99",
                "mmcs_precision", "l0", "dead_latents", "dead_fraction", "fvu", "mmcs_larger_dict"]


def mmcs_with_larger_dict(params: dict[int, dict], grid: dict) -> dict[tuple[int, float, int], float]:
    """Sharkey's label-free diagnostic: for each dictionary, the MMCS of its atoms against the
    next-larger dictionary trained at the same coefficient and seed (mean_i max_j cos, i over the
    smaller dictionary's atoms). Keyed by (bucket, coef, seed)."""
    from toymodels.sae.metrics import cosine_matrix, mmcs
    buckets = sorted(grid["buckets"], key=lambda b: b["n_latents"])
    out = {}
    for small, large in zip(buckets[:-1], buckets[1:]):
        ds, dl = params[small["index"]]["decoder_LxD"], params[large["index"]]["decoder_LxD"]
        for a, coef in enumerate(small["axes"]["coef"]):
            for s, seed in enumerate(small["axes"]["seed"]):
                S = cosine_matrix(dl[a, s], ds[a, s])  # [L_large, L_small]: recall of the small atoms
                out[(small["index"], float(coef), int(seed))] = mmcs(S, "recall", True)
    return out


def sharkey_report(study, runs, out: Path, echo) -> list[Path]:
    from toymodels.plotting import make_figure, save_figure
    from toymodels.sae.train import load_sae_run
    (_, run_dir), = runs
    cfg, grid, _, params = load_sae_run(run_dir)
    rows = _rows(run_dir)
    larger = mmcs_with_larger_dict(params, grid)
    for r in rows:
        r["mmcs_larger_dict"] = larger.get((int(r["bucket"]), r["coef"], int(r["seed"])), float("nan"))
    table = _mean_over_seeds(rows, ("dict_ratio", "n_latents", "coef"), SHARKEY_COLS[4:])
    table.sort(key=lambda r: (r["dict_ratio"], r["coef"]))
    title = (f"{study.name}: ReLU-L1 SAE (unit-norm decoder, L1/n_dict) on {_source_label(cfg.source)}; "
             f"{_train_label(cfg)}")
    paths = [_write_table(out, "table", table, SHARKEY_COLS, echo, title)]
    ratios = sorted({r["dict_ratio"] for r in table})
    alphas = sorted({r["coef"] for r in table})
    grid_of = lambda m: np.array([[next((r[m] for r in table if r["dict_ratio"] == q and r["coef"] == a), np.nan)  # noqa: E731
                                   for a in alphas] for q in ratios])
    fig, axes = make_figure(1, 3, figsize=(15, 4.2))
    xl, yl = "L1 coefficient α", "dictionary size / #GT features"
    _heatmap(axes[0], grid_of("mmcs_recall"), ratios, alphas, title="MMCS (GT → dictionary)", xlabel=xl, ylabel=yl)
    _heatmap(axes[1], grid_of("dead_fraction"), ratios, alphas, title="dead-latent fraction", xlabel=xl, ylabel=yl)
    _heatmap(axes[2], grid_of("mmcs_larger_dict"), ratios, alphas, title="MMCS with the next-larger dictionary",
             xlabel=xl, ylabel=yl)
    fig.suptitle(title, fontsize=9)
    paths.append(Path(save_figure(fig, out / "sharkey_heatmaps.png", dpi=110)))
    fig, ax = make_figure(1, 2, figsize=(10, 3.8))
    for a in alphas:
        sel = [r for r in table if r["coef"] == a]
        ax[0].plot([r["dict_ratio"] for r in sel], [r["dead_fraction"] for r in sel], "o-", label=f"α={a:g}")
        ax[1].plot([r["dict_ratio"] for r in sel], [r["rec@0.9"] for r in sel], "o-", label=f"α={a:g}")
    for a_, t_ in zip(ax, ("dead-latent fraction vs dictionary size", "fraction of GT recovered at cos > 0.9")):
        a_.set_xscale("log", base=2)
        a_.axvline(1.0, color="grey", lw=0.8, ls=":")
        a_.set_title(t_)
        a_.set_xlabel(yl)
    ax[1].legend(fontsize=7)
    fig.suptitle(title, fontsize=9)
    paths.append(Path(save_figure(fig, out / "sharkey_dead_and_recovery.png", dpi=110)))
    _summary(out, study, [run_dir], paths)
    return paths


def _summary(out: Path, study, run_dirs, paths) -> None:
    store.write_json(out / "study.json", {"study": study.name, "description": study.description,
                                          "expected_outcome": study.expected_outcome,
                                          "sweeps": [str(p) for p in run_dirs], "files": [str(p) for p in paths]})


# ----------------------------------------------------------------------------- wrong L0


WRONGL0_COLS = ["coef", "n_seeds", "true_l0", "l0", "mcc", "rec@0.9", "f1", "precision", "recall",
                "explained_variance", "mmcs_recall", "dead_latents"]


def wrongl0_report(study, runs, out: Path, echo) -> list[Path]:
    from toymodels.plotting import make_figure, save_figure
    (_, run_dir), = runs
    from toymodels.sae.train import load_sae_run
    cfg, *_ = load_sae_run(run_dir)
    table = _mean_over_seeds(_rows(run_dir), ("coef",), WRONGL0_COLS[2:])
    table.sort(key=lambda r: r["coef"])
    title = f"{study.name}: BatchTopK (k = coef) on {_source_label(cfg.source)}; {_train_label(cfg)}"
    paths = [_write_table(out, "table", table, WRONGL0_COLS, echo, title)]
    fig, ax = make_figure(figsize=(6.5, 4.2))
    ks = [r["coef"] for r in table]
    for m, lab in (("mcc", "MCC"), ("rec@0.9", "recovered at cos > 0.9"), ("f1", "mean F1"),
                   ("explained_variance", "explained variance")):
        ax.plot(ks, [r[m] for r in table], "o-", label=lab)
    true_l0 = float(np.nanmean([r["true_l0"] for r in table]))
    ax.axvline(true_l0, color="grey", ls=":", label=f"true L0 = {true_l0:.2f}")
    ax.set_xlabel("k (BatchTopK)")
    ax.set_title(title, fontsize=8)
    ax.legend(fontsize=8)
    paths.append(Path(save_figure(fig, out / "wrongL0.png", dpi=110)))
    _summary(out, study, [run_dir], paths)
    return paths


# ----------------------------------------------------------------------------- absorption


ABSORB_COLS = ["tying", "coef", "n_seeds", "absorption_rate", "absorption_baseline", "parent_activation_ratio",
               "child_decoder_parent_cos", "mmcs_recall", "rec@0.9", "l0", "fvu"]


def absorb_report(study, runs, out: Path, echo) -> list[Path]:
    from toymodels.plotting import make_figure, save_figure
    rows = []
    for arm, run_dir in runs:
        for r in _rows(run_dir):
            r["tying"] = arm.label
            rows.append(r)
    table = _mean_over_seeds(rows, ("tying", "coef"), ABSORB_COLS[3:])
    table.sort(key=lambda r: (r["tying"], r["coef"]))
    from toymodels.sae.train import load_sae_run
    cfg, *_ = load_sae_run(runs[0][1])
    title = (f"{study.name}: ReLU-L1 (decoder norm in penalty), {'/'.join(map(str, cfg.grid.n_latents))} latents, "
             f"on {_source_label(cfg.source)}; {_train_label(cfg)}")
    paths = [_write_table(out, "table", table, ABSORB_COLS, echo, title)]
    fig, ax = make_figure(1, 2, figsize=(10, 3.8))
    for tying in sorted({r["tying"] for r in table}):
        sel = [r for r in table if r["tying"] == tying]
        ax[0].plot([r["coef"] for r in sel], [r["absorption_rate"] for r in sel], "o-", label=tying)
        ax[1].plot([r["coef"] for r in sel], [r["child_decoder_parent_cos"] for r in sel], "o-", label=tying)
    ax[0].set_title("absorption rate P(parent latent silent | parent & child)", fontsize=9)
    ax[1].set_title("cos(child latent's decoder, parent direction)", fontsize=9)
    for a in ax:
        a.set_xscale("log")
        a.set_xlabel("L1 coefficient λ")
        a.legend()
    fig.suptitle(title, fontsize=8)
    paths.append(Path(save_figure(fig, out / "absorption.png", dpi=110)))
    _summary(out, study, [p for _, p in runs], paths)
    return paths


# ----------------------------------------------------------------------------- toy model → SAE


TOY_COLS = ["density", "variant", "n_latents", "coef", "n_seeds", "n_gt", "n_gt_excluded", "mmcs_recall",
            "rec@0.9", "rec@0.99", "mcc", "mmcs_precision", "l0", "true_l0", "f1", "fvu", "dead_latents"]


def _run_toy_study(study: SAEStudy, base: SAESweepConfig, echo) -> list[Path]:
    from toymodels.plotting import make_figure, save_figure
    from toymodels.sae.sources import toy_model_config
    from toymodels.sae.train import load_sae_run, run_sae_sweep
    from toymodels.selection import best_seed_index
    from toymodels.sweep import run_sweep

    toy_cfg = toy_sweep_config(study, base)
    toy = run_sweep(toy_cfg)
    echo(f"{toy.run_dir}: toy models " + ("reused" if toy.trained_models == 0 else f"trained ({toy.trained_models})"))
    run = store.Run(toy.run_dir)
    bk = run.buckets[0]
    loss_DxS = bk.metrics["eval_loss"].reshape(len(study.toy.densities), study.toy.n_seeds)
    best_D = best_seed_index(loss_DxS)
    all_rows, sweep_dirs, all_cfgs, per_density = [], [], [], []
    for di, density in enumerate(study.toy.densities):
        cell = di * study.toy.n_seeds + int(best_D[di])
        src = toy_model_config(str(toy.run_dir), bucket=0, cell=cell)
        W = bk.params["W_HxF"].reshape(-1, study.toy.n_hidden, study.toy.n_features)[cell]
        decs = {}
        for arm, cfg in arm_configs(study, dataclasses.replace(base, name=f"{study.name}-p{density:g}"), src):
            cfg = dataclasses.replace(cfg, name=f"{study.name}-p{density:g}-{arm.label}")
            r = run_sae_sweep(cfg)
            echo(f"{r.run_dir}: " + ("already complete" if r.trained_models == 0 else
                                     f"trained {r.trained_models} SAEs in {r.wall_s:.1f} s"))
            sweep_dirs.append(r.run_dir)
            all_cfgs.append(cfg)
            _, grid, _, params = load_sae_run(r.run_dir)
            rows = _rows(r.run_dir)
            for row in rows:
                row["density"] = density
                row["variant"] = arm.label
            all_rows += rows
            decs[arm.label] = (rows, grid, params)
        per_density.append((density, W, decs))
    out = study_dir(study, all_cfgs, extra=str(toy.run_dir))
    out.mkdir(parents=True, exist_ok=True)
    table = _mean_over_seeds(all_rows, ("density", "variant", "n_latents", "coef"), TOY_COLS[5:])
    store.write_csv(out / "all_cells.csv", table)
    # summary: per density, variant and dictionary size, the coefficient with the best mean MMCS
    best = []
    for key in sorted({(r["density"], r["variant"], r["n_latents"]) for r in table}, key=lambda k: (-k[0], k[1], k[2])):
        cands = [r for r in table if (r["density"], r["variant"], r["n_latents"]) == key]
        best.append(max(cands, key=lambda r: r["mmcs_recall"] if np.isfinite(r["mmcs_recall"]) else -9))
    t = study.toy
    title = (f"{study.name}: SAEs on h = Wx of a ReLU toy model n={t.n_features}, m={t.n_hidden} "
             f"(importance {t.importance_decay:g}^i, best of {t.n_seeds} seeds); {_train_label(base)}; "
             f"per variant the coefficient with the best mean MMCS over represented features")
    paths = [out / "all_cells.csv", _write_table(out, "table", best, TOY_COLS, echo, title)]
    paths.append(_toy_recovery_plot(out, title, best, make_figure, save_figure))
    if t.n_hidden == 2:
        paths += _pentagon_plots(out, study, per_density, best, make_figure, save_figure)
    _summary(out, study, sweep_dirs, paths)
    return paths


def _toy_recovery_plot(out, title, best, make_figure, save_figure) -> Path:
    """MMCS and rec@0.9 of each variant (best coefficient) against the toy model's density."""
    fig, axes = make_figure(1, 2, figsize=(11, 4))
    sizes = sorted({r["n_latents"] for r in best})
    for v_i, variant in enumerate(sorted({r["variant"] for r in best})):
        for s_i, size in enumerate(sizes):
            sel = sorted((r for r in best if r["variant"] == variant and r["n_latents"] == size),
                         key=lambda r: r["density"])
            style = "o-" if s_i == len(sizes) - 1 else "s--"
            for ax, m in zip(axes, ("mmcs_recall", "rec@0.9")):
                ax.plot([r["density"] for r in sel], [r[m] for r in sel], style, color=f"C{v_i}",
                        label=f"{variant} ({int(size)} latents)")
    densities = sorted({r["density"] for r in best})
    for ax, t in zip(axes, ("MMCS over represented features", "fraction recovered at cos > 0.9")):
        ax.set_xscale("log")
        ax.set_xticks(densities, [f"{p:g}" for p in densities])
        ax.minorticks_off()
        ax.set_xlabel("toy-model feature density 1−S")
        ax.set_title(t, fontsize=9)
    axes[1].legend(fontsize=6, ncol=2)
    fig.suptitle(title.replace("; ", "\n"), fontsize=7)
    return Path(save_figure(fig, out / "recovery_vs_density.png", dpi=110))


def _pentagon_plots(out, study, per_density, best, make_figure, save_figure) -> list[Path]:
    """Per density: the toy model's feature directions (grey) and each variant's decoder
    directions at its best coefficient (first seed), in the 2-D hidden plane."""
    paths = []
    for density, W, decs in per_density:
        labels = list(decs)
        fig, axes = make_figure(1, len(labels), figsize=(2.6 * len(labels), 2.9), squeeze=False)
        for ax, lab in zip(axes[0], labels):
            rows, grid, params = decs[lab]
            cand = [r for r in best if r["variant"] == lab and r["density"] == density]
            if not cand:
                continue
            pick = cand[0]
            b = next(b for b in grid["buckets"] if b["n_latents"] == pick["n_latents"])
            a = b["axes"]["coef"].index(pick["coef"])
            dec = params[b["index"]]["decoder_LxD"][a, 0]
            for i in range(W.shape[1]):
                ax.plot([0, W[0, i]], [0, W[1, i]], color="0.6", lw=3)
            u = dec / np.maximum(np.linalg.norm(dec, axis=1, keepdims=True), 1e-12) * 1.1
            for j in range(u.shape[0]):
                ax.plot([0, u[j, 0]], [0, u[j, 1]], color="C3", lw=1)
            ax.set_aspect("equal")
            ax.set_xlim(-1.4, 1.4)
            ax.set_ylim(-1.4, 1.4)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{lab}, {int(pick['n_latents'])} latents\ncoef {pick['coef']:g}, MMCS {pick['mmcs_recall']:.3f}",
                         fontsize=8)
        fig.suptitle(f"{study.name}: toy-model features W_i (grey) and SAE decoder directions (red), "
                     f"1−S = {density:g}", fontsize=9)
        paths.append(Path(save_figure(fig, out / f"decoders_p{density:g}.png", dpi=110)))
    return paths


# ----------------------------------------------------------------------------- presets


_SHARKEY_SAE = SAEConfig(variant="relu_l1", decoder_bias=False, l1_scale="n_latents", mse="mean")


def _sharkey(name, desc, source, steps, ratios, alphas, runtime, outcome, seeds=1):
    return SAEStudy(name, desc, "sharkey", SAESweepConfig(
        name=name, source=source, sae=_SHARKEY_SAE, train=SAETrainConfig(steps=steps, batch_size=256, lr=1e-3),
        grid=SAEGridConfig(coef=alphas, dict_ratio=ratios, n_seeds=seeds)), runtime, outcome)


_TOY_ARMS = (
    Arm("relu_l1", "relu_l1", (0.01, 0.03, 0.1, 0.3, 1.0)),
    Arm("relu_l1_april", "relu_l1_april", (0.01, 0.03, 0.1, 0.3, 1.0)),
    Arm("topk", "topk", (1.0, 2.0)),
    Arm("batchtopk", "batchtopk", (0.25, 0.5, 1.0)),
    Arm("jumprelu", "jumprelu", (0.01, 0.1, 0.3, 1.0)),
    Arm("jumprelu_tanh", "jumprelu_tanh", (0.03, 0.1, 0.3, 1.0), sae=(("threshold_init", 0.1),)),
    Arm("gated", "gated", (0.01, 0.03, 0.1, 0.3, 1.0)),
    Arm("matryoshka", "matryoshka", (0.25, 0.5, 1.0), sae=(("prefixes", (0.4, 1.0)),)),
)
_TOY_BASE = SAESweepConfig(
    name="tms", sae=SAEConfig(mse="sum", dead_steps=500),
    train=SAETrainConfig(steps=6000, batch_size=1024, lr=1e-3, resample_at=(1500, 3000), resample_samples=8192,
                         eval_samples=8192),
    grid=SAEGridConfig(coef=(0.01,), n_latents=(5, 10), n_seeds=2))

SAE_PRESETS: dict[str, SAEStudy] = {}


def _add(s: SAEStudy) -> None:
    SAE_PRESETS[s.name] = s


_add(_sharkey(
    "sharkey", "Sharkey et al. 2022 toy replication at full size: d=256, 512 GT features, E[L0]=5, "
    "per-batch correlation; ReLU-L1 SAE (unit-norm decoder, L1/n_dict), 20k steps of 256; α = 10^(k/4), "
    "k=-8..8 × dictionary ratio {0.5, 1, 2, 4}.", SHARKEY22, 20_000, (0.5, 1.0, 2.0, 4.0), ALPHAS_SHARKEY,
    "not measured; ≈ 7 h on a shared 2-core CPU extrapolated from sharkey-core (cost ∝ total latents)",
    "MMCS ≥ 0.99 in an α band at ratio ≥ 2, ratio 1 tops out near 0.89, dead latents once ratio > 1"))
_add(_sharkey(
    "sharkey-core", "The part of the full-size Sharkey sweep that fits a CPU: ratio {1, 2} × α {0.3, 0.6, 1}.",
    SHARKEY22, 20_000, (1.0, 2.0), (0.3, 0.6, 1.0),
    "1,816 s wall on a 2-core CPU shared with ~6 other jobs (docs/sae_recovery.md)",
    "ratio 2, α 0.6: MMCS ≈ 0.99, rec@0.9 ≈ 0.99, ~40% dead; ratio 1: MMCS ≤ 0.9"))
_add(_sharkey(
    "sharkey-small", "Sharkey sweep at a quarter size: d=64, 128 GT features, 10k steps; α 0.03…3 × ratio {0.5, 1, 2, 4}.",
    SHARKEY22_SMALL, 10_000, (0.5, 1.0, 2.0, 4.0), (0.03, 0.1, 0.3, 1.0, 3.0),
    "not measured (not run yet)", "ratio 1 α 0.3 and ratio 2 α 1: MMCS ≥ 0.99; α 0.03 dense; α 3 mostly dead"))
_add(_sharkey(
    "sharkey-tiny", "Sharkey sweep at tiny size (d=32, 64 GT features, E[L0]=3, 2000 steps): ratio {1, 2} × α {0.03, 0.3, 1, 3}.",
    dataclasses.replace(SHARKEY22_SMALL, d=32, n_gt=64, mean_l0=3.0), 2000, (1.0, 2.0), (0.03, 0.3, 1.0, 3.0),
    "21 s wall / 20 s CPU-user on a lightly loaded 2-core CPU (149 s wall under heavy contention)", "ratio 2, α 1: rec@0.9 ≥ 0.9; α 0.03: dense codes, low recovery"))

_add(SAEStudy(
    "tms-5-2", "Toy model → SAE: the n=5, m=2 pentagon (1−S = 0.05, importance 0.9^i, best of 5 seeds); "
    "every SAE variant at 5 and 10 latents, 2 seeds, resampling at 1.5k/3k steps.",
    "toy", dataclasses.replace(_TOY_BASE, name="tms-5-2"),
    "876 s wall / 277 s CPU-user on a shared 2-core CPU (first grid; docs/sae_recovery.md)",
    "every variant recovers the 5 pentagon directions (signed cos > 0.99) at some coefficient",
    arms=_TOY_ARMS, toy=ToyModelSpec(5, 2, (0.05,), 0.9, 10_000, 5)))
_add(SAEStudy(
    "tms-20-5", "Toy model → SAE: n=20, m=5, importance 0.7^i, 1−S ∈ {0.3, 0.1, 0.03} (best of 3 seeds); every variant at 40 latents, 1 seed.",
    "toy", dataclasses.replace(_TOY_BASE, name="tms-20-5", grid=SAEGridConfig(coef=(0.01,), n_latents=(40,), n_seeds=1)),
    "592 s wall / 374 s CPU-user on a shared 2-core CPU", "more features are represented, and recovered, as the toy model gets sparser",
    arms=_TOY_ARMS, toy=ToyModelSpec(20, 5, (0.3, 0.1, 0.03), 0.7, 10_000, 3)))
_add(SAEStudy(
    "tms-tiny", "Plumbing check of the toy-model study: pentagon toy model (2k steps, 2 seeds), every variant, 300 SAE steps.",
    "toy", dataclasses.replace(_TOY_BASE, name="tms-tiny", train=dataclasses.replace(
        _TOY_BASE.train, steps=300, resample_at=(150,), resample_samples=1024, eval_samples=2048, n_calls=2),
        sae=SAEConfig(mse="sum", dead_steps=50), grid=SAEGridConfig(coef=(0.01,), n_latents=(5,), n_seeds=1)),
    "21 s wall / 29 s CPU-user on a lightly loaded 2-core CPU (8 compilations)", "runs end to end; too short to converge",
    arms=tuple(dataclasses.replace(a, coef=a.coef[:1]) for a in _TOY_ARMS), toy=ToyModelSpec(5, 2, (0.05,), 0.9, 2000, 2)))

_WRONGL0_SRC = SourceConfig(kind="synthetic", d=100, n_gt=50, mean_l0=11.0, decay=0.97, correlation="per_sample",
                            magnitude="constant", empty_fallback=False)
_add(SAEStudy(
    "wrongL0", "Chanin & Garriga-Alonso 2025 'Sparse but wrong', approximated with our sources: 50 near-orthogonal "
    "features in 100-d, p_i ∝ 0.97^i (0.42 → 0.09), per-sample copula, magnitude 1, true L0 ≈ 11; BatchTopK with "
    "50 latents, k ∈ {5, 9, 11, 14, 18}, lr 3e-4, batch 1024, 3 seeds.",
    "wrongl0", SAESweepConfig(
        name="wrongL0", source=_WRONGL0_SRC, sae=SAEConfig(variant="batchtopk", mse="sum"),
        train=SAETrainConfig(steps=8000, batch_size=1024, lr=3e-4, eval_samples=8192),
        grid=SAEGridConfig(coef=(5.0, 9.0, 11.0, 14.0, 18.0), n_latents=(50,), n_seeds=3)),
    "1,023 s wall / 573 s CPU-user on a shared 2-core CPU (before the bisection TopK)",
    "GT metrics peak at k ≈ true L0 while explained variance keeps rising with k"))
_add(SAEStudy(
    "wrongL0-tiny", "Plumbing check of wrongL0: 300 steps, 2 values of k.", "wrongl0", SAESweepConfig(
        name="wrongL0-tiny", source=_WRONGL0_SRC, sae=SAEConfig(variant="batchtopk", mse="sum"),
        train=SAETrainConfig(steps=300, batch_size=256, lr=3e-4, eval_samples=2048, n_calls=2),
        grid=SAEGridConfig(coef=(5.0, 11.0), n_latents=(50,), n_seeds=1)),
    "7 s wall / 8 s CPU-user on a lightly loaded 2-core CPU", "runs end to end"))
_ABSORB_BASE = SAESweepConfig(
    name="absorb", source=ABSORB, sae=SAEConfig(variant="relu_l1_april", mse="sum"),
    train=SAETrainConfig(steps=5000, batch_size=1024, lr=1e-3, eval_samples=16384),
    grid=SAEGridConfig(coef=(0.001, 0.003, 0.01, 0.03), n_latents=(4,), n_seeds=3))
_add(SAEStudy(
    "absorb", "Absorption toy: parent (p 0.25), child (only with the parent, p 0.2 given it), 2 free features, "
    "orthonormal in 50-d; ReLU-L1 (April form) with 4 latents, untied vs tied encoder, λ 1e-3 … 3e-2, 3 seeds.",
    "absorb", _ABSORB_BASE, "110 s wall / 34 s CPU-user on a shared 2-core CPU",
    "untied: the parent latent goes silent when the child fires (absorption) and it grows with λ; tied: none",
    arms=(Arm("untied", "relu_l1_april"), Arm("tied", "relu_l1_april", sae=(("tied", True),)))))
_add(SAEStudy(
    "absorb-tiny", "Plumbing check of the absorption study: 300 steps, 1 seed.", "absorb",
    dataclasses.replace(_ABSORB_BASE, name="absorb-tiny", train=SAETrainConfig(steps=300, batch_size=256, eval_samples=2048, n_calls=2),
                        grid=SAEGridConfig(coef=(0.003, 0.03), n_latents=(4,), n_seeds=1)),
    "7 s wall / 9 s CPU-user on a lightly loaded 2-core CPU", "runs end to end",
    arms=(Arm("untied", "relu_l1_april"), Arm("tied", "relu_l1_april", sae=(("tied", True),)))))
