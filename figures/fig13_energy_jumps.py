"""Figure 13 (paper "Learning dynamics"; paper_spec 3.7 and target 13): energy-level jumps.

From the ``uniform`` sweep (figures 7/8: n=200, m=20, equal importance, 150 log-spaced weight
snapshots over 10k steps; scaled down from the paper's n=400, m=30) it picks, as the paper does,
a run in which every learned feature ends as a digon: among the plateau levels 1/(1−S) ∈ [1.9, 3.5]
the one with the largest share of learned features (final D_i ≥ 0.1) within 0.02 of 1/2 (the
lowest density wins a tie). It plots each learned feature's D_i(t) with the logged loss (the logged weights' exact loss on a
fixed evaluation batch),
marks the jumps that :func:`toymodels.analysis.detect_jumps` finds (|ΔD_i| > 0.1 between
consecutive snapshots), and checks that D_i changes are step-like and that the loss falls where
the geometry moves.
"""

from __future__ import annotations

import numpy as np

from experiments.uniform import UNIFORM, UNIFORM_TINY
from figures.core import Figure, FigureContext, FigureOutput, claim, claim_between
from toymodels import analysis, labels, plotting
from toymodels.analysis.levels import activity_loss_correlation

MIN_STEP = 100  # skip the first 1% of training, where the biases fit E[x] whatever the geometry does


def draw(ctx: FigureContext) -> FigureOutput:
    (run,) = ctx.runs
    bucket = run.buckets[0]
    density = np.asarray(bucket.axes["density"], float)
    x = 1.0 / density
    hist = bucket.history
    steps = np.asarray(hist["steps_T"])
    W_LxTxHxF = hist["W_HxF"][:, 0]  # one seed per level
    loss_LxT = hist["loss"][:, 0]
    D_final_LxF = np.asarray(analysis.analyze_grid(W_LxTxHxF[:, -1])["D_F"], float)
    plateau = np.flatnonzero((x >= 1.9) & (x <= 3.5))
    candidates = plateau if plateau.size else np.arange(len(x))

    def digon_share(level):
        learned = D_final_LxF[level][D_final_LxF[level] >= 0.1]
        return float(np.mean(np.abs(learned - 0.5) <= 0.02)) if learned.size else 0.0

    shares = np.array([digon_share(k) for k in candidates])
    level = int(candidates[np.argmax(shares)])  # argmax: first (lowest 1/(1−S)) on ties
    W_TxHxF, loss_T = W_LxTxHxF[level], loss_LxT[level]
    tm = analysis.trajectory_measures(W_TxHxF, loss_T)
    D_TxF = np.asarray(tm["D_TxF"], float)
    learned = np.flatnonzero(D_TxF[-1] >= 0.1)
    D_sel = D_TxF[:, learned]
    jumps = analysis.detect_jumps(D_sel, steps, loss_T)
    jump_steps = sorted({j["step"] for j in jumps["jumps"]})
    corr = activity_loss_correlation(D_sel, loss_T, steps, min_step=MIN_STEP)
    features_with_jump = int(sum(len(s) > 0 for s in jumps["steps_per_feature"]))

    fig, (ax, ax2) = plotting.make_figure(1, 2, figsize=(12.0, 4.4))
    plotting.plot_dynamics(
        ax, steps, D_sel, loss_T, jump_steps=jump_steps,
        title=f"D_i(t) of the {learned.size} learned features at {labels.density_label(density[level])} "
              f"(1/(1−S) = {x[level]:.2f})\n{labels.run_label(run.config)}",
        xlabel="training step", ylabel="feature dimensionality D_i", loss_label="loss on a fixed eval batch (black)")
    ax.title.set_fontsize(8)
    used = corr["used_T1"]
    mid_steps = np.sqrt(steps[:-1] * steps[1:])[used]
    act, drop = corr["activity_T1"][used], corr["drop_T1"][used]
    scale = lambda v: v / np.max(np.abs(v)) if v.size and np.max(np.abs(v)) > 0 else v  # noqa: E731
    plotting.plot_curves(
        ax2, mid_steps, {"Σ_i |ΔD_i| per snapshot interval (scaled to max 1)": scale(act),
                         "relative loss drop (scaled to max 1)": scale(drop)},
        styles={"Σ_i |ΔD_i| per snapshot interval (scaled to max 1)": "-o",
                "relative loss drop (scaled to max 1)": "-s"}, logx=True, cell_ticks=False,
        title=f"Geometry moves vs loss drops (steps ≥ {MIN_STEP}); Pearson r = {corr['r']:.2f}",
        xlabel="training step", ylabel="scaled to max 1")
    ax2.title.set_fontsize(8)

    share = digon_share(level)
    claims = [
        claim_between(f"chosen run (1/(1−S) = {x[level]:.2f}): ≥ 90% of learned features end with D_i "
                      "within 0.02 of 1/2 (every feature a digon)", share, 0.9, 1.0),
        claim(f"step-like: detect_jumps (|ΔD_i| > 0.1 between consecutive of {len(steps)} log-spaced snapshots) "
              "finds a jump for at least half of the learned features",
              f"{features_with_jump} of {learned.size} features ({jumps['n_jumps']} jumps)",
              learned.size > 0 and features_with_jump >= learned.size / 2),
        claim(f"aligned with loss drops: Pearson r between Σ_i |ΔD_i| and the relative loss drop per "
              f"snapshot interval (steps ≥ {MIN_STEP}) is ≥ 0.5", round(corr["r"], 3),
              bool(np.isfinite(corr["r"]) and corr["r"] >= 0.5)),
    ]
    data = {"level_inv_density": float(x[level]), "density": float(density[level]),
            "steps_T": steps, "loss_T": np.asarray(loss_T, float).round(6),
            "D_TxF_learned": D_sel.round(4), "learned_features": learned,
            "jumps": jumps["jumps"], "fraction_jumps_with_5pct_loss_drop": jumps["fraction_coinciding"],
            "activity_loss_r": corr["r"]}
    return FigureOutput(fig, claims, data)


FIGURE = Figure(
    id="13", name="energy-jumps", title="Energy-level jumps of D_i during training",
    section="paper §5 (learning dynamics); spec 3.7",
    paper_claim="each feature's D_i moves between discrete levels in jumps, and the loss drops at the jumps "
                "(uniform setup scaled down to n=200, m=20)",
    sweeps=lambda tiny: [UNIFORM_TINY if tiny else UNIFORM], draw=draw,
    runtime_cpu="the uniform sweep of figure 7 (220 s, shared) + 4 s drawing on a shared 2-core CPU (load ~13)")
