"""Figure 8 (paper "Geometry: uniform superposition"; paper_spec 3.5 and target 8): the per-feature
dimensionality D_i = ‖W_i‖² / Σ_j (Ŵ_i·W_j)² of every feature at every density, over the D* line,
with the notebook's fraction guide lines and x jitter dx·U(−0.1, 0.1).

Same run as figure 7 (the ``uniform`` sweep: n=200, m=20, scaled down from the paper's n=400,
m=30). Checks Σ_i D_i = m (efficient packing), the cluster at 1/2 on the plateau, the 2/5 and
3/8 clusters at 1/(1−S) ≈ 4–6, and the overall share of features on a simple fraction.
"""

from __future__ import annotations

import numpy as np

from experiments.uniform import UNIFORM, UNIFORM_TINY
from figures.core import Figure, FigureContext, FigureOutput, claim, claim_between
from figures.fig07_dims_per_feature import X_LABEL, uniform_measures
from toymodels import labels, plotting
from toymodels.analysis.levels import PAPER_LEVELS, level_counts, near_level_fraction


# The notebook's guide lines (spec 3.5 [NB]): a/b for (1,2),(2,3),(2,5),(2,6),(2,7),(5,6),(4,5),(3,4),(3,8),(3,12),(3,20)
GUIDE_LINES = (1 / 2, 2 / 3, 2 / 5, 1 / 3, 2 / 7, 5 / 6, 4 / 5, 3 / 4, 3 / 8, 1 / 4, 3 / 20)
NBRUN_MID = {"2/5": 28, "3/8": 36}  # spec 3.5 [NBrun], levels 9–11: 20 + 8 at 2/5, 8 + 11 + 17 at 3/8
AUTHORS_SHARE = 0.26  # spec 3.5: a third-party check of the authors' saved run


def cluster_test(D_N, level: float, *, atol: float = 0.01, halo: float = 0.05, alpha: float = 0.01) -> dict:
    """Is ``level`` a cluster of the D_i? Counts the D_i within ``atol`` of it and compares with the
    count a smooth density predicts there, estimated from the D_i in level ± halo outside the ±atol
    windows of every guide line: one-sided Poisson p-value of the observed count."""
    from scipy.stats import poisson

    D = np.asarray(D_N, float).ravel()
    observed = int(np.sum(np.abs(D - level) <= atol))
    grid = np.linspace(level - halo, level + halo, 2001)
    free = np.all([np.abs(grid - g) > atol for g in GUIDE_LINES], axis=0)
    width = free.mean() * 2 * halo
    near = np.abs(D - level) <= halo
    outside = near & np.all([np.abs(D - g) > atol for g in GUIDE_LINES], axis=0)
    expected = float(outside.sum() * (2 * atol) / width) if width > 0 else float("nan")
    p = float(poisson.sf(observed - 1, expected)) if expected > 0 else (0.0 if observed else 1.0)
    return {"observed": observed, "expected": round(expected, 2), "p": p, "cluster": bool(p < alpha and observed > expected)}


def dimensionality_claims(x_L, D_star_L, D_LxF, m: int):
    """Figure 8's claims from D* and the per-feature D_i of each level (levels sorted by 1/(1−S));
    callable on any arrays (the negative-control tests feed random or shuffled weights).
    Returns (claims, statistics)."""
    x, D_star, D_LxF = np.asarray(x_L, float), np.asarray(D_star_L, float), np.asarray(D_LxF, float)
    D_sum = D_LxF.sum(axis=1)
    plateau = (x >= 1.9) & (x <= 3.5)
    mid = (x >= 3.9) & (x <= 6.0)
    learned = D_LxF[plateau]
    learned = learned[learned >= 0.1]
    frac_half = float(np.mean(np.abs(learned - 0.5) <= 0.02)) if learned.size else float("nan")
    counts_mid = level_counts(D_LxF[mid], [2 / 5, 3 / 8, 1 / 3], atol=0.01)
    tests = {name: cluster_test(D_LxF[mid], v) for name, v in (("2/5", 2 / 5), ("3/8", 3 / 8), ("1/3", 1 / 3))}
    superposed = D_star < 0.95
    frac_simple = near_level_fraction(D_LxF[superposed], PAPER_LEVELS, atol=0.02, min_value=0.1)
    n_share = int(np.sum(D_LxF[superposed] >= 0.1))
    se = float(np.sqrt(AUTHORS_SHARE * (1 - AUTHORS_SHARE) / n_share)) if n_share else float("nan")
    claims = [
        claim_between(f"Σ_i D_i within 2% of m = {m} at every level ([NBrun]: 19.97–20.00 of 20)",
                      D_sum, 0.98 * m, 1.02 * m,
                      source="paper §5 (spec §6 target 8): Σ_i D_i = m (efficient packing); Σ_i D_i ≤ m always "
                             "(spec 5.3: Σ C_i ≤ m, C_i ≡ D_i), so only the lower side is tested in effect. [NBrun]: "
                             "19.97–20.00; it is one run with no spread, so 2% is a convention fixed before our runs"),
        claim_between("plateau (1/(1−S) in [1.9, 3.5]): ≥ 90% of learned features (D_i ≥ 0.1) have "
                      "D_i within 0.02 of 1/2", frac_half, 0.9, 1.0,
                      source="paper §5: D_i clusters at 1/2 on the plateau (closed form: a digon has D_i = 1/2, "
                             "spec §4.1). [NBrun] levels 4–8: 36–38 features within 0.01 of 1/2 and nothing else; "
                             "90% = 36 of the 2m = 40 features a full digon packing holds, NBrun's lowest level; "
                             "±0.02 is the third-party check's window (spec 3.5)"),
        claim("1/(1−S) in [3.9, 6.0]: D_i cluster at 2/5 and at 3/8 — each line holds more features (±0.01) than the "
              "local background density predicts, one-sided Poisson p < 0.01 (counts beside [NBrun]'s 28 and 36)",
              {k: t for k, t in tests.items()},
              bool(tests["2/5"]["cluster"] and tests["3/8"]["cluster"]),
              measured="; ".join(f"{k}: {t['observed']} vs {t['expected']:.1f} expected, p = {t['p']:.1e}"
                                 for k, t in tests.items())
                       + " — learned D_i quartiles per level: " + "; ".join(
                           f"{xv:.2f}: " + "/".join(f"{q:.3f}" for q in np.percentile(Dl[Dl >= 0.1], [25, 50, 75]))
                           for xv, Dl in zip(x[mid], D_LxF[mid]) if np.any(Dl >= 0.1)),
              source="paper §5 (spec 3.5) names the clusters 2/5 (pentagon) and 3/8 (square antiprism); spec 3.5 "
                     "[NBrun] at levels 9–11: 28 features at 2/5, 36 at 3/8. The paper gives no count, so the test "
                     "is statistical: a line is a cluster when its ±0.01 window holds significantly more D_i than a "
                     "smooth density (estimated within ±0.05, outside the notebook's guide-line windows) predicts. "
                     "It replaces a '≥ 5 features' threshold that had no basis"),
        claim(f"share of learned features (D_i ≥ 0.1, levels with D* < 0.95) within 0.02 of "
              f"{{1, 3/4, 2/3, 1/2, 2/5, 3/8}} matches the authors' run's {AUTHORS_SHARE:.0%} within 2 binomial "
              "standard errors", frac_simple,
              bool(np.isfinite(frac_simple) and abs(frac_simple - AUTHORS_SHARE) <= 2 * se),
              measured=f"{frac_simple:.3f} of {n_share} (2 s.e. = {2 * se:.3f})",
              source="spec 3.5: a third-party check of the authors' own saved run found ≈26% of such features on "
                     "these fractions. Matching it means agreeing within sampling noise: the binomial standard "
                     "error sqrt(q(1−q)/N) of a share over our N features; features of one level are not "
                     "independent, so the true error is larger and this test is the stricter one. (It replaces "
                     "'≥ 26%', which treated the authors' point estimate as a lower bound.)"),
    ]
    return claims, {"plateau_fraction_at_half": frac_half, "counts_mid": counts_mid, "clusters": tests,
                    "share": frac_simple, "share_se": se, "share_n": n_share}


