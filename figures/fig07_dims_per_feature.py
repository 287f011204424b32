"""Figure 7 (paper "Geometry: uniform superposition"; paper_spec 3.5 and target 7): dimensions
per feature D* = m/‖W‖²_F against 1/(1−S).

Reads the ``uniform`` sweep (experiments/uniform.py: the notebook's n=200, m=20, equal importance,
20 densities 20^-linspace(0,1,20), one model per density, 10k steps; the paper's n=400, m=30 is
scaled down to fit a CPU budget). Checks the "sticky" plateaus: D* = 1 while dense, a drop near
1/(1−S) ≈ 1.75, the antipodal-pair plateau at 1/2 over 1/(1−S) ≈ 1.9–3.5, then a decline.
The dashed curve is the notebook re-run's D* ([NBrun] in the spec), for comparison.
"""

from __future__ import annotations

import numpy as np

from experiments.uniform import UNIFORM, UNIFORM_TINY
from figures.core import Figure, FigureContext, FigureOutput, claim, claim_between
from toymodels import analysis, labels, plotting
from toymodels.analysis.levels import crossing_x
from toymodels.selection import best_of_seeds

# D* of the notebook's Colab re-run at 1/(1−S) = 20^linspace(0,1,20) (paper_spec 3.5, [NBrun]).
NBRUN_D_STAR = (1.003, .998, .951, .830, .584, .526, .510, .505, .503, .432, .369, .341, .289, .261,
                .228, .208, .188, .170, .151, .136)


def uniform_measures(run) -> dict:
    """Best-seed weights of the uniform sweep and their measures, levels ordered by 1/(1−S)."""
    bucket = run.buckets[0]
    density = np.asarray(bucket.axes["density"], dtype=float)
    order = np.argsort(1.0 / density)
    W = best_of_seeds(bucket.params["W_HxF"], bucket.metrics["eval_loss"])[order]
    b = best_of_seeds(bucket.params["b_F"], bucket.metrics["eval_loss"])[order]
    out = analysis.analyze_grid(W, b, "relu")
    out.update(density=density[order], x=1.0 / density[order], W_LxHxF=W, b_LxF=b, order=order,
               m=int(bucket.model["n_hidden"]), n=int(bucket.model["n_features"]))
    return out


X_LABEL = "1/(1−S)  (1 / feature probability)"
NBRUN_X = 20 ** np.linspace(0, 1, len(NBRUN_D_STAR))
PLATEAU = (1.9, 3.5)  # spec 3.5/§6 target 7: the [NBrun] levels 4-8 sit at 1/2
# the plateau tolerance: the largest deviation from 1/2 of the independent notebook re-run at the
# plateau levels ([NBrun] .526, .510, .505 at 2.20, 2.58, 3.02), rounded up to the next 0.01
PLATEAU_TOL = float(np.ceil(100 * np.max(np.abs(
    np.asarray(NBRUN_D_STAR)[(NBRUN_X >= PLATEAU[0]) & (NBRUN_X <= PLATEAU[1])] - 0.5))) / 100)


