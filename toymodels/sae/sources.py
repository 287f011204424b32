"""Ground-truth sources for SAE recovery tests (issue 5; sae_recovery.md sections 1, 4.3, 5.1).

A *source* is a known dictionary of true feature directions plus a sampler of data built from it.
Every sampler returns both the data and the true codes, so code-level metrics can be computed.

Conventions (shared with toymodels.sae.metrics and the SAE trainer): directions are ROWS.

  gt_GxD     G true feature directions in D input dims, unit rows
  codes_BxG  true coefficients on those rows, 0 where a feature is inactive
  x_BxD      the data the SAE sees

For the synthetic and hierarchy sources ``x_BxD = codes_BxG @ gt_GxD + noise`` exactly. For the
toy-model source in hidden mode it holds exactly for the ``linear`` and ``relu`` kinds (h = W x, and
codes_i = x_i·‖W_i‖); see :func:`sample` for ``relu_hidden`` and output mode.

Kinds (``SourceConfig.kind``):

``synthetic`` — Sharkey, Braun & Millidge (2022), as in HoagyC/sparse_coding
  ``replicate_toy_models.py`` (sae_recovery.md section 1):
    - n_gt directions g_j ~ N(0, I_d), normalised to unit norm (not orthogonalised);
    - base firing profile decay_j = decay**j, j = 0..n_gt-1;
    - ``correlation="per_batch"`` (Sharkey's correlated mode, for exact replication): a fixed random
      covariance C (U[0,1]^{G×G}, symmetrised, shifted by -1.001·λ_min·I when λ_min < 0). Per BATCH
      draw z ~ N(0, C), set p_j = Φ(z_j)·decay_j and rescale so that Σ_j p_j = mean_l0. Within a
      batch the features are conditionally independent: the "correlation" modulates firing rates
      between batches and does not make features co-occur inside a sample;
    - ``correlation="none"``: independent Bernoulli with p_j = decay_j·mean_l0/Σ_k decay_k, so
      E[L0] = mean_l0. (Sharkey's own uncorrelated mode uses p_j = decay_j·5/512, i.e. E[L0] ≈ 0.97;
      get it with mean_l0 = 5·Σ_k decay_k/512.);
    - ``correlation="per_sample"``: a Gaussian copula per SAMPLE that preserves the marginals of
      ``none``: z ~ N(0, R) per sample, R = the correlation matrix of the same C, and feature j fires
      iff Φ(z_j) > 1 − p_j, so P(fire_j) = p_j exactly while features co-occur;
    - magnitudes U[0,1) (``magnitude="uniform"``) or 1 (``"constant"``);
    - ``empty_fallback``: a row with no active feature gets one uniformly chosen feature set to
      1.0 (Sharkey's generator does this). It adds P(empty row)/G to every firing rate; ``p_G``
      reports the Bernoulli probability before the fallback;
    - optional isotropic noise N(0, noise_std²·I) added to x (Sharkey's ``noise_level``).

``hierarchy`` — parent/child toys for absorption and hedging (sae_recovery.md sections 4.3, 5.4
  ``absorb``): G = n_parents·(1 + n_children) + n_free orthonormal directions in d dims (G ≤ d).
  Feature order: parent 0, its children, parent 1, its children, ..., then the free features.
    - parent fires with probability p_parent;
    - given its parent fires, at most one child fires (mutual exclusion): child c with probability
      p_child each (so n_children·p_child ≤ 1); a child never fires without its parent, so its
      marginal is p_parent·p_child;
    - free features fire independently with probability p_free;
    - magnitudes as above (default ``constant`` 1, as in the LW absorption toys).
  ``parent_G`` holds each child's parent index (-1 for parents and free features).

``toy_model`` — a trained toy model of superposition (sae_recovery.md section 5.1 "TMS source"):
  either a results-store run (``run_dir``, ``bucket``, flat ``cell`` index in the bucket's grid,
  seed axis last, C order) or an explicit ``W`` (m × n, the project's W_HxF) with ``toy_density``.
  Data x ~ toymodels.data.sample_batch with the cell's densities and ``toy_data``'s options; the
  SAE sees h = hidden(kind, W, x) (``use_outputs=False``) or the model's output x'
  (``use_outputs=True``).
    - hidden mode: gt rows W_i/‖W_i‖ (D = m), codes x_i·‖W_i‖;
    - output mode: gt rows = the standard basis of R^n (D = n), codes x_i;
    - ``represented_G`` = ‖W_i‖ > norm_threshold. All n features are rows of gt_GxD; metrics
      restrict to represented ones via their ``gt_mask_G`` argument and report the others
      separately. Antipodal pairs share a direction up to sign: use the signed cosine to tell them
      apart (metrics offer both).
  Use :func:`toy_model_config` to build the config of a stored run (it copies the run's model
  kind and data options, which the sampler needs statically).

Everything is pure JAX with explicit PRNG keys. :func:`make_source` is ordinary Python (it may read
files); :func:`sample` is jittable with ``cfg`` and ``batch`` static::

    src = make_source(cfg, jax.random.key(0))
    draw = jax.jit(sample, static_argnums=(1, 3))
    x_BxD, codes_BxG = draw(src, cfg, key, 256)
"""

