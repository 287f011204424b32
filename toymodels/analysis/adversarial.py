"""Adversarial vulnerability of the ReLU-output model (paper section 3.8 / "Superposition and
adversarial examples"; paper_spec 3.8).

With superposition, feature i's end-to-end row (WᵀW)_i is (1, ε, −ε, ...) instead of (1, 0, ...),
so a small input perturbation along that row moves output i further than it could without
superposition. The paper's analytic attack on feature i perturbs the INPUT by

    δ_i = λ (WᵀW)_i / ||(WᵀW)_i||,    λ = attack_scale × mean_b ||x_b||   (attack_scale = 0.1),

evaluates the loss of reconstructing the CLEAN x from x + δ_i, and keeps the worst feature.
(Scoring against the perturbed input instead would give a perfectly dedicated model zero loss
increase, and the ratio below would be undefined.) Gradient attacks are avoided because of
gradient masking at high sparsity.

The vulnerability is reported relative to a non-superposition reference model on the same batch:
(L′ − L)/(L′₀ − L₀); see :func:`reference_model`.

Loss convention here: L = mean over the batch of Σ_i I_i (x_i − x'_i)² (paper section 2). The
notebook's extra mean over features is a constant factor and cancels in the ratio.

All functions are ``jnp`` and vmap-able over models (and over batches).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from toymodels.analysis import measures


def _over_batch(v_F, ndim):
    """Reshape a per-feature vector to broadcast explicitly against (..., n) of rank ndim."""
    return jnp.reshape(v_F, (1,) * (ndim - 1) + (-1,))


@jax.jit
def relu_output_forward(W_HxF, b_F, x_BxF):
    """x' = ReLU(WᵀW x + b) for a batch (paper section 2); x may have any leading axes."""
    W_HxF = measures._float(W_HxF)
    pre_BxF = (measures._float(x_BxF) @ W_HxF.T) @ W_HxF
    return jax.nn.relu(pre_BxF + _over_batch(measures._float(b_F), pre_BxF.ndim))


@jax.jit
def reconstruction_loss(W_HxF, b_F, x_in_BxF, target_BxF, importance_F):
    """Per-example loss Σ_i I_i (target_i − x'_i(x_in))², shape (B,)."""
    err_BxF = measures._float(target_BxF) - relu_output_forward(W_HxF, b_F, x_in_BxF)
    return jnp.sum(_over_batch(measures._float(importance_F), err_BxF.ndim) * err_BxF**2, axis=-1)


@jax.jit
def attack_directions(W_HxF):
    """Unit analytic attack directions in input space, row i = (WᵀW)_i / ||(WᵀW)_i||.

    A feature with an all-zero row (not represented at all) gets a zero direction (no attack).

    Args:
      W_HxF: weights, shape (m, n).

    Returns:
      dir_FxF: shape (n, n); row i attacks feature i.
    """
    G_FxF = measures.interference(W_HxF)
    norm_F = jnp.linalg.norm(G_FxF, axis=1, keepdims=True)
    return jnp.where(norm_F > 0, G_FxF / jnp.where(norm_F > 0, norm_F, 1.0), 0.0)


def attack_size(x_BxF, *, attack_scale: float = 0.1):
    """λ = attack_scale × mean_b ||x_b||₂ (paper: 0.1 × the average input norm)."""
    return attack_scale * jnp.mean(jnp.linalg.norm(measures._float(x_BxF), axis=-1))


@functools.partial(jax.jit, static_argnames=("per_example",))
def attack_loss_increase(
    W_HxF, b_F, x_BxF, importance_F, *, attack_scale: float = 0.1, per_example: bool = False
):
    """Loss increase L′ − L under the worst analytic attack (paper section 3.8).

    With per_example=False (default) each candidate δ_i is applied to the whole batch and
    L′ = max_i mean_b L(x_b + δ_i); with per_example=True each example gets its own worst
    candidate, L′ = mean_b max_i L(x_b + δ_i) (>= the default).

    Args:
      W_HxF: weights, shape (m, n).
      b_F: bias, shape (n,).
      x_BxF: clean inputs, shape (B, n).
      importance_F: shape (n,).
      attack_scale: λ as a fraction of the mean input norm.
      per_example: choose the worst feature per example instead of per batch.

    Returns:
      dict with keys ``loss_clean`` (L), ``loss_attacked`` (L′), ``delta_loss`` (L′ − L),
      ``worst_feature`` (int32, argmax_i of the batch-mean attacked loss), ``attack_size`` (λ)
      and ``attacked_loss_F`` (batch-mean loss under each candidate attack, shape (n,)).
    """
    x_BxF = measures._float(x_BxF)
    importance_F = measures._float(importance_F)
    lam = attack_size(x_BxF, attack_scale=attack_scale)
    delta_KxF = lam * attack_directions(W_HxF)
    out_BxF = relu_output_forward(W_HxF, b_F, x_BxF)
    out_BxKxF = relu_output_forward(W_HxF, b_F, x_BxF[:, None, :] + delta_KxF[None, :, :])
    # The loss change per example, formed as (a² − b²) = (a − b)(a + b) with a, b the attacked
    # and clean errors, so float32 does not cancel two O(L) sums into an O(λ²) difference.
    err_BxF = x_BxF - out_BxF
    err_BxKxF = x_BxF[:, None, :] - out_BxKxF
    inc_BxK = jnp.sum(
        importance_F[None, None, :]
        * (out_BxF[:, None, :] - out_BxKxF)
        * (err_BxKxF + err_BxF[:, None, :]),
        axis=-1,
    )
    loss_clean = jnp.mean(jnp.sum(importance_F[None, :] * err_BxF**2, axis=-1))
    inc_K = jnp.mean(inc_BxK, axis=0)
    delta = jnp.mean(jnp.max(inc_BxK, axis=1)) if per_example else jnp.max(inc_K)
    return {
        "loss_clean": loss_clean,
        "loss_attacked": loss_clean + delta,
        "delta_loss": delta,
        "worst_feature": jnp.argmax(inc_K).astype(jnp.int32),
        "attack_size": lam,
        "attacked_loss_F": loss_clean + inc_K,
    }


