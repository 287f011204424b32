"""Figure 18 (paper section 8 "Superposition vs Sparsity" for the |x| model; paper_spec 3.10 and
target 18): as inputs get sparser, the |x| model's neurons turn polysemantic, the neurons of the
most important features last.

Reads the ``abs-sweep`` sweep (n=100, m=40, I_i = 0.8^i, 1−S ∈ {1, .3, .1, .03, .01, .003, .001},
one model per level as in the paper, 20k steps), rescales every neuron so its largest |W₁|
weight is 1 (the paper's normalisation), orders neurons by the importance of their largest
feature, and counts neurons by :func:`toymodels.analysis.neuron_status` on W₁ (monosemantic: one
feature holds ≥ 90% of the squared input weight; dead: ‖W₁[k]‖ ≤ 0.01).
"""

from __future__ import annotations

import numpy as np

from experiments.abs_computation import ABS_SWEEP, ABS_SWEEP_TINY
from figures.core import Figure, FigureContext, FigureOutput, claim, nearest_log_index, with_sources
from toymodels import analysis, labels, plotting
from toymodels.analysis.measures import NEURON_MONOSEMANTIC, NEURON_POLYSEMANTIC
from toymodels.data import importance_profile


def draw(ctx: FigureContext) -> FigureOutput:
    (run,) = ctx.runs
    bucket = run.buckets[0]
    density = np.asarray(bucket.axes["density"])
    W1_PxHxF = bucket.params["W1_HxF"][:, 0]  # one seed per level
    W2_PxFxH = bucket.params["W2_FxH"][:, 0]
    n = bucket.model["n_features"]
    importance = importance_profile(run.config.data, n)
    grid = analysis.analyze_grid(W1_PxHxF, None, "abs", W2=W2_PxFxH)
    status_PxH = np.asarray(grid["neuron_status_H"])
    counts_Px3 = np.asarray(grid["neuron_counts_3"])
    path_counts_Px3 = np.asarray(grid["neuron_counts_path_3"])
    sup_PxF = np.asarray(grid["superposition_F"])

    L = len(density)
    fig, axes = plotting.make_figure(L, 1, figsize=(11, 1.75 * L + 0.6), squeeze=False)
    top_P = []
    for p in range(L):
        W1r, _ = (np.asarray(a) for a in analysis.rescale_abs_neurons(W1_PxHxF[p], W2_PxFxH[p]))
        order = np.asarray(analysis.neuron_order_by_importance(W1r, importance))
        top_P.append(np.argmax(np.abs(W1r), axis=1))
        d, mono, poly = counts_Px3[p]
        plotting.plot_neuron_stack(
            axes[p, 0], W1r, neuron_order_H=order, feature_values_F=np.clip(sup_PxF[p], 0.0, 1.0),
            cmap="plasma", width=0.85,
            title=f"{labels.density_label(density[p])}: {mono} monosemantic, {poly} polysemantic, {d} dead",
            ylabel="W₁ (rescaled)", xlabel="neuron (ordered by importance of its largest feature)" if p == L - 1 else "")
        axes[p, 0].tick_params(axis="x", labelsize=6)
    fig.suptitle(labels.run_label(run.config) + " · colour = feature superposition Σ_j (Ŵ₁ᵢ·W₁ⱼ)² on W₁ "
                 "(clipped to [0, 1])", fontsize=9)

    mono_P, poly_P, alive_P = counts_Px3[:, 1], counts_Px3[:, 2], counts_Px3[:, 1] + counts_Px3[:, 2]
    i1, i3, i01, i001 = (nearest_log_index(density, v) for v in (1.0, 0.3, 0.1, 0.001))
    by_density = np.argsort(-density)
    mixed = [p for p in range(L) if mono_P[p] > 0 and poly_P[p] > 0]
    rank_mono = [float(np.mean(top_P[p][status_PxH[p] == NEURON_MONOSEMANTIC])) for p in mixed]
    rank_poly = [float(np.mean(top_P[p][status_PxH[p] == NEURON_POLYSEMANTIC])) for p in mixed]
    # how strong is the ordering? a permutation test of the mean-rank gap, labels shuffled within each level
    def gap(labels_by_level):
        return sum(top_P[p][lab == NEURON_POLYSEMANTIC].mean() - top_P[p][lab == NEURON_MONOSEMANTIC].mean()
                   for p, lab in zip(mixed, labels_by_level))
    rng = np.random.default_rng(0)  # fixed: the figure's numbers are reproducible
    obs = gap([status_PxH[p] for p in mixed]) if mixed else float("nan")
    null = np.array([gap([rng.permutation(status_PxH[p]) for p in mixed]) for _ in range(2000)]) if mixed else np.array([])
    perm_p = float((1 + np.sum(null >= obs)) / (1 + null.size)) if mixed else float("nan")
    claims = [
        claim(f"{labels.density_label(density[i1])} and {labels.density_label(density[i3])}: every live neuron "
              "monosemantic", [int(poly_P[i1]), int(poly_P[i3])], bool(poly_P[i1] == 0 and poly_P[i3] == 0),
              f"polysemantic: {int(poly_P[i1])} and {int(poly_P[i3])} (of {int(alive_P[i1])} and "
              f"{int(alive_P[i3])} live)"),
        claim(f"{labels.density_label(density[i01])}: the first polysemantic neurons — at least 1, and fewer "
              "than the monosemantic ones (\"a few\")", [int(mono_P[i01]), int(poly_P[i01])],
              bool(1 <= poly_P[i01] < mono_P[i01]), f"{int(mono_P[i01])} mono, {int(poly_P[i01])} poly"),
        claim(f"{labels.density_label(density[i001])}: all live neurons polysemantic", int(mono_P[i001]),
              bool(mono_P[i001] == 0 and poly_P[i001] > 0),
              f"{int(mono_P[i001])} mono, {int(poly_P[i001])} poly"),
        claim("polysemantic neurons never decrease as 1−S falls", poly_P[by_density],
              bool(np.all(np.diff(poly_P[by_density]) >= 0))),
        claim("neurons of the most important features stay monosemantic longest: where both kinds exist, the "
              "mean index (importance rank) of monosemantic neurons' top feature < polysemantic neurons'",
              {"density": density[mixed], "mono": rank_mono, "poly": rank_poly},
              bool(mixed) and all(a < b for a, b in zip(rank_mono, rank_poly)),
              ("; ".join(f"{density[p]:.3g}: {a:.1f} vs {b:.1f}" for p, a, b in zip(mixed, rank_mono, rank_poly))
               + f" — gap summed over these levels {obs:.1f}, permutation p = {perm_p:.2f} (labels shuffled within "
               "levels); polysemantic neurons whose top feature is feature 0: "
               + ", ".join(f"{density[p]:.3g}: {int(np.sum((status_PxH[p] == NEURON_POLYSEMANTIC) & (top_P[p] == 0)))}"
                           for p in mixed)) if mixed else "no level with both kinds"),
    ]
    data = {"density": density, "neuron_counts_Px3 (dead, mono, poly) on W1": counts_Px3,
            "neuron_counts_path_Px3 (dead, mono, poly) on W1*W2": path_counts_Px3,
            "neuron_status_PxH": status_PxH, "top_feature_PxH": np.asarray(top_P),
            "eval_loss_P": bucket.metrics["eval_loss"][:, 0], "rank_gap_permutation_p": perm_p}
    return FigureOutput(fig, with_sources(claims, SOURCES), data)


