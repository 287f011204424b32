"""Computation in superposition: the |x| model (paper section 8; paper_spec 3.10, targets 17-19).

Model h = ReLU(W₁ x), y' = ReLU(W₂ h + b), untied W₁ (m×n) and W₂ (n×m), no hidden bias;
nonzero inputs x_i ~ U[−1, 1); target |x|; importance-weighted MSE. The paper states no init or
optimiser for this model: we use the notebook's AdamW recipe (lr 1e-3, wd 0.01, batch 1024) and
the plain xavier-normal rule std = sqrt(2/(n+m)) for W₁ and W₂ (ARENA uses kaiming-uniform and
Adam; recorded, not matched).

* ``abs-basic`` (target 17): n=3, m=6, uniform importance, dense inputs (1−S = 1), 10 seeds,
  best by final loss. Expected: no superposition; every feature gets a ReLU(x_i) neuron and a
  ReLU(−x_i) neuron, both read out with weight +1, so y_i = ReLU(x_i) + ReLU(−x_i) = |x_i|.
* ``abs-sweep`` (target 18): n=100, m=40, I_i = 0.8^i, 1−S ∈ {1, .3, .1, .03, .01, .003,
  .001}, one model per level (the paper shows one). Expected: monosemantic neurons down to 0.3,
  the first polysemantic neurons at 0.1, all neurons polysemantic at 0.001, with the neurons of
  the most important features monosemantic longest. Trained 20k steps (2× the notebook's 10k)
  because the sparsest levels see each feature only ~1 time per batch.
* ``abs-motif`` (target 19): n=10, m=10, I_i = 0.8^i, 1−S = 0.35 (ARENA's reproduction),
  20 seeds. Expected: somewhere an asymmetric pair — one neuron with in-weights like [2, −½]
  on two features read out with reciprocal weights [½, 2].
"""

from __future__ import annotations

import dataclasses

from toymodels.config import DataConfig, GridConfig, ModelConfig, Preset, SweepConfig, TrainConfig

ABS_SWEEP_DENSITIES = (1.0, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001)

ABS_BASIC = SweepConfig(
    name="abs-basic",
    model=ModelConfig(kind="abs", n_features=3, n_hidden=6),
    data=DataConfig(density=1.0, importance="decay", importance_decay=1.0),
    train=TrainConfig(steps=10_000, batch_size=1024, n_snapshots=0),
    grid=GridConfig(n_seeds=10),
)
ABS_BASIC_TINY = dataclasses.replace(
    ABS_BASIC, name="abs-basic-tiny", train=TrainConfig(steps=300, n_snapshots=0, eval_samples=2048),
    grid=GridConfig(n_seeds=2))

ABS_SWEEP = SweepConfig(
    name="abs-sweep",
    model=ModelConfig(kind="abs", n_features=100, n_hidden=40),
    data=DataConfig(importance="decay", importance_decay=0.8),
    train=TrainConfig(steps=20_000, batch_size=1024, n_snapshots=0),
    grid=GridConfig(density=ABS_SWEEP_DENSITIES, n_seeds=1),
)
ABS_SWEEP_TINY = dataclasses.replace(
    ABS_SWEEP, name="abs-sweep-tiny", model=ModelConfig(kind="abs", n_features=20, n_hidden=8),
    train=TrainConfig(steps=200, batch_size=256, n_snapshots=0, eval_samples=1024),
    grid=GridConfig(density=(1.0, 0.1, 0.01), n_seeds=1))

ABS_MOTIF = SweepConfig(
    name="abs-motif",
    model=ModelConfig(kind="abs", n_features=10, n_hidden=10),
    data=DataConfig(density=0.35, importance="decay", importance_decay=0.8),
    train=TrainConfig(steps=10_000, batch_size=1024, n_snapshots=0),
    grid=GridConfig(n_seeds=20),
)
ABS_MOTIF_TINY = dataclasses.replace(
    ABS_MOTIF, name="abs-motif-tiny", train=TrainConfig(steps=300, n_snapshots=0, eval_samples=2048),
    grid=GridConfig(n_seeds=2))

PRESETS = {
    "abs-basic": Preset(
        "abs-basic", "Paper figure (target 17): the |x| model with n=3 features and m=6 neurons, dense "
        "inputs, 10 seeds; each feature should get a ReLU(x_i) and a ReLU(-x_i) neuron.",
        ABS_BASIC, expected_runtime="18 s on a shared 2-core CPU",
        expected_outcome="6 monosemantic neurons, one of each sign per feature, read out with weight +1"),
    "abs-basic-tiny": Preset(
        "abs-basic-tiny", "Plumbing check of abs-basic: 2 seeds, 300 steps.", ABS_BASIC_TINY,
        expected_runtime="6-11 s on a busy shared 2-core CPU (mostly compilation)", expected_outcome="runs end to end; too short to converge"),
    "abs-sweep": Preset(
        "abs-sweep", "Paper figure (target 18): the |x| model, n=100, m=40, importance 0.8^i, at "
        "1-S in {1, .3, .1, .03, .01, .003, .001}, 20k steps, one model per level.",
        ABS_SWEEP, expected_runtime="292 s on a shared 2-core CPU (busy)",
        expected_outcome="monosemantic neurons down to 0.3, first polysemantic ones at 0.1, all "
                         "polysemantic at 0.001"),
    "abs-sweep-tiny": Preset(
        "abs-sweep-tiny", "Plumbing check of abs-sweep: n=20, m=8, 3 densities, 200 steps.", ABS_SWEEP_TINY,
        expected_runtime="6-11 s on a busy shared 2-core CPU (mostly compilation)", expected_outcome="runs end to end; too short to converge"),
    "abs-motif": Preset(
        "abs-motif", "Paper figure (target 19): the |x| model, n=10, m=10, importance 0.8^i, "
        "1-S=0.35 (ARENA's setting), 20 seeds.",
        ABS_MOTIF, expected_runtime="55 s on a shared 2-core CPU (busy)",
        expected_outcome="an asymmetric neuron: in-weights like [2, -1/2], out-weights like [1/2, 2]"),
    "abs-motif-tiny": Preset(
        "abs-motif-tiny", "Plumbing check of abs-motif: 2 seeds, 300 steps.", ABS_MOTIF_TINY,
        expected_runtime="6-11 s on a busy shared 2-core CPU (mostly compilation)", expected_outcome="runs end to end; too short to converge"),
}
