"""Every SAE variant's forward pass and loss on a tiny hand-built example.

Expected numbers are computed here in plain numpy from the formulas of sae_recovery.md §3 (or by
hand where noted), never read back from the code under test."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from toymodels.sae import variants as V
from toymodels.sae.config import SAEConfig

# d = 2 input dims, L = 3 latents, B = 2 samples.
X = np.array([[1.0, 0.5], [0.0, 2.0]], np.float32)
W_ENC = np.array([[1.0, -1.0, 0.5], [0.0, 1.0, 1.0]], np.float32)  # D x L
B_ENC = np.array([0.0, 0.1, -0.5], np.float32)
W_DEC = np.array([[2.0, 0.0], [0.0, 1.0], [3.0, 4.0]], np.float32)  # L x D, norms 2, 1, 5
B_DEC = np.array([0.1, -0.1], np.float32)


def params(**extra):
    p = {"W_enc_DxL": jnp.asarray(W_ENC), "b_enc_L": jnp.asarray(B_ENC), "W_dec_LxD": jnp.asarray(W_DEC),
         "b_dec_D": jnp.asarray(B_DEC)}
    p.update({k: jnp.asarray(v, jnp.float32) for k, v in extra.items()})
    return p


def np_pre():
    return (X - B_DEC) @ W_ENC + B_ENC


UNIT = W_DEC / np.linalg.norm(W_DEC, axis=1, keepdims=True)
NORMS = np.linalg.norm(W_DEC, axis=1)


def aux(n=3, since=0, threshold=-1.0):
    return V.Aux(jnp.full(n, since, jnp.int32), jnp.float32(threshold))


_jit_loss = jax.jit(V.loss, static_argnums=0)


def run(cfg, p, coef, a=None, x=X):
    a = aux() if a is None else a
    total, info = _jit_loss(cfg, p, a, jnp.asarray(x), jnp.float32(coef))
    return float(total), info


def test_pre_activation_by_hand():
    # x0 - b_dec = (0.9, 0.6): h = (0.9, -0.9+0.6+0.1, 0.45+0.6-0.5) = (0.9, -0.2, 0.55)
    h = np.asarray(V.pre_activation(SAEConfig(), params(), jnp.asarray(X)))
    np.testing.assert_allclose(h[0], [0.9, -0.2, 0.55], atol=1e-6)


def test_relu_l1_sharkey_unit_norm_and_n_dict_scaling():
    cfg = SAEConfig(variant="relu_l1", l1_scale="n_latents", mse="mean")
    f_np = np.maximum(np_pre(), 0)
    xhat = f_np @ UNIT + B_DEC
    want = np.mean((X - xhat) ** 2) + 0.3 * np.mean(f_np.sum(1)) / 3
    got, info = run(cfg, params(), 0.3)
    np.testing.assert_allclose(np.asarray(info.f_BxL), f_np, atol=1e-6)
    np.testing.assert_allclose(got, want, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(V.decode(cfg, params(), info.f_BxL)), xhat, atol=1e-6)


def test_relu_l1_april_decoder_norm_in_penalty_sum_mse():
    cfg = SAEConfig(variant="relu_l1_april", mse="sum")
    f_np = np.maximum(np_pre(), 0)
    xhat = f_np @ W_DEC + B_DEC  # no renormalisation
    want = np.mean(((X - xhat) ** 2).sum(1)) + 0.5 * np.mean((f_np * NORMS).sum(1))
    got, _ = run(cfg, params(), 0.5)
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_topk_keeps_k_largest_per_row_and_auxk_off_when_nothing_dead():
    cfg = SAEConfig(variant="topk")
    h = np_pre()  # rows (0.9, -0.2, 0.55) and (-0.1, 2.3, 1.55)
    f_np = np.array([[0.9, 0, 0], [0, 2.3, 0]], np.float32)  # k = 1, by hand
    got, info = run(cfg, params(), 1)
    np.testing.assert_allclose(np.asarray(info.f_BxL), f_np, atol=1e-6)
    np.testing.assert_allclose(h[1], [-0.1, 2.3, 1.55], atol=1e-6)
    xhat = f_np @ UNIT + B_DEC
    np.testing.assert_allclose(got, np.mean((X - xhat) ** 2), rtol=1e-5)
    # k = 2: the second row keeps 2.3 and 1.55; the first keeps 0.9 and 0.55
    _, info2 = run(cfg, params(), 2)
    np.testing.assert_allclose(np.asarray(info2.f_BxL), [[0.9, 0, 0.55], [0, 2.3, 1.55]], atol=1e-6)


def test_auxk_uses_dead_latents_on_the_residual():
    cfg = SAEConfig(variant="topk", k_aux=1, aux_coef=0.5, dead_steps=5)
    since = jnp.array([0, 0, 10], jnp.int32)  # latent 2 is dead
    got, info = run(cfg, params(), 1, V.Aux(since, jnp.float32(-1)))
    h = np_pre()
    f_np = np.array([[0.9, 0, 0], [0, 2.3, 0]], np.float32)
    e = X - (f_np @ UNIT + B_DEC)
    f_aux = np.zeros_like(h)
    f_aux[:, 2] = np.maximum(h[:, 2], 0)  # the only dead latent
    e_hat = f_aux @ UNIT
    l_aux = ((e - e_hat) ** 2).sum() / ((e - e.mean(0)) ** 2).sum()
    np.testing.assert_allclose(float(info.aux_loss), 0.5 * l_aux, rtol=1e-5)
    np.testing.assert_allclose(got, np.mean(e ** 2) + 0.5 * l_aux, rtol=1e-5)


def test_batchtopk_batch_rule_and_threshold_inference():
    cfg = SAEConfig(variant="batchtopk", threshold_ema=0.5)
    # k = 1, B = 2: the 2 largest of all six h values are 2.3 and 1.55, both in row 1
    _, info = run(cfg, params(), 1)
    np.testing.assert_allclose(np.asarray(info.f_BxL), [[0, 0, 0], [0, 2.3, 1.55]], atol=1e-6)
    # fractional k: k·B = 0.5·2 = 1 entry of the whole batch survives
    _, info_half = run(cfg, params(), 0.5)
    np.testing.assert_allclose(np.asarray(info_half.f_BxL), [[0, 0, 0], [0, 2.3, 0]], atol=1e-6)
    a = V.update_aux(cfg, aux(), info)
    np.testing.assert_allclose(float(a.threshold), 1.55, rtol=1e-6)  # first update: min positive
    a2 = V.update_aux(cfg, a, info._replace(f_BxL=jnp.array([[0.5, 0, 0], [0, 0, 0]])))
    np.testing.assert_allclose(float(a2.threshold), 0.5 * 1.55 + 0.5 * 0.5, rtol=1e-6)
    assert np.asarray(a2.steps_since_fired_L).tolist() == [0, 1, 1]
    f_inf, _ = V.encode(cfg, params(), jnp.asarray(X), 1, V.Aux(a.steps_since_fired_L, jnp.float32(0.6)))
    np.testing.assert_allclose(np.asarray(f_inf), [[0.9, 0, 0], [0, 2.3, 1.55]], atol=1e-6)


def test_jumprelu_forward_loss_and_straight_through_gradients():
    cfg = SAEConfig(variant="jumprelu", bandwidth=0.2)
    theta = np.array([0.85, 0.5, 0.6], np.float32)
    p = params(log_threshold_L=np.log(theta))
    h = np_pre()  # (0.9, -0.2, 0.55), (-0.1, 2.3, 1.55)
    f_np = h * (h > theta)
    xhat = f_np @ UNIT + B_DEC
    l0 = (h > theta).sum(1).mean()  # (1 + 2) / 2
    got, info = run(cfg, p, 0.1)
    np.testing.assert_allclose(np.asarray(info.f_BxL), f_np, atol=1e-6)
    np.testing.assert_allclose(got, np.mean((X - xhat) ** 2) + 0.1 * l0, rtol=1e-5)
    # d(L0 term)/dθ_i = λ · mean_b −(1/ε)·1[|h−θ| < ε/2]; only (b=0, i=0: |0.9−0.85| < 0.1) and
    # (b=0, i=2: |0.55−0.6| < 0.1) are inside the window.
    g_l0 = jax.grad(lambda th: V.heaviside_ste(jnp.asarray(h), th, 0.2).sum(-1).mean())(jnp.asarray(theta))
    np.testing.assert_allclose(np.asarray(g_l0), [-1 / 0.2 / 2, 0, -1 / 0.2 / 2], rtol=1e-5)
    # JumpReLU: ∂(Σ f)/∂θ_i = Σ_b −(θ_i/ε)·K; ∂/∂h passes only where h > θ
    g_t = jax.grad(lambda th: V.jumprelu(jnp.asarray(h), th, 0.2).sum())(jnp.asarray(theta))
    np.testing.assert_allclose(np.asarray(g_t), [-0.85 / 0.2, 0, -0.6 / 0.2], rtol=1e-5)
    g_h = jax.grad(lambda hh: V.jumprelu(hh, jnp.asarray(theta), 0.2).sum())(jnp.asarray(h))
    np.testing.assert_allclose(np.asarray(g_h), (h > theta).astype(np.float32))


def test_jumprelu_tanh_penalty_and_preact_term():
    cfg = SAEConfig(variant="jumprelu_tanh", tanh_c=4.0, preact_coef=0.01, mse="sum")
    theta = np.array([0.85, 0.5, 0.6], np.float32)
    p = params(log_threshold_L=np.log(theta))
    h = np_pre()
    f_np = h * (h > theta)
    xhat = f_np @ W_DEC + B_DEC  # free decoder norm
    want = (np.mean(((X - xhat) ** 2).sum(1)) + 0.2 * np.tanh(4 * f_np * NORMS).sum(1).mean()
            + 0.01 * (np.maximum(theta - h, 0) * NORMS).sum(1).mean())
    got, _ = run(cfg, p, 0.2)
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_gated_forward_and_three_term_loss():
    cfg = SAEConfig(variant="gated")
    r_mag = np.array([0.0, np.log(2.0), 0.0], np.float32)
    b_mag = np.array([0.1, 0.0, -2.0], np.float32)
    p = params(r_mag_L=r_mag, b_mag_L=b_mag)
    pi = np_pre()
    mag = np.maximum((X - B_DEC) @ (W_ENC * np.exp(r_mag)) + b_mag, 0)
    f_np = (pi > 0) * mag
    xhat = f_np @ UNIT + B_DEC
    via_gate = np.maximum(pi, 0) @ UNIT + B_DEC
    want = np.mean((X - xhat) ** 2) + 0.3 * np.maximum(pi, 0).sum(1).mean() + np.mean((X - via_gate) ** 2)
    got, info = run(cfg, p, 0.3)
    np.testing.assert_allclose(np.asarray(info.f_BxL), f_np, atol=1e-6)
    np.testing.assert_allclose(got, want, rtol=1e-5)
    # the auxiliary term must not train the decoder: its gradient w.r.t. W_dec is that of the
    # first two terms only
    g_full = jax.jit(jax.grad(lambda q: V.loss(cfg, q, aux(), jnp.asarray(X), 0.3)[0]))(p)["W_dec_LxD"]
    cfg_plain = cfg
    g_main = jax.jit(jax.grad(lambda q: V.reconstruction(cfg_plain, jnp.asarray(X) - V.decode(cfg, q, V.encode(
        cfg, q, jnp.asarray(X), 0.3, aux())[0]))))(p)["W_dec_LxD"]
    np.testing.assert_allclose(np.asarray(g_full), np.asarray(g_main), atol=1e-6)


def test_matryoshka_averages_prefix_reconstructions():
    cfg = SAEConfig(variant="matryoshka", prefixes=(1 / 3, 1.0), aux_coef=0.0)
    _, info = run(cfg, params(), 2)
    # k = 2, B = 2: the 4 largest h of the batch are 2.3, 1.55, 0.9, 0.55
    f_np = np.array([[0.9, 0, 0.55], [0, 2.3, 1.55]], np.float32)
    np.testing.assert_allclose(np.asarray(info.f_BxL), f_np, atol=1e-6)
    full = f_np @ UNIT + B_DEC
    first = f_np[:, :1] @ UNIT[:1] + B_DEC
    want = 0.5 * (np.mean((X - first) ** 2) + np.mean((X - full) ** 2))
    np.testing.assert_allclose(float(info.recon), want, rtol=1e-5)


def test_tied_encoder_is_decoder_transpose():
    cfg = SAEConfig(variant="relu_l1_april", tied=True)
    p = {k: v for k, v in params().items() if k != "W_enc_DxL"}
    h = np.asarray(V.pre_activation(cfg, p, jnp.asarray(X)))
    np.testing.assert_allclose(h, (X - B_DEC) @ W_DEC.T + B_ENC, atol=1e-6)
    assert "W_enc_DxL" not in V.init_params(cfg, 2, 3, jax.random.key(0))


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["relu_l1", "relu_l1_april", "topk", "batchtopk", "jumprelu",
                                     "jumprelu_tanh", "gated", "matryoshka"])
def test_every_variant_inits_and_has_finite_gradients(variant):
    cfg = SAEConfig(variant=variant)
    p = jax.jit(V.init_params, static_argnums=(0, 1, 2))(cfg, 8, 16, jax.random.key(1))
    x = jax.random.uniform(jax.random.key(2), (32, 8))
    coef = 3.0 if variant in ("topk", "batchtopk", "matryoshka") else 0.1
    g = jax.jit(jax.grad(lambda q: V.loss(cfg, q, V.init_aux(cfg, 16), x, coef)[0]))(p)
    for k, v in g.items():
        assert np.all(np.isfinite(np.asarray(v))), k
    norms = np.linalg.norm(np.asarray(V.decoder_rows(cfg, p)), axis=1)
    np.testing.assert_allclose(norms, V.decoder_init_norm(cfg) if variant in ("relu_l1_april", "jumprelu_tanh")
                               else 1.0, rtol=1e-5)
