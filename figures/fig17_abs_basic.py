"""Figure 17 (paper section 8 "Computation in Superposition", basic results; paper_spec 3.10 and
target 17): the |x| model with n=3 features and m=6 neurons computes |x_i| = ReLU(x_i) + ReLU(−x_i)
with one neuron of each sign per feature and no superposition.

Reads the ``abs-basic`` sweep (dense inputs, uniform importance, 10 seeds), keeps the lowest-loss
seed, applies the rescaling symmetry (each neuron's largest |W₁| weight set to 1, paper_spec 2)
and checks the neurons' status (input weights and rescaling-invariant path weights), their signs
and their read-out.
"""

from __future__ import annotations

import numpy as np

from experiments.abs_computation import ABS_BASIC, ABS_BASIC_TINY
from figures.core import Figure, FigureContext, FigureOutput, claim, claim_between, with_sources
from toymodels import analysis, labels, plotting
from toymodels.analysis.neurons import abs_neuron_roles
from toymodels.selection import best_of_seeds, best_seed_index


def draw(ctx: FigureContext) -> FigureOutput:
    (run,) = ctx.runs
    bucket = run.buckets[0]
    loss_S = bucket.metrics["eval_loss"]
    W1 = best_of_seeds(bucket.params["W1_HxF"], loss_S)
    W2 = best_of_seeds(bucket.params["W2_FxH"], loss_S)
    n, m = bucket.model["n_features"], bucket.model["n_hidden"]
    W1r, W2r = (np.asarray(a) for a in analysis.rescale_abs_neurons(W1, W2))
    roles = {k: np.asarray(v) for k, v in abs_neuron_roles(W1r, W2r).items()}
    order = np.lexsort((-roles["sign_H"], roles["top_feature_H"]))  # by feature, ReLU(x) first
    status_in = np.asarray(analysis.neuron_status(W1r))
    status_path = np.asarray(analysis.neuron_status(analysis.abs_path_weights(W1r, W2r)))
    top_share = np.asarray(analysis.neuron_feature_fractions(W1r)).max(axis=1)
    best_loss = float(np.min(loss_S))
    density = run.config.data.density
    zero_loss = 1.0 / 3.0  # E[x_i²] for x_i ~ U[-1, 1] at density 1: the loss of predicting 0

    fig, axes = plotting.make_figure(1, 2, figsize=(9.5, 3.6), squeeze=False)
    feat_names = [f"x{i}" for i in range(n)]
    plotting.plot_neuron_stack(
        axes[0, 0], W1r, neuron_order_H=order, feature_values_F=np.arange(n),
        feature_labels=feat_names, legend_title="feature",
        title="W₁ per neuron (rescaled: max |w| = 1)", xlabel="neuron", ylabel="input weight")
    im, _ = plotting.plot_interference(
        axes[0, 1], W2r[:, order], vlim=float(max(np.abs(W2r).max(), 1e-9)),
        title="W₂ (read-out, same neuron order)", xlabel="neuron", ylabel="output feature")
    axes[0, 1].set_xticks(np.arange(m))
    axes[0, 1].set_xticklabels([str(k) for k in order])
    axes[0, 1].set_yticks(np.arange(n))
    axes[0, 1].set_yticklabels(feat_names)
    fig.colorbar(im, ax=axes[0, 1], shrink=0.8)
    fig.suptitle(f"{labels.run_label(run.config)} · {labels.density_label(density)} · lowest-loss seed "
                 f"(loss {best_loss:.2g})", fontsize=9)

    pairs = sorted(zip(roles["top_feature_H"].tolist(), roles["sign_H"].tolist()))
    want = sorted((i, s) for i in range(n) for s in (1, -1))
    claims = [
        claim(f"all {m} neurons monosemantic on W₁ (top feature ≥ 90% of the squared weight)",
              status_in, bool(np.all(status_in == 1)),
              f"{int((status_in == 1).sum())} of {m} (top shares {np.round(np.sort(top_share), 3).tolist()})"),
        claim(f"all {m} neurons monosemantic on the rescaling-invariant path weights W₁·W₂ᵀ",
              status_path, bool(np.all(status_path == 1)), f"{int((status_path == 1).sum())} of {m}"),
        claim("each feature has exactly one ReLU(x_i) neuron (W₁ > 0) and one ReLU(−x_i) neuron (W₁ < 0)",
              pairs, pairs == want, "(feature, sign) per neuron: " + str(pairs)),
        claim_between("both neurons of a feature read out into |x_i| with path weight |W₁|·W₂ = 1 ± 0.1 "
                      "(exact |x| needs 1)", roles["path_H"], 0.9, 1.1),
        claim(f"computes |x|: test loss < 1e-3 (predicting 0 costs {zero_loss:.3f})", best_loss,
              best_loss < 1e-3),
    ]
    data = {"W1_rescaled_HxF": W1r, "W2_rescaled_FxH": W2r, "b_F": best_of_seeds(bucket.params["b_F"], loss_S),
            "neuron_order_H": order, "roles": roles, "eval_loss_S": loss_S,
            "best_seed": int(best_seed_index(loss_S))}
    return FigureOutput(fig, with_sources(claims, SOURCES), data)


SOURCES = (
    'paper §8 (spec 3.10): n=3, m=6 "each feature gets a ReLU(x_i) neuron and a ReLU(−x_i) neuron ... no superposition"; monosemantic = one feature ≥ 90% of the squared weight, the project\'s neuron rule fixed before the runs',
    'paper §8 (spec 3.10), as the previous claim, on the rescaling-invariant path weights (the ReLU rescaling symmetry, spec §2)',
    'paper §8 (spec 3.10): "each feature gets a ReLU(x_i) neuron and a ReLU(−x_i) neuron" — exact',
    'closed form: |x| = ReLU(x) + ReLU(−x) needs path weight exactly 1 for both neurons; ±0.1 is a convention fixed before the runs',
    'closed form: the two-neuron code computes |x_i| exactly (loss 0), while predicting 0 costs E[x²] = 1/3; 1e-3 (0.3% of that) is a convention fixed before the runs',
)


FIGURE = Figure(
    id="17", name="abs-basic", title="|x| in 6 neurons: a ReLU(x) and a ReLU(−x) neuron per feature",
    section="paper §8 (computation in superposition, basic results); spec 3.10",
    paper_claim="n=3, m=6: each feature gets a ReLU(x_i) and a ReLU(−x_i) neuron summed by W₂; no superposition",
    sweeps=lambda tiny: [ABS_BASIC_TINY if tiny else ABS_BASIC], draw=draw,
    runtime_cpu="18 s on a shared 2-core CPU")
