"""Sampler statistics: densities, magnitudes and set conventions within binomial bounds."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from toymodels.config import DataConfig
from toymodels.data import hash_uniform, importance_profile, sample_batch, sample_dataset

Z = 5.0  # bounds at 5 standard errors: a correct sampler fails with probability < 1e-6 per check


def _within(observed_mean, p, n):
    se = np.sqrt(p * (1 - p) / n)
    return abs(observed_mean - p) <= Z * se + 1e-12


@pytest.mark.parametrize("rng", ["hash", "threefry"])
@pytest.mark.parametrize("p", [1.0, 0.3, 0.05, 0.003])
def test_independent_features_density_and_uniform_values(rng, p):
    cfg = DataConfig(rng=rng)
    x = np.asarray(sample_batch(jax.random.key(1), jnp.full((50,), p), cfg, 20_000))
    active = x != 0
    assert _within(active.mean(), p, active.size)
    vals = x[active]
    # U[0,1): mean 1/2, variance 1/12, decile histogram flat (chi-square with 9 dof)
    assert abs(vals.mean() - 0.5) <= Z * np.sqrt(1 / 12 / vals.size)
    counts = np.histogram(vals, bins=10, range=(0, 1))[0]
    chi2 = ((counts - vals.size / 10) ** 2 / (vals.size / 10)).sum()
    assert chi2 < 40.0  # P(chi2_9 > 40) ≈ 7e-6
    assert vals.min() >= 0 and vals.max() < 1


def test_features_and_examples_are_uncorrelated():
    x = np.asarray(sample_batch(jax.random.key(2), jnp.full((20,), 0.5), DataConfig(), 50_000))
    c = np.corrcoef(x.T)
    off = c[~np.eye(20, dtype=bool)]
    assert np.abs(off).max() < Z / np.sqrt(50_000)
    # consecutive examples (counter neighbours in the hash) are independent too
    lag = np.corrcoef(x[:-1].ravel(), x[1:].ravel())[0, 1]
    assert abs(lag) < Z / np.sqrt(x.size)


def test_steps_draw_independent_batches():
    from toymodels.data import uniforms
    k = jax.random.key(3)
    a = np.asarray(uniforms(jax.random.fold_in(k, 0), ((100_000,),))[0])
    b = np.asarray(uniforms(jax.random.fold_in(k, 1), ((100_000,),))[0])
    assert abs(np.corrcoef(a, b)[0, 1]) < Z / np.sqrt(a.size)
    assert not np.any(a == b) or np.mean(a == b) < 1e-3


def test_hash_uniform_range_and_mean():
    u = np.asarray(hash_uniform(jnp.array([12345, 678], jnp.uint32), (1_000_000,)))
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < Z * np.sqrt(1 / 12 / u.size)
    assert len(np.unique(u)) > 0.9 * u.size  # 23-bit resolution: few collisions in 1e6 draws


def test_signed_values_are_uniform_on_minus_one_one():
    x = np.asarray(sample_batch(jax.random.key(4), jnp.full((10,), 0.2), DataConfig(), 50_000, signed=True))
    vals = x[x != 0]
    assert _within((x != 0).mean(), 0.2, x.size)
    assert vals.min() >= -1 and vals.max() < 1
    assert abs(vals.mean()) <= Z * np.sqrt(1 / 3 / vals.size)
    assert abs((vals < 0).mean() - 0.5) <= Z * np.sqrt(0.25 / vals.size)


@pytest.mark.parametrize("rng", ["hash", "threefry"])
def test_correlated_sets_are_all_or_nothing(rng):
    p, k = 0.2, 3
    cfg = DataConfig(correlation="correlated", set_size=k, rng=rng)
    x = np.asarray(sample_batch(jax.random.key(5), jnp.full((7,), p), cfg, 40_000))  # 2 sets + 1 free
    for s in range(2):
        block = x[:, s * k:(s + 1) * k] != 0
        assert np.all(block.all(axis=1) | (~block).any(axis=1) & ~block.any(axis=1))
        assert _within(block[:, 0].mean(), p, len(block))
    # the two sets are independent of each other
    a, b = x[:, 0] != 0, x[:, k] != 0
    assert _within((a & b).mean(), p * p, len(a))
    assert _within((x[:, 6] != 0).mean(), p, len(x))  # the trailing free feature
    vals = x[:, :k][x[:, :k] != 0]
    assert abs(vals.mean() - 0.5) <= Z * np.sqrt(1 / 12 / vals.size)


@pytest.mark.parametrize("convention,marginal", [("paper", lambda p, k: p / k), ("arena", lambda p, k: p)])
def test_anticorrelated_sets_have_one_active_feature(convention, marginal):
    p, k = 0.3, 2
    cfg = DataConfig(correlation="anticorrelated", set_size=k, anticorrelated_convention=convention)
    x = np.asarray(sample_batch(jax.random.key(6), jnp.full((4,), p), cfg, 60_000))
    for s in range(2):
        block = x[:, s * k:(s + 1) * k] != 0
        assert block.sum(axis=1).max() == 1  # never two features of one set at once
        for j in range(k):
            assert _within(block[:, j].mean(), marginal(p, k), len(block))
    vals = x[x != 0]
    assert abs(vals.mean() - 0.5) <= Z * np.sqrt(1 / 12 / vals.size)


def test_arena_convention_caps_set_probability_at_one():
    cfg = DataConfig(correlation="anticorrelated", set_size=2, anticorrelated_convention="arena")
    x = np.asarray(sample_batch(jax.random.key(7), jnp.full((2,), 0.9), cfg, 10_000))
    assert np.all((x != 0).sum(axis=1) == 1)  # set active with prob min(1, 2·0.9) = 1


def test_per_feature_density():
    density = jnp.array([1.0, 0.5, 0.1, 0.01])
    x = np.asarray(sample_batch(jax.random.key(8), density, DataConfig(), 100_000))
    for i, p in enumerate(np.asarray(density)):
        assert _within((x[:, i] != 0).mean(), p, len(x))


def test_normalised_dataset_rows_have_unit_norm():
    X = np.asarray(sample_dataset(jax.random.key(9), jnp.full((1000,), 0.01), DataConfig(normalize=True), 500))
    norms = np.linalg.norm(X, axis=1)
    nonzero = norms > 0
    np.testing.assert_allclose(norms[nonzero], 1.0, rtol=1e-5)
    assert nonzero.mean() > 0.99


def test_importance_profiles():
    np.testing.assert_allclose(importance_profile(DataConfig(importance_decay=0.9), 5), 0.9 ** np.arange(5), rtol=1e-6)
    lin = importance_profile(DataConfig(importance="log_linspace", importance_range=100.0), 100)
    assert lin[0] == 1.0 and abs(lin[-1] - 0.01) < 1e-7
    np.testing.assert_allclose(lin, 100 ** -np.linspace(0, 1, 100), rtol=1e-6)
    ex = importance_profile(DataConfig(importance="explicit", importance_values=(3.0, 2.0, 1.0)), 3)
    np.testing.assert_array_equal(ex, [3, 2, 1])
