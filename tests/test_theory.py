"""toymodels.theory: the exact expected loss (closed forms, Monte Carlo, gradients) and its minima.

Paper section 4 and its comments; paper_spec 3.4, 4.1, 4.2.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from toymodels import theory


_loss = jax.jit(theory.expected_loss)
_grad_Wb = jax.jit(jax.grad(theory.expected_loss, argnums=(0, 1)))


def _L(W, b, p, I):
    return float(_loss(jnp.asarray(W, jnp.float32), jnp.asarray(b, jnp.float32),
                                      jnp.asarray(p, jnp.float32), jnp.asarray(I, jnp.float32)))


@pytest.mark.parametrize("p,r", [(1.0, 1.0), (0.3, 2.0), (0.05, 0.2), (0.6, 7.0)])
def test_wattenberg_closed_forms_at_the_named_configurations(p, r):
    """spec 4.2: f = p/3 − p²/4, g = r(p/3 − p²/4), h_first = p²/3, h_last = (1 + r)p²/6 (other features exact)."""
    var = p / 3 - p**2 / 4
    two, three = [1.0, r], [1.0, 1.0, r]
    # n=2, m=1
    assert _L([[1, 0]], [0, p / 2], [p] * 2, two) == pytest.approx(r * var, rel=1e-5)  # g
    assert _L([[0, 1]], [p / 2, 0], [p] * 2, two) == pytest.approx(var, rel=1e-5)  # f
    assert _L([[1, -1]], [0, 0], [p] * 2, two) == pytest.approx((1 + r) * p**2 / 6, rel=1e-5)  # h_last
    # n=3, m=2: W ⊥ [0,0,1], [1,0,0], [1,1,0], [0,1,1]
    assert _L([[1, 0, 0], [0, 1, 0]], [0, 0, p / 2], [p] * 3, three) == pytest.approx(r * var, rel=1e-5)
    assert _L([[0, 1, 0], [0, 0, 1]], [p / 2, 0, 0], [p] * 3, three) == pytest.approx(var, rel=1e-5)
    assert _L([[1, -1, 0], [0, 0, 1]], [0, 0, 0], [p] * 3, three) == pytest.approx(p**2 / 3, rel=1e-5)
    assert _L([[1, 0, 0], [0, 1, -1]], [0, 0, 0], [p] * 3, three) == pytest.approx((1 + r) * p**2 / 6, rel=1e-5)


def test_elementary_facts_of_spec_4_1():
    # dense unrepresented feature with b = 1/2 costs 1/12; antipodal pair costs (I1 + I2)·p²/6 = E[min(U,U')²]·...
    assert _L([[0.0]], [0.5], [1.0], [1.0]) == pytest.approx(1 / 12, rel=1e-6)
    assert _L([[1, -1]], [0, 0], [1.0, 1.0], [2.0, 3.0]) == pytest.approx(5 / 6, rel=1e-6)
    # the optimal constant output is E[x] = p/2: the loss is a parabola in b with its minimum there
    p = 0.2
    _, gb = _grad_Wb(jnp.zeros((1, 1)), jnp.array([p / 2]), jnp.array([p]), jnp.ones(1))
    assert float(gb[0]) == pytest.approx(0.0, abs=1e-7)
    # a perfect identity (m = n) costs nothing; rotation W → OW changes nothing
    assert _L(np.eye(3), [0, 0, 0], [0.4] * 3, [1, 2, 3]) == pytest.approx(0.0, abs=1e-7)
    rng = np.random.default_rng(0)
    W, b = rng.normal(size=(2, 3)), rng.normal(size=3) * 0.3
    O = np.linalg.qr(rng.normal(size=(2, 2)))[0]
    assert _L(O @ W, b, [0.5, 0.3, 0.9], [1, 1, 2]) == pytest.approx(_L(W, b, [0.5, 0.3, 0.9], [1, 1, 2]), rel=1e-5)


def test_exact_loss_agrees_with_a_large_monte_carlo_sample():
    """Monte Carlo only as a check: 2·10⁶ samples, |exact − MC| within 4 standard errors."""
    rng = np.random.default_rng(1)
    for n, m in [(2, 1), (3, 2), (3, 3)]:
        W = rng.normal(size=(m, n))
        b = rng.normal(size=n) * 0.3
        p = rng.uniform(0.1, 1.0, size=n)
        I = rng.uniform(0.5, 2.0, size=n)
        N = 2_000_000
        x = rng.random((N, n)) * (rng.random((N, n)) < p)
        out = np.maximum(x @ (W.T @ W) + b, 0)
        per = ((x - out) ** 2 * I).sum(1)
        mc, se = per.mean(), per.std() / np.sqrt(N)
        assert abs(_L(W, b, p, I) - mc) < 4 * se + 1e-6, (n, m, _L(W, b, p, I), mc, se)


def test_gradient_matches_central_differences_in_float64():
    """Central differences with h = 1e-5 in float64: truncation error is O(h) where a second derivative
    jumps (the loss is C¹, piecewise smooth), so 1e-4 bounds it."""
    with jax.enable_x64(True):
        rng = np.random.default_rng(2)
        for n, m in [(2, 1), (3, 2)]:
            W = jnp.asarray(rng.normal(size=(m, n)))
            b = jnp.asarray(rng.normal(size=n) * 0.3)
            p, I = jnp.asarray(rng.uniform(0.2, 1.0, size=n)), jnp.asarray(rng.uniform(0.5, 2.0, size=n))
            f = jax.jit(lambda th: theory.expected_loss(th[: m * n].reshape(m, n), th[m * n:], p, I))
            th = jnp.concatenate([W.ravel(), b])
            g = np.asarray(jax.jit(jax.grad(f))(th))
            h = 1e-5
            E = h * jnp.eye(th.size)
            fd = np.asarray((jax.vmap(f)(th + E) - jax.vmap(f)(th - E)) / (2 * h))
            np.testing.assert_allclose(g, fd, atol=1e-4)


def test_gradients_are_finite_at_degenerate_points():
    """W = 0, b = 0; orthogonal columns (zero couplings); an output exactly at its kink."""
    for W, b in [(np.zeros((2, 3)), np.zeros(3)), (np.zeros((1, 2)), np.array([0.1, -0.1])),
                 (np.array([[1.0, 0, 0], [0, 1, 0]]), np.array([0, 0, 0.0])),
                 (np.array([[1.0, -1.0]]), np.zeros(2))]:
        n = W.shape[1]
        gW, gb = _grad_Wb(jnp.asarray(W, jnp.float32), jnp.asarray(b, jnp.float32), jnp.full(n, 0.3), jnp.ones(n))
        assert np.isfinite(np.asarray(gW)).all() and np.isfinite(np.asarray(gb)).all()
    # the gradient at a dropped feature with the optimal bias p/2: zero for b, zero for the coupling
    gW, gb = _grad_Wb(jnp.array([[1.0, 0.0]]), jnp.array([0.0, 0.15]), jnp.array([0.3, 0.3]), jnp.array([1.0, 0.5]))
    np.testing.assert_allclose(np.asarray(gb), [0.0, 0.0], atol=1e-6)


def test_mcgrath_confused_phase_without_bias_and_antipodal_when_sparse():
    """Paper comment (McGrath): n=2, m=1, no biases, both features important (r = 1): at low sparsity
    (dense, p = 1) the global minimum is the same-sign W₁ = W₂ = 1/√2 (loss 1/12 exactly: x' =
    ReLU((x₁+x₂)/2)); sparse (p = 0.2) it is the antipodal pair."""
    cells = theory.cell_minima_grid(np.array([1.0, 0.2]), np.array([1.0, 1.0]), n=2, m=1, n_starts=12,
                                    steps=300, newton_steps=10, bias=False)
    dense, sparse = cells
    W = dense.W[0].ravel()
    assert W[0] * W[1] > 0 and np.allclose(np.abs(W), 2**-0.5, atol=2e-3)
    assert dense.loss[0] == pytest.approx(1 / 12, abs=1e-5)
    Ws = sparse.W[0].ravel()
    assert Ws[0] * Ws[1] < 0


@pytest.mark.slow
def test_mcgrath_confused_phase_with_bias():
    """With the bias free, the dense r = 1 optimum is still same-sign (both features on one side,
    unequal norms) and the sparse one antipodal; recorded, not from the paper (McGrath had no bias)."""
    dense, sparse = theory.cell_minima_grid(np.array([1.0, 0.2]), np.array([1.0, 1.0]), n=2, m=1,
                                            n_starts=24, steps=1000)
    W = dense.W[0].ravel()
    assert W[0] * W[1] > 0
    assert sparse.W[0].ravel().prod() < 0


def _trained_exact_loss(n, m, p, r, seed, steps, batch):
    from experiments.phase import phase_config
    from toymodels import sweep
    base = phase_config("t", n, m, 2)
    cfg = dataclasses.replace(
        base, progress=False,
        train=dataclasses.replace(base.train, steps=steps, batch_size=batch, weight_decay=0.0, schedule="cosine",
                                  lr=3e-3, eval_samples=4096, n_snapshots=2))
    params = sweep.train_cell(cfg, seed=seed, density=p, relative_importance=r)
    I = np.r_[np.ones(n - 1), r]
    return _L(params["W_HxF"], params["b_F"], [p] * n, I)


@pytest.mark.slow
@pytest.mark.parametrize("n,m,p,r,steps,batch", [
    (2, 1, 0.1, 1.0, 6000, 2048),
    (2, 1, 0.5, 2.0, 20000, 8192),
    (2, 1, 1.0, 0.5, 20000, 8192),
    (3, 2, 0.1, 3.0, 20000, 8192),
    (3, 2, 0.5, 0.5, 20000, 8192),
])
def test_minima_match_long_large_batch_training(n, m, p, r, steps, batch):
    """A long, large-batch trained model (AdamW without weight decay, cosine decay to 0, so it is
    a minimum of the unregularised loss) has an exact loss within 1e-3 of one of the exact local
    minima, and no seed beats the exact global minimum."""
    mins = theory.cell_minima_grid(np.array([p]), np.array([r]), n=n, m=m, n_starts=32, steps=800)[0]
    for seed in range(2):
        L = _trained_exact_loss(n, m, p, r, seed, steps, batch)
        assert L >= mins.loss[0] - 1e-5, (L, mins.loss)
        assert np.min(np.abs(mins.loss - L)) < 1e-3, (L, mins.loss)


def test_distinct_minima_merges_symmetric_and_dead_copies():
    """Two starts with swapped equal features are one minimum; a dead output's bias below its
    threshold is one model."""
    W = np.array([[[1.0, 0, 0], [0, 1, 0]], [[0, 1.0, 0], [1, 0, 0]], [[1.0, 0, 0], [0, 1, 0]]])
    b = np.array([[0, 0, -0.2], [0, 0, -0.5], [0, 0, 0.15]])
    mins = theory.Minima(W, b, np.array([0.1, 0.1, 0.05]), np.zeros(3), np.zeros(3))
    out = theory.distinct_minima(mins, np.full(3, 0.3), np.array([1.0, 1.0, 2.0]))
    assert list(out.count) == [1, 2] and out.loss[0] == 0.05
