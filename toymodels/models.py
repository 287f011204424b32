"""The toy models as pure functions over pytree parameters (paper sections 2, 7, 8).

Parameters are plain dicts of arrays, for one model (vmap adds leading axes):

  linear, relu, relu_hidden:  {"W_HxF": (m, n), "b_F": (n,)}
  abs:                        {"W1_HxF": (m, n), "W2_FxH": (n, m), "b_F": (n,)}

Column ``W_HxF[:, i]`` is feature i's direction in the hidden space.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp

from toymodels.config import ModelConfig

Params = dict[str, jax.Array]


def init_std(cfg: ModelConfig) -> float:
    """Std of W's normal init (ModelConfig.init documents the two rules)."""
    n, m = cfg.n_features, cfg.n_hidden
    if cfg.init == "notebook" and cfg.kind != "abs":
        return math.sqrt(2.0 / (m * (n + cfg.init_fan_instances)))
    return math.sqrt(2.0 / (n + m))


def init_params(cfg: ModelConfig, key: jax.Array) -> Params:
    """Fresh parameters: W ~ N(0, init_std²), b = 0."""
    n, m, std = cfg.n_features, cfg.n_hidden, init_std(cfg)
    b_F = jnp.zeros((n,), jnp.float32)
    if cfg.kind == "abs":
        k1, k2 = jax.random.split(key)
        return {"W1_HxF": std * jax.random.normal(k1, (m, n)),
                "W2_FxH": std * jax.random.normal(k2, (n, m)), "b_F": b_F}
    return {"W_HxF": std * jax.random.normal(key, (m, n)), "b_F": b_F}


def hidden(kind: str, params: Params, x_BxF: jax.Array) -> jax.Array:
    """Hidden activations h_BxH: W x (linear/relu), ReLU(W x) (relu_hidden), ReLU(W₁ x) (abs)."""
    if kind == "abs":
        return jax.nn.relu(x_BxF @ params["W1_HxF"].T)
    h_BxH = x_BxF @ params["W_HxF"].T
    return jax.nn.relu(h_BxH) if kind == "relu_hidden" else h_BxH


def forward(kind: str, params: Params, x_BxF: jax.Array) -> jax.Array:
    """Model output x'_BxF (y' for abs) for a batch of inputs."""
    h_BxH = hidden(kind, params, x_BxF)
    if kind == "abs":
        return jax.nn.relu(h_BxH @ params["W2_FxH"].T + params["b_F"])
    out_BxF = h_BxH @ params["W_HxF"] + params["b_F"]
    return out_BxF if kind == "linear" else jax.nn.relu(out_BxF)


def target(kind: str, x_BxF: jax.Array) -> jax.Array:
    """What the model must reproduce: x, or |x| for the abs task."""
    return jnp.abs(x_BxF) if kind == "abs" else x_BxF


def loss(kind: str, params: Params, x_BxF: jax.Array, importance_F: jax.Array) -> jax.Array:
    """Importance-weighted squared error, mean over batch and features (the notebook's reduction):

        L = mean_{b,i} I_i (y_bi − y'_bi)²
    """
    err_BxF = target(kind, x_BxF) - forward(kind, params, x_BxF)
    return jnp.mean(importance_F * err_BxF**2)


SMALL_MATMUL = 16
"""n·m at or below which :func:`training_loss` unrolls the matmuls (see there)."""


def training_loss(kind: str, params: Params, x_BxF: jax.Array, importance_F: jax.Array) -> jax.Array:
    """:func:`loss`, formulated for the trainer's speed: the same math, different float rounding.

    For tiny linear/relu/relu_hidden models (n·m <= SMALL_MATMUL, e.g. the n=2, m=1 phase diagrams
    and the n=5, m=2 intro) the two matmuls are written as n·m multiply-adds on length-B columns.
    Vmapped over many models, XLA:CPU runs a batched dot of [models, B, 5] @ [models, 5, 2] several
    times slower than these elementwise loops, which it fuses (docs/benchmarks.md). Larger models
    use :func:`loss` unchanged. The form is used on every backend, but its speed-up was measured on
    a CPU only; on a GPU/TPU, where :func:`loss`'s matmuls may run at reduced (TF32) precision, the
    two forms can differ by more than float32 rounding (not yet measured)."""
    W = params.get("W_HxF")
    if kind == "abs" or W is None or W.shape[0] * W.shape[1] > SMALL_MATMUL:
        return loss(kind, params, x_BxF, importance_F)
    m, n = W.shape
    b_F = params["b_F"]
    x_cols = [x_BxF[:, i] for i in range(n)]
    h_cols = [functools.reduce(jnp.add, [x_cols[i] * W[j, i] for i in range(n)]) for j in range(m)]
    if kind == "relu_hidden":
        h_cols = [jax.nn.relu(h) for h in h_cols]
    total = 0.0
    for i in range(n):
        out = functools.reduce(jnp.add, [h_cols[j] * W[j, i] for j in range(m)]) + b_F[i]
        if kind != "linear":
            out = jax.nn.relu(out)
        total = total + importance_F[i] * jnp.sum((x_cols[i] - out) ** 2)
    return total / (x_BxF.shape[0] * n)