from __future__ import annotations

import dataclasses
import math
from typing import Literal, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import ndtri
from jax.scipy.stats import norm

from toymodels import data as data_lib
from toymodels import models
from toymodels.config import ConfigError, DataConfig

SourceKind = Literal["synthetic", "toy_model", "hierarchy"]
SOURCE_KINDS = ("synthetic", "toy_model", "hierarchy")
CORRELATIONS = ("none", "per_batch", "per_sample")
MAGNITUDES = ("uniform", "constant")
TOY_KINDS = ("linear", "relu", "relu_hidden")

# Draws of the per-batch firing-rate modulation used to estimate p_G = E_z[p(z)] in per_batch mode.
_PER_BATCH_MC_DRAWS = 2048


@dataclasses.dataclass(frozen=True)
class SourceConfig:
    """Which ground truth the SAE is tested against (every formula: ``python -m pydoc toymodels.sae.sources``)."""

    kind: SourceKind = "synthetic"
    """``synthetic`` (Sharkey 2022 dictionary), ``hierarchy`` (absorption/hedging toys) or
    ``toy_model`` (a trained toy model's feature directions)."""
    # ---- synthetic (d is shared with hierarchy)
    d: int = 256
    """Input dimension D of the synthetic and hierarchy sources."""
    n_gt: int = 512
    """Number of synthetic ground-truth features G."""
    mean_l0: float = 5.0
    """Target E[L0] = Σ_j p_j (before the empty-row fallback)."""
    decay: float = 0.99
    """Firing profile decay**j."""
    correlation: Literal["none", "per_batch", "per_sample"] = "per_batch"
    """``per_batch``: Sharkey's between-batch rate modulation; ``per_sample``: a marginal-preserving
    Gaussian copula per sample; ``none``: independent."""
    magnitude: Literal["uniform", "constant"] = "uniform"
    """Active coefficient: U[0,1) or exactly 1."""
    noise_std: float = 0.0
    """Std of isotropic Gaussian noise added to x (every kind)."""
    empty_fallback: bool = True
    """Synthetic only: a row with no active feature gets one uniformly chosen feature set to 1.0."""
    # ---- hierarchy
    n_parents: int = 1
    n_children: int = 1
    """Children per parent, mutually exclusive."""
    n_free: int = 2
    """Independent features outside the hierarchy."""
    p_parent: float = 0.25
    p_child: float = 0.2
    """P(child c fires | its parent fires), for each child."""
    p_free: float = 0.25
    # ---- toy_model
    run_dir: str = ""
    """A finished toymodels sweep directory (exclusive with W)."""
    bucket: int = 0
    cell: int = 0
    """Flat index of the cell in the bucket's grid (grid axes in order, seed last, C order)."""
    W: tuple[tuple[float, ...], ...] = ()
    """Explicit toy-model W_HxF (m rows of n values), exclusive with run_dir."""
    b: tuple[float, ...] = ()
    """Explicit output bias b_F (only used with use_outputs; empty = zeros)."""
    toy_kind: Literal["linear", "relu", "relu_hidden"] = "relu"
    """The toy model's kind (must equal the run's)."""
    toy_density: float = 0.1
    """Feature probability of every feature, with an explicit W."""
    toy_data: DataConfig = DataConfig()
    """Sampler options of the toy model's inputs (correlation sets, rng); density comes from the run
    cell or toy_density."""
    norm_threshold: float = 0.5
    """A feature counts as represented when ‖W_i‖ > norm_threshold."""
    use_outputs: bool = False
    """The SAE sees the model's outputs x' instead of its hidden activations h."""


