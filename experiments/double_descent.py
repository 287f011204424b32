"""Double descent and memorisation (Henighan et al. 2023; paper_spec 5.1, target 20), scaled down.

The ReLU output model with m=2 trained full-batch on a FIXED dataset of T examples, for a sweep
of T. The paper's size (n = 10,000 features, S = 0.999, 50,000 full-batch AdamW steps) does not
fit a shared 2-core CPU, so we scale it:

  paper:  n = 10,000, 1−S = 0.001, T up to ~10^5, 50k steps, warmup 2.5k + cosine
  here:   n = 200,    1−S = 0.05,  T ∈ {3 .. 2000}, 15k steps, warmup 750 + cosine

keeping what sets the regimes: ~10 active features per example (n(1−S) = 10 in both), every x
rescaled to ||x||₂ = 1, uniform importance, AdamW lr 1e-3 peak, wd 1e-2 on every parameter,
xavier-normal W (std sqrt(2/(n+m))), the warmup being 5% of the steps. Jermyn's rule (paper
comments) puts generalisation where T(1−S) ≈ 10, i.e. T ≈ 200 here (≈ 10^4 in the paper).

T is a shape (the dataset), so each T is its own SweepConfig; 4 seeds per T, each seed drawing its
own dataset and init (the paper averages test loss over 4 dataset seeds). Test loss is measured on
16,384 fresh samples.
"""

from __future__ import annotations

import dataclasses

from toymodels.config import DataConfig, GridConfig, ModelConfig, Preset, SweepConfig, TrainConfig

DD_SIZES = (3, 5, 8, 12, 20, 30, 50, 80, 120, 200, 300, 500, 1000, 2000)
DD_SIZES_TINY = (3, 100)

DD_BASE = SweepConfig(
    name="double-descent",
    model=ModelConfig(kind="relu", n_features=200, n_hidden=2, init="xavier"),
    data=DataConfig(density=0.05, normalize=True, dataset_size=DD_SIZES[0]),
    train=TrainConfig(steps=15_000, full_batch=True, schedule="warmup_cosine", warmup_steps=750,
                      weight_decay=1e-2, n_snapshots=0),
    grid=GridConfig(n_seeds=4),
)

DD_BASE_TINY = dataclasses.replace(
    DD_BASE, name="double-descent-tiny", model=dataclasses.replace(DD_BASE.model, n_features=50),
    data=dataclasses.replace(DD_BASE.data, density=0.1),
    train=dataclasses.replace(DD_BASE.train, steps=300, warmup_steps=15, eval_samples=2048),
    grid=GridConfig(n_seeds=2))


def dd_configs(tiny: bool = False) -> list[SweepConfig]:
    """One SweepConfig per dataset size T (T changes the dataset's shape)."""
    base, sizes = (DD_BASE_TINY, DD_SIZES_TINY) if tiny else (DD_BASE, DD_SIZES)
    return [dataclasses.replace(base, name=f"{base.name}-T{T}", data=dataclasses.replace(base.data, dataset_size=T))
            for T in sizes]


_MID = dd_configs()[DD_SIZES.index(30)]
_TINY = dd_configs(tiny=True)[-1]

PRESETS = {
    "double-descent-T30": Preset(
        "double-descent-T30",
        "One cell of the double-descent study (target 20): n=200, 1-S=0.05, normalised x, m=2, a fixed "
        "dataset of T=30 examples, 15k full-batch AdamW steps (warmup 750 + cosine), 4 seeds. The "
        "whole T sweep is trained by `toymodels figures 20`.",
        _MID, expected_runtime="26 s on a shared 2-core CPU (busy)",
        expected_outcome="the intermediate regime: neither a T-gon nor a pentagon; test loss at its bump"),
    "double-descent-tiny": Preset(
        "double-descent-tiny", "Plumbing check of one double-descent cell: n=50, T=100, 300 steps.", _TINY,
        expected_runtime="6-11 s on a busy shared 2-core CPU (mostly compilation)", expected_outcome="runs end to end; too short to converge"),
}
