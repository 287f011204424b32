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

    plateau = (x >= 1.9) & (x <= 3.5)
    mid = (x >= 3.9) & (x <= 6.0)
    learned = D_LxF[plateau]
    learned = learned[learned >= 0.1]
    frac_half = float(np.mean(np.abs(learned - 0.5) <= 0.02)) if learned.size else float("nan")
    counts_mid = level_counts(D_LxF[mid], [2 / 5, 3 / 8, 1 / 3], atol=0.01)
    superposed = D_star < 0.95
    frac_simple = near_level_fraction(D_LxF[superposed], PAPER_LEVELS, atol=0.02, min_value=0.1)
    rel_err = np.abs(D_sum - m) / m
    claims = [
        claim_between(f"Σ_i D_i within 2% of m = {m} at every level ([NBrun]: 19.97–20.00 of 20)",
                      D_sum, 0.98 * m, 1.02 * m),
        claim_between("plateau (1/(1−S) in [1.9, 3.5]): ≥ 90% of learned features (D_i ≥ 0.1) have "
                      "D_i within 0.02 of 1/2", frac_half, 0.9, 1.0),
        claim("1/(1−S) in [3.9, 6.0]: clusters at 2/5 and at 3/8 (≥ 5 features within 0.01 of each; "
              "[NBrun]: 28 and 36)", {"2/5": int(counts_mid[0]), "3/8": int(counts_mid[1]), "1/3": int(counts_mid[2])},
              bool(counts_mid[0] >= 5 and counts_mid[1] >= 5)),
        claim_between("share of learned features (D_i ≥ 0.1, levels with D* < 0.95) within 0.02 of "
                      "{1, 3/4, 2/3, 1/2, 2/5, 3/8} is at least the authors' run's 26%", frac_simple, 0.26, 1.0),
    ]
    data = {"inv_density": x, "D_star": D_star, "D_sum": D_sum, "max_rel_err_D_sum": float(rel_err.max()),
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