@functools.partial(jax.jit, static_argnames=("n_hidden",))
def reference_model(importance_F, n_hidden: int, density=1.0):
    """The non-superposition reference model for relative vulnerability (paper section 3.8).

    The linear-model optimum (paper_spec 4.1), which the ReLU model also learns when dense: the
    n_hidden most important features get dedicated orthonormal directions W[k, top_k] = 1 (ties
    broken by lower feature index), all other columns are 0; b_i = 0 on kept features and p_i/2
    (= E[x_i], the best constant output) on dropped ones.

    Args:
      importance_F: shape (n,).
      n_hidden: m (static).
      density: feature probability p, scalar or shape (n,).

    Returns:
      (W_HxF, b_F) of the reference model.
    """
    importance_F = measures._float(importance_F)
    n = importance_F.shape[0]
    top_H = jnp.argsort(-importance_F, stable=True)[:n_hidden]
    W_HxF = jax.nn.one_hot(top_H, n, dtype=importance_F.dtype)
    kept_F = jnp.sum(W_HxF, axis=0) > 0
    p_F = jnp.broadcast_to(measures._float(density), (n,))
    return W_HxF, jnp.where(kept_F, 0.0, p_F / 2).astype(importance_F.dtype)


@functools.partial(jax.jit, static_argnames=("per_example",))
def relative_vulnerability(
    W_HxF,
    b_F,
    x_BxF,
    importance_F,
    W_ref_HxF,
    b_ref_F,
    *,
    attack_scale: float = 0.1,
    per_example: bool = False,
):
    """(L′ − L)/(L′₀ − L₀): loss increase under attack relative to the reference model.

    Both models are attacked with the same λ on the same batch. A model without superposition
    (orthonormal dedicated directions) scores 1; superposition raises it (paper: > 3× as sparsity
    grows, tracking features per dimension ||W||_F²/m).

    Args:
      W_HxF, b_F: the model.
      x_BxF: clean inputs, shape (B, n).
      importance_F: shape (n,).
      W_ref_HxF, b_ref_F: the reference model, e.g. from :func:`reference_model`.
      attack_scale, per_example: see :func:`attack_loss_increase`.

    Returns:
      dict with keys ``relative_vulnerability``, ``delta_loss`` (L′ − L), ``ref_delta_loss``
      (L′₀ − L₀), ``loss_clean``, ``loss_attacked``, ``worst_feature``, ``attack_size`` and
      ``features_per_dim`` (||W||_F²/m of the model, for the relation plot).
    """
    kw = {"attack_scale": attack_scale, "per_example": per_example}
    model = attack_loss_increase(W_HxF, b_F, x_BxF, importance_F, **kw)
    ref = attack_loss_increase(W_ref_HxF, b_ref_F, x_BxF, importance_F, **kw)
    return {
        "relative_vulnerability": model["delta_loss"] / ref["delta_loss"],
        "delta_loss": model["delta_loss"],
        "ref_delta_loss": ref["delta_loss"],
        "loss_clean": model["loss_clean"],
        "loss_attacked": model["loss_attacked"],
        "worst_feature": model["worst_feature"],
        "attack_size": model["attack_size"],
        "features_per_dim": measures.features_per_dim(W_HxF),
    }


__all__ = [
    "relu_output_forward",
    "reconstruction_loss",
    "attack_directions",
    "attack_size",
    "attack_loss_increase",
    "reference_model",
    "relative_vulnerability",
]
