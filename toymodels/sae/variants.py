"""Sparse-autoencoder variants behind one interface (sae_recovery.md §3), as pure functions.

Notation (directions are ROWS, as in toymodels.sae.metrics): input x_BxD; encoder W_enc_DxL
(tied: the effective decoder transposed), bias b_enc_L; decoder rows W_dec_LxD, bias b_dec_D;
pre-activation h = (x − b_dec) W_enc + b_enc; code f_BxL; reconstruction x̂ = f W_dec + b_dec.
``coef`` is a traced per-model scalar: the penalty weight λ, or k for the TopK family.

Interface (every variant):
  init_params(cfg, d, L, key) -> params        a dict pytree
  init_aux(cfg, L) -> Aux                      steps since each latent fired, BatchTopK threshold
  encode(cfg, params, x, coef, aux, train)     -> (f_BxL, h_BxL)
  decoder_rows(cfg, params) -> W_LxD           the effective (normalised where the variant is)
  decode(cfg, params, f) -> x̂
  loss(cfg, params, aux, x, coef, coef_scale)  -> (total, Info)   Info carries f, h, terms
  update_aux(cfg, aux, info) -> Aux

Variants and losses (R = reconstruction term, see ``SAEConfig.mse``; Σ over latents, mean over
the batch):
  relu_l1        f = ReLU(h), unit-norm decoder rows (renormalised on every forward pass, as the
                 Sharkey replication); L = R + λ·Σ f_i  (÷ L when l1_scale = "n_latents").
  relu_l1_april  f = ReLU(h), free decoder norm; L = R + λ·Σ f_i ‖d_i‖ (Anthropic Apr 2024).
  topk           f = ReLU(h)·1[h among the k largest of its row]; L = R + α·AuxK.
  batchtopk      training: keep the k·B largest h of the whole batch; inference: f = h·1[h > θ]
                 with θ an EMA of the batch's minimum positive activation; L = R + α·AuxK.
  jumprelu       f = h·H(h − θ), θ = exp(t); L = R + λ·Σ H(h_i − θ_i), with the GDM
                 straight-through pseudo-derivatives (rectangle kernel K, bandwidth ε):
                   ∂f/∂θ := −(θ/ε)·K((h − θ)/ε),  ∂H/∂θ := −(1/ε)·K((h − θ)/ε),  ∂H/∂h := 0.
  jumprelu_tanh  the same f, free decoder norm; L = R + λ·Σ tanh(c·f_i‖d_i‖)
                 + λ_p·Σ ReLU(θ_i − h_i)‖d_i‖ (Anthropic Jan 2025; pre-act term on every latent).
  gated          π = h (W_enc = W_gate, b_enc = b_gate); f = 1[π > 0]·ReLU((x − b_dec)(W_gate ⊙
                 exp(r_mag)) + b_mag); L = R + λ·Σ ReLU(π_i) + ‖x − (ReLU(π) sg(W_dec) + sg(b_dec))‖²
                 (the auxiliary term uses the same reduction as R; sg = stop-gradient).
  matryoshka     BatchTopK codes; R = mean over prefixes m of R(x, f_{:m} W_dec[:m] + b_dec);
                 L = R + α·AuxK.
AuxK (Gao et al. 2024): e = sg(x − x̂); ê = TopK_{k_aux}(h restricted to dead latents) W_dec;
L_aux = Σ_b‖e − ê‖² / Σ_b‖e − mean_b e‖², and 0 when no latent is dead.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp

from toymodels.sae.config import K_VARIANTS, UNIT_NORM_VARIANTS, SAEConfig

Params = dict[str, jax.Array]

LATENT_AXIS = {"W_enc_DxL": 1, "b_enc_L": 0, "W_dec_LxD": 0, "log_threshold_L": 0, "r_mag_L": 0, "b_mag_L": 0}
"""The latent axis of every per-latent parameter (resampling edits these slices)."""


class Aux(NamedTuple):
    """Non-gradient state of one SAE."""

    steps_since_fired_L: jax.Array  # int32
    threshold: jax.Array  # BatchTopK/Matryoshka inference θ; −1 until the first update


class Info(NamedTuple):
    f_BxL: jax.Array
    h_BxL: jax.Array
    recon: jax.Array
    sparsity: jax.Array
    aux_loss: jax.Array


def decoder_init_norm(cfg: SAEConfig) -> float:
    if cfg.decoder_init_norm > 0:
        return cfg.decoder_init_norm
    return {"relu_l1_april": 0.1, "jumprelu_tanh": 0.5}.get(cfg.variant, 1.0)


def init_params(cfg: SAEConfig, d: int, n_latents: int, key: jax.Array) -> Params:
    """Initial parameters.

    relu_l1 (the Sharkey replication): decoder orthogonal (QR), encoder N(0, 1/d) independent.
    Every other variant: decoder rows in random directions with norm ``decoder_init_norm``, and
    encoder = decoderᵀ (Gao; Anthropic Apr 2024). Biases 0; JumpReLU log θ = log threshold_init."""
    k_dec, k_enc = jax.random.split(key)
    if cfg.variant == "relu_l1":
        W_dec = jax.nn.initializers.orthogonal()(k_dec, (n_latents, d), jnp.float32)
        W_enc = jax.random.normal(k_enc, (d, n_latents), jnp.float32) / jnp.sqrt(d)
    else:
        dirs = jax.random.normal(k_dec, (n_latents, d), jnp.float32)
        W_dec = decoder_init_norm(cfg) * dirs / jnp.linalg.norm(dirs, axis=-1, keepdims=True)
        W_enc = W_dec.T
    params: Params = {"W_dec_LxD": W_dec, "b_enc_L": jnp.zeros(n_latents, jnp.float32)}
    if not cfg.tied:
        params["W_enc_DxL"] = W_enc
    if cfg.decoder_bias:
        params["b_dec_D"] = jnp.zeros(d, jnp.float32)
    if cfg.variant in ("jumprelu", "jumprelu_tanh"):
        params["log_threshold_L"] = jnp.full(n_latents, jnp.log(cfg.threshold_init), jnp.float32)
    if cfg.variant == "gated":
        params["r_mag_L"] = jnp.zeros(n_latents, jnp.float32)
        params["b_mag_L"] = jnp.zeros(n_latents, jnp.float32)
    return params


def init_aux(cfg: SAEConfig, n_latents: int) -> Aux:
    return Aux(jnp.zeros(n_latents, jnp.int32), jnp.float32(-1.0))


# ----------------------------------------------------------------------------- building blocks


def decoder_rows(cfg: SAEConfig, params: Params) -> jax.Array:
    """The effective decoder W_LxD: rows renormalised to unit norm for the unit-norm variants."""
    W = params["W_dec_LxD"]
    if cfg.variant in UNIT_NORM_VARIANTS:
        W = W / jnp.maximum(jnp.linalg.norm(W, axis=-1, keepdims=True), 1e-12)
    return W


def encoder_matrix(cfg: SAEConfig, params: Params) -> jax.Array:
    return decoder_rows(cfg, params).T if cfg.tied else params["W_enc_DxL"]


def decoder_bias(params: Params, d: int) -> jax.Array:
    return params["b_dec_D"] if "b_dec_D" in params else jnp.zeros(d, jnp.float32)


def pre_activation(cfg: SAEConfig, params: Params, x_BxD: jax.Array) -> jax.Array:
    b_dec = decoder_bias(params, x_BxD.shape[-1])
    return (x_BxD - b_dec) @ encoder_matrix(cfg, params) + params["b_enc_L"]


BISECTION_STEPS = 40


def kth_largest(h_NxM: jax.Array, k_N: jax.Array) -> jax.Array:
    """Per row n, a threshold t_n with #{m : h_nm >= t_n} >= k_n > #{m : h_nm >= t_n + δ}, δ far
    below the float32 spacing of the data: bisection on the value (40 halvings of [min, max]).

    Equal to the k-th largest entry whenever entries are distinct at that resolution, and O(M)
    per halving instead of a sort — a full sort of B·L values per step made BatchTopK ~10× slower
    on CPU. ``k_N`` may be traced (no recompile when k changes)."""
    lo = h_NxM.min(axis=-1)
    hi = h_NxM.max(axis=-1)

    def body(_, bounds):
        lo, hi = bounds
        mid = 0.5 * (lo + hi)
        enough = (h_NxM >= mid[:, None]).sum(axis=-1) >= k_N
        return jnp.where(enough, mid, lo), jnp.where(enough, hi, mid)

    lo, _ = jax.lax.fori_loop(0, BISECTION_STEPS, body, (lo, hi))
    return lo


def topk_mask(h_BxL: jax.Array, k) -> jax.Array:
    """1 where h is among the k largest of its row; k may be a traced scalar (no recompile)."""
    b, n = h_BxL.shape
    k = jnp.clip(jnp.round(k).astype(jnp.int32), 1, n)
    kth = kth_largest(h_BxL, jnp.full((b,), k))
    return (h_BxL >= kth[:, None]).astype(h_BxL.dtype)


def batch_topk_mask(h_BxL: jax.Array, k) -> jax.Array:
    """1 where h is among the round(k·B) largest entries of the whole batch (BatchTopK); a
    fractional k (mean L0 below 1, as in sparse toy models) is allowed."""
    b, n = h_BxL.shape
    kb = jnp.clip(jnp.round(k * b).astype(jnp.int32), 1, b * n)  # k may be fractional: k·B in total
    kth = kth_largest(h_BxL.reshape(1, -1), kb[None])
    return (h_BxL >= kth[0]).astype(h_BxL.dtype)


def _rect(u):
    return (jnp.abs(u) < 0.5).astype(u.dtype)


@functools.partial(jax.custom_vjp, nondiff_argnums=(2,))
def jumprelu(h, theta, eps):
    """JumpReLU_θ(h) = h·H(h − θ); backward: ∂/∂h = H(h − θ), ∂/∂θ = −(θ/ε)·K((h − θ)/ε)."""
    return h * (h > theta)


def _jumprelu_fwd(h, theta, eps):
    return jumprelu(h, theta, eps), (h, theta)


def _jumprelu_bwd(eps, res, g):
    h, theta = res
    dh = g * (h > theta)
    dtheta = g * (-(theta / eps) * _rect((h - theta) / eps))
    return dh, jnp.broadcast_to(dtheta, h.shape).sum(axis=tuple(range(h.ndim - theta.ndim)))


jumprelu.defvjp(_jumprelu_fwd, _jumprelu_bwd)


@functools.partial(jax.custom_vjp, nondiff_argnums=(2,))
def heaviside_ste(h, theta, eps):
    """H(h − θ); backward: ∂/∂h = 0, ∂/∂θ = −(1/ε)·K((h − θ)/ε)."""
    return (h > theta).astype(h.dtype)


def _heaviside_fwd(h, theta, eps):
    return heaviside_ste(h, theta, eps), (h, theta)


def _heaviside_bwd(eps, res, g):
    h, theta = res
    dtheta = g * (-(1.0 / eps) * _rect((h - theta) / eps))
    return jnp.zeros_like(h), dtheta.sum(axis=tuple(range(h.ndim - theta.ndim)))


heaviside_ste.defvjp(_heaviside_fwd, _heaviside_bwd)


# ----------------------------------------------------------------------------- interface


def encode(cfg: SAEConfig, params: Params, x_BxD: jax.Array, coef, aux: Aux, train: bool = False):
    """Codes f_BxL and pre-activations h_BxL. ``train`` selects BatchTopK's batch rule (True) or
    its learned threshold (False); the other variants do not depend on it."""
    h = pre_activation(cfg, params, x_BxD)
    v = cfg.variant
    if v in ("relu_l1", "relu_l1_april"):
        f = jax.nn.relu(h)
    elif v == "topk":
        f = jax.nn.relu(h) * topk_mask(jax.lax.stop_gradient(h), coef)
    elif v in ("batchtopk", "matryoshka"):
        if train:
            f = jax.nn.relu(h) * batch_topk_mask(jax.lax.stop_gradient(h), coef)
        else:
            f = h * (h > jnp.maximum(aux.threshold, 0.0))
    elif v in ("jumprelu", "jumprelu_tanh"):
        f = jumprelu(h, jnp.exp(params["log_threshold_L"]), cfg.bandwidth)
    elif v == "gated":
        b_dec = decoder_bias(params, x_BxD.shape[-1])
        W_mag = encoder_matrix(cfg, params) * jnp.exp(params["r_mag_L"])
        mag = jax.nn.relu((x_BxD - b_dec) @ W_mag + params["b_mag_L"])
        f = (h > 0).astype(h.dtype) * mag
    else:
        raise ValueError(f"unknown SAE variant {v!r}")
    return f, h


def decode(cfg: SAEConfig, params: Params, f_BxL: jax.Array) -> jax.Array:
    W = decoder_rows(cfg, params)
    return f_BxL @ W + decoder_bias(params, W.shape[-1])


def reconstruction(cfg: SAEConfig, err_BxD: jax.Array) -> jax.Array:
    sq = jnp.square(err_BxD)
    return sq.mean() if cfg.mse == "mean" else sq.sum(-1).mean()


def auxk_loss(cfg: SAEConfig, W_LxD: jax.Array, h_BxL: jax.Array, err_BxD: jax.Array, dead_L: jax.Array):
    """Gao et al. AuxK: reconstruct the (detached) residual from the top k_aux dead latents."""
    d, n = W_LxD.shape[-1], W_LxD.shape[0]
    k_aux = min(cfg.k_aux or max(d // 2, 1), n)
    e = jax.lax.stop_gradient(err_BxD)
    h_dead = jnp.where(dead_L, h_BxL, -jnp.inf)
    vals, idx = jax.lax.top_k(h_dead, k_aux)
    acts = jnp.where(jnp.isfinite(vals), jax.nn.relu(jnp.where(jnp.isfinite(vals), vals, 0.0)), 0.0)
    f_aux = jnp.zeros_like(h_BxL).at[jnp.arange(h_BxL.shape[0])[:, None], idx].add(acts)
    e_hat = f_aux @ W_LxD
    denom = jnp.square(e - e.mean(0)).sum()
    ratio = jnp.square(e - e_hat).sum() / jnp.maximum(denom, 1e-12)
    return jnp.where(dead_L.any(), ratio, 0.0)


def loss(cfg: SAEConfig, params: Params, aux: Aux, x_BxD: jax.Array, coef, coef_scale=1.0):
    """Total training loss and its Info. ``coef_scale`` (traced) multiplies λ (warmup); k is
    never scaled."""
    v = cfg.variant
    f, h = encode(cfg, params, x_BxD, coef, aux, train=True)
    W = decoder_rows(cfg, params)
    d, n = W.shape[-1], W.shape[0]
    b_dec = decoder_bias(params, d)
    x_hat = f @ W + b_dec
    err = x_BxD - x_hat
    lam = coef * coef_scale
    zero = jnp.float32(0.0)
    sparsity, aux_loss = zero, zero
    if v == "matryoshka":
        sizes = sorted({max(1, int(round(p * n))) for p in cfg.prefixes})
        recon = sum(reconstruction(cfg, x_BxD - (f[:, :m] @ W[:m] + b_dec)) for m in sizes) / len(sizes)
    else:
        recon = reconstruction(cfg, err)
    dead_L = aux.steps_since_fired_L >= cfg.dead_steps
    if v in ("relu_l1", "relu_l1_april"):
        l1 = f * jnp.linalg.norm(W, axis=-1) if v == "relu_l1_april" else f
        scale = 1.0 / n if cfg.l1_scale == "n_latents" else 1.0
        sparsity = lam * scale * l1.sum(-1).mean()
    elif v in K_VARIANTS:
        if cfg.aux_coef > 0:
            aux_loss = cfg.aux_coef * auxk_loss(cfg, W, h, err, dead_L)
    elif v == "jumprelu":
        theta = jnp.exp(params["log_threshold_L"])
        sparsity = lam * heaviside_ste(h, theta, cfg.bandwidth).sum(-1).mean()
    elif v == "jumprelu_tanh":
        theta = jnp.exp(params["log_threshold_L"])
        norms = jnp.linalg.norm(W, axis=-1)
        sparsity = lam * jnp.tanh(cfg.tanh_c * f * norms).sum(-1).mean()
        aux_loss = cfg.preact_coef * (jax.nn.relu(theta - h) * norms).sum(-1).mean()
    elif v == "gated":
        gate = jax.nn.relu(h)
        sparsity = lam * gate.sum(-1).mean()
        via_gate = gate @ jax.lax.stop_gradient(W) + jax.lax.stop_gradient(b_dec)
        aux_loss = reconstruction(cfg, x_BxD - via_gate)
    total = recon + sparsity + aux_loss
    return total, Info(f, h, recon, sparsity, aux_loss)


def update_aux(cfg: SAEConfig, aux: Aux, info: Info) -> Aux:
    """Count steps since each latent fired; update the BatchTopK inference threshold by EMA of
    the batch's minimum positive activation."""
    f = jax.lax.stop_gradient(info.f_BxL)
    fired = (f > 0).any(axis=0)
    since = jnp.where(fired, 0, aux.steps_since_fired_L + 1)
    threshold = aux.threshold
    if cfg.variant in ("batchtopk", "matryoshka"):
        min_pos = jnp.min(jnp.where(f > 0, f, jnp.inf))
        new = jnp.where(aux.threshold < 0, min_pos,
                        cfg.threshold_ema * aux.threshold + (1 - cfg.threshold_ema) * min_pos)
        threshold = jnp.where(jnp.isfinite(min_pos), new, aux.threshold)
    return Aux(since, threshold)
