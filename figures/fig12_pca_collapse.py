"""Figure 12 (paper section 5 "collapse of correlated features"; paper_spec 3.6 and target 12).

Reads the ``pca-collapse`` sweep (experiments/nonuniform.py): n=6 = 3 correlated pairs, m=2,
16 densities 0.02 → 1, 10 seeds. A pair is "collapsed" when both its features are represented
and point the same way (cosine > 0.9: the PCA-like (a+b)/√2 direction;
analysis.planar.collapsed_sets). Per density: the lowest-loss seed's number of collapsed pairs
(and the mean over seeds after dropping the worst). The k-th collapse threshold t_k is the lowest
density from which on (for every denser cell) at least k pairs are collapsed in the lowest-loss
model.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from experiments.nonuniform import PCA_COLLAPSE, PCA_COLLAPSE_TINY
from figures.core import Figure, FigureContext, FigureOutput, claim, claim_between
from toymodels import labels, plotting
from toymodels.analysis import planar
from toymodels.selection import best_seed_index, mean_drop_worst

TABLE_THRESHOLDS = (0.05, 0.15, 0.25)  # spec 3.6: one, two, all three pairs collapsed from these 1−S on
FACTOR = 1.5  # "near": within a factor 1.5 (the grid is log-spaced with ratio <= 1.5)
PCA_LIKE_FROM = 0.5


def collapse_thresholds(density_P, n_collapsed_P, k_max: int) -> np.ndarray:
    """t_k for k = 1..k_max: the lowest density p such that every density ≥ p has at least k
    collapsed pairs; NaN if even the densest cell has fewer."""
    order = np.argsort(density_P)
    p, c = np.asarray(density_P, float)[order], np.asarray(n_collapsed_P)[order]
    out = []
    for k in range(1, k_max + 1):
        ok = c >= k
        if not ok[-1]:
            out.append(np.nan)
            continue
        j = len(ok) - 1
        while j > 0 and ok[j - 1]:
            j -= 1
        out.append(p[j])
    return np.array(out)


def collapse_analysis(bucket, set_size: int):
    """Per density and seed: the collapse code of each set (planar.collapsed_sets)."""
    W = bucket.params["W_HxF"]
    n = bucket.model["n_features"]
    sets = planar.set_index(n, set_size)
    P, S = W.shape[:2]
    codes = np.array([[planar.collapsed_sets(W[i, s], sets) for s in range(S)] for i in range(P)])
    return sets, codes  # codes: (P, S, n_sets)


def draw(ctx: FigureContext) -> FigureOutput:
    (run,) = ctx.runs
    bucket = run.buckets[0]
    density = np.asarray(bucket.axes["density"], dtype=float)
    loss = np.asarray(bucket.metrics["eval_loss"], dtype=float)
    sets, codes = collapse_analysis(bucket, run.config.data.set_size)
    n_sets = codes.shape[-1]
    collapsed_PxS = (codes == 1).sum(-1)
    apart_PxS = (codes == 0).sum(-1)
    best = best_seed_index(loss)
    P = len(density)
    n_collapsed = collapsed_PxS[np.arange(P), best]
    n_apart = apart_PxS[np.arange(P), best]
    mean_collapsed = mean_drop_worst(collapsed_PxS, loss)
    t = collapse_thresholds(density, n_collapsed, n_sets)
    order = np.argsort(density)
    first = [next((density[order][j] for j in range(P) if n_collapsed[order][j] >= k), np.nan)
             for k in range(1, n_sets + 1)]  # first crossing, shown beside the "from here on" threshold
    dense = density >= PCA_LIKE_FROM
    sparse = density <= TABLE_THRESHOLDS[0] / FACTOR

    claims = [claim("no pair collapsed at 1−S ≤ 0.033 (the table: none at ≤ 0.05; factor 1.5 margin)",
                    n_collapsed[sparse], bool(sparse.any()) and bool(np.all(n_collapsed[sparse] == 0)),
                    measured=f"collapsed pairs {n_collapsed[sparse].tolist()} at 1−S = "
                             f"{np.round(density[sparse], 3).tolist()}")]
    for k in range(n_sets):
        lo, hi = TABLE_THRESHOLDS[k] / FACTOR, TABLE_THRESHOLDS[k] * FACTOR
        c = claim_between(f"{k + 1} pair(s) collapsed from 1−S ≈ {TABLE_THRESHOLDS[k]:g} on, i.e. at every "
                          f"denser cell (threshold within a factor {FACTOR:g}: [{lo:.3g}, {hi:.3g}])", t[k], lo, hi)
        breaks = [f"{p:.3g}" for p, n_c in zip(density, n_collapsed) if p > first[k] and n_c < k + 1]
        claims.append(dataclasses.replace(c, measured=f"{c.measured} (first density with ≥ {k + 1} collapsed: "
                                                      f"{first[k]:.3g}; denser cells with fewer: "
                                                      f"{', '.join(breaks) or 'none'})"))
    claims.append(claim(f"fully PCA-like at 1−S ≥ {PCA_LIKE_FROM:g}: no represented pair kept apart in the "
                        "lowest-loss model", n_apart[dense], bool(dense.any()) and bool(np.all(n_apart[dense] == 0)),
                        measured=f"pairs kept apart {n_apart[dense].tolist()}, collapsed {n_collapsed[dense].tolist()}"
                                 f" at 1−S = {density[dense].tolist()}"))

    shown = np.unique(np.linspace(0, P - 1, min(P, 8)).round().astype(int))
    fig, (top, bottom) = plotting.make_figure_rows([1, 1.2], figsize=(2.0 * len(shown) + 0.5, 6.2))
    ax_top = top.subplots(1, len(shown), squeeze=False)[0]
    W_best = bucket.params["W_HxF"][np.arange(P), best]
    for ax, i in zip(ax_top, shown):
        plotting.plot_features_2d_sets(ax, planar.canonicalize_2d(W_best[i], anchor=0), sets,
                                       title=f"1−S = {density[i]:.2g}\n{n_collapsed[i]} collapsed")
    top.suptitle(f"{labels.run_label(run.config, bucket.model)}\nlowest-loss seed per density; colour = "
                 "correlated pair; rotated/flipped for display", fontsize=8)
    ax = bottom.subplots(1, 1)
    plotting.plot_curves(ax, density, {"lowest-loss seed": n_collapsed, "mean over seeds (worst dropped)":
                                       mean_collapsed},
                         styles={"lowest-loss seed": "o-", "mean over seeds (worst dropped)": "s--"},
                         vlines=[(v, "spec 3.6 thresholds" if j == 0 else "") for j, v in
                                 enumerate(TABLE_THRESHOLDS + (PCA_LIKE_FROM,))],
                         logx=True, xlabel="density 1−S", ylabel="collapsed pairs (cos > 0.9)",
                         title="collapse toward PCA as density rises", legend_loc="upper left")
    data = {"density": density, "n_collapsed_best": n_collapsed, "n_apart_best": n_apart,
            "mean_collapsed_drop_worst": mean_collapsed.round(3), "thresholds": t, "first_crossings": first,
            "collapse_codes_best_PxK": codes[np.arange(P), best], "W_best_PxHxF": W_best.round(4)}
    return FigureOutput(fig, claims, data)


FIGURE = Figure(
    id="12", name="pca-collapse", title="Collapse of correlated pairs toward PCA (3 pairs, m=2)",
    section="paper §5 (correlated features); spec 3.6",
    paper_claim="collapse of 1, 2, 3 pairs near 1−S = 0.05, 0.15, 0.25; fully PCA-like at 1−S ≥ 0.5",
    sweeps=lambda tiny: [PCA_COLLAPSE_TINY if tiny else PCA_COLLAPSE], draw=draw,
    runtime_cpu="68 s training + 2 s drawing on a shared 2-core CPU (load average 8-15)")
