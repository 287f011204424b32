"""``toymodels analyze``: the standard tables and plots of a finished sweep, in its run directory.

For each bucket it writes into ``<run>/analysis/``:
  cells-b<k>.csv        per cell (best seed by eval loss): axis values, loss, D*, Σ D_i, feature
                        counts by status, and the geometry found (e.g. "pentagon", "2 × digon")
  measures-b<k>.npz     every analysis measure for every cell and seed (analyze_grid)
  geometry-b<k>.json    the tegum-factor table of each cell's best model
  *.png                 the standard plots that apply to the bucket's shape and axes
and returns a short text summary.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from toymodels import analysis, labels, store
from toymodels.selection import best_of_seeds, best_seed_index


def _weights(bucket) -> tuple[np.ndarray, np.ndarray]:
    W = bucket.params["W1_HxF"] if bucket.model["kind"] == "abs" else bucket.params["W_HxF"]
    return W, bucket.params["b_F"]


def _cell_names(bucket) -> list[str]:
    value_axes = [a for a in bucket.axes if a != "seed"]
    shape = bucket.grid_shape[:-1]
    names = []
    for idx in np.ndindex(*shape) if shape else [()]:
        names.append(", ".join(f"{a}={bucket.axes[a][i]:.3g}" for a, i in zip(value_axes, idx)) or "single cell")
    return names


# Short axis names for panel titles, where a full "relative_importance=0.464" does not fit.
_SHORT_AXIS = {"density": "1−S", "relative_importance": "r", "importance_decay": "decay"}


def _short_cell_names(bucket) -> list[str]:
    value_axes = [a for a in bucket.axes if a != "seed"]
    shape = bucket.grid_shape[:-1]
    return [", ".join(f"{_SHORT_AXIS.get(a, a)}={bucket.axes[a][i]:.3g}" for a, i in zip(value_axes, idx))
            or "single cell" for idx in (np.ndindex(*shape) if shape else [()])]


def _structure_text(factors: list[dict], status_F, W_HxF, n_not_represented: int) -> str:
    """The cell's structures in words a reader knows, with the technical name beside them.

    Built from the geometry factors (analysis.geometry_summary) and the per-feature status
    (analysis.feature_status) together, so that it agrees with the table's count columns: a
    feature alone in its factor reads "dedicated" only when its status is dedicated; otherwise
    weak, unrepresented features still interfere with it (superposition score ≥ 0.1).
    """
    status_F = np.asarray(status_F)
    W = np.asarray(W_HxF, dtype=float)
    named = []
    for row in factors:
        idx = row["features"]
        if row["k"] == 1:
            dedicated = int(status_F[idx[0]]) == analysis.STATUS_NAMES.index("dedicated")
            named.append("dedicated" if dedicated else "alone (weak features interfere)")
        else:
            name = labels.factor_label(row["name"], W[:, idx])
            # The factor's edges use |cos| > 0.1, the status a projection score; a weak partner can
            # leave a member "dedicated" by its score while the two still share a factor.
            n_ded = int(np.sum(status_F[idx] == analysis.STATUS_NAMES.index("dedicated")))
            named.append(f"{name} ({n_ded} of them dedicated)" if n_ded else name)
    counts: dict[str, int] = {}
    for name in named:
        counts[name] = counts.get(name, 0) + 1
    parts = [f"{c} × {name}" if c > 1 else name for name, c in counts.items()]
    if n_not_represented:
        parts.append(f"{n_not_represented} not represented")
    return ", ".join(parts) or "nothing represented"


def analyze_bucket(run: store.Run, bucket) -> tuple[list[dict], list[str]]:
    """Write the bucket's tables and plots; return (cell rows, summary lines)."""
    out = run.dir / "analysis"
    out.mkdir(exist_ok=True)
    kind = bucket.model["kind"]
    W, b = _weights(bucket)
    W2 = bucket.params.get("W2_FxH")
    measures = analysis.analyze_grid(W, b, kind, W2=W2)
    store.write_npz(out / f"measures-b{bucket.index}.npz", measures)
    loss = bucket.metrics["eval_loss"]
    best_W = best_of_seeds(W, loss).reshape(-1, *W.shape[-2:])
    best_b = best_of_seeds(b, loss).reshape(-1, b.shape[-1])
    best_m = {k: best_of_seeds(v, loss).reshape(len(best_W), *v.shape[loss.ndim:]) for k, v in measures.items()}
    best_loss = best_of_seeds(loss, loss).reshape(-1)
    best_idx = best_seed_index(loss, allow_diverged=True).reshape(-1)
    names = _cell_names(bucket)
    rows, geometry, lines = [], [], []
    for c, name in enumerate(names):
        if best_idx[c] < 0:  # every seed diverged: no geometry to report, and say so
            rows.append({"cell": name, "best_seed": -1, "eval_loss": float("nan"),
                         "structures": "every seed diverged (non-finite loss)"})
            geometry.append({"cell": name, "diverged": True})
            lines.append(f"  {name}: every seed diverged (non-finite loss); no geometry")
            continue
        summary = analysis.geometry_summary(best_W[c], best_b[c] if kind == "relu" else None)
        row = {"cell": name, "best_seed": int(bucket.axes["seed"][best_idx[c]]), "eval_loss": float(best_loss[c]),
               "D_star": float(best_m["D_star"][c]), "D_sum": float(best_m["D_sum"][c]),
               "n_represented": int(best_m["n_represented"][c])}
        for code, status in enumerate(analysis.STATUS_NAMES):
            row[f"n_{status.replace(' ', '_')}"] = int(best_m["status_counts_4"][c][code])
        if "n_monosemantic" in best_m:
            row["n_monosemantic_neurons"] = int(best_m["n_monosemantic"][c])
            row["n_polysemantic_neurons"] = int(best_m["n_polysemantic"][c])
        n_not_rep = len(summary["not_represented"])
        row["structures"] = _structure_text(summary["factors"], best_m["status_F"][c], best_W[c], n_not_rep)
        rows.append(row)
        geometry.append({"cell": name, **{k: v for k, v in summary.items() if k != "D_F"},
                         "D_F": np.asarray(summary["D_F"]).tolist()})
        lines.append(f"  {name}: {row['structures']}  (D*={row['D_star']:.3f}, loss={row['eval_loss']:.4g})")
    store.write_csv(out / f"cells-b{bucket.index}.csv", rows)
    store.write_json(out / f"geometry-b{bucket.index}.json", geometry)
    _plots(run, bucket, best_W, best_b, best_m, _short_cell_names(bucket), out)
    if bucket.model["kind"] != "abs":
        _dynamics_plot(run, bucket, loss, out)
    phase_line = _phase_plot(run, bucket, out)
    if phase_line:
        lines.append(phase_line)
    return rows, lines


