"""Figure 5 (paper section 4; paper_spec 3.4, 4.2 and target 5): Wattenberg's analytic phase diagrams.

No training. The "toy model of the toy model" compares fixed unit-norm configurations (losses
f, g, h_first, h_last of toymodels.analysis.wattenberg_losses). Every boundary claimed by the
spec is read off the computed phase functions numerically, by bisection
(analysis.bisect_phase_change), and compared with its closed form; nothing is restated.
"""

from __future__ import annotations

import numpy as np

from experiments.phase import PHASE_N2M1, PHASE_N3M2
from figures.core import Figure, FigureContext, FigureOutput, claim, claim_between, nearest_log_index, with_sources
from figures.exact import exact_grid
from figures.fig06_phase_n3m2 import CONFIG_COLORS
from toymodels import analysis, plotting
from toymodels.analysis.phases import CONFIG_NAMES, CONFIG_NAMES_EMPIRICAL

N2_COLORS = plotting.DEFAULT_PHASE_COLORS
N3_COLORS = ("#d9d9d9", "#4c72b0", "#55a868", "#dd8452")
TOL = 1e-6  # bisection precision is ~1e-16; closed forms must agree to float32 evaluation error


def _n2(p, r):
    return np.asarray(analysis.theory_phase_n2m1(p, r))


def _n3(p, r):
    return np.asarray(analysis.theory_config_n3m2(p, r))


