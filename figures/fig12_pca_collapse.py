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


def pair_correlation(p):
    """Correlation of the two features of a pair under the co-activation model (toymodels.data
    "correlated": the pair is active together with probability p, values independent U[0,1)):
    cov = p/4 − p²/4, var = p/3 − p²/4, so corr = 3(1−p)/(4−3p) — 0 at p = 1."""
    p = np.asarray(p, float)
    return 3 * (1 - p) / (4 - 3 * p)


def collapse_claims(density_P, n_collapsed_P, n_sets: int = 3):
    """Figure 12's claims from the lowest-loss model's number of collapsed pairs per density;
    callable on any arrays (the negative-control tests feed the counts of random or shuffled
    weights). Returns (claims, thresholds, first crossings).

    Cells where the pairs are uncorrelated (p = 1: pair_correlation = 0) are left out: there the
    data has no principal direction for a pair to collapse onto, so the paper's regimes do not apply."""
    density, n_collapsed = np.asarray(density_P, float), np.asarray(n_collapsed_P)
    correlated = pair_correlation(density) > 1e-9
    d, c = density[correlated], n_collapsed[correlated]
    excluded = ", ".join(f"1−S = {p:g} (pair correlation 0; {int(k)} collapsed)"
                         for p, k in zip(density[~correlated], n_collapsed[~correlated]))
    t = collapse_thresholds(d, c, n_sets)
    order = np.argsort(d)
    first = [next((d[order][j] for j in range(len(d)) if c[order][j] >= k), np.nan) for k in range(1, n_sets + 1)]
    sparse = d <= TABLE_THRESHOLDS[0] / FACTOR
    dense = d >= PCA_LIKE_FROM
    table = ("spec 3.6's table of the paper's regimes (paper §5, 'collapse of correlated features'): none at "
             "1−S ≤ 0.05, one set collapsed at 0.05–0.15, two at 0.15–0.2, all at 0.25–0.5, most PCA-like ≥ 0.5; "
             "the paper calls them approximate")
    claims = [claim(f"no pair collapsed at 1−S ≤ {TABLE_THRESHOLDS[0] / FACTOR:.3g} (the table: none at ≤ 0.05; "
                    f"factor {FACTOR:g} margin)", c[sparse], bool(sparse.any()) and bool(np.all(c[sparse] == 0)),
                    measured=f"collapsed pairs {c[sparse].tolist()} at 1−S = {np.round(d[sparse], 3).tolist()}",
                    source=table + f"; the margin (factor {FACTOR:g}) is the largest step of the sweep's "
                                   "grid, the finest resolution at which a threshold can be located")]
    for k in range(n_sets):
        lo, hi = TABLE_THRESHOLDS[k] / FACTOR, TABLE_THRESHOLDS[k] * FACTOR
        cl = claim_between(f"{k + 1} pair(s) collapsed from 1−S ≈ {TABLE_THRESHOLDS[k]:g} on, i.e. at every "
                           f"denser correlated cell (threshold within a factor {FACTOR:g}: [{lo:.3g}, {hi:.3g}])",
                           t[k], lo, hi,
                           source=table + f"; 'near' = within the largest grid step (factor {FACTOR:g}). Cells "
                                          "with p = 1 are left out: the pair correlation 3(1−p)/(4−3p) of the "
                                          "co-activation model is 0 there (closed form), so no pair has a "
                                          "principal direction")
        breaks = [f"{p:.3g}" for p, n_c in zip(d, c) if p > first[k] and n_c < k + 1]
        claims.append(dataclasses.replace(cl, measured=f"{cl.measured} (first density with ≥ {k + 1} collapsed: "
                                                       f"{first[k]:.3g}; denser cells with fewer: "
                                                       f"{', '.join(breaks) or 'none'})"))
    claims.append(claim(
        f"PCA-like at 1−S ≥ {PCA_LIKE_FROM:g}: all {n_sets} pairs collapsed onto their principal direction "
        "(both features represented, cos > 0.9) in the lowest-loss model at every correlated cell",
        c[dense], bool(dense.any()) and bool(np.all(c[dense] == n_sets)),
        measured=f"collapsed pairs {c[dense].tolist()} at 1−S = {np.round(d[dense], 3).tolist()}"
                 + (f"; left out: {excluded}" if excluded else ""),
        source=table + ". 'PCA-like' = each pair written as its first principal component (a+b)/√2, i.e. the "
                       "pair collapsed. This replaces 'no pair kept apart', which passed vacuously at 1−S = 1 with "
                       "0 pairs collapsed; 1−S = 1 is left out because the pairs are uncorrelated there (closed "
                       "form 3(1−p)/(4−3p) = 0)"))
    return claims, t, first


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
    claims, t, first = collapse_claims(density, n_collapsed)
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
