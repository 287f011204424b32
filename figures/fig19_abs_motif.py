"""Figure 19 (paper section 8, "the asymmetric superposition motif"; paper_spec 3.10 and target 19).

Reads the ``abs-motif`` sweep (the |x| model, n=10, m=10, I_i = 0.8^i, 1−S = 0.35 — ARENA's
reproduction — 20 seeds), keeps the lowest-loss seed, rescales each neuron so its largest |W₁|
weight is 1, and looks for the motif with :func:`toymodels.analysis.neurons.abs_asymmetric_motif`:
a neuron holding two features with opposite-sign in-weights whose magnitudes differ ≥ 2× and
reciprocal read-out weights (≥ 2× the other way), both path weights ≥ 0.5 — the paper's [2, −½]
in, [½, 2] out — plus another neuron that inhibits the output receiving positive interference.
"""

from __future__ import annotations

import numpy as np

from experiments.abs_computation import ABS_MOTIF, ABS_MOTIF_TINY
from figures.core import Figure, FigureContext, FigureOutput, claim, with_sources
from toymodels import analysis, labels, plotting
from toymodels.analysis.neurons import abs_asymmetric_motif
from toymodels.data import importance_profile
from toymodels.selection import best_seed_index


def _motif(W1, W2):
    W1r, W2r = (np.asarray(a) for a in analysis.rescale_abs_neurons(W1, W2))
    return W1r, W2r, {k: np.asarray(v) for k, v in abs_asymmetric_motif(W1r, W2r).items()}


def draw(ctx: FigureContext) -> FigureOutput:
    (run,) = ctx.runs
    bucket = run.buckets[0]
    loss_S = bucket.metrics["eval_loss"]
    W1_S, W2_S = bucket.params["W1_HxF"], bucket.params["W2_FxH"]
    n, m = bucket.model["n_features"], bucket.model["n_hidden"]
    importance = importance_profile(run.config.data, n)
    per_seed = [_motif(W1_S[s], W2_S[s])[2] for s in range(len(loss_S))]
    seeds_with = [s for s, r in enumerate(per_seed) if r["is_motif_H"].any()]
    seeds_with_inh = [s for s, r in enumerate(per_seed) if (r["is_motif_H"] & r["has_inhibitor_H"]).any()]
    best = int(best_seed_index(loss_S))
    W1r, W2r, mot = _motif(W1_S[best], W2_S[best])
    order = np.asarray(analysis.neuron_order_by_importance(W1r, importance))
    motif_neurons = np.flatnonzero(mot["is_motif_H"])

    fig, axes = plotting.make_figure(1, 2, figsize=(11, 4.0), squeeze=False)
    plotting.plot_neuron_stack(axes[0, 0], W1r, neuron_order_H=order, feature_values_F=importance,
                               feature_labels=[f"x{i}" for i in range(n)], legend_title="feature",
                               title="W₁ per neuron (rescaled: max |w| = 1; colour = importance)",
                               xlabel="neuron", ylabel="input weight")
    im, _ = plotting.plot_interference(axes[0, 1], W2r[:, order], vlim=float(max(np.abs(W2r).max(), 1e-9)),
                                       title="W₂ (read-out, same neuron order)", xlabel="neuron",
                                       ylabel="output feature")
    axes[0, 1].set_xticks(np.arange(m))
    axes[0, 1].set_xticklabels([str(k) for k in order])
    fig.colorbar(im, ax=axes[0, 1], shrink=0.8)
    lines = []
    for k in motif_neurons:
        i, j = int(mot["primary_H"][k]), int(mot["secondary_H"][k])
        inh = int(mot["inhibitor_H"][k])
        lines.append(f"neuron {k}: in [{W1r[k, i]:.2f}, {W1r[k, j]:.2f}] on (x{i}, x{j}), out "
                     f"[{W2r[i, k]:.2f}, {W2r[j, k]:.2f}]" + (f"; inhibitor: neuron {inh}" if inh >= 0 else ""))
    fig.suptitle(f"{labels.run_label(run.config)} · {labels.density_label(run.config.data.density)} · "
                 f"lowest-loss seed\n" + ("; ".join(lines) if lines else "no asymmetric neuron in this model"),
                 fontsize=8)

    claims = [
        claim("the lowest-loss model has an asymmetric neuron: two features with opposite-sign in-weights ≥ 2× "
              "apart and reciprocal read-outs ≥ 2× the other way, both path weights ≥ 0.5 (paper: in [2, −½], "
              "out [½, 2])", motif_neurons, motif_neurons.size > 0,
              ("; ".join(lines) if lines else "none") + f" — {len(seeds_with)} of {len(loss_S)} seeds have one"),
        claim("that motif comes with a neuron inhibiting the output that receives its positive interference "
              "(cancelling ≥ 50% of it)", [int(mot["inhibitor_H"][k]) for k in motif_neurons],
              bool(np.any(mot["has_inhibitor_H"][motif_neurons])) if motif_neurons.size else False,
              (", ".join(f"neuron {k} → inhibitor {int(mot['inhibitor_H'][k])}" for k in motif_neurons) or "no motif")
              + f" — {len(seeds_with_inh)} of {len(loss_S)} seeds have a motif with an inhibitor"),
    ]
    data = {"best_seed": best, "W1_rescaled_HxF": W1r, "W2_rescaled_FxH": W2r, "motif": mot,
            "seeds_with_motif": seeds_with, "seeds_with_motif_and_inhibitor": seeds_with_inh, "eval_loss_S": loss_S}
    return FigureOutput(fig, with_sources(claims, SOURCES), data)


SOURCES = (
    'paper §8 (spec 3.10): "one neuron stores two features with weights like [2, −½] and reads out with reciprocal weights [½, 2]" (a ratio of 4 each way); ≥ 2× (half the paper\'s ratio) and path ≥ 0.5 are conventions fixed before the runs; ARENA\'s setting n=10, m=10, 1−S=0.35 [A]',
    'paper §8 (spec 3.10): "A second neuron strongly inhibits the feature that would receive positive interference"; cancelling ≥ 50% is a convention fixed before the runs',
)


FIGURE = Figure(
    id="19", name="abs-motif", title="|x| model: the asymmetric superposition motif",
    section="paper §8 (asymmetric superposition); spec 3.10 (ARENA's n=10, m=10, 1−S=0.35)",
    paper_claim="a neuron stores two features with in-weights like [2, −½] and reads out [½, 2]; a second neuron "
                "inhibits the feature that would get positive interference",
    sweeps=lambda tiny: [ABS_MOTIF_TINY if tiny else ABS_MOTIF], draw=draw,
    runtime_cpu="55 s on a shared 2-core CPU (load average 5-14)")
