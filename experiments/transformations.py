"""Geometric transformations during training (paper section 6 "learning dynamics"; paper_spec 3.7,
figure target 14).

n=6 = 2 sets of 3 correlated features, m=3, I=1, ReLU output model, 1−S = 0.05 (the paper states
no sparsity; sparse enough that the two sets rarely co-occur, so a feature of one set can share a
direction with a feature of the other). 8 seeds, 20,000 steps of batch 256, 60 log-spaced
snapshots of W and the loss. Expected: a staged loss curve, each stage a simple geometric move,
often starting from a PCA-like solution; usually ending in an octahedron whose antipodal pairs
join features of different sets.
"""

from __future__ import annotations

import dataclasses

from toymodels.config import DataConfig, GridConfig, ModelConfig, Preset, SweepConfig, TrainConfig

TRANSFORMATIONS = SweepConfig(
    name="transformations",
    model=ModelConfig(kind="relu", n_features=6, n_hidden=3),
    data=DataConfig(density=0.05, correlation="correlated", set_size=3),
    train=TrainConfig(steps=20_000, batch_size=256, n_snapshots=60, eval_samples=65_536),
    grid=GridConfig(n_seeds=8))
TRANSFORMATIONS_TINY = dataclasses.replace(
    TRANSFORMATIONS, name="transformations-tiny",
    train=TrainConfig(steps=300, batch_size=256, n_snapshots=12, eval_samples=4096), grid=GridConfig(n_seeds=2))

PRESETS = {
    "transformations": Preset(
        "transformations", "Paper section 6: 2 sets of 3 correlated features in m=3, 1−S=0.05, 8 seeds, 20k steps "
        "× 256, 60 log-spaced snapshots (D_i(t), loss(t)).", TRANSFORMATIONS,
        expected_runtime="30 s on a shared 2-core CPU (load average 8-15)",
        expected_outcome="staged loss curve; ends in an octahedron with antipodal pairs across the sets"),
    "transformations-tiny": Preset(
        "transformations-tiny", "Plumbing check: 2 seeds, 300 steps.", TRANSFORMATIONS_TINY,
        expected_runtime="a few seconds on a 2-core CPU", expected_outcome="runs end to end; too short to converge"),
}
