"""Non-uniform superposition in m=2 (paper section 5; paper_spec 3.6, figure targets 9, 10, 12).

* ``pentagon-deform``: n=5, m=2, I=1, baseline density 1−S = 0.05 (a regular pentagon); the last
  feature's density is scaled by relative_density ρ ∈ [0.2, 2.5] (log), 16 seeds. Expected: the
  pentagon deforms continuously (a denser feature gets more angular room); below ρ ≈ 1/2.5 the
  solution snaps to two digons with that feature not represented; the two loss curves cross.
* ``correlated-2d`` / ``anticorrelated-2d``: n=4 = 2 sets of 2 correlated (resp. anticorrelated,
  the paper's convention: a set is active with probability p and then exactly one of its
  features, so each feature's marginal density is p/2), m=2. Expected: correlated features of a
  set orthogonal (the sets antipodal to each other); anticorrelated features antipodal. The paper
  states no densities; the values follow ARENA's ranges (0.05–0.0025 correlated, 0.32–0.10
  anticorrelated), cut to the denser end to fit the CPU budget.
* ``local-bases``: n=20 = 2 sets of 10 correlated features, m=10. Expected: each set an almost
  orthogonal basis of the hidden space (WᵀW ≈ I within a set), the two sets interfering.
* ``pca-collapse``: n=6 = 3 correlated pairs, m=2, 16 densities 0.02 → 1. Expected (spec 3.6
  table): no collapse at 1−S ≤ 0.05, one set collapsed to (a+b)/√2 by 0.15, two by 0.2, all by
  0.25–0.5, most PCA-like at ≥ 0.5. Also the source of figure 10's n=6 (3 × 2 correlated) panel.

All use 20,000 steps of batch 256 (the 2-D problems are hard to optimise and sparse cells learn
slowly; the paper states no recipe for these figures) and select the lowest-loss seed per cell,
as the paper does for m=2 studies.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from toymodels.config import DataConfig, GridConfig, ModelConfig, Preset, SweepConfig, TrainConfig

TRAIN = TrainConfig(steps=20_000, batch_size=256, n_snapshots=12, eval_samples=65_536)
TINY_TRAIN = TrainConfig(steps=150, batch_size=128, n_snapshots=2, eval_samples=1024)

PENTAGON_DEFORM = SweepConfig(
    name="pentagon-deform",
    model=ModelConfig(kind="relu", n_features=5, n_hidden=2),
    data=DataConfig(density=0.05, importance="decay", importance_decay=1.0),
    train=TRAIN,
    grid=GridConfig(relative_density=tuple(float(v) for v in np.geomspace(0.2, 2.5, 12)), focus_feature=-1,
                    n_seeds=16))
PENTAGON_DEFORM_TINY = dataclasses.replace(
    PENTAGON_DEFORM, name="pentagon-deform-tiny", train=TINY_TRAIN,
    grid=GridConfig(relative_density=(0.25, 1.0, 2.0), focus_feature=-1, n_seeds=2))

CORRELATED_2D = SweepConfig(
    name="correlated-2d",
    model=ModelConfig(kind="relu", n_features=4, n_hidden=2),
    data=DataConfig(correlation="correlated", set_size=2),
    train=TRAIN, grid=GridConfig(density=(0.05, 0.025), n_seeds=10))
CORRELATED_2D_TINY = dataclasses.replace(CORRELATED_2D, name="correlated-2d-tiny", train=TINY_TRAIN,
                                         grid=GridConfig(density=(0.05,), n_seeds=2))

ANTICORRELATED_2D = SweepConfig(
    name="anticorrelated-2d",
    model=ModelConfig(kind="relu", n_features=4, n_hidden=2),
    data=DataConfig(correlation="anticorrelated", set_size=2, anticorrelated_convention="paper"),
    train=TRAIN, grid=GridConfig(density=(0.3, 0.2, 0.1), n_seeds=10))
ANTICORRELATED_2D_TINY = dataclasses.replace(ANTICORRELATED_2D, name="anticorrelated-2d-tiny", train=TINY_TRAIN,
                                             grid=GridConfig(density=(0.2,), n_seeds=2))

PCA_DENSITIES = (0.02, 0.03, 0.04, 0.05, 0.07, 0.1, 0.13, 0.15, 0.18, 0.2, 0.25, 0.3, 0.4, 0.5, 0.7, 1.0)
PCA_COLLAPSE = SweepConfig(
    name="pca-collapse",
    model=ModelConfig(kind="relu", n_features=6, n_hidden=2),
    data=DataConfig(correlation="correlated", set_size=2),
    train=TRAIN, grid=GridConfig(density=PCA_DENSITIES, n_seeds=10))
PCA_COLLAPSE_TINY = dataclasses.replace(PCA_COLLAPSE, name="pca-collapse-tiny", train=TINY_TRAIN,
                                        grid=GridConfig(density=(0.02, 0.2, 1.0), n_seeds=2))

LOCAL_BASES = SweepConfig(
    name="local-bases",
    model=ModelConfig(kind="relu", n_features=20, n_hidden=10),
    data=DataConfig(correlation="correlated", set_size=10),
    train=TRAIN, grid=GridConfig(density=(0.1, 0.05), n_seeds=4))
LOCAL_BASES_TINY = dataclasses.replace(LOCAL_BASES, name="local-bases-tiny", train=TINY_TRAIN,
                                       grid=GridConfig(density=(0.05,), n_seeds=2))

_TINY_NOTE = "Plumbing check: {}, 300 steps, 2 seeds."
PRESETS = {
    "pentagon-deform": Preset(
        "pentagon-deform", "Paper section 5 (non-uniform superposition): n=5, m=2, I=1, 1−S=0.05; the last "
        "feature's density × ρ ∈ [0.2, 2.5] (12 log steps), 16 seeds, 20k steps × 256.",
        PENTAGON_DEFORM, expected_runtime="87 s on a shared 2-core CPU (load average 8-15)",
        expected_outcome="continuous deformation; below ρ ≈ 0.4 two digons with the feature at 0"),
    "pentagon-deform-tiny": Preset("pentagon-deform-tiny", _TINY_NOTE.format("3 relative densities"),
                                   PENTAGON_DEFORM_TINY, expected_runtime="a few seconds on a 2-core CPU",
                                   expected_outcome="runs end to end; too short to converge"),
    "correlated-2d": Preset(
        "correlated-2d", "Paper section 5: 2 sets of 2 correlated features, m=2, 1−S ∈ {0.05, 0.025}, 10 seeds, "
        "20k steps × 256.", CORRELATED_2D, expected_runtime="20 s on a shared 2-core CPU (load average 8-15)",
        expected_outcome="features of a set orthogonal; the two sets antipodal"),
    "correlated-2d-tiny": Preset("correlated-2d-tiny", _TINY_NOTE.format("1 density"), CORRELATED_2D_TINY,
                                 expected_runtime="a few seconds on a 2-core CPU",
                                 expected_outcome="runs end to end; too short to converge"),
    "anticorrelated-2d": Preset(
        "anticorrelated-2d", "Paper section 5: 2 sets of 2 anticorrelated features (paper convention), m=2, "
        "1−S ∈ {0.3, 0.2, 0.1}, 10 seeds, 20k steps × 256.", ANTICORRELATED_2D,
        expected_runtime="28 s on a shared 2-core CPU (load average 8-15)",
        expected_outcome="the features of each set antipodal"),
    "anticorrelated-2d-tiny": Preset("anticorrelated-2d-tiny", _TINY_NOTE.format("1 density"),
                                     ANTICORRELATED_2D_TINY, expected_runtime="a few seconds on a 2-core CPU",
                                     expected_outcome="runs end to end; too short to converge"),
    "pca-collapse": Preset(
        "pca-collapse", "Paper section 5: 3 correlated pairs (n=6), m=2, 16 densities 0.02 → 1, 10 seeds, "
        "20k steps × 256.", PCA_COLLAPSE, expected_runtime="68 s on a shared 2-core CPU (load average 8-15)",
        expected_outcome="collapse of 1, 2, 3 pairs near 1−S = 0.05, 0.15, 0.25; PCA-like at >= 0.5"),
    "local-bases": Preset(
        "local-bases", "Paper section 5: 2 sets of 10 correlated features (n=20), m=10, 1−S ∈ {0.1, 0.05}, 4 seeds, "
        "20k steps × 256.", LOCAL_BASES, expected_runtime="30 s on a shared 2-core CPU (load average 8-15)",
        expected_outcome="WᵀW close to the identity within each set; the two sets interfere"),
    "local-bases-tiny": Preset("local-bases-tiny", _TINY_NOTE.format("1 density"), LOCAL_BASES_TINY,
                               expected_runtime="a few seconds on a 2-core CPU",
                               expected_outcome="runs end to end; too short to converge"),
    "pca-collapse-tiny": Preset("pca-collapse-tiny", _TINY_NOTE.format("3 densities"), PCA_COLLAPSE_TINY,
                                expected_runtime="a few seconds on a 2-core CPU",
                                expected_outcome="runs end to end; too short to converge"),
}