def draw(ctx: FigureContext) -> FigureOutput:
    k = 60 if ctx.tiny else 240
    r_R = np.geomspace(0.1, 10, k)
    p_P = np.geomspace(0.01, 1, k)
    n2_PxR = _n2(p_P[:, None], r_R[None, :])
    n3_PxR = _n3(p_P[:, None], r_R[None, :])

    # --- n=2, m=1: superposition boundary along p at fixed r (bisection on the phase function)
    r_test = np.geomspace(0.1, 10, 41)
    lo, hi = np.full(r_test.shape, 1e-4), np.ones(r_test.shape)
    p_star = analysis.bisect_phase_change(lambda p: _n2(p, r_test), lo, hi)
    closed = np.where(r_test <= 1, 4 * r_test / (2 + 5 * r_test), 4 / (5 + 2 * r_test))
    p_fn = np.asarray(analysis.phase_boundary_n2m1(r_test), dtype=float)
    # dedicated vs not represented along r at fixed dense p (above the wedge)
    p_dense = np.array([0.6, 0.7, 0.8, 0.9, 1.0])
    r_change = analysis.bisect_phase_change(lambda r: _n2(p_dense, r), np.full(5, 0.1), np.full(5, 10.0))
    # triple point: the top of the superposition wedge, on a fine r grid
    r_fine = np.geomspace(0.5, 2.0, 2001)
    p_fine = analysis.bisect_phase_change(lambda p: _n2(p, r_fine), np.full(r_fine.shape, 1e-4),
                                          np.ones(r_fine.shape))
    i_top = int(np.argmax(p_fine))
    triple = (float(r_fine[i_top]), float(p_fine[i_top]))
    L = analysis.wattenberg_losses(4 / 7, 1.0)
    triple_losses = np.array([float(L["f"]), float(L["g"]), float(L["h_last"])])
    p_ends = analysis.bisect_phase_change(lambda p: _n2(p, np.array([0.1, 10.0])), np.full(2, 1e-4), np.ones(2))

    # --- n=3, m=2: the low/high-density change along p, and the configuration set
    p3 = analysis.bisect_phase_change(lambda p: _n3(p, r_test), lo, hi)
    closed3 = np.where(r_test < 1, 4 * r_test / (2 + 5 * r_test), 4 / 7)
    above1 = r_test > 1
    p3_fn = np.asarray(analysis.phase_boundary_n3m2(r_test), dtype=float)
    r3_change = analysis.bisect_phase_change(lambda r: _n3(p_dense, r), np.full(5, 0.1), np.full(5, 10.0))
    configs_present = sorted(int(c) for c in np.unique(n3_PxR))
    # at low density the extra feature's superposition partner changes at r = 1 (h_last vs h_first)
    r3_low = analysis.bisect_phase_change(lambda r: _n3(np.full(r.shape, 0.05), r), np.array([0.5]),
                                          np.array([2.0]))

    claims = [
        claim_between("n=2: superposition boundary found by bisection equals 4r/(2+5r) (r ≤ 1) and 4/(5+2r) "
                      f"(r ≥ 1) at 41 r in [0.1, 10] (max |Δp| ≤ {TOL:g})", np.abs(p_star - closed).max(), 0, TOL,
                      fmt=".2e"),
        claim_between(f"n=2: phase_boundary_n2m1 agrees with the bisected boundary (max |Δp| ≤ {TOL:g})",
                      np.abs(p_star - p_fn).max(), 0, TOL, fmt=".2e"),
        claim_between("n=2: dedicated vs not-represented changes at r = 1 for every dense p ∈ {0.6..1} "
                      f"(|r − 1| ≤ {TOL:g})", np.abs(r_change - 1).max(), 0, TOL, fmt=".2e"),
        claim("n=2: triple point (top of the superposition wedge) at r = 1, p = 4/7 ≈ 0.5714 (±1e-3 in r on a "
              "2001-point grid, ±1e-6 in p); all three losses equal there",
              {"r": triple[0], "p": triple[1], "losses_f_g_h": triple_losses},
              abs(triple[0] - 1) < 1e-3 and abs(triple[1] - 4 / 7) < 1e-6
              and np.ptp(triple_losses) < 1e-7,
              measured=f"r = {triple[0]:.4f}, p = {triple[1]:.6f}, losses f,g,h = "
                       + ", ".join(f"{v:.6f}" for v in triple_losses)),
        claim_between("n=2: p*(0.1) = p*(10) = 0.16 (±1e-6)", np.abs(p_ends - 0.16), 0, 1e-6, fmt=".2e"),
        claim_between(f"n=3: the low-density configuration ends at p = 4/7 for every r > 1 (max |Δp| ≤ {TOL:g}) "
                      "and at 4r/(2+5r) for r < 1", np.abs(p3 - closed3).max(), 0, TOL, fmt=".2e"),
        claim_between(f"n=3: phase_boundary_n3m2 agrees with the bisected boundary (max |Δp| ≤ {TOL:g})",
                      np.abs(p3 - p3_fn).max(), 0, TOL, fmt=".2e"),
        claim_between("n=3: for r > 1 the boundary does not depend on r (spread of the bisected p over r > 1)",
                      np.ptp(p3[above1]), 0, TOL, fmt=".2e"),
        claim("n=3: all four configurations W⊥[0,0,1], W⊥[1,0,0], W⊥[1,1,0], W⊥[0,1,1] occur on the grid",
              [CONFIG_NAMES[c] for c in configs_present], configs_present == [0, 1, 2, 3],
              measured=", ".join(CONFIG_NAMES[c] for c in configs_present)),
        claim_between(f"n=3: at dense p the extra feature's change (g → f) is at r = 1, and at p = 0.05 the "
                      f"partner change (h_last → h_first) is at r = 1 (|r − 1| ≤ {TOL:g})",
                      np.abs(np.concatenate([r3_change, r3_low]) - 1).max(), 0, TOL, fmt=".2e"),
    ]
    # Each Wattenberg claim checks a closed form of docs/paper_spec.md §4.2 (Wattenberg's exact-toy
    # notebook [W], boundaries derived from his loss formulas); the tolerances are the precision of
    # the bisection and of the grid, not a fit.
    wattenberg = "closed form: docs/paper_spec.md §4.2 (Wattenberg [W]); tolerance = bisection/grid precision"
    claims = with_sources(claims, [wattenberg] * len(claims))

    # --- the EXACT theory (toymodels.theory, cached by figures/exact.py) on figure 4's and 6's grids
    g2, g3 = PHASE_N2M1.grid, PHASE_N3M2.grid
    p2, r2 = np.asarray(g2.density), np.asarray(g2.relative_importance)
    p3g, r3g = np.asarray(g3.density), np.asarray(g3.relative_importance)
    ex2 = exact_grid(2, 1, p2, r2, tiny=ctx.tiny)
    ex3 = exact_grid(3, 2, p3g, r3g, tiny=ctx.tiny)
    ex2nb = exact_grid(2, 1, p2, r2, tiny=ctx.tiny, bias=False)
    i_dense, i_r1 = int(np.argmax(p2)), nearest_log_index(r2, 1.0)
    confused_nb = int(ex2nb["global_PxR"][i_dense, i_r1])
    confused_b = int(ex2["global_PxR"][i_dense, i_r1])
    confused_cells_nb = int((ex2nb["global_PxR"] == analysis.PHASE_CONFUSED).sum())
    two_minima_nb = int((ex2nb["n_minima_PxR"] >= 2).sum())
    n2_names = analysis.PHASE_NAMES_EXACT
    claims += [
        claim("McGrath (paper comment): without biases, the exact n=2, m=1 optimum at low sparsity with both features "
              f"important is the same-sign 'confused' W₁ ≈ W₂ phase (densest cell p = {p2[i_dense]:.2g}, r = "
              f"{r2[i_r1]:.2g})", n2_names[confused_nb], confused_nb == analysis.PHASE_CONFUSED,
              measured=f"bias-free: {n2_names[confused_nb]} (W = "
                       f"{np.round(ex2nb['W_PxRxKxHxF'][i_dense, i_r1, 0].ravel(), 3).tolist()}); same-sign global "
                       f"optimum in {confused_cells_nb} of {ex2nb['global_PxR'].size} cells; with biases optimised: "
                       f"{n2_names[confused_b]} (W = {np.round(ex2['W_PxRxKxHxF'][i_dense, i_r1, 0].ravel(), 3).tolist()}"
                       f", b = {np.round(ex2['b_PxRxKxF'][i_dense, i_r1, 0], 3).tolist()})",
              source="paper §4 comments (McGrath), spec 3.4"),
        claim("McGrath: some settings have two (or more) local minima (bias-free exact n=2, m=1)", two_minima_nb,
              two_minima_nb > 0, measured=f"{two_minima_nb} of {ex2nb['n_minima_PxR'].size} cells",
              source="paper §4 comments (McGrath), spec 3.4"),
    ]

    fig, axes = plotting.make_figure(2, 3, figsize=(15, 9.4))
    exact_axes, axes = axes[1], axes[0]
    r_line = np.geomspace(0.1, 10, 400)
    xlabel, ylabel = "relative importance r of the extra feature", "density 1−S"
    plotting.plot_phase_map(
        axes[0], r_R, p_P, n2_PxR, phase_names=analysis.PHASE_NAMES, phase_colors=N2_COLORS,
        curves=[(r_line, np.asarray(analysis.phase_boundary_n2m1(r_line)), "p*(r) = 4r/(2+5r) | 4/(5+2r)", "k--"),
                ([1, 1], [4 / 7, 1], "r = 1", "k:")],
        points=[(triple[0], triple[1], f"triple point ({triple[0]:.2f}, {triple[1]:.3f})")],
        title="n=2, m=1: phase of the extra feature (theory)", xlabel=xlabel, ylabel=ylabel,
        cell_ticks=False)
    plotting.plot_phase_map(
        axes[1], r_R, p_P, n3_PxR, phase_names=CONFIG_NAMES, phase_colors=N3_COLORS,
        curves=[(r_line, np.asarray(analysis.phase_boundary_n3m2(r_line)), "4r/(2+5r) | 4/7", "k--"),
                ([1, 1], [0.01, 1], "r = 1", "k:")],
        title="n=3, m=2: optimal configuration (theory)", xlabel=xlabel, ylabel=ylabel,
        cell_ticks=False)
    p_curve = np.geomspace(0.01, 1, 300)
    r_show = 2.0
    Lc = analysis.wattenberg_losses(p_curve, r_show)
    best = np.minimum(np.minimum(np.asarray(Lc["f"]), np.asarray(Lc["g"])), np.asarray(Lc["h_last"]))
    plotting.plot_curves(
        axes[2], p_curve,
        {"g: extra dropped": Lc["g"], "f: extra dedicated": Lc["f"], "h_last: antipodal pair": Lc["h_last"],
         "optimum": best},
        styles={"g: extra dropped": "-", "f: extra dedicated": "-", "h_last: antipodal pair": "-",
                "optimum": "k:"},
        vlines=[(float(analysis.phase_boundary_n2m1(r_show)), "p*(2) = 4/9")],
        logx=True, logy=True, xlabel=ylabel, ylabel="expected loss",
        title=f"n=2 losses at r = {r_show:g}: curves cross at p*")
    r_line2 = np.geomspace(0.1, 10, 300)
    n2_curve = [(r_line2, np.asarray(analysis.phase_boundary_n2m1(r_line2)), "Wattenberg p*(r)", "k--")]
    n3_curve = [(r_line2, np.asarray(analysis.phase_boundary_n3m2(r_line2)), "Wattenberg boundary", "k--")]
    n2_colors = N2_COLORS + ("#c44e52",)
    plotting.plot_phase_map(exact_axes[0], r2, p2, ex2["global_PxR"], phase_names=n2_names, phase_colors=n2_colors,
                            curves=n2_curve, title="EXACT n=2, m=1: global minimum (biases optimised)", xlabel=xlabel,
                            ylabel=ylabel)
    plotting.plot_phase_map(exact_axes[1], r3g, p3g, ex3["global_PxR"], phase_names=CONFIG_NAMES_EMPIRICAL,
                            phase_colors=CONFIG_COLORS, curves=n3_curve,
                            title="EXACT n=3, m=2: global minimum (biases optimised)", xlabel=xlabel, ylabel=ylabel)
    plotting.plot_phase_map(exact_axes[2], r2, p2, ex2nb["global_PxR"], phase_names=n2_names,
                            phase_colors=n2_colors, curves=n2_curve,
                            title="EXACT n=2, m=1, no biases (McGrath)", xlabel=xlabel, ylabel=ylabel)
    fig.suptitle("Top: Wattenberg's analytic phase diagrams (paper section 4); boundaries bisected from the phase "
                 "functions. Bottom: the exact global minimum (toymodels.theory) on figures 4 and 6's grids", fontsize=10)
    data = {"r_test": r_test, "p_star_bisected": p_star, "p_star_closed_form": closed,
            "n3_boundary_bisected": p3, "triple_point": triple, "p_star_at_0.1_and_10": p_ends,
            "configs_present": configs_present, "exact_n2_global": ex2["global_PxR"],
            "exact_n3_global": ex3["global_PxR"], "exact_n2_nobias_global": ex2nb["global_PxR"],
            "exact_n2_nobias_minima_count": ex2nb["n_minima_PxR"], "exact_sources": [ex2["source"], ex3["source"],
                                                                                      ex2nb["source"]]}
    return FigureOutput(fig, claims, data)


FIGURE = Figure(
    id="05", name="phase-theory", title="Theoretical phase diagrams (n=2, m=1 and n=3, m=2)",
    section="paper §4; spec 3.4, 4.2",
    paper_claim="exact boundaries r = 1, p = 4r/(2+5r), p = 4/(5+2r); triple point (1, 4/7); "
                "for n=3, p = 4/7 when r > 1",
    sweeps=lambda tiny: [], draw=draw,
    runtime_cpu="no training; drawing about 3 s on a shared 2-core CPU")