class Source(NamedTuple):
    """A built source (a pytree of arrays; shapes fixed by the config).

    gt_GxD:        unit-norm true directions (rows).
    p_G:           firing probability of each feature (per_batch: E_z of the modulated rate,
                   estimated from 2048 draws; before the empty-row fallback).
    represented_G: bool; False for toy-model features with ‖W_i‖ <= norm_threshold.
    parent_G:      int32 parent index of each hierarchy child, -1 otherwise.
    scale_G:       ‖W_i‖ for the toy model in hidden mode (codes = x·scale), else 1.
    base_G:        per_batch: decay**j (rescaled per batch); else p_G.
    chol_GxG:      Cholesky factor of the copula covariance (per_batch: C; per_sample: its
                   correlation matrix); shape (0, 0) when unused.
    W_HxF, b_F:    the toy model's parameters; shapes (0, 0) and (0,) for other kinds.
    """

    gt_GxD: jax.Array
    p_G: jax.Array
    represented_G: jax.Array
    parent_G: jax.Array
    scale_G: jax.Array
    base_G: jax.Array
    chol_GxG: jax.Array
    W_HxF: jax.Array
    b_F: jax.Array


# ----------------------------------------------------------------------------- validation


def _check(ok: bool, field: str, value, allowed: str) -> None:
    if not ok:
        raise ConfigError(f"source.{field}", value, allowed)


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def validate(cfg: SourceConfig) -> None:
    """Raise :class:`toymodels.config.ConfigError` naming the first invalid field."""
    _check(cfg.kind in SOURCE_KINDS, "kind", cfg.kind, f"one of {SOURCE_KINDS}")
    _check(cfg.magnitude in MAGNITUDES, "magnitude", cfg.magnitude, f"one of {MAGNITUDES}")
    _check(_finite(cfg.noise_std) and cfg.noise_std >= 0, "noise_std", cfg.noise_std, "finite and >= 0")
    if cfg.kind == "synthetic":
        _check(cfg.d >= 1, "d", cfg.d, ">= 1")
        _check(cfg.n_gt >= 1, "n_gt", cfg.n_gt, ">= 1")
        _check(cfg.correlation in CORRELATIONS, "correlation", cfg.correlation, f"one of {CORRELATIONS}")
        _check(_finite(cfg.decay) and 0 < cfg.decay <= 1, "decay", cfg.decay, "in (0, 1]")
        _check(_finite(cfg.mean_l0) and 0 < cfg.mean_l0 <= cfg.n_gt, "mean_l0", cfg.mean_l0,
               f"in (0, n_gt={cfg.n_gt}]")
        if cfg.correlation != "per_batch":
            p0 = cfg.mean_l0 / float(np.sum(cfg.decay ** np.arange(cfg.n_gt, dtype=np.float64)))
            _check(p0 <= 1, "mean_l0", cfg.mean_l0,
                   f"small enough that the most frequent feature has p <= 1 (it would be {p0:.3g})")
    elif cfg.kind == "hierarchy":
        for name in ("n_parents", "n_children", "n_free"):
            _check(getattr(cfg, name) >= 0, name, getattr(cfg, name), ">= 0")
        g = hierarchy_size(cfg)
        _check(g >= 1, "n_free", cfg.n_free, "such that there is at least one feature")
        _check(cfg.d >= g, "d", cfg.d, f">= the number of hierarchy features {g} (they are orthonormal)")
        for name in ("p_parent", "p_child", "p_free"):
            v = getattr(cfg, name)
            _check(_finite(v) and 0 <= v <= 1, name, v, "in [0, 1]")
        _check(cfg.n_children * cfg.p_child <= 1 + 1e-9, "p_child", cfg.p_child,
               f"<= 1/n_children = {1 / max(cfg.n_children, 1):.3g} (children are mutually exclusive)")
    else:
        _check(bool(cfg.run_dir) != bool(cfg.W), "run_dir", cfg.run_dir,
               "set exactly one of run_dir (a stored sweep) and W (explicit weights)")
        _check(cfg.toy_kind in TOY_KINDS, "toy_kind", cfg.toy_kind, f"one of {TOY_KINDS}")
        _check(_finite(cfg.norm_threshold) and cfg.norm_threshold >= 0, "norm_threshold",
               cfg.norm_threshold, "finite and >= 0")
        if cfg.W:
            n = len(cfg.W[0])
            _check(n >= 1 and all(len(r) == n for r in cfg.W), "W", "ragged",
                   "m rows of n values each (W_HxF)")
            _check(not cfg.b or len(cfg.b) == n, "b", len(cfg.b), f"empty or n={n} values")
            _check(_finite(cfg.toy_density) and 0 < cfg.toy_density <= 1, "toy_density",
                   cfg.toy_density, "in (0, 1]")
        _check(cfg.bucket >= 0, "bucket", cfg.bucket, ">= 0")
        _check(cfg.cell >= 0, "cell", cfg.cell, ">= 0")


