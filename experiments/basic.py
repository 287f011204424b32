"""Basic results: linear vs ReLU-output models as sparsity grows (paper "Demonstrating
superposition"; paper_spec 3.2 and figure targets 2 and 3).

* ``basic``: n=20 features of importance 0.7**i in m=5 dimensions; the linear model and the ReLU
  output model (bucket axis ``kind``) at 1−S ∈ {1, .3, .1, .03, .01, .003, .001} (the
  replications' columns; the paper's are not stated), 3 seeds each, the notebook's recipe.
  Figures keep the lowest-loss seed per cell.
* ``basic-scaled``: the notebook's "visualizing features across varying sparsity" run, n=100,
  m=20, importance 100**-linspace(0, 1, 100), 20 densities 20**-linspace(0, 1, 20), one model
  each (the paper's scaled version is n=80, m=20, I=0.9^i; the notebook's has published counts).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from toymodels.config import DataConfig, GridConfig, ModelConfig, Preset, SweepConfig, TrainConfig

BASIC_DENSITIES = (1.0, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001)

BASIC = SweepConfig(
    name="basic",
    model=ModelConfig(kind="relu", n_features=20, n_hidden=5),
    data=DataConfig(importance="decay", importance_decay=0.7),
    train=TrainConfig(steps=10_000, batch_size=1024, n_snapshots=0),
    grid=GridConfig(density=BASIC_DENSITIES, n_seeds=3, kind=("linear", "relu")),
)

BASIC_TINY = dataclasses.replace(
    BASIC, name="basic-tiny", train=TrainConfig(steps=200, n_snapshots=0, eval_samples=2048),
    grid=GridConfig(density=(1.0, 0.3, 0.01), n_seeds=1, kind=("linear", "relu")))

SCALED = SweepConfig(
    name="basic-scaled",
    model=ModelConfig(kind="relu", n_features=100, n_hidden=20),
    data=DataConfig(importance="log_linspace", importance_range=100.0),
    train=TrainConfig(steps=10_000, batch_size=1024, n_snapshots=0),
    grid=GridConfig(density=tuple(float(v) for v in 20 ** -np.linspace(0, 1, 20)), n_seeds=1),
)

SCALED_TINY = dataclasses.replace(
    SCALED, name="basic-scaled-tiny", model=ModelConfig(kind="relu", n_features=30, n_hidden=6),
    train=TrainConfig(steps=200, n_snapshots=0, eval_samples=2048),
    grid=GridConfig(density=(1.0, 0.3, 0.1, 0.05), n_seeds=1))

PRESETS = {
    "basic": Preset(
        "basic",
        "Paper section 2 figure: n=20 features (importance 0.7^i) in m=5 dimensions, linear model and "
        "ReLU output model at 1−S ∈ {1, .3, .1, .03, .01, .003, .001}, 3 seeds each (figure 2).",
        BASIC, expected_runtime="48 s on a shared 2-core CPU (load 8-13)",
        expected_outcome="linear: the top-5 identity block at every density; ReLU: 5 → 7 → 9 → ~10–13 "
                         "represented features, negative biases at 1−S ≤ 0.01"),
    "basic-tiny": Preset(
        "basic-tiny", "Plumbing check of the basic study: 3 densities, 1 seed, 200 steps.",
        BASIC_TINY, expected_runtime="6 s wall (CLI, incl. start-up and compilation) on a shared 2-core CPU (load ~11)",
        expected_outcome="runs end to end; too short to converge"),
    "basic-scaled": Preset(
        "basic-scaled",
        "The notebook's scaled basic run: n=100, m=20, importance 100^-linspace(0,1,100), 20 densities "
        "20^-linspace(0,1,20), one model each (figure 3).",
        SCALED, expected_runtime="212 s on a shared 2-core CPU (load 8-13)",
        expected_outcome="features with ‖W_i‖ > 0.5 grow from 20 (dense) to ~50 at 1−S ≈ 0.06"),
    "basic-scaled-tiny": Preset(
        "basic-scaled-tiny", "Plumbing check of the scaled basic study: n=30, m=6, 4 densities, 200 steps.",
        SCALED_TINY, expected_runtime="6 s wall (CLI, incl. start-up and compilation) on a shared 2-core CPU (load ~11)",
        expected_outcome="runs end to end; too short to converge"),
}
