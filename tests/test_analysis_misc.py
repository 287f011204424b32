"""Adversarial vulnerability (paper 3.8) and double-descent helpers (Henighan et al. 2023)."""

import jax
import numpy as np
import pytest

from toymodels.analysis import adversarial as Adv
from toymodels.analysis import double_descent as DD


def random_orthogonal(n, rng):
    Q, R = np.linalg.qr(rng.normal(size=(n, n)))
    return Q * np.sign(np.diag(R))


def sparse_batch(rng, B, F, p):
    return rng.uniform(size=(B, F)) * (rng.uniform(size=(B, F)) < p)


# ---- adversarial ------------------------------------------------------------------------------


def test_reference_model():
    W, b = Adv.reference_model(np.array([0.5, 1.0, 0.8, 0.2, 0.8]), 3, 0.2)
    np.testing.assert_array_equal(np.asarray(W), [[0, 1, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 0, 1]])
    np.testing.assert_allclose(np.asarray(b), [0.1, 0, 0, 0.1, 0], atol=1e-7)
    W, b = Adv.reference_model(np.ones(4), 2, np.array([0.2, 0.4, 0.6, 0.8]))
    np.testing.assert_array_equal(np.asarray(W), [[1, 0, 0, 0], [0, 1, 0, 0]])  # ties: lower index
    np.testing.assert_allclose(np.asarray(b), [0, 0, 0.3, 0.4], atol=1e-7)


def test_attack_directions_and_size():
    W = np.array([[1.0, -1.0, 0.0]])
    d = np.asarray(Adv.attack_directions(W))
    s = 1 / np.sqrt(2)
    np.testing.assert_allclose(d, [[s, -s, 0], [-s, s, 0], [0, 0, 0]], atol=1e-6)
    x = np.array([[3.0, 4.0, 0.0], [0.0, 0.0, 1.0]])
    np.testing.assert_allclose(float(Adv.attack_size(x)), 0.1 * 3.0, rtol=1e-6)


@pytest.mark.parametrize("per_example", [False, True])
def test_dedicated_model_has_relative_vulnerability_one(per_example):
    rng = np.random.default_rng(0)
    F, H, p = 6, 3, 0.3
    importance = np.ones(F)
    x = sparse_batch(rng, 512, F, p)
    # A dedicated orthonormal model on a different feature subset, in a rotated hidden basis.
    W = np.zeros((H, F))
    W[[0, 1, 2], [1, 3, 4]] = 1.0
    W = random_orthogonal(H, rng) @ W
    b = np.where(np.abs(W).sum(0) > 0, 0.0, p / 2)
    W_ref, b_ref = Adv.reference_model(importance, H, p)
    out = Adv.relative_vulnerability(W, b, x, importance, W_ref, b_ref, per_example=per_example)
    np.testing.assert_allclose(float(out["relative_vulnerability"]), 1.0, rtol=1e-5)
    # Dedicated features: x'_i = ReLU(x_i + λ) = x_i + λ, so L' − L = λ² exactly.
    lam = 0.1 * np.mean(np.linalg.norm(x, axis=1))
    np.testing.assert_allclose(float(out["delta_loss"]), lam**2, rtol=1e-4)
    np.testing.assert_allclose(float(out["attack_size"]), lam, rtol=1e-5)
    np.testing.assert_allclose(float(out["features_per_dim"]), 1.0, rtol=1e-6)


def test_antipodal_pair_is_twice_as_vulnerable_on_one_sparse_data():
    # n=2, m=1, W = [1, -1], b = 0; every example has only feature 0 active, so the clean loss
    # is 0 and the attack along (1, -1)/√2 adds exactly (√2 λ)² = 2λ²; the reference model
    # (feature 0 dedicated) loses λ².
    rng = np.random.default_rng(1)
    x = np.stack([rng.uniform(size=256), np.zeros(256)], axis=1)
    W, b = np.array([[1.0, -1.0]]), np.zeros(2)
    W_ref, b_ref = Adv.reference_model(np.ones(2), 1, 0.0)
    out = Adv.relative_vulnerability(W, b, x, np.ones(2), W_ref, b_ref)
    lam = 0.1 * np.mean(x[:, 0])
    np.testing.assert_allclose(float(out["loss_clean"]), 0.0, atol=1e-10)
    np.testing.assert_allclose(float(out["delta_loss"]), 2 * lam**2, rtol=1e-4)
    np.testing.assert_allclose(float(out["ref_delta_loss"]), lam**2, rtol=1e-4)
    np.testing.assert_allclose(float(out["relative_vulnerability"]), 2.0, rtol=1e-4)
    assert int(out["worst_feature"]) == 0
    np.testing.assert_allclose(float(out["features_per_dim"]), 2.0)


def test_superposition_raises_vulnerability_on_sparse_data():
    rng = np.random.default_rng(2)
    F, H, p = 4, 2, 0.1
    x = sparse_batch(rng, 2048, F, p)
    imp = np.ones(F)
    W_pairs = np.array([[1.0, -1.0, 0, 0], [0, 0, 1.0, -1.0]])  # two digons
    W_ref, b_ref = Adv.reference_model(imp, H, p)
    out = Adv.relative_vulnerability(W_pairs, np.zeros(F), x, imp, W_ref, b_ref)
    assert float(out["relative_vulnerability"]) > 1.5
    per_ex = Adv.relative_vulnerability(W_pairs, np.zeros(F), x, imp, W_ref, b_ref, per_example=True)
    assert float(per_ex["loss_attacked"]) >= float(out["loss_attacked"]) - 1e-7