def hierarchy_size(cfg: SourceConfig) -> int:
    """G of the hierarchy source: n_parents·(1 + n_children) + n_free."""
    return cfg.n_parents * (1 + cfg.n_children) + cfg.n_free


# ----------------------------------------------------------------------------- building


def _unit_rows(a: np.ndarray) -> np.ndarray:
    return a / np.maximum(np.linalg.norm(a, axis=-1, keepdims=True), 1e-30)


def sharkey_covariance(key: jax.Array, n: int) -> np.ndarray:
    """Sharkey's random covariance (float64): C ~ U[0,1]^{n×n}, C ← (C+Cᵀ)/2, and if λ_min < 0,
    C ← C − 1.001·λ_min·I (so C is positive definite)."""
    c = np.asarray(jax.random.uniform(key, (n, n)), np.float64)
    c = (c + c.T) / 2
    lam_min = float(np.linalg.eigvalsh(c)[0])
    if lam_min < 0:
        c -= 1.001 * lam_min * np.eye(n)
    return c


def per_batch_rates(base_G: jax.Array, chol_GxG: jax.Array, mean_l0: float, eps_G: jax.Array) -> jax.Array:
    """Sharkey's per-batch firing probabilities from a standard-normal draw eps_G:
    z = L eps, p = Φ(z)·base, p ← p·mean_l0/Σp, clipped to [0, 1]."""
    z_G = chol_GxG @ eps_G
    p_G = norm.cdf(z_G) * base_G
    return jnp.clip(p_G * (mean_l0 / jnp.sum(p_G)), 0.0, 1.0)


@jax.jit
def _mean_per_batch_rates(base_G, chol_GxG, mean_l0, key):
    eps_SxG = jax.random.normal(key, (_PER_BATCH_MC_DRAWS, base_G.shape[0]))
    rates_SxG = jax.vmap(lambda e: per_batch_rates(base_G, chol_GxG, mean_l0, e))(eps_SxG)
    return jnp.mean(rates_SxG, axis=0)


def _empty(n: int, dtype=jnp.float32) -> jax.Array:
    return jnp.zeros((0,) * n, dtype)


def make_source(cfg: SourceConfig, key: jax.Array) -> Source:
    """Build the ground truth of ``cfg`` (validated first) from the PRNG key ``key``.

    Synthetic: directions from key's first split, the copula covariance from the second, the
    per_batch p_G estimate from the third. Hierarchy: orthonormal directions (QR of a Gaussian).
    Toy model: W read from the run directory or cfg.W (``key`` unused)."""
    validate(cfg)
    if cfg.kind == "synthetic":
        return _make_synthetic(cfg, key)
    if cfg.kind == "hierarchy":
        return _make_hierarchy(cfg, key)
    return _make_toy(cfg)


