"""Figure 11 (paper section 5 "local almost-orthogonal bases"; paper_spec 3.6 and target 11).

Reads the ``local-bases`` sweep (experiments/nonuniform.py): n=20 = 2 sets of 10 correlated
features, m=10, lowest-loss seed per density. Expected: within each set WᵀW is close to the
identity (the set is a local orthogonal basis of the hidden space), while features of different
sets interfere (the off-diagonal blocks are not small).
"""

from __future__ import annotations

import numpy as np

from experiments.nonuniform import LOCAL_BASES, LOCAL_BASES_TINY
from figures.core import Figure, FigureContext, FigureOutput, claim, claim_between
from toymodels import labels, plotting
from toymodels.analysis import planar
from toymodels.selection import best_seed_index

WITHIN_TOL = 0.1  # mean |cos| between features of one set: "close to identity" (≈ 6° from orthogonal)
NORM_BAND = (0.8, 1.2)  # represented features have ‖W_i‖ ≈ 1


def draw(ctx: FigureContext) -> FigureOutput:
    (run,) = ctx.runs
    bucket = run.buckets[0]
    density = np.asarray(bucket.axes["density"], dtype=float)
    loss = np.asarray(bucket.metrics["eval_loss"], dtype=float)
    P = len(density)
    W_best = bucket.params["W_HxF"][np.arange(P), best_seed_index(loss)]
    b_best = bucket.params["b_F"][np.arange(P), best_seed_index(loss)]
    sets = planar.set_index(bucket.model["n_features"], run.config.data.set_size)
    stats = [planar.set_cosines(W, sets, norm_threshold=0.0) for W in W_best]
    within = np.array([np.mean(np.abs(s["within"])) for s in stats])
    within_max = np.array([np.max(np.abs(s["within"])) for s in stats])
    across = np.array([np.mean(np.abs(s["across"])) for s in stats])
    norms = np.linalg.norm(W_best, axis=1)  # (P, F)

    claims = [
        claim_between(f"within each correlated set WᵀW ≈ I: mean |cos| between features of one set ≤ {WITHIN_TOL} "
                      "at every density", within, 0, WITHIN_TOL),
        claim_between(f"every feature represented with ‖W_i‖ in [{NORM_BAND[0]}, {NORM_BAND[1]}]", norms, *NORM_BAND),
        claim("the two sets interfere: mean |cos| across sets ≥ 3 × the within-set mean (and ≥ 0.1)",
              {"across": across, "within": within}, bool(np.all(across >= np.maximum(3 * within, 0.1))),
              measured=", ".join(f"1−S={p:.2g}: across {a:.3f} vs within {w:.3f}"
                                 for p, a, w in zip(density, across, within))),
    ]
    fig, axes = plotting.make_figure(1, P, figsize=(4.6 * P, 4.4), squeeze=False)
    for j in range(P):
        plotting.plot_interference(axes[0, j], W_best[j].T @ W_best[j], b_best[j], split_at=run.config.data.set_size,
                                   title=f"WᵀW · {labels.density_label(density[j])}\nwithin-set mean |cos| "
                                         f"{within[j]:.3f}, across {across[j]:.3f}")
    fig.suptitle(f"{labels.run_label(run.config, bucket.model)}\nlowest-loss seed · features 0–9 = set 1, "
                 "10–19 = set 2", fontsize=8)
    data = {"density": density, "within_mean_abs_cos": within, "within_max_abs_cos": within_max,
            "across_mean_abs_cos": across, "norms_PxF": norms.round(3)}
    return FigureOutput(fig, claims, data)


FIGURE = Figure(
    id="11", name="local-bases", title="Local almost-orthogonal bases (2 sets of 10 correlated features, m=10)",
    section="paper §5 (correlated features); spec 3.6",
    paper_claim="WᵀW close to the identity within each correlated set; the sets interfere with each other",
    sweeps=lambda tiny: [LOCAL_BASES_TINY if tiny else LOCAL_BASES], draw=draw,
    runtime_cpu="30 s training + 1 s drawing on a shared 2-core CPU (load average 8-15)")
