"""Pure samplers of sparse synthetic features (paper section 2; paper_spec 1.1).

Each feature x_i is 0 with probability S_i = 1 - p_i, else U[0, 1) (U[-1, 1) for the abs task).

Speed. On a CPU, drawing random numbers dominates this workload: threefry (jax.random.uniform)
costs about 10 ns per float32 on one core, more than the model's matmuls for n=200, m=20. So the
default sampler draws **one** uniform u per element and takes both the mask and the value from it:

    active = u < p,   value = u / p     (u | u < p  ~  U[0, p), so u/p ~ U[0, 1) exactly)

and makes u with a counter-based hash (two rounds of the ``lowbias32`` integer mixer of C.
Wellons' hash-prospector, keyed by 64 bits that threefry draws once per model and step) instead of
threefry. u has 23 random mantissa bits, like jax.random.uniform. ``DataConfig.rng="threefry"``
switches to jax.random.uniform for anyone who prefers it; the statistics tests cover both.

Feature sets (paper section 6.3 conventions, documented on DataConfig.correlation):
  correlated      one draw v per (example, set): the whole set is active iff v < p; values U[0,1).
  anticorrelated  one draw v per (example, set): the set is active iff v < p_set, and then the
                  feature floor(k·v/p_set) is the single active one (v/p_set is U[0,1) given v <
                  p_set, so the choice is uniform). p_set = p (paper: marginal p/k) or min(1, k·p)
                  (ARENA: marginal p).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from toymodels.config import DataConfig

_M1 = np.uint32(0x7FEB352D)
_M2 = np.uint32(0x846CA68B)


def _lowbias32(x: jax.Array) -> jax.Array:
    """Wellons' lowbias32 mixer: a bijection on uint32 with near-ideal avalanche."""
    x = x ^ (x >> 16)
    x = x * _M1
    x = x ^ (x >> 15)
    x = x * _M2
    return x ^ (x >> 16)


def _bits_to_unit_float(bits: jax.Array) -> jax.Array:
    """uint32 -> float32 in [0, 1) from the top 23 bits (exponent trick, as jax.random does)."""
    mantissa = (bits >> 9) | np.uint32(0x3F800000)
    return jax.lax.bitcast_convert_type(mantissa, jnp.float32) - 1.0


def hash_uniform(key_2: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    """float32 U[0, 1) of ``shape`` from two uint32 key words ``key_2`` by a keyed counter hash.

    u_c = lowbias32(lowbias32(c ^ k0) ^ k1) for the flat element counter c. Each stage is a
    bijection, so within one key no two counters collide."""
    size = int(np.prod(shape)) if shape else 1
    counter = jax.lax.iota(jnp.uint32, size).reshape(shape)
    x = _lowbias32(counter ^ key_2[0])
    x = _lowbias32(x ^ key_2[1])
    return _bits_to_unit_float(x)


def uniforms(key: jax.Array, shapes: tuple[tuple[int, ...], ...], rng: str = "hash") -> list[jax.Array]:
    """Independent U[0,1) float32 arrays, one per shape, from one JAX key."""
    if rng == "threefry":
        return [jax.random.uniform(k, s) for k, s in zip(jax.random.split(key, len(shapes)), shapes)]
    words = jax.random.bits(key, (len(shapes), 2), jnp.uint32)
    return [hash_uniform(words[i], s) for i, s in enumerate(shapes)]


def importance_profile(cfg: DataConfig, n_features: int) -> np.ndarray:
    """Per-feature importance I_F (float32) of the config's profile, before grid axes apply."""
    i = np.arange(n_features, dtype=np.float64)
    if cfg.importance == "decay":
        out = cfg.importance_decay**i
    elif cfg.importance == "log_linspace":
        out = cfg.importance_range ** -np.linspace(0.0, 1.0, n_features)
    else:
        out = np.asarray(cfg.importance_values, dtype=np.float64)
    return out.astype(np.float32)


def is_signed(cfg: DataConfig, model_kind: str) -> bool:
    return (model_kind == "abs") if cfg.signed is None else cfg.signed


def sample_batch(key: jax.Array, density_F: jax.Array, cfg: DataConfig, batch: int,
                 signed: bool = False) -> jax.Array:
    """Draw x_BxF: feature i active with probability density_F[i], active values U[0,1).

    Args:
      key: JAX PRNG key (one per model and step).
      density_F: per-feature probability p_i = 1 - S_i, shape (F,).
      cfg: set structure (correlation, set_size, convention) and rng choice.
      batch: B.
      signed: values U[-1, 1) instead of U[0, 1) (the abs task).
    Returns:
      x_BxF float32.
    """
    n_features = density_F.shape[-1]
    k = cfg.set_size
    n_sets = n_features // k if cfg.correlation != "none" else 0
    if n_sets == 0:
        (u_BxF,) = uniforms(key, ((batch, n_features),), cfg.rng)
        active = u_BxF < density_F
        value = u_BxF / density_F  # U[0,1) given active: one draw gives mask and value
    else:
        u_BxF, v_BxK = uniforms(key, ((batch, n_features), (batch, n_sets)), cfg.rng)
        n_in_sets = n_sets * k
        p_set_K = density_F[:n_in_sets:k]
        if cfg.correlation == "correlated":
            set_active = v_BxK < p_set_K
            active_sets = jnp.repeat(set_active, k, axis=1)
        else:
            p_eff_K = p_set_K if cfg.anticorrelated_convention == "paper" else jnp.minimum(1.0, k * p_set_K)
            set_active = v_BxK < p_eff_K
            chosen = jnp.minimum(jnp.floor(v_BxK / p_eff_K * k), k - 1).astype(jnp.int32)
            slot = jnp.tile(jnp.arange(k, dtype=jnp.int32), n_sets)
            active_sets = jnp.repeat(set_active, k, axis=1) & (jnp.repeat(chosen, k, axis=1) == slot)
        free_density = density_F[n_in_sets:]
        free_active = u_BxF[:, n_in_sets:] < free_density
        active = jnp.concatenate([active_sets, free_active], axis=1)
        # Set members draw their values from u directly; free features reuse u < p as usual.
        value = jnp.concatenate([u_BxF[:, :n_in_sets], u_BxF[:, n_in_sets:] / free_density], axis=1)
    if signed:
        value = 2.0 * value - 1.0
    return jnp.where(active, value, 0.0)


def normalize_rows(x_BxF: jax.Array) -> jax.Array:
    """Rescale each example to unit L2 norm (all-zero examples stay zero)."""
    norm_B1 = jnp.linalg.norm(x_BxF, axis=-1, keepdims=True)
    return x_BxF / jnp.maximum(norm_B1, 1e-12)


def sample_dataset(key: jax.Array, density_F: jax.Array, cfg: DataConfig, size: int,
                   signed: bool = False) -> jax.Array:
    """A fixed dataset X_TxF of ``size`` examples, row-normalised when cfg.normalize."""
    x = sample_batch(key, density_F, cfg, size, signed)
    return normalize_rows(x) if cfg.normalize else x