def draw(ctx: FigureContext) -> FigureOutput:
    (run,) = ctx.runs
    u = uniform_measures(run)
    x, D_star = u["x"], np.asarray(u["D_star"], float)
    D_LxF = np.asarray(u["D_F"], float)
    D_sum = np.asarray(u["D_sum"], float)
    m = u["m"]
    L, n = D_LxF.shape
    dx = np.diff(x, append=x[-1] + (x[-1] - x[-2] if L > 1 else 1.0))
    rng = np.random.default_rng(0)  # the notebook's display jitter dx·U(−0.1, 0.1); fixed for reproducibility
    jitter = (dx[:, None] * rng.uniform(-0.1, 0.1, size=(L, n))).ravel()
    px = np.repeat(x, n)

    fig, (ax, ax2) = plotting.make_figure(1, 2, figsize=(12.0, 4.4))
    plotting.plot_dimensionality(
        ax, x, D_star, points_x_N=px, points_D_N=D_LxF.ravel(), jitter_N=jitter,
        title=f"Feature dimensionality D_i · {labels.run_label(run.config)}",
        xlabel=X_LABEL, ylabel="D_i (points), D* (line)", line_label="D* = m/‖W‖²_F", points_label="D_i")
    ax.title.set_fontsize(8)
    plotting.plot_curves(ax2, x, {"Σ_i D_i / m": D_sum / m}, styles={"Σ_i D_i / m": "k-o"}, logx=True,
                         cell_ticks=False, hlines=[(0.98, ""), (1.0, ""), (1.02, "")],
                         title="Σ_i D_i / m (packing efficiency; dashed: 1 ± 2%)", xlabel=X_LABEL,
                         ylabel="Σ_i D_i / m")
    ax2.set_ylim(0.95, 1.05)

    claims, stats = dimensionality_claims(x, D_star, D_LxF, m)
    frac_half, counts_mid, frac_simple = stats["plateau_fraction_at_half"], stats["counts_mid"], stats["share"]
    rel_err = np.abs(D_sum - m) / m
    data = {"inv_density": x, "D_star": D_star, "D_sum": D_sum, "max_rel_err_D_sum": float(rel_err.max()),
            "cluster_tests": stats["clusters"], "share_se": stats["share_se"], "share_n": stats["share_n"],
            "D_LxF_rounded": D_LxF.round(4),
            "counts_2/5_3/8_1/3_mid": counts_mid, "plateau_fraction_at_half": frac_half,
            "fraction_near_simple_fraction": frac_simple}
    return FigureOutput(fig, claims, data)


FIGURE = Figure(
    id="08", name="feature-dimensionality", title="Per-feature dimensionality D_i and the fraction lines",
    section="paper §5 (uniform superposition); spec 3.5",
    paper_claim="Σ_i D_i = m; D_i clusters at 1/2 on the plateau, then at 2/5 and 3/8 "
                "(scaled down: n=200, m=20 as the notebook, not the paper's n=400, m=30)",
    sweeps=lambda tiny: [UNIFORM_TINY if tiny else UNIFORM], draw=draw,
    runtime_cpu="the uniform sweep of figure 7 (220 s, shared) + 2 s drawing on a shared 2-core CPU (load ~13)")
