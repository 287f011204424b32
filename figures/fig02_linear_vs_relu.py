"""Figure 2 (paper "Demonstrating superposition"; paper_spec 3.2 and target 2): WᵀW, b and ‖W_i‖
of the linear model and of the ReLU output model as sparsity grows.

Reads the ``basic`` sweep (experiments/basic.py: n=20, m=5, I_i = 0.7^i, both kinds through the
bucket axis ``kind``, 1−S ∈ {1, .3, .1, .03, .01, .003, .001}, 3 seeds, the notebook's recipe)
and keeps the lowest-loss seed per cell. Rows: linear WᵀW (with b strip), linear ‖W_i‖ bars,
ReLU WᵀW (with b strip), ReLU ‖W_i‖ bars; bars are coloured by superposition Σ_{j≠i}(Ŵ_i·W_j)²
(dark = none), features sorted by importance, a line after feature m.
"""

from __future__ import annotations

import numpy as np

from experiments.basic import BASIC, BASIC_TINY
from figures.core import Figure, FigureContext, FigureOutput, claim, claim_between
from toymodels import analysis, labels, plotting
from toymodels.analysis.measures import ANTIPODAL, DEDICATED, NOT_REPRESENTED
from toymodels.data import importance_profile
from toymodels.selection import best_of_seeds


# Features with ‖W_i‖ > 0.5 in our numpy reference runs of the notebook recipe (paper_spec 3.2, [R],
# two seeds; a range where the seeds differ). The paper shows these counts only as a picture.
R_COUNTS = {1.0: (5, 5), 0.3: (7, 7), 0.1: (9, 9), 0.03: (10, 11), 0.01: (11, 12), 0.003: (13, 13), 0.001: (13, 13)}
LOOSE = ("the closed form is exact; the tolerance is a convention fixed before the runs (10% of a unit entry), "
         "not taken from the paper")


def best_weights(bucket):
    loss = bucket.metrics["eval_loss"]
    return best_of_seeds(bucket.params["W_HxF"], loss), best_of_seeds(bucket.params["b_F"], loss)


def by_kind(run, kind):
    (bucket,) = [b for b in run.buckets if b.model["kind"] == kind]
    return bucket