def dims_claims(x_L, D_star_L):
    """Figure 7's claims from D* per level (levels sorted by 1/(1−S)); callable on any arrays, e.g.
    the D* of random or shuffled weights in the negative-control tests. Returns (claims, crossing)."""
    x, D_star = np.asarray(x_L, float), np.asarray(D_star_L, float)
    dense = x <= 1.4
    plateau = (x >= PLATEAU[0]) & (x <= PLATEAU[1])
    tail = x > PLATEAU[1]
    cross = crossing_x(x, D_star, 0.75)
    tail_D = D_star[tail]
    monotone = bool(tail_D.size) and bool(np.all(np.diff(tail_D) <= 0.0))
    step = float(20 ** (1 / 19))  # the log grid's ratio between levels
    claims = [
        claim_between("D* ≈ 1 (within [0.9, 1.05]) at every level with 1/(1−S) ≤ 1.4", D_star[dense], 0.9, 1.05,
                      source="paper §5 (spec 3.5): D* is \"sticky\" at 1 while dense; closed form 1 for dedicated "
                             "features (spec §4.1). [NBrun]: 1.003, .998, .951 at 1/(1−S) = 1.00, 1.17, 1.37; the "
                             "band holds those with a margin of NBrun's largest deviation (0.05)"),
        claim_between(f"the drop: D* falls through 3/4 at 1/(1−S) in [{1.75 / step:.2f}, {1.75 * step:.2f}] "
                      "(closed form 1.75, ± one grid step)", cross, 1.75 / step, 1.75 * step,
                      source="closed form (spec §4.2, uniform analogue): m antipodal pairs beat m dedicated features "
                             "iff p < 4/7 ⇔ 1/(1−S) > 1.75; paper §5 shows the drop there. Tolerance: one step of "
                             "the log grid (ratio 20^(1/19) = 1.17); [NBrun] crosses 3/4 between 1.60 and 1.88"),
        claim_between(f"plateau: |D* − 1/2| ≤ {PLATEAU_TOL:.2f} at every level with 1/(1−S) in "
                      f"[{PLATEAU[0]}, {PLATEAU[1]}]", D_star[plateau], 0.5 - PLATEAU_TOL, 0.5 + PLATEAU_TOL,
                      source="paper §5: D* \"sticky\" at 1/2 (antipodal pairs); closed form D_i = 1/2 for a digon "
                             "(spec §4.1). Tolerance = the largest deviation from 1/2 of the independent notebook "
                             "re-run at these levels ([NBrun] .526, .510, .505 → 0.026, rounded up), symmetric; the "
                             "level range [1.9, 3.5] is spec 3.5's reading of [NBrun] (levels 4–8). Not fitted to "
                             "our run"),
        claim("then a decline: D* non-increasing over the levels with 1/(1−S) > 3.5", tail_D.round(3), monotone,
              source="paper §5 (spec 3.5): after the plateau D* declines; [NBrun] decreases at every level after "
                     "3.5. No tolerance: a decline is stated without one"),
        claim_between("sparsest level (1/(1−S) = 20): D* within [0.10, 0.18] (notebook re-run: 0.136)",
                      D_star[-1:] if np.isclose(x[-1], 20, rtol=0.01) else [], 0.10, 0.18,
                      source="spec 3.5 [NBrun]: 0.136 at 1/(1−S) = 20; the paper states no value. [NBrun] is one run "
                             "(no published spread) and the spec calls levels ≥ 12 under-converged, so ±0.04 "
                             "(≈30%) is a convention fixed before our runs: an order-of-magnitude check, wider than "
                             "NBrun's level-to-level step (0.015)"),
    ]
    return claims, cross


def draw(ctx: FigureContext) -> FigureOutput:
    (run,) = ctx.runs
    u = uniform_measures(run)
    x, D_star = u["x"], np.asarray(u["D_star"], dtype=float)
    fig, ax = plotting.make_figure(1, 1, figsize=(7.0, 4.2))
    plotting.plot_dimensionality(
        ax, x, D_star, fractions=((1, 1), (3, 4), (1, 2), (2, 5), (1, 3)),
        title=f"Dimensions per feature · {labels.run_label(run.config)}",
        xlabel=X_LABEL, ylabel="D* = m / ‖W‖²_F", line_label="this run")
    nb_x = NBRUN_X
    if not ctx.tiny:
        plotting.plot_curves(ax, nb_x, {"notebook re-run (paper_spec [NBrun])": NBRUN_D_STAR},
                             styles={"notebook re-run (paper_spec [NBrun])": "--"}, logx=True, cell_ticks=False,
                             title=ax.get_title(), xlabel=X_LABEL, ylabel="D* = m / ‖W‖²_F")
    ax.title.set_fontsize(8)

    claims, cross = dims_claims(x, D_star)
    data = {"inv_density": x, "D_star": D_star, "D_sum": np.asarray(u["D_sum"], float),
            "notebook_rerun_D_star": NBRUN_D_STAR, "drop_crossing_x": cross}
    return FigureOutput(fig, claims, data)


FIGURE = Figure(
    id="07", name="dims-per-feature", title="Dimensions per feature D* against sparsity (uniform importance)",
    section="paper §5 (uniform superposition); spec 3.5",
    paper_claim="D* is sticky at 1 (dense) and at 1/2 (antipodal pairs, 1/(1−S) ≈ 1.9–3.5), then declines "
                "(scaled down: n=200, m=20 as the notebook, not the paper's n=400, m=30)",
    sweeps=lambda tiny: [UNIFORM_TINY if tiny else UNIFORM], draw=draw,
    runtime_cpu="220 s training (the uniform sweep, shared with figures 8, 13, 15) + 3 s drawing on a shared 2-core CPU (load ~13)")