SOURCES = (
    'paper §8 (spec 3.10): "1.0: all neurons monosemantic. 0.3: still monosemantic."',
    'paper §8 (spec 3.10): "0.1: a few slightly polysemantic neurons" — "a few" read as at least 1 and fewer than the monosemantic ones',
    'paper §8 (spec 3.10): "0.001: all neurons highly polysemantic"',
    'paper §8 (spec 3.10): "0.03: a few ... 0.01 and 0.003: more polysemantic neurons ... 0.001: all" — read as never decreasing',
    'paper §8 (spec 3.10): "Neurons for the most important features stay monosemantic longest"; the per-level comparison of mean importance ranks is a reading fixed before the runs',
)


FIGURE = Figure(
    id="18", name="abs-sweep", title="|x| model: neurons turn polysemantic as inputs get sparser",
    section="paper §8 (superposition vs sparsity, |x| model); spec 3.10",
    paper_claim="n=100, m=40: monosemantic down to 1−S=0.3, a few polysemantic neurons at 0.1, more and more "
                "below, all highly polysemantic at 0.001; important features' neurons monosemantic longest",
    sweeps=lambda tiny: [ABS_SWEEP_TINY if tiny else ABS_SWEEP], draw=draw,
    runtime_cpu="292 s on a shared 2-core CPU (load average 5-14)")