def _plots(run, bucket, best_W, best_b, best_m, names, out: Path) -> None:
    from toymodels import plotting

    cfg, kind = run.config, bucket.model["kind"]
    title = labels.run_label(cfg, bucket.model)
    n_cells = len(best_W)
    shown = np.unique(np.linspace(0, n_cells - 1, min(n_cells, 10)).round().astype(int))
    importance = _importance(run, bucket)
    if bucket.model["n_hidden"] == 2 and kind != "abs":
        _features_2d_figure(best_W[shown], importance, [names[i] for i in shown],
                            f"Feature directions in the hidden plane — {title}",
                            out / f"features2d-b{bucket.index}.png", panel_width=2.2)
    if kind in ("relu", "linear"):
        fig, axes = plotting.make_figure(2, len(shown), figsize=(2.4 * len(shown) + 1.2, 5.2), squeeze=False)
        for j, i in enumerate(shown):
            im, _ = plotting.plot_interference(axes[0, j], best_W[i].T @ best_W[i], best_b[i], title=names[i])
            plotting.plot_norm_bars(axes[1, j], np.linalg.norm(best_W[i], axis=0), best_m["superposition_F"][i],
                                    title="‖W_i‖", ylabel="feature i" if j == 0 else "")
        axes[0, 0].set_ylabel("feature i")
        fig.colorbar(im, ax=list(axes[0]), label="(WᵀW)_ij; strip: bias b_i", shrink=0.9)
        plotting.add_colorbar(fig, "viridis", 0.0, 1.0, axes[1], "superposition Σ_j≠i (Ŵ_i·W_j)²", shrink=0.9)
        fig.suptitle(f"WᵀW and feature norms — {title}", fontsize=9)
        plotting.save_figure(fig, out / f"interference-b{bucket.index}.png")
    if "density" in bucket.axes and len(bucket.axes) == 2 and kind in ("relu", "linear"):
        density = np.asarray(bucket.axes["density"])
        fig, ax = plotting.make_figure(figsize=(6, 4))
        x = 1 / density
        plotting.plot_dimensionality(ax, x, best_m["D_star"], points_x_N=np.repeat(x, best_W.shape[-1]),
                                     points_D_N=best_m["D_F"].reshape(-1), title=title,
                                     xlabel="1/(1−S)", ylabel="dimensions per feature",
                                     line_label="D* = m/‖W‖²_F", points_label="D_i")
        plotting.save_figure(fig, out / f"dimensionality-b{bucket.index}.png")
    if kind in ("relu_hidden", "abs"):
        fig, axes = plotting.make_figure(1, len(shown), figsize=(2.6 * len(shown), 3.0), squeeze=False)
        for j, i in enumerate(shown):
            plotting.plot_neuron_stack(axes[0, j], best_W[i], feature_values_F=importance, title=names[i],
                                       xlabel="neuron", ylabel="|weight|")
        fig.suptitle(f"Neurons (columns) stacked by feature — {title}", fontsize=9)
        plotting.save_figure(fig, out / f"neurons-b{bucket.index}.png")


