"""Frozen configs for SAE training sweeps (sae_recovery.md §1–§3, §5).

Shapes are config; grid values are arrays. The SAE's variant and dictionary size change shapes
(separate compiled buckets); the sparsity coefficient (λ for the L1/L0 families, k for the TopK
family) and the seed are per-model arrays inside one compiled call, so changing only their
values never recompiles.

Scale conventions (sae_recovery.md §5.5) are config fields and are stored with every run:
``SAEConfig.mse`` (mean over batch×dim, Sharkey; or sum over dim, mean over batch, Anthropic) and
``SAEConfig.l1_scale`` (divide the L1 term by n_latents, Sharkey's convention, or not).
"""

from __future__ import annotations

import dataclasses
import math
import typing
from typing import Literal

from toymodels.config import ConfigError
from toymodels.sae.sources import SourceConfig

Variant = Literal["relu_l1", "relu_l1_april", "topk", "batchtopk", "jumprelu", "jumprelu_tanh",
                  "gated", "matryoshka"]
VARIANTS: tuple[str, ...] = typing.get_args(Variant)
K_VARIANTS = frozenset({"topk", "batchtopk", "matryoshka"})
"""Variants whose coefficient is k (active latents per sample), not a penalty weight."""
UNIT_NORM_VARIANTS = frozenset({"relu_l1", "topk", "batchtopk", "jumprelu", "gated", "matryoshka"})
"""Variants whose decoder rows are renormalised to unit norm on every forward pass."""


@dataclasses.dataclass(frozen=True)
class SAEConfig:
    """One SAE architecture (formulas: ``python -m pydoc toymodels.sae.variants``)."""

    variant: Variant = "relu_l1"
    """relu_l1 (unit-norm decoder, Sharkey 2022), relu_l1_april (decoder norm inside the penalty,
    Anthropic Apr 2024), topk and batchtopk (with AuxK), jumprelu (GDM straight-through L0),
    jumprelu_tanh (Anthropic Jan 2025 tanh penalty), gated, matryoshka (BatchTopK over nested
    prefixes)."""
    tied: bool = False
    """Encoder = decoderᵀ (Cunningham et al. 2023; removes absorption in toys)."""
    decoder_bias: bool = True
    """Learn b_dec (subtracted before encoding, added after decoding). Sharkey 2022 has none."""
    mse: Literal["mean", "sum"] = "mean"
    """Reconstruction term: ``mean`` over batch and dims (Sharkey) or ``sum`` over dims, mean over
    the batch (Anthropic, Gao)."""
    l1_scale: Literal["none", "n_latents"] = "none"
    """``n_latents``: divide the L1 term of relu_l1/relu_l1_april by the dictionary size
    (Sharkey's convention; he later called it 'pretty silly')."""
    decoder_init_norm: float = 0.0
    """Norm of the initial decoder rows; 0 = the variant's default (0.1 for relu_l1_april, 0.5
    for jumprelu_tanh, 1 otherwise)."""
    k_aux: int = 0
    """AuxK: latents in the auxiliary top-k over dead latents; 0 = d // 2 (Gao: ~d/2)."""
    aux_coef: float = 1 / 32
    """AuxK weight α (Gao et al. 2024: 1/32); 0 turns AuxK off."""
    dead_steps: int = 1000
    """A latent that has not fired for this many training steps counts as dead (AuxK and
    resampling)."""
    threshold_ema: float = 0.99
    """BatchTopK/Matryoshka inference threshold: θ ← ema·θ + (1−ema)·(min positive activation of
    the batch), from the first step."""
    bandwidth: float = 0.001
    """JumpReLU straight-through kernel width ε (rectangle kernel)."""
    threshold_init: float = 0.001
    """JumpReLU initial threshold θ (both forms)."""
    tanh_c: float = 4.0
    """jumprelu_tanh: penalty λ Σ tanh(c · f_i · ‖d_i‖)."""
    preact_coef: float = 3e-6
    """jumprelu_tanh: pre-activation loss λ_p Σ ReLU(θ_i − h_i)·‖d_i‖."""
    prefixes: tuple[float, ...] = (0.25, 0.5, 1.0)
    """Matryoshka: nested prefix sizes as fractions of n_latents (the last must be 1)."""


