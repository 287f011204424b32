"""Uniform superposition (paper "Geometry: uniform superposition", "Learning dynamics" and
"Superposition and adversarial examples"; paper_spec 3.5, 3.7, 3.8 and figure targets 7, 8, 13, 15).

The notebook's "feature geometry" run: n=200 features of equal importance in m=20 dimensions,
ReLU output model, 20 densities 1−S = 20**-linspace(0, 1, 20) (so 1/(1−S) runs from 1 to 20),
one model per density, the notebook's recipe (AdamW 1e-3, wd 0.01, 10,000 steps of 1,024). The
paper's n=400, m=30 does not fit the CPU budget; the spec notes n does not matter when n ≫ m and
D* is invariant to m, and the notebook run's numbers ([NBrun]) are for exactly this config.

One sweep serves four figures (one run directory, trained once):

* 07 dimensions per feature D* = m/‖W‖²_F against 1/(1−S);
* 08 the per-feature D_i scatter with the fraction lines;
* 13 energy-level jumps, from the 150 log-spaced weight snapshots logged during training;
* 15 adversarial vulnerability of these models relative to a non-superposition reference.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from toymodels.config import DataConfig, GridConfig, ModelConfig, Preset, SweepConfig, TrainConfig

DENSITIES = tuple(float(v) for v in 20 ** -np.linspace(0, 1, 20))

UNIFORM = SweepConfig(
    name="uniform",
    model=ModelConfig(kind="relu", n_features=200, n_hidden=20),
    data=DataConfig(importance="decay", importance_decay=1.0),
    train=TrainConfig(steps=10_000, batch_size=1024, n_snapshots=150),
    grid=GridConfig(density=DENSITIES, n_seeds=1),
)

UNIFORM_TINY = dataclasses.replace(
    UNIFORM, name="uniform-tiny", model=ModelConfig(kind="relu", n_features=24, n_hidden=6),
    train=TrainConfig(steps=300, n_snapshots=16, eval_samples=2048),
    grid=GridConfig(density=(1.0, 0.5, 0.3, 0.1), n_seeds=1))

PRESETS = {
    "uniform": Preset(
        "uniform",
        "Uniform superposition, the notebook's feature-geometry run: n=200 equal-importance features "
        "in m=20 dimensions, 20 densities 20^-linspace(0,1,20), 10k steps, 150 log-spaced weight "
        "snapshots (figures 7, 8, 13 and 15). Scaled down from the paper's n=400, m=30.",
        UNIFORM, expected_runtime="220 s on a shared 2-core CPU (load 8-13)",
        expected_outcome="D* = 1 for 1/(1−S) ≲ 1.4, a plateau at 1/2 over 1/(1−S) ≈ 1.9–3.5, then "
                         "declining; D_i clusters at 1/2, then 2/5 and 3/8; Σ D_i ≈ m"),
    "uniform-tiny": Preset(
        "uniform-tiny", "Plumbing check of the uniform study: n=24, m=6, 4 densities, 300 steps.",
        UNIFORM_TINY, expected_runtime="9 s wall (CLI, incl. start-up and compilation) on a shared 2-core CPU (load ~11)",
        expected_outcome="runs end to end; too small and short to show the plateaus"),
}
