"""Exact-value tests for toymodels.analysis.measures (paper section 2 / 5 definitions)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from toymodels import analysis as A
from toymodels.analysis import measures as M

ATOL32 = 1e-5


def polygon(k, phase=0.0):
    """k unit vectors at angles phase + 2πj/k, as columns of a 2×k matrix."""
    a = phase + 2 * np.pi * np.arange(k) / k
    return np.stack([np.cos(a), np.sin(a)])


def tetrahedron():
    """Regular simplex of 4 points in R^3: centred basis of R^4 in its 3-dim span."""
    E = np.eye(4) - 0.25
    U, _, _ = np.linalg.svd(E)
    V = U[:, :3].T @ E  # coordinates in an orthonormal basis of the span
    return V / np.linalg.norm(V, axis=0)


def square_antiprism():
    """Tight-frame square antiprism: z = ±1/√3, r = √(2/3), bottom square turned by 45°."""
    r, z = np.sqrt(2 / 3), 1 / np.sqrt(3)
    cols = []
    for j in range(4):
        a = np.pi / 2 * j
        cols.append([r * np.cos(a), r * np.sin(a), z])
        cols.append([r * np.cos(a + np.pi / 4), r * np.sin(a + np.pi / 4), -z])
    return np.array(cols).T


def octahedron():
    return np.concatenate([np.eye(3), -np.eye(3)], axis=1)


def random_orthogonal(n, rng):
    Q, R = np.linalg.qr(rng.normal(size=(n, n)))
    return Q * np.sign(np.diag(R))


def direct_sum(*blocks):
    """Block-diagonal embedding of factors in orthogonal subspaces (tegum product)."""
    H = sum(b.shape[0] for b in blocks)
    F = sum(b.shape[1] for b in blocks)
    W = np.zeros((H, F))
    h = f = 0
    for b in blocks:
        W[h : h + b.shape[0], f : f + b.shape[1]] = b
        h, f = h + b.shape[0], f + b.shape[1]
    return W


EXACT_D = [
    ("orthogonal", np.eye(3), 1.0),
    ("antipodal", np.array([[1.0, -1.0]]), 1 / 2),
    ("triangle", polygon(3), 2 / 3),
    ("tetrahedron", tetrahedron(), 3 / 4),
    ("pentagon", polygon(5, 0.3), 2 / 5),
    ("hexagon", polygon(6), 1 / 3),
    ("square antiprism", square_antiprism(), 3 / 8),
    ("octahedron", octahedron(), 1 / 2),
]


@pytest.mark.parametrize("name,W,expected", EXACT_D, ids=[c[0] for c in EXACT_D])
def test_feature_dimensionality_exact(name, W, expected):
    D_F = np.asarray(M.feature_dimensionality(W))
    np.testing.assert_allclose(D_F, expected, atol=ATOL32)
    # Tight frame: Σ D_i = rank = m.
    np.testing.assert_allclose(float(M.total_dimensionality(W)), W.shape[0], atol=1e-4)


def test_feature_dimensionality_float64_exact():
    with jax.enable_x64(True):
        W = jnp.asarray(square_antiprism(), dtype=jnp.float64)
        D_F = M.feature_dimensionality(W)
        assert D_F.dtype == jnp.float64
        np.testing.assert_allclose(np.asarray(D_F), 3 / 8, rtol=0, atol=1e-14)
        D_F = M.feature_dimensionality(jnp.asarray(polygon(5), dtype=jnp.float64))
        np.testing.assert_allclose(np.asarray(D_F), 2 / 5, rtol=0, atol=1e-14)


def test_direct_sum_keeps_each_factor_D_and_sums_to_m():
    W = direct_sum(polygon(5), np.array([[1.0, -1.0]]), tetrahedron(), np.ones((1, 1)))
    D_F = np.asarray(M.feature_dimensionality(W))
    expected = [2 / 5] * 5 + [1 / 2] * 2 + [3 / 4] * 4 + [1.0]
    np.testing.assert_allclose(D_F, expected, atol=ATOL32)
    np.testing.assert_allclose(D_F.sum(), W.shape[0], atol=1e-4)  # m = 2+1+3+1 = 7


def test_D_equals_quartic_form_and_is_bounded_by_leverage():
    rng = np.random.default_rng(0)
    W = rng.normal(size=(4, 9))
    G = W @ W.T
    quartic = np.sum(W**2, 0) ** 2 / np.einsum("hi,hk,ki->i", W, G, W)
    leverage = np.einsum("hi,hk,ki->i", W, np.linalg.inv(G), W)
    D_F = np.asarray(M.feature_dimensionality(W))
    np.testing.assert_allclose(D_F, quartic, rtol=1e-5)
    assert np.all(D_F <= leverage + 1e-6)
    assert D_F.sum() < 4  # not a tight frame: strictly below m


def test_parallel_features_share_a_dimension():
    v = np.array([[0.6], [0.8]])
    W = np.concatenate([v, v, v, np.array([[0.8], [-0.6]])], axis=1)
    np.testing.assert_allclose(np.asarray(M.feature_dimensionality(W)), [1 / 3] * 3 + [1.0], atol=ATOL32)


def test_zero_column_has_D_zero_and_no_nan():
    W = np.concatenate([polygon(3), np.zeros((2, 1))], axis=1)
    D_F = np.asarray(M.feature_dimensionality(W))
    np.testing.assert_allclose(D_F, [2 / 3, 2 / 3, 2 / 3, 0.0], atol=ATOL32)
    sup_F = np.asarray(M.superposition(W))
    np.testing.assert_allclose(sup_F, [0.5, 0.5, 0.5, 0.0], atol=ATOL32)
    grad = jax.grad(lambda w: jnp.sum(M.feature_dimensionality(w)))(jnp.asarray(W, jnp.float32))
    assert np.all(np.isfinite(np.asarray(grad)))


def test_tiny_generic_feature_has_D_near_zero():
    W = np.concatenate([np.eye(2), 1e-3 * np.array([[0.6], [0.8]])], axis=1)
    D_F = np.asarray(M.feature_dimensionality(W))
    assert D_F[2] < 1e-5
    np.testing.assert_allclose(D_F[:2], 1.0, atol=1e-5)


def test_superposition_scores():
    np.testing.assert_allclose(np.asarray(M.superposition(np.array([[1.0, -1.0]]))), [1, 1], atol=ATOL32)
    # Unit-norm tight frame: Σ_{j≠i} (Ŵ_i·W_j)² = 1/D_i − 1.
    np.testing.assert_allclose(np.asarray(M.superposition(polygon(5))), 1.5, atol=ATOL32)
    np.testing.assert_allclose(np.asarray(M.superposition(tetrahedron())), 1 / 3, atol=ATOL32)
    np.testing.assert_allclose(np.asarray(M.superposition(np.eye(3))), 0.0, atol=ATOL32)
    # Asymmetric: a weak feature on a strong one's direction.
    W = np.array([[1.0, 0.5]])
    np.testing.assert_allclose(np.asarray(M.superposition(W)), [0.25, 1.0], atol=ATOL32)


def test_norms_interference_dims_per_feature():
    W = 2.0 * polygon(5)
    np.testing.assert_allclose(np.asarray(M.feature_norms(W)), 2.0, atol=ATOL32)
    WtW = np.asarray(M.interference(W))
    np.testing.assert_allclose(np.diag(WtW), 4.0, atol=1e-4)
    np.testing.assert_allclose(WtW[0, 1], 4 * np.cos(2 * np.pi / 5), atol=1e-4)
    np.testing.assert_allclose(float(M.dims_per_feature(polygon(5))), 2 / 5, atol=ATOL32)
    np.testing.assert_allclose(float(M.features_per_dim(polygon(5))), 5 / 2, atol=ATOL32)
    np.testing.assert_allclose(float(M.dims_per_feature(np.eye(3))), 1.0, atol=ATOL32)


def test_all_measures_invariant_under_hidden_rotation():
    rng = np.random.default_rng(1)
    W = np.concatenate([direct_sum(polygon(5), tetrahedron(), np.ones((1, 1))), rng.normal(size=(6, 4))], 1)
    O = random_orthogonal(6, rng)
    b = rng.normal(size=W.shape[1]) * 0.1
    a, r = M.model_measures(W, b), M.model_measures(O @ W, b)
    for key in a:
        np.testing.assert_allclose(np.asarray(a[key]), np.asarray(r[key]), atol=2e-5, err_msg=key)
    np.testing.assert_allclose(np.asarray(M.interference(W)), np.asarray(M.interference(O @ W)), atol=1e-4)


def test_feature_status_codes():
    # features: 0 dedicated, 1-2 antipodal pair, 3-5 triangle, 6 zero, 7 tiny, 8 unequal antipodal
    W = direct_sum(np.ones((1, 1)), np.array([[1.0, -1.0]]), polygon(3), np.zeros((1, 2)), np.array([[1.0, -0.7]]))
    W[:, 7] = 0.05 * W[:, 0] / np.linalg.norm(W[:, 0]) + 0.0  # a weak echo of feature 0 (sup += .0025)
    status = np.asarray(M.feature_status(W))
    expected = [M.DEDICATED, M.ANTIPODAL, M.ANTIPODAL] + [M.SUPERPOSITION] * 3
    expected += [M.NOT_REPRESENTED, M.NOT_REPRESENTED, M.ANTIPODAL, M.ANTIPODAL]
    np.testing.assert_array_equal(status, expected)
    np.testing.assert_array_equal(np.asarray(M.status_counts(status)), [2, 1, 3, 4])


def test_feature_status_thresholds_and_bias():
    W = np.array([[1.0, 0.0, 0.4], [0.0, 1.0, 0.0]])  # feature 2: norm 0.4, on feature 0's axis
    np.testing.assert_array_equal(np.asarray(M.feature_status(W)), [M.SUPERPOSITION, M.DEDICATED, M.NOT_REPRESENTED])
    # sup of feature 0 is 0.16: dedicated once the threshold is raised above it
    st = M.feature_status(W, superposition_threshold=0.2)
    np.testing.assert_array_equal(np.asarray(st), [M.DEDICATED, M.DEDICATED, M.NOT_REPRESENTED])
    st = M.feature_status(W, norm_threshold=0.3)  # now feature 2 counts, antiparallel? no: parallel
    np.testing.assert_array_equal(np.asarray(st), [M.SUPERPOSITION, M.DEDICATED, M.SUPERPOSITION])
    # A bias that cancels the feature's own signal: ||W_1||² + b_1 = 1 - 1.5 < 0.
    st = M.feature_status(W, np.array([0.0, -1.5, 0.0]), superposition_threshold=0.2)
    np.testing.assert_array_equal(np.asarray(st), [M.DEDICATED, M.NOT_REPRESENTED, M.NOT_REPRESENTED])


def test_antipodal_pair_with_extra_interference_is_superposition():
    # A digon plus a third feature leaning on it: the rest adds 0.5² > 0.1 to features 0 and 1.
    W = np.array([[1.0, -1.0, 0.5], [0.0, 0.0, 0.9]])
    st = np.asarray(M.feature_status(W))
    np.testing.assert_array_equal(st[:2], [M.SUPERPOSITION, M.SUPERPOSITION])


def test_neuron_status_and_counts():
    W = np.array(
        [
            [1.0, 0.0, 0.0],  # mono
            [1.0, 1.0, 0.0],  # poly (share 0.5)
            [0.0, 0.0, 0.0],  # dead
            [-1.0, 0.2, 0.0],  # share 1/1.04 = 0.9615: mono
            [0.0, 1.0, 0.5],  # share 0.8: poly
        ]
    )
    st = np.asarray(M.neuron_status(W))
    np.testing.assert_array_equal(st, [1, 2, 0, 1, 2])
    np.testing.assert_array_equal(np.asarray(M.neuron_counts(st)), [1, 2, 2])
    st = np.asarray(M.neuron_status(W, mono_threshold=0.75))
    np.testing.assert_array_equal(st, [1, 2, 0, 1, 1])
    np.testing.assert_allclose(np.asarray(M.neuron_feature_fractions(W))[4], [0, 0.8, 0.2], atol=ATOL32)


def test_abs_asymmetric_motif_and_rescaling():
    W1 = np.array([[2.0, -0.5], [0.0, 1.0]])
    W2 = np.array([[0.5, 0.0], [2.0, 1.0]])  # F×H
    np.testing.assert_array_equal(np.asarray(M.neuron_status(W1)), [1, 1])  # 4/4.25 = 0.94
    P = M.abs_path_weights(W1, W2)
    np.testing.assert_allclose(np.asarray(P), [[1.0, -1.0], [0.0, 1.0]], atol=ATOL32)
    np.testing.assert_array_equal(np.asarray(M.neuron_status(P)), [2, 1])
    # Rescaling: largest |W1| per neuron is 1 and the |x| model's function is unchanged.
    R1, R2 = M.rescale_abs_neurons(W1, W2)
    np.testing.assert_allclose(np.max(np.abs(np.asarray(R1)), axis=1), 1.0, atol=ATOL32)
    x = np.random.default_rng(0).uniform(-1, 1, size=(16, 2))
    b = np.array([0.1, -0.2])
    f = lambda a, c: np.maximum(np.maximum(x @ np.asarray(a).T, 0) @ np.asarray(c).T + b, 0)
    np.testing.assert_allclose(np.asarray(f(W1, W2)), np.asarray(f(R1, R2)), atol=1e-5)
    np.testing.assert_allclose(np.asarray(M.abs_path_weights(R1, R2)), np.asarray(P), atol=1e-5)


def test_neuron_order_by_importance():
    W = np.array([[0.0, 0.1, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.2], [0.0, 0.0, -2.0]])
    order = np.asarray(M.neuron_order_by_importance(W, np.array([1.0, 0.5, 0.25])))
    np.testing.assert_array_equal(order, [1, 2, 0, 3])


def test_vmap_and_jit_match_single_model():
    rng = np.random.default_rng(2)
    W = rng.normal(size=(3, 4, 2, 5)).astype(np.float32)
    f = jax.jit(jax.vmap(jax.vmap(M.feature_dimensionality)))
    D = np.asarray(f(W))
    for i in range(3):
        for j in range(4):
            np.testing.assert_allclose(D[i, j], np.asarray(M.feature_dimensionality(W[i, j])), rtol=1e-6)


def test_analyze_grid_matches_per_model_and_keys():
    rng = np.random.default_rng(3)
    W = rng.normal(size=(2, 3, 2, 5)).astype(np.float32)
    b = rng.normal(size=(2, 3, 5)).astype(np.float32)
    out = A.analyze_grid(W, b, "relu")
    expected_keys = {"norms_F", "superposition_F", "D_F", "D_star", "features_per_dim", "D_sum", "status_F", "status_counts_4", "n_represented", "finite"}
    assert set(out) == expected_keys
    assert out["D_F"].shape == (2, 3, 5) and out["D_star"].shape == (2, 3)
    assert isinstance(out["status_F"], np.ndarray) and out["status_F"].dtype == np.int32
    one = M.model_measures(W[1, 2], b[1, 2])
    for k in expected_keys:
        np.testing.assert_allclose(out[k][1, 2], np.asarray(one[k]), rtol=1e-6, err_msg=k)
    # b matters only for the ReLU-output model.
    lin = A.analyze_grid(W, b, "linear")
    np.testing.assert_array_equal(lin["status_F"][1, 2], np.asarray(M.feature_status(W[1, 2])))


def test_analyze_grid_neuron_kinds():
    W1 = np.array([[[2.0, -0.5], [0.0, 1.0], [0.0, 0.0]]])  # (1, H=3, F=2)
    W2 = np.array([[[0.5, 0.0, 0.0], [2.0, 1.0, 0.0]]])  # (1, F=2, H=3)
    out = A.analyze_grid((W1, W2), None, "abs")
    np.testing.assert_array_equal(out["neuron_status_H"][0], [1, 1, 0])
    np.testing.assert_array_equal(out["neuron_status_path_H"][0], [2, 1, 0])
    assert int(out["n_monosemantic"][0]) == 2 and int(out["n_dead_neurons"][0]) == 1
    out = A.analyze_grid(W1[0], None, "relu_hidden")  # no grid axes
    assert out["neuron_status_H"].shape == (3,) and "neuron_status_path_H" not in out
    with pytest.raises(ValueError):
        A.analyze_grid(W1, None, "transformer")