def phase_diagram_arrays(bucket, *, focus_feature: int = -1) -> dict | None:
    """Empirical and theoretical phase grids of a phase-diagram bucket (paper section 4).

    For an n=2, m=1 or n=3, m=2 ReLU-output bucket whose axes are density × relative_importance ×
    seed (the extra feature = the focus feature = the last one), returns numpy arrays:

    * ``density_P``, ``relative_importance_R``;
    * ``phase_PxRxS``: the extra feature's phase per seed (analysis.phase_grid, with the bias);
    * ``loss_PxRxS``: final eval loss per seed;
    * ``empirical_PxR``: majority phase after discarding the highest-loss seed (the paper's
      protocol), ``fractions_PxRxK`` the kept seeds' phase fractions, ``best_PxR`` the phase of
      the lowest-loss seed;
    * ``theory_PxR``: Wattenberg's analytic phase (theory_phase_n2m1 / theory_phase_n3m2);
    * ``agreement`` (paper protocol vs theory) and ``agreement_best`` (best seed vs theory).

    Returns None for any other bucket.
    """
    n, m = bucket.model["n_features"], bucket.model["n_hidden"]
    if list(bucket.axes) != ["density", "relative_importance", "seed"] or (n, m) not in ((2, 1), (3, 2)):
        return None
    if focus_feature % n != n - 1 or bucket.model["kind"] != "relu":
        return None
    W, b = _weights(bucket)
    phase_PxRxS = np.asarray(analysis.phase_grid(W, b, feature=-1))
    loss_PxRxS = np.asarray(bucket.metrics["eval_loss"], dtype=float)
    protocol = analysis.seed_protocol_grid(loss_PxRxS, phase_PxRxS, n_phases=len(analysis.PHASE_NAMES))
    p = np.asarray(bucket.axes["density"], dtype=float)
    r = np.asarray(bucket.axes["relative_importance"], dtype=float)
    theory_fn = analysis.theory_phase_n2m1 if n == 2 else analysis.theory_phase_n3m2
    theory = np.asarray(theory_fn(p[:, None], r[None, :]))
    return {"density_P": p, "relative_importance_R": r, "phase_PxRxS": phase_PxRxS, "loss_PxRxS": loss_PxRxS,
            "empirical_PxR": protocol["phase"], "fractions_PxRxK": protocol["fractions_GxP"],
            "best_PxR": protocol["best_phase"], "theory_PxR": theory,
            "agreement": analysis.agreement(protocol["phase"], theory),
            "agreement_best": analysis.agreement(protocol["best_phase"], theory)}


def _phase_plot(run, bucket, out: Path) -> str | None:
    """Empirical phase of the focus feature beside Wattenberg's theory (n=2,m=1 or n=3,m=2 grids
    over relative_importance × density). Empirical phase per cell: majority after discarding the
    highest-loss seed (paper section 4). Returns a summary line."""
    from toymodels import plotting

    arrays = phase_diagram_arrays(bucket, focus_feature=run.config.grid.focus_feature)
    if arrays is None:
        return None
    n = bucket.model["n_features"]
    p, r = arrays["density_P"], arrays["relative_importance_R"]
    empirical, theory, agree = arrays["empirical_PxR"], arrays["theory_PxR"], arrays["agreement"]
    r_line = np.geomspace(r.min(), r.max(), 200)
    fig, axs = plotting.make_figure(1, 2, figsize=(9, 4))
    plotting.plot_phase_diagram(axs, r, p, empirical, theory, boundary_r=r_line,
                                boundary_p=np.asarray(analysis.phase_boundary_n2m1(r_line)) if n == 2 else None,
                                agreement=agree, titles=(f"trained, {len(bucket.axes['seed'])} seeds, worst dropped",
                                                         "theory (Wattenberg)"),
                                xlabel="relative importance r of the extra feature", ylabel="density 1−S")
    fig.suptitle(labels.run_label(run.config, bucket.model), fontsize=9)
    plotting.save_figure(fig, out / f"phase-b{bucket.index}.png")
    store.write_json(out / f"phase-b{bucket.index}.json", {"density": p, "relative_importance": r,
                                                           "empirical": empirical, "theory": theory,
                                                           "agreement": agree})
    return f"  phase of the extra feature agrees with theory in {agree:.0%} of {empirical.size} cells"