@dataclasses.dataclass(frozen=True)
class SAETrainConfig:
    """The optimisation recipe: Adam on fresh batches from the source (online, as Sharkey)."""

    steps: int = 20_000
    batch_size: int = 256
    lr: float = 1e-3
    b1: float = 0.9
    b2: float = 0.999
    eps: float = 1e-8
    grad_clip: float = 0.0
    """Clip the global gradient norm at this value (April 2024: 1); 0 = off."""
    coef_warmup_frac: float = 0.0
    """Warm the penalty λ up linearly from 0 over this fraction of steps (April 2024: 0.05).
    Not applied to k."""
    lr_decay_frac: float = 0.0
    """Decay the learning rate linearly to 0 over this last fraction of steps (April: 0.2)."""
    resample_at: tuple[int, ...] = ()
    """Steps at which dead latents are resampled (Anthropic 2023): between compiled segments."""
    resample_samples: int = 8192
    """Fresh inputs on which the resampling loss is computed (Anthropic: 819,200)."""
    resample_window: int = 0
    """A latent is resampled if it has not fired for this many steps; 0 = SAEConfig.dead_steps."""
    eval_samples: int = 5120
    """Fresh samples on which every SAE is scored (one eval set per seed-independent source)."""
    n_calls: int = 20
    """Compiled calls per run (the progress bar ticks between them)."""


@dataclasses.dataclass(frozen=True)
class SAEGridConfig:
    """The axes of an SAE sweep: coef × seed inside a compiled call, dictionary size as buckets."""

    coef: tuple[float, ...] = (0.3,)
    """λ for relu_l1/relu_l1_april/jumprelu/jumprelu_tanh/gated; k for topk (an integer) and
    batchtopk/matryoshka (mean active latents per sample; may be fractional, k·B per batch)."""
    dict_ratio: tuple[float, ...] = (1.0,)
    """n_latents = round(ratio × number of ground-truth directions); one bucket per value."""
    n_latents: tuple[int, ...] = ()
    """Explicit dictionary sizes (override dict_ratio when given)."""
    n_seeds: int = 1
    seed: int = 0


@dataclasses.dataclass(frozen=True)
class SAESweepConfig:
    """One SAE sweep over a ground-truth source. Its hash names its run directory."""

    name: str = "sae"
    source: SourceConfig = SourceConfig()
    source_seed: int = 0
    """Seed of the ground truth (dictionary, probabilities, correlations) — shared by all SAEs."""
    sae: SAEConfig = SAEConfig()
    train: SAETrainConfig = SAETrainConfig()
    grid: SAEGridConfig = SAEGridConfig()
    results_dir: str = "results"
    chunk_size: int = 0
    """SAEs per compiled call; 0 = from memory_budget_mb."""
    memory_budget_mb: float = 0.0
    progress: bool = True


def _check(ok: bool, field: str, value, allowed: str) -> None:
    if not ok:
        raise ConfigError(field, value, allowed)


def _pos(x) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x) and x > 0


def _nonneg(x) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x) and x >= 0


