"""Superposition in a privileged basis (paper section 7; paper_spec 3.9, target 16).

The ReLU hidden-layer model h = ReLU(W x), x' = ReLU(Wᵀ h + b) (tied weights, no hidden bias),
n=10 features of importance 0.75^i (i from 0) in m=5 neurons, the notebook's recipe (AdamW lr
1e-3, wd 0.01, 10k steps of batch 1024, notebook init). The paper trains 1,000 models per
sparsity level and shows the lowest-loss one; we train 32 seeds per level (the CPU budget) and
keep the lowest final loss.

Densities: the spec's regime table (0.75, 0.35, 0.15, 0.12, 0.07, 0.04, 0.02, 0.01). Expected
(paper_spec 3.9): ≳0.5 all monosemantic (the top 5 features each get a neuron); 0.2-0.5 the top
3 dedicated and the next 3 in a 2-neuron binary code; 0.15: 5 features in 3 neurons plus 2
monosemantic; 0.12: 6 features in 4 neurons plus 1 monosemantic; 0.05-0.08: 8 features in 5
neurons, all polysemantic; ≤0.04: each feature a pair of neurons.
"""

from __future__ import annotations

import dataclasses

from toymodels.config import DataConfig, GridConfig, ModelConfig, Preset, SweepConfig, TrainConfig

PRIVILEGED_DENSITIES = (0.75, 0.35, 0.15, 0.12, 0.07, 0.04, 0.02, 0.01)

PRIVILEGED = SweepConfig(
    name="privileged",
    model=ModelConfig(kind="relu_hidden", n_features=10, n_hidden=5),
    data=DataConfig(importance="decay", importance_decay=0.75),
    train=TrainConfig(steps=10_000, batch_size=1024, n_snapshots=0),
    grid=GridConfig(density=PRIVILEGED_DENSITIES, n_seeds=32),
)

PRIVILEGED_TINY = dataclasses.replace(
    PRIVILEGED, name="privileged-tiny", train=TrainConfig(steps=300, n_snapshots=0, eval_samples=2048),
    grid=GridConfig(density=(0.75, 0.12, 0.02), n_seeds=2))

PRESETS = {
    "privileged": Preset(
        "privileged",
        "Paper figure (target 16): ReLU hidden-layer model, n=10, m=5, importance 0.75^i, 8 "
        "densities 0.75..0.01, 32 seeds each (the paper: 1000), lowest-loss seed shown.",
        PRIVILEGED, expected_runtime="855 s on a shared 2-core CPU (busy: load 5-14)",
        expected_outcome="5 monosemantic neurons at 0.75; 3 + a 3-in-2 code at 0.35; more features "
                         "per neuron as 1-S falls; all polysemantic at <= 0.07"),
    "privileged-tiny": Preset(
        "privileged-tiny", "Plumbing check of the privileged-basis study: 3 densities, 2 seeds, 300 steps.",
        PRIVILEGED_TINY, expected_runtime="6-11 s on a busy shared 2-core CPU (mostly compilation)",
        expected_outcome="runs end to end; too short to converge"),
}