def _dynamics_plot(run, bucket, loss, out: Path) -> None:
    """D_i(t) and loss(t) of the best seed of the sparsest cell, from the logged snapshots."""
    from toymodels import plotting

    if "W_HxF" not in bucket.history:
        return
    W_T = best_of_seeds(bucket.history["W_HxF"], loss).reshape(-1, *bucket.history["W_HxF"].shape[-3:])[-1]
    loss_T = best_of_seeds(bucket.history["loss"], loss).reshape(-1, bucket.history["loss"].shape[-1])[-1]
    traj = analysis.trajectory_measures(W_T, loss_T)
    fig, ax = plotting.make_figure(figsize=(6, 3.5))
    plotting.plot_dynamics(ax, bucket.history["steps_T"], np.asarray(traj["D_TxF"]), np.asarray(loss_T),
                           title=f"{_cell_names(bucket)[-1]} — {labels.model_label(bucket.model)}",
                           xlabel="step", ylabel="feature dimensionality D_i", loss_label="loss on a fixed eval batch")
    plotting.save_figure(fig, out / f"dynamics-b{bucket.index}.png")


def _importance(run, bucket) -> np.ndarray:
    from toymodels.data import importance_profile
    return importance_profile(run.config.data, bucket.model["n_features"])


def analyze_run(run: store.Run) -> str:
    """Analyse every bucket of a finished run; return the printed summary."""
    lines = [f"{run.dir}: {labels.run_label(run.config)}"]
    for bucket in run.buckets:
        lines.append(f"bucket {bucket.index} ({labels.model_label(bucket.model)}), best seed per cell:")
        _, cell_lines = analyze_bucket(run, bucket)
        lines += cell_lines
    lines.append(f"tables and plots: {run.dir / 'analysis'}")
    (run.dir / "analysis" / "summary.txt").write_text("\n".join(lines) + "\n")
    return "\n".join(lines)


def intro_report(run: store.Run) -> list[Path]:
    """The intro demo's figure: the best seed's feature directions at every density."""
    from toymodels import plotting

    bucket = run.buckets[0]
    W, _ = _weights(bucket)
    best_W = best_of_seeds(W, bucket.metrics["eval_loss"])
    density = np.asarray(bucket.axes["density"])
    path = run.dir / "intro.png"
    _features_2d_figure(best_W, _importance(run, bucket), [labels.density_label(p) for p in density],
                        labels.run_label(run.config) + " · lowest-loss seed shown", path, panel_width=1.9)
    return [path]


def _features_2d_figure(W_IxHxF, importance_F, titles, suptitle: str, path: Path, *, panel_width: float) -> None:
    """A row of m=2 feature-direction panels with their key: colour = importance (colour bar),
    "×" = a feature that is not represented (‖W_i‖ ≤ 0.5, analysis.represented)."""
    from toymodels import plotting

    W_IxHxF = np.asarray(W_IxHxF)
    rep_IxF = np.stack([np.asarray(analysis.represented(W)) for W in W_IxHxF])
    fig, axes = plotting.make_figure(1, len(W_IxHxF), figsize=(panel_width * len(W_IxHxF) + 1.0, 2.9),
                                     squeeze=False)
    plotting.plot_features_2d_row(axes[0], W_IxHxF, importance_F, titles=titles, represented_IxF=rep_IxF)
    for ax in axes[0]:
        ax.set_xticks([])
        ax.set_yticks([])
    plotting.features_2d_legend(
        fig, axes=axes[0], importance_F=importance_F,
        colorbar_label="importance I_i" if np.ptp(np.asarray(importance_F, float)) > 0 else "",
        not_represented_label="not represented (‖W_i‖ ≤ 0.5)" if not rep_IxF.all() else "")
    fig.suptitle(suptitle, fontsize=9)
    plotting.save_figure(fig, path)