def _make_synthetic(cfg: SourceConfig, key: jax.Array) -> Source:
    k_dir, k_cov, k_mc = jax.random.split(key, 3)
    g, d = cfg.n_gt, cfg.d
    gt = _unit_rows(np.asarray(jax.random.normal(k_dir, (g, d)), np.float64))
    decay_G = cfg.decay ** np.arange(g, dtype=np.float64)
    chol = np.zeros((0, 0))
    if cfg.correlation in ("per_batch", "per_sample"):
        c = sharkey_covariance(k_cov, g)
        if cfg.correlation == "per_sample":
            s = np.sqrt(np.diag(c))
            c = c / s[:, None] / s[None, :]
        chol = np.linalg.cholesky(c)
    if cfg.correlation == "per_batch":
        base = jnp.asarray(decay_G, jnp.float32)
        chol_j = jnp.asarray(chol, jnp.float32)
        p_G = np.asarray(_mean_per_batch_rates(base, chol_j, cfg.mean_l0, k_mc), np.float64)
        base_G = decay_G
    else:
        p_G = decay_G * cfg.mean_l0 / decay_G.sum()
        base_G = p_G
    return Source(
        gt_GxD=jnp.asarray(gt, jnp.float32), p_G=jnp.asarray(p_G, jnp.float32),
        represented_G=jnp.ones((g,), bool), parent_G=jnp.full((g,), -1, jnp.int32),
        scale_G=jnp.ones((g,), jnp.float32), base_G=jnp.asarray(base_G, jnp.float32),
        chol_GxG=jnp.asarray(chol, jnp.float32), W_HxF=_empty(2), b_F=_empty(1))


def hierarchy_structure(cfg: SourceConfig) -> tuple[np.ndarray, np.ndarray]:
    """(parent_G int32 with -1 for roots and free features, p_G marginal firing probabilities)."""
    parent, p = [], []
    for i in range(cfg.n_parents):
        root = len(parent)
        parent.append(-1)
        p.append(cfg.p_parent)
        for _ in range(cfg.n_children):
            parent.append(root)
            p.append(cfg.p_parent * cfg.p_child)
    parent += [-1] * cfg.n_free
    p += [cfg.p_free] * cfg.n_free
    return np.asarray(parent, np.int32), np.asarray(p, np.float64)


def _make_hierarchy(cfg: SourceConfig, key: jax.Array) -> Source:
    g = hierarchy_size(cfg)
    q, _ = np.linalg.qr(np.asarray(jax.random.normal(key, (cfg.d, g)), np.float64))
    gt = q.T  # G orthonormal rows
    parent, p = hierarchy_structure(cfg)
    return Source(
        gt_GxD=jnp.asarray(gt, jnp.float32), p_G=jnp.asarray(p, jnp.float32),
        represented_G=jnp.ones((g,), bool), parent_G=jnp.asarray(parent),
        scale_G=jnp.ones((g,), jnp.float32), base_G=jnp.asarray(p, jnp.float32),
        chol_GxG=_empty(2), W_HxF=_empty(2), b_F=_empty(1))


