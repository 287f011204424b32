"""Figure 3 (paper "Demonstrating superposition", the scaled-up version; paper_spec 3.2 and
target 3): WᵀW and ‖W_i‖ of n=100 features in m=20 dimensions across sparsity.

Reads the ``basic-scaled`` sweep (experiments/basic.py: the notebook's run, importance
100^-linspace(0, 1, 100), 20 densities 20^-linspace(0, 1, 20), one model each; the paper's own
scaled version is n=80, m=20, I = 0.9^i) and shows every other density, as the notebook's
render_features(model, np.s_[::2]) does. Checks the number of features with ‖W_i‖ > 0.5 against
the notebook re-run's counts ([NBrun]: 20 → 50 from 1−S = 1 to 0.06).
"""

from __future__ import annotations

import numpy as np

from experiments.basic import SCALED, SCALED_TINY
from figures.core import Figure, FigureContext, FigureOutput, claim, claim_between
from toymodels import analysis, labels, plotting
from toymodels.selection import best_of_seeds

# Features with ‖W‖ > 0.5 at 1−S = 20^-linspace(0,1,20)[::2] in the notebook re-run (paper_spec 3.2).
NBRUN_COUNTS = (20, 21, 24, 30, 33, 37, 40, 43, 47, 50)


def draw(ctx: FigureContext) -> FigureOutput:
    (run,) = ctx.runs
    bucket = run.buckets[0]
    density = np.asarray(bucket.axes["density"], float)
    order = np.argsort(-density)
    loss = bucket.metrics["eval_loss"]
    W = best_of_seeds(bucket.params["W_HxF"], loss)[order]
    b = best_of_seeds(bucket.params["b_F"], loss)[order]
    density = density[order]
    m = int(bucket.model["n_hidden"])
    a = analysis.analyze_grid(W, b, "relu")
    norms = np.asarray(a["norms_F"], float)
    counts = (norms > 0.5).sum(axis=1)
    shown = np.arange(0, len(density), 2)

    fig, axes = plotting.make_figure(2, len(shown), figsize=(2.0 * len(shown), 5.6), squeeze=False)
    for c, k in enumerate(shown):
        WtW = W[k].T @ W[k]
        plotting.plot_interference(axes[0, c], WtW, b[k], split_at=m, title=labels.density_label(density[k]),
                                   bias_title="b")
        axes[0, c].set_xticks([])
        axes[0, c].set_yticks([])
        plotting.plot_norm_bars(axes[1, c], norms[k], np.sqrt(np.asarray(a["superposition_F"][k], float)),
                                split_at=m, title=f"{counts[k]} with ‖W_i‖ > 0.5", xlabel="‖W_i‖")
        axes[1, c].set_xlim(0, 1.3)
        axes[1, c].set_yticks([])
    fig.suptitle(f"{labels.run_label(run.config)} · every other density · WᵀW and b on coolwarm [−1, 1]; "
                 "bars coloured by sqrt of superposition (viridis, 0–1)", fontsize=9)

    shown_counts = counts[shown]
    nb = np.asarray(NBRUN_COUNTS[: len(shown)])
    diffs = shown_counts - nb
    tol = np.maximum(2, np.ceil(0.1 * nb))
    steps_ok = bool(np.all(np.diff(shown_counts) >= -1))
    claims = [
        claim(f"dense (1−S = {density[0]:.3g}): exactly m = {m} features with ‖W_i‖ > 0.5", int(counts[0]),
              int(counts[0]) == m,
              source="closed form (spec §4.1): at 1−S = 1 the ReLU model matches the linear optimum (paper §2), "
                     "which keeps exactly the top m features; [NBrun]: 20"),
        claim_between(f"sparsest shown ({labels.density_label(density[shown[-1]])}): ~50 features with "
                      "‖W_i‖ > 0.5 (within [45, 55]; [NBrun] 50)", shown_counts[-1:], 45, 55,
                      source="spec 3.2 [NBrun] (the notebook's Colab re-run): 50 at 1−S = 0.06. [NBrun] is one run, "
                             "so it gives no spread: ±10% is a convention fixed before our runs, not a measured "
                             "interval"),
        claim("every shown density within max(2, 10%) of the notebook re-run's count "
              f"{list(NBRUN_COUNTS)}", {"ours": shown_counts.tolist(), "ours − NBrun": diffs.tolist()},
              len(shown) == len(NBRUN_COUNTS) and bool(np.all(np.abs(diffs) <= tol)),
              source="spec 3.2 [NBrun] counts 20, 21, 24, 30, 33, 37, 40, 43, 47, 50; tolerance max(2, 10%) is a "
                     "convention fixed before our runs (one published run, no spread); 2 = twice the seed-to-seed "
                     "spread of the n=20 reference runs (spec 3.2 [R])"),
        claim("the count grows with sparsity (no drop larger than 1 between shown densities)",
              shown_counts.tolist(), steps_ok,
              source="paper §2: the scaled model is \"essentially a rescaled version\" of figure 2, whose count grows "
                     "with sparsity; a drop of 1 is allowed: the seed-to-seed spread of the reference runs "
                     "(spec 3.2 [R])"),
    ]
    data = {"density": density, "n_norm_gt_half": counts, "D_star": np.asarray(a["D_star"], float),
            "notebook_rerun_counts_every_other": NBRUN_COUNTS}
    return FigureOutput(fig, claims, data)


FIGURE = Figure(
    id="03", name="scaled-basic", title="Scaled basic results: 100 features in 20 dimensions across sparsity",
    section="paper §2 (demonstrating superposition, scaled up); spec 3.2",
    paper_claim="a rescaled version of figure 2: features with ‖W_i‖ > 0.5 grow from 20 to ~50 between "
                "1−S = 1 and 0.06 (the notebook's n=100, m=20 run, not the paper's n=80, I=0.9^i)",
    sweeps=lambda tiny: [SCALED_TINY if tiny else SCALED], draw=draw,
    runtime_cpu="212 s training + 9 s drawing on a shared 2-core CPU (load ~13)")