def test_vulnerability_vmaps_over_models():
    rng = np.random.default_rng(3)
    x = sparse_batch(rng, 128, 3, 0.5)
    W = rng.normal(size=(4, 2, 3))
    b = rng.normal(size=(4, 3)) * 0.1
    W_ref, b_ref = Adv.reference_model(np.ones(3), 2, 0.5)
    f = jax.vmap(lambda w, c: Adv.relative_vulnerability(w, c, x, np.ones(3), W_ref, b_ref))
    out = f(W, b)
    one = Adv.relative_vulnerability(W[2], b[2], x, np.ones(3), W_ref, b_ref)
    np.testing.assert_allclose(np.asarray(out["relative_vulnerability"])[2], float(one["relative_vulnerability"]), rtol=1e-5)


# ---- double descent ---------------------------------------------------------------------------


@pytest.mark.parametrize("T", [3, 5, 8, 12])
def test_T_gon_data_dimensionality_is_2_over_T(T):
    a = 2 * np.pi * np.arange(T) / T + 0.3
    h = 0.7 * np.stack([np.cos(a), np.sin(a)], axis=1)  # (T, 2), any common radius
    np.testing.assert_allclose(np.asarray(DD.data_dimensionality(h)), 2 / T, atol=1e-5)
    np.testing.assert_allclose(np.asarray(DD.max_data_dimensionality(h)), 2 / T, atol=1e-5)


def test_dd_dimensionalities_from_model_and_dataset():
    T = 6
    a = 2 * np.pi * np.arange(T) / T
    W = np.concatenate([np.stack([np.cos(a), np.sin(a)]), np.zeros((2, 4))], axis=1)  # 6 used of F=10
    X = np.eye(10)[:T]  # one-hot data points: h_t = W_t
    out = DD.dd_dimensionalities(W, X)
    np.testing.assert_allclose(np.asarray(out["h_TxH"]), W[:, :T].T, atol=1e-6)
    np.testing.assert_allclose(np.asarray(out["D_data_T"]), 1 / 3, atol=1e-5)
    np.testing.assert_allclose(np.asarray(out["D_feature_F"]), [1 / 3] * 6 + [0] * 4, atol=1e-5)
    np.testing.assert_allclose(float(out["norm_W"]), np.sqrt(6), rtol=1e-6)


def test_max_data_dimensionality_bounds_D():
    h = np.random.default_rng(4).normal(size=(9, 3))
    D = np.asarray(DD.data_dimensionality(h))
    Dmax = np.asarray(DD.max_data_dimensionality(h))
    assert np.all(Dmax >= D - 1e-5) and np.any(Dmax > D + 1e-3)
    np.testing.assert_allclose(Dmax.sum(), 3.0, rtol=1e-4)  # leverage scores sum to rank


def test_loss_curves_select_best_init_and_sort():
    T = np.array([100, 10, 1000])
    train = np.array(
        [
            [[0.5, 0.1], [0.2, 0.3]],  # T=100: inits 1, 0
            [[np.nan, 0.9], [0.4, 0.2]],  # T=10: NaN never wins → init 1; then init 1
            [[0.3, 0.3], [0.1, 0.2]],  # T=1000: tie → init 0; init 0
        ]
    )
    test = np.array([[[9, 2.0], [4.0, 9]], [[0, 5.0], [9, 7.0]], [[1.0, 9], [3.0, 9]]])
    out = DD.loss_curves(T, train, test)
    np.testing.assert_array_equal(out["T_N"], [10, 100, 1000])
    np.testing.assert_allclose(out["test_N"], [6.0, 3.0, 2.0])
    np.testing.assert_allclose(out["train_N"], [0.55, 0.15, 0.2])
    np.testing.assert_allclose(out["test_std_N"], [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(out["best_init_NxD"], [[1, 1], [1, 0], [0, 0]])
    two_d = DD.loss_curves(T, train[..., 1], test[..., 1])
    np.testing.assert_allclose(two_d["test_N"], [6.0, 5.5, 9.0])


def test_double_descent_peak():
    T = np.array([3, 10, 30, 100, 300, 1000, 3000])
    bump = np.array([0.9, 0.8, 1.2, 2.0, 1.1, 0.4, 0.3])
    out = DD.double_descent_peak(T, bump)
    assert out == {"has_peak": True, "peak_index": 3, "peak_T": 100, "peak_test_loss": 2.0}
    assert not DD.double_descent_peak(T, np.linspace(1, 0.1, 7))["has_peak"]
    wiggle = np.array([1.0, 0.9, 0.91, 0.8, 0.7, 0.6, 0.5])  # a 1% wiggle is not a bump
    assert not DD.double_descent_peak(T, wiggle)["has_peak"]
    assert DD.double_descent_peak(T, wiggle, min_rel_height=0.001)["peak_T"] == 30