def validate(cfg: SAESweepConfig) -> None:
    """Raise ConfigError naming the first field outside its allowed range."""
    from toymodels.sae.sources import validate as validate_source
    validate_source(cfg.source)
    s, t, g = cfg.sae, cfg.train, cfg.grid
    _check(s.variant in VARIANTS, "sae.variant", s.variant, f"one of {VARIANTS}")
    _check(s.mse in ("mean", "sum"), "sae.mse", s.mse, "'mean' or 'sum'")
    _check(s.l1_scale in ("none", "n_latents"), "sae.l1_scale", s.l1_scale, "'none' or 'n_latents'")
    _check(_nonneg(s.decoder_init_norm), "sae.decoder_init_norm", s.decoder_init_norm, "finite and >= 0")
    _check(s.k_aux >= 0, "sae.k_aux", s.k_aux, ">= 0 (0 = d // 2)")
    _check(_nonneg(s.aux_coef), "sae.aux_coef", s.aux_coef, "finite and >= 0")
    _check(s.dead_steps >= 1, "sae.dead_steps", s.dead_steps, ">= 1")
    _check(_nonneg(s.threshold_ema) and s.threshold_ema < 1, "sae.threshold_ema", s.threshold_ema, "in [0, 1)")
    _check(_pos(s.bandwidth), "sae.bandwidth", s.bandwidth, "finite and > 0")
    _check(_pos(s.threshold_init), "sae.threshold_init", s.threshold_init, "finite and > 0")
    _check(_nonneg(s.tanh_c), "sae.tanh_c", s.tanh_c, "finite and >= 0")
    _check(_nonneg(s.preact_coef), "sae.preact_coef", s.preact_coef, "finite and >= 0")
    _check(len(s.prefixes) >= 1 and all(_pos(p) and p <= 1 for p in s.prefixes)
           and list(s.prefixes) == sorted(s.prefixes) and s.prefixes[-1] == 1.0,
           "sae.prefixes", s.prefixes, "increasing fractions in (0, 1] ending at 1.0")
    _check(t.steps >= 1, "train.steps", t.steps, ">= 1")
    _check(t.batch_size >= 1, "train.batch_size", t.batch_size, ">= 1")
    _check(_pos(t.lr), "train.lr", t.lr, "finite and > 0")
    _check(_nonneg(t.grad_clip), "train.grad_clip", t.grad_clip, "finite and >= 0 (0 = off)")
    _check(_nonneg(t.coef_warmup_frac) and t.coef_warmup_frac <= 1, "train.coef_warmup_frac",
           t.coef_warmup_frac, "in [0, 1]")
    _check(_nonneg(t.lr_decay_frac) and t.lr_decay_frac <= 1, "train.lr_decay_frac", t.lr_decay_frac, "in [0, 1]")
    for i, v in enumerate(t.resample_at):
        _check(0 < v < t.steps, f"train.resample_at[{i}]", v, f"in (0, steps={t.steps})")
    _check(t.resample_samples >= 1, "train.resample_samples", t.resample_samples, ">= 1")
    _check(t.resample_window >= 0, "train.resample_window", t.resample_window, ">= 0")
    _check(t.eval_samples >= 1, "train.eval_samples", t.eval_samples, ">= 1")
    _check(t.n_calls >= 1, "train.n_calls", t.n_calls, ">= 1")
    _check(len(g.coef) >= 1, "grid.coef", g.coef, "at least one value")
    for i, v in enumerate(g.coef):
        if s.variant == "topk":
            _check(_pos(v) and float(v).is_integer(), f"grid.coef[{i}]", v,
                   "a positive integer k for variant topk")
        elif s.variant in K_VARIANTS:
            _check(_pos(v), f"grid.coef[{i}]", v, f"a positive k (mean active latents) for variant {s.variant}")
        else:
            _check(_nonneg(v), f"grid.coef[{i}]", v, "finite and >= 0")
    for i, v in enumerate(g.dict_ratio):
        _check(_pos(v), f"grid.dict_ratio[{i}]", v, "finite and > 0")
    for i, v in enumerate(g.n_latents):
        _check(v >= 1, f"grid.n_latents[{i}]", v, ">= 1")
    _check(bool(g.dict_ratio) or bool(g.n_latents), "grid.dict_ratio", g.dict_ratio,
           "non-empty unless grid.n_latents is given")
    _check(g.n_seeds >= 1, "grid.n_seeds", g.n_seeds, ">= 1")
    _check(cfg.chunk_size >= 0, "chunk_size", cfg.chunk_size, ">= 0 (0 = from the memory budget)")
    _check(_nonneg(cfg.memory_budget_mb), "memory_budget_mb", cfg.memory_budget_mb, ">= 0 (0 = automatic)")


def dict_sizes(cfg: SAESweepConfig, n_gt: int) -> list[int]:
    """The dictionary size of each bucket, given the number of ground-truth directions."""
    if cfg.grid.n_latents:
        return list(cfg.grid.n_latents)
    return [max(1, int(round(r * n_gt))) for r in cfg.grid.dict_ratio]