def draw(ctx: FigureContext) -> FigureOutput:
    (run,) = ctx.runs
    lin, relu = by_kind(run, "linear"), by_kind(run, "relu")
    density = np.asarray(relu.axes["density"], float)
    m, n = int(relu.model["n_hidden"]), int(relu.model["n_features"])
    importance = importance_profile(run.config.data, n)
    W_lin, b_lin = best_weights(lin)
    W_relu, b_relu = best_weights(relu)
    WtW_lin = np.einsum("phi,phj->pij", W_lin, W_lin)
    WtW_relu = np.einsum("phi,phj->pij", W_relu, W_relu)
    a_lin = analysis.analyze_grid(W_lin, b_lin, "linear")
    a_relu = analysis.analyze_grid(W_relu, b_relu, "relu")
    norms_relu = np.asarray(a_relu["norms_F"], float)
    n_rep = (norms_relu > 0.5).sum(axis=1)

    L = len(density)
    fig, axes = plotting.make_figure(4, L, figsize=(2.1 * L, 9.0), squeeze=False)
    for k, p in enumerate(density):
        for row, (WtW, b, a, name) in enumerate(((WtW_lin, b_lin, a_lin, "linear"), (WtW_relu, b_relu, a_relu, "ReLU"))):
            ax_w, ax_n = axes[2 * row, k], axes[2 * row + 1, k]
            plotting.plot_interference(ax_w, WtW[k], b[k], split_at=m,
                                       title=f"{name} · {labels.density_label(p)}", bias_title="b")
            ax_w.set_xticks([])
            ax_w.set_yticks([])
            norms = np.asarray(a["norms_F"][k], float)
            plotting.plot_norm_bars(ax_n, norms, np.sqrt(np.asarray(a["superposition_F"][k], float)), split_at=m,
                                    title=f"{int((norms > 0.5).sum())} with ‖W_i‖ > 0.5", xlabel="‖W_i‖")
            ax_n.set_xlim(0, 1.3)
            ax_n.set_yticks([])
    fig.suptitle(f"{labels.importance_label(run.config.data)}, n={n}, m={m} · "
                 f"{run.config.train.steps} steps × {run.config.train.batch_size} · lowest-loss of "
                 f"{run.config.grid.n_seeds} seeds · WᵀW and b on coolwarm [−1, 1]; bars coloured by "
                 "sqrt of superposition (viridis, 0–1)", fontsize=9)

    # the linear optimum (paper_spec 4.1): projector on the top-m features, b = p/2 elsewhere
    ref = [analysis.reference_model(importance, m, float(p)) for p in density]
    P_ref = np.stack([np.asarray(Wr).T @ np.asarray(Wr) for Wr, _ in ref])
    b_ref = np.stack([np.asarray(br) for _, br in ref])
    lin_dev = np.abs(WtW_lin - P_ref).max(axis=(1, 2))
    lin_b_dev = np.abs(b_lin - b_ref).max(axis=1)
    dense = int(np.argmax(density))
    relu_vs_lin = float(np.abs(WtW_relu[dense] - WtW_lin[dense]).max())
    i03 = int(np.argmin(np.abs(np.log(density / 0.3))))
    st03 = np.asarray(a_relu["status_F"][i03])
    top3_dedicated = bool(np.all(st03[:3] == DEDICATED))
    sup_idx = np.flatnonzero((st03 != NOT_REPRESENTED) & (st03 != DEDICATED))
    n_antipodal_mid = int(np.sum(st03[3:] == ANTIPODAL))
    sparse = density <= 0.0100001
    rep = norms_relu > 0.5
    med_b = np.array([np.median(b_relu[k][rep[k]]) if rep[k].any() else np.nan for k in range(L)])

    def count_at(target):
        k = int(np.argmin(np.abs(np.log(density / target))))
        return int(n_rep[k]) if np.isclose(density[k], target, rtol=0.05) else -1

    counts = {str(t): count_at(t) for t in R_COUNTS}
    tol = {t: (0 if t == 1.0 else 1) for t in R_COUNTS}  # dense: the exact linear optimum; else [R]'s seed spread
    counts_ok = all(lo - tol[t] <= counts[str(t)] <= hi + tol[t] for t, (lo, hi) in R_COUNTS.items())
    claims = [
        claim_between("linear: WᵀW is the identity on the top m=5 features and 0 elsewhere at every density "
                      "(max |WᵀW − P_top5| ≤ 0.1)", lin_dev, 0.0, 0.1,
                      source="closed form (spec §4.1): the linear model's optimum is the projector on the top-m "
                             "features; paper §2: the linear model \"always learns the top m features\". " + LOOSE),
        claim_between("linear: b = 0 on the kept features and E[x_i] = (1−S)/2 on the rest (max |Δb| ≤ 0.05)",
                      lin_b_dev, 0.0, 0.05,
                      source="closed form (spec §4.1): b_i = 0 on the kept features, E[x_i] = p/2 on the rest; the "
                             "tolerance is a convention fixed before the runs (10% of the dense b = 0.5)"),
        claim_between("ReLU at 1−S = 1 matches the linear model (max |ΔWᵀW| ≤ 0.1)", relu_vs_lin, 0.0, 0.1,
                      source="paper §2 (spec 3.2): \"The ReLU model at 1−S=1.0 matches the linear model\". " + LOOSE),
        claim("ReLU: features with ‖W_i‖ > 0.5 per density within 1 of the reference runs' counts (exactly 5 "
              "when dense): 1: 5, .3: 6–8, .1: 8–10, .03: 9–12, .01: 10–13, .003: 12–14, .001: 12–14", counts,
              counts_ok,
              source="spec 3.2 [R] (our numpy reference runs of the notebook recipe, two seeds): 5, 7, 9, 10–11, "
                     "11–12, 13, 13 at 1−S = 1 … .001; the paper shows the counts only as a picture (§2: the ReLU "
                     "model \"packs more features as sparsity grows\"). Tolerance ±1 = the largest seed-to-seed "
                     "difference in [R]; dense: exactly m = 5, the linear optimum (spec §4.1)"),
        claim(f"superposition starts among mid-importance features: at {labels.density_label(density[i03])} the top 3 "
              "are dedicated, the non-dedicated represented features have index ≥ 3, ≥ 1 antipodal pair",
              {"top3_dedicated": top3_dedicated, "superposed_features": sup_idx.tolist(),
               "antipodal_features_ge3": n_antipodal_mid},
              top3_dedicated and bool(sup_idx.size) and bool(np.all(sup_idx >= 3)) and n_antipodal_mid >= 2,
              source="paper §2 (spec 3.2): superposition \"starts with the less important features\" and \"first "
                     "appears as antipodal pairs\"; spec 3.2 [R] at 1−S = 0.3: features 3–6 superposed, top 3 "
                     "still dedicated"),
        claim_between("negative biases at 1−S ≤ 0.01: median b over represented features < 0 at each such density",
                      med_b[sparse], -np.inf, -1e-9, fmt=".3f",
                      source="paper §2 (spec 3.2): at high sparsity \"every feature is in superposition, with positive "
                             "interference and negative biases\"; 'high sparsity' = 1−S ≤ 0.01 from spec 3.2 [R] "
                             "(negative biases from 1−S = 0.01 on)"),
    ]
    data = {"density": density, "n_represented_relu": n_rep, "linear_max_dev_from_projector": lin_dev,
            "linear_max_bias_dev": lin_b_dev, "relu_median_bias_represented": med_b,
            "relu_D_star": np.asarray(a_relu["D_star"], float), "status_relu": np.asarray(a_relu["status_F"]),
            "norms_relu": norms_relu.round(3), "b_relu": np.asarray(b_relu).round(3)}
    return FigureOutput(fig, claims, data)


FIGURE = Figure(
    id="02", name="linear-vs-relu", title="Linear vs ReLU output model: WᵀW, b and ‖W_i‖ across sparsity",
    section="paper §2 (demonstrating superposition); spec 3.2",
    paper_claim="the linear model keeps the top-m features at every sparsity; the ReLU model packs more features "
                "as sparsity grows, first as antipodal pairs of mid-importance features, with negative biases "
                "when very sparse",
    sweeps=lambda tiny: [BASIC_TINY if tiny else BASIC], draw=draw,
    runtime_cpu="48 s training + 8 s drawing on a shared 2-core CPU (load ~13)")