def _load_toy(cfg: SourceConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(W_HxF, b_F, density_F) of the configured toy model."""
    if cfg.W:
        W = np.asarray(cfg.W, np.float64)
        n = W.shape[1]
        b = np.asarray(cfg.b, np.float64) if cfg.b else np.zeros(n)
        return W, b, np.full(n, cfg.toy_density)
    from toymodels import store, sweep  # local: only the toy-model source needs the store

    run = store.Run(cfg.run_dir)
    buckets = sweep.plan_buckets(run.config)
    _check(cfg.bucket < len(run.buckets), "bucket", cfg.bucket, f"< {len(run.buckets)} (buckets in {cfg.run_dir})")
    bk, plan = run.buckets[cfg.bucket], buckets[cfg.bucket]
    _check(bk.model["kind"] == cfg.toy_kind, "toy_kind", cfg.toy_kind,
           f"the run's model kind {bk.model['kind']!r} (use toy_model_config)")
    _check(run.config.data == cfg.toy_data, "toy_data", "differs from the run's data config",
           "the run's DataConfig (use toy_model_config)")
    n_cells = plan.n_cells
    _check(cfg.cell < n_cells, "cell", cfg.cell, f"< {n_cells} (cells x seeds in bucket {cfg.bucket})")
    m, n = bk.model["n_hidden"], bk.model["n_features"]
    W = bk.params["W_HxF"].reshape(-1, m, n)[cfg.cell].astype(np.float64)
    b = bk.params["b_F"].reshape(-1, n)[cfg.cell].astype(np.float64)
    return W, b, plan.density_CxF[cfg.cell].astype(np.float64)


def _make_toy(cfg: SourceConfig) -> Source:
    W, b, density = _load_toy(cfg)
    m, n = W.shape
    norms = np.linalg.norm(W, axis=0)
    if cfg.use_outputs:
        gt, scale = np.eye(n), np.ones(n)
    else:
        gt, scale = _unit_rows(W.T), norms
    f32 = lambda a: jnp.asarray(a, jnp.float32)  # noqa: E731
    return Source(
        gt_GxD=f32(gt), p_G=f32(density), represented_G=jnp.asarray(norms > cfg.norm_threshold),
        parent_G=jnp.full((n,), -1, jnp.int32), scale_G=f32(scale), base_G=f32(density),
        chol_GxG=_empty(2), W_HxF=f32(W), b_F=f32(b))


def toy_model_config(run_dir: str, bucket: int = 0, cell: int = 0, **overrides) -> SourceConfig:
    """A ``toy_model`` SourceConfig for a stored sweep: copies the bucket's model kind and the run's
    DataConfig (the sampler needs both statically); ``overrides`` set any other field."""
    from toymodels import store

    run_cfg = store.load_config(run_dir)
    from toymodels.config import bucket_models

    models_ = bucket_models(run_cfg)
    _check(0 <= bucket < len(models_), "bucket", bucket, f"in [0, {len(models_)})")
    kind = models_[bucket].kind
    _check(kind in TOY_KINDS, "toy_kind", kind, f"one of {TOY_KINDS} (the abs model is not supported)")
    return SourceConfig(kind="toy_model", run_dir=str(run_dir), bucket=bucket, cell=cell,
                        toy_kind=kind, toy_data=run_cfg.data, **overrides)


def source_dims(cfg: SourceConfig) -> tuple[int, int]:
    """(G, D) of the source without building it (reads config.json for a stored toy model)."""
    if cfg.kind == "synthetic":
        return cfg.n_gt, cfg.d
    if cfg.kind == "hierarchy":
        return hierarchy_size(cfg), cfg.d
    if cfg.W:
        m, n = len(cfg.W), len(cfg.W[0])
    else:
        from toymodels import store
        from toymodels.config import bucket_models

        mc = bucket_models(store.load_config(cfg.run_dir))[cfg.bucket]
        m, n = mc.n_hidden, mc.n_features
    return n, (n if cfg.use_outputs else m)


# ----------------------------------------------------------------------------- sampling


def _magnitudes(cfg: SourceConfig, key: jax.Array, shape) -> jax.Array:
    if cfg.magnitude == "constant":
        return jnp.ones(shape, jnp.float32)
    return jax.random.uniform(key, shape)


def _add_noise(cfg: SourceConfig, key: jax.Array, x_BxD: jax.Array) -> jax.Array:
    if cfg.noise_std == 0:
        return x_BxD
    return x_BxD + cfg.noise_std * jax.random.normal(key, x_BxD.shape)


def synthetic_mask(source: Source, cfg: SourceConfig, key: jax.Array, batch: int) -> jax.Array:
    """active_BxG of the synthetic source (before the empty-row fallback)."""
    g = source.gt_GxD.shape[0]
    k_z, k_u = jax.random.split(key)
    if cfg.correlation == "per_batch":
        p_G = per_batch_rates(source.base_G, source.chol_GxG, cfg.mean_l0, jax.random.normal(k_z, (g,)))
        return jax.random.uniform(k_u, (batch, g)) < p_G[None, :]
    if cfg.correlation == "per_sample":
        z_BxG = jax.random.normal(k_z, (batch, g)) @ source.chol_GxG.T
        return z_BxG > ndtri(1.0 - source.p_G)[None, :]  # Φ(z) > 1 − p  ⇔  z > Φ⁻¹(1 − p)
    return jax.random.uniform(k_u, (batch, g)) < source.p_G[None, :]


def hierarchy_mask(source: Source, cfg: SourceConfig, key: jax.Array, batch: int) -> jax.Array:
    """active_BxG of the hierarchy source: parents, mutually exclusive children, free features."""
    k_par, k_child, k_free = jax.random.split(key, 3)
    np_, nc = cfg.n_parents, cfg.n_children
    cols = []
    if np_:
        parent_BxP = jax.random.uniform(k_par, (batch, np_)) < cfg.p_parent
        # One draw per (sample, parent) picks at most one child: child c iff c·p ≤ u < (c+1)·p.
        u_BxP = jax.random.uniform(k_child, (batch, np_))
        slot_BxP = jnp.floor(u_BxP / max(cfg.p_child, 1e-30)).astype(jnp.int32)
        for i in range(np_):
            cols.append(parent_BxP[:, i:i + 1])
            if nc:
                child = (slot_BxP[:, i:i + 1] == jnp.arange(nc)[None, :]) & (cfg.p_child > 0)
                cols.append(child & parent_BxP[:, i:i + 1])
    if cfg.n_free:
        cols.append(jax.random.uniform(k_free, (batch, cfg.n_free)) < cfg.p_free)
    return jnp.concatenate(cols, axis=1)


def sample(source: Source, cfg: SourceConfig, key: jax.Array, batch: int) -> tuple[jax.Array, jax.Array]:
    """Draw ``(x_BxD, codes_BxG)``; jittable with ``cfg`` and ``batch`` static.

    synthetic / hierarchy: codes = active ⊙ magnitude, x = codes @ gt_GxD + noise.
    toy_model: x_F ~ toymodels.data.sample_batch(p_G, cfg.toy_data) (U[0,1) on active features);
      hidden mode: x = hidden(toy_kind, W, x_F) (+ noise), codes = x_F·‖W_i‖ (so x = codes @ gt for
      linear/relu; for relu_hidden x = ReLU(codes @ gt));
      output mode: x = forward(toy_kind, W, b, x_F) (+ noise), codes = x_F, gt = identity.
    """
    k_mask, k_mag, k_fb, k_noise = jax.random.split(key, 4)
    if cfg.kind == "toy_model":
        x_BxF = data_lib.sample_batch(k_mask, source.p_G, cfg.toy_data, batch)
        params = {"W_HxF": source.W_HxF, "b_F": source.b_F}
        if cfg.use_outputs:
            x = models.forward(cfg.toy_kind, params, x_BxF)
        else:
            x = models.hidden(cfg.toy_kind, params, x_BxF)
        return _add_noise(cfg, k_noise, x), x_BxF * source.scale_G[None, :]
    g = source.gt_GxD.shape[0]
    if cfg.kind == "synthetic":
        active = synthetic_mask(source, cfg, k_mask, batch)
    else:
        active = hierarchy_mask(source, cfg, k_mask, batch)
    codes = jnp.where(active, _magnitudes(cfg, k_mag, (batch, g)), 0.0)
    if cfg.kind == "synthetic" and cfg.empty_fallback:
        empty_B1 = ~jnp.any(active, axis=1, keepdims=True)
        pick_BxG = jax.nn.one_hot(jax.random.randint(k_fb, (batch,), 0, g), g, dtype=codes.dtype)
        codes = jnp.where(empty_B1, pick_BxG, codes)
    return _add_noise(cfg, k_noise, codes @ source.gt_GxD), codes


# ----------------------------------------------------------------------------- presets

SHARKEY22 = SourceConfig(kind="synthetic")
"""Sharkey et al. 2022: d=256, 512 GT features, E[L0]=5, decay 0.99, per-batch correlation."""
SHARKEY22_SMALL = SourceConfig(kind="synthetic", d=64, n_gt=128)
"""The same at a quarter size (sae_recovery.md 5.4 ``sharkey22-small``)."""
ABSORB = SourceConfig(kind="hierarchy", d=50, n_parents=1, n_children=1, n_free=2,
                      p_parent=0.25, p_child=0.2, p_free=0.25, magnitude="constant")
"""Absorption toy: 4 orthonormal features in 50-d; feature 1 fires only with its parent 0
(P = 0.2 given the parent), features 2 and 3 independent."""
HEDGE = SourceConfig(kind="hierarchy", d=50, n_parents=1, n_children=1, n_free=0,
                     p_parent=0.25, p_child=0.2, magnitude="constant")
"""Hedging toy (Chanin et al. 2025): 2 orthonormal features in 50-d, P(f0)=0.25, P(f1|f0)=0.2;
train a 1-latent SAE on it."""
SOURCE_PRESETS = {"sharkey22": SHARKEY22, "sharkey22-small": SHARKEY22_SMALL,
                  "absorb": ABSORB, "hedge": HEDGE}
