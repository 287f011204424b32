"""Ground-truth sources: statistics of every sampler against its stated law (toymodels.sae.sources).

Binomial checks use 5-sigma bounds per feature (with <= 128 features the chance that a correct
sampler fails one is ~1e-4); the stated law is the module docstring's.
"""

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from toymodels.config import ConfigError
from toymodels.sae import sources as S

draw = jax.jit(S.sample, static_argnums=(1, 3))
SMALL = dataclasses.replace(S.SHARKEY22_SMALL, empty_fallback=False)


def _binomial_ok(count, n, p, sigmas=5.0):
    """|count − n p| <= sigmas·sqrt(n p (1 − p)) + 1 (the +1 covers p ≈ 0 or 1)."""
    count, p = np.asarray(count, np.float64), np.asarray(p, np.float64)
    return np.abs(count - n * p) <= sigmas * np.sqrt(n * p * (1 - p)) + 1


@functools.lru_cache(maxsize=None)
def _build(cfg, seed=0):
    return S.make_source(cfg, jax.random.key(seed))


def test_synthetic_directions_are_unit_gaussian_rows():
    src = _build(SMALL)
    gt = np.asarray(src.gt_GxD, np.float64)
    assert gt.shape == (128, 64)
    np.testing.assert_allclose(np.linalg.norm(gt, axis=1), 1.0, atol=1e-5)
    # Not orthogonalised: random unit vectors in 64-d have |cos| of order 1/sqrt(64).
    cos = gt @ gt.T - np.eye(128)
    assert 0.05 < np.abs(cos).mean() < 0.2
    assert bool(np.all(src.represented_G)) and bool(np.all(src.parent_G == -1))


@pytest.mark.parametrize("corr", ["none", "per_sample"])
def test_independent_and_copula_marginals_are_binomial(corr):
    cfg = dataclasses.replace(SMALL, correlation=corr)
    src = _build(cfg)
    p = np.asarray(src.p_G, np.float64)
    # Stated law: p_j = decay**j · mean_l0 / Σ decay**k, for both modes (the copula preserves it).
    decay = 0.99 ** np.arange(128)
    np.testing.assert_allclose(p, decay * 5.0 / decay.sum(), rtol=1e-5)
    n = 20_000
    x, codes = draw(src, cfg, jax.random.key(1), n)
    active = np.asarray(codes) > 0
    assert _binomial_ok(active.sum(0), n, p).all()
    l0 = active.sum(1)
    var_indep = float((p * (1 - p)).sum())
    if corr == "none":
        assert abs(l0.mean() - 5.0) <= 5 * np.sqrt(var_indep / n)
        # Independent features: Var(L0) = Σ p(1−p); sample-variance sd ≈ Var·sqrt(2/n) (near-normal).
        assert abs(l0.var() - var_indep) <= 5 * var_indep * np.sqrt(2 / n) + 0.1
    else:
        # Same marginals, but features co-occur: L0 is over-dispersed (measured ≈ 18 vs 4.8).
        assert l0.var() > 2 * var_indep
        assert abs(l0.mean() - 5.0) <= 5 * np.sqrt(l0.var() / n)


def test_per_batch_mode_modulates_rates_between_batches():
    cfg = SMALL  # per_batch is the default
    src = _build(cfg)
    n_batches, batch = 200, 256
    keys = jax.random.split(jax.random.key(2), n_batches)
    _, codes = jax.vmap(lambda k: S.sample(src, cfg, k, batch))(keys)
    active = np.asarray(codes) > 0  # [nb, B, G]
    # Within a batch Σ p = mean_l0 exactly (no clipping at these rates): the mean L0 is 5.
    l0 = active.sum(-1)
    p_indep = np.asarray(src.p_G, np.float64)
    assert abs(l0.mean() - 5.0) <= 5 * np.sqrt(l0.var() / l0.size)
    # Rates vary between batches more than binomial noise allows (over-dispersion of batch counts).
    rate_nb_G = active.mean(1)
    binom_var = p_indep * (1 - p_indep) / batch
    assert np.median(rate_nb_G[:, :16].var(0) / binom_var[:16]) > 2
    # Averaged over batches, rates match p_G = E_z[p(z)] (MC-estimated from 2048 draws).
    se = np.sqrt(rate_nb_G.var(0) / n_batches + rate_nb_G.var(0) / 2048) + 1e-4
    assert (np.abs(rate_nb_G.mean(0) - p_indep) <= 5 * se).all()
    # Sharkey's covariance is positive definite after the shift.
    c = S.sharkey_covariance(jax.random.key(0), 64)
    assert np.linalg.eigvalsh(c)[0] > 0 and np.allclose(c, c.T)


def test_magnitudes_are_uniform_and_x_is_codes_times_dictionary():
    src = _build(SMALL)
    x, codes = draw(src, SMALL, jax.random.key(3), 8192)
    x, codes = np.asarray(x), np.asarray(codes)
    vals = codes[codes > 0]
    assert vals.max() < 1.0 and vals.min() >= 0.0
    assert stats.kstest(vals, "uniform").pvalue > 1e-4
    np.testing.assert_allclose(x, codes @ np.asarray(src.gt_GxD), atol=1e-5)
    const = dataclasses.replace(SMALL, magnitude="constant")
    _, c2 = draw(_build(const), const, jax.random.key(3), 512)
    assert set(np.unique(np.asarray(c2))) <= {0.0, 1.0}


def test_empty_fallback_sets_one_feature_to_one_at_the_empty_row_rate():
    cfg = dataclasses.replace(S.SHARKEY22_SMALL, correlation="none", mean_l0=2.0, empty_fallback=True)
    src = _build(cfg)
    n = 20_000
    _, codes = draw(src, cfg, jax.random.key(4), n)
    codes = np.asarray(codes)
    assert ((codes > 0).sum(1) >= 1).all()
    # U[0,1) never gives exactly 1, so rows holding a 1.0 are exactly the fallback rows.
    fallback = (codes == 1.0).any(1)
    assert ((codes[fallback] > 0).sum(1) == 1).all()
    p_empty = float(np.prod(1 - np.asarray(src.p_G, np.float64)))
    assert _binomial_ok(fallback.sum(), n, p_empty)


def test_noise_is_isotropic_with_the_configured_std():
    cfg = dataclasses.replace(SMALL, noise_std=0.05)
    src = _build(cfg)
    x, codes = draw(src, cfg, jax.random.key(5), 4096)
    resid = np.asarray(x) - np.asarray(codes) @ np.asarray(src.gt_GxD)
    assert abs(resid.std() - 0.05) < 0.05 * 5 * np.sqrt(1 / (2 * resid.size))
    assert abs(resid.mean()) < 5 * 0.05 / np.sqrt(resid.size)


def test_hierarchy_parent_child_exclusion_and_rates():
    cfg = dataclasses.replace(S.ABSORB, n_parents=2, n_children=3, n_free=1, p_child=0.3,
                              magnitude="uniform")
    src = _build(cfg)
    assert src.gt_GxD.shape == (9, 50)
    gt = np.asarray(src.gt_GxD, np.float64)
    np.testing.assert_allclose(gt @ gt.T, np.eye(9), atol=1e-5)  # orthonormal
    np.testing.assert_array_equal(np.asarray(src.parent_G), [-1, 0, 0, 0, -1, 4, 4, 4, -1])
    n = 20_000
    x, codes = draw(src, cfg, jax.random.key(6), n)
    a = np.asarray(codes) > 0
    for root in (0, 4):
        kids = a[:, root + 1:root + 4]
        assert not (kids.any(1) & ~a[:, root]).any()  # a child never fires without its parent
        assert (kids.sum(1) <= 1).all()  # mutual exclusion
        assert _binomial_ok(a[:, root].sum(), n, 0.25)
        n_par = int(a[:, root].sum())
        assert _binomial_ok(kids.sum(0), n_par, 0.3).all()
    assert _binomial_ok(a[:, 8].sum(), n, 0.25)
    np.testing.assert_allclose(np.asarray(src.p_G), [0.25] + [0.075] * 3 + [0.25] + [0.075] * 3 + [0.25])
    np.testing.assert_allclose(np.asarray(x), np.asarray(codes) @ gt, atol=1e-5)


def test_absorb_and_hedge_presets_follow_the_research_note():
    src = _build(S.ABSORB)
    assert src.gt_GxD.shape == (4, 50)
    np.testing.assert_array_equal(np.asarray(src.parent_G), [-1, 0, -1, -1])
    np.testing.assert_allclose(np.asarray(src.p_G), [0.25, 0.05, 0.25, 0.25], rtol=1e-6)
    _, codes = draw(src, S.ABSORB, jax.random.key(0), 256)
    assert set(np.unique(np.asarray(codes))) <= {0.0, 1.0}
    assert S.source_dims(S.HEDGE) == (2, 50) and S.source_dims(S.SHARKEY22) == (512, 256)


def test_toy_model_source_from_explicit_weights():
    angles = 2 * np.pi * np.arange(5) / 5
    W = np.stack([np.cos(angles), np.sin(angles)]) * np.array([1.1, 1.1, 1.1, 1.1, 0.2])  # m=2, n=5
    cfg = S.SourceConfig(kind="toy_model", W=tuple(map(tuple, W.tolist())), toy_density=0.1,
                         b=(-0.2,) * 5)
    src = _build(cfg)
    np.testing.assert_array_equal(np.asarray(src.represented_G), [True] * 4 + [False])
    np.testing.assert_allclose(np.asarray(src.gt_GxD), (W / np.linalg.norm(W, axis=0)).T, atol=1e-6)
    np.testing.assert_allclose(np.asarray(src.scale_G), np.linalg.norm(W, axis=0), rtol=1e-6)
    n = 20_000
    h, codes = draw(src, cfg, jax.random.key(7), n)
    h, codes = np.asarray(h), np.asarray(codes)
    np.testing.assert_allclose(h, codes @ np.asarray(src.gt_GxD), atol=1e-5)
    raw = codes / np.linalg.norm(W, axis=0)
    assert _binomial_ok((raw > 0).sum(0), n, 0.1).all()
    assert raw.max() < 1.0
    out_cfg = dataclasses.replace(cfg, use_outputs=True)
    osrc = _build(out_cfg)
    y, xs = draw(osrc, out_cfg, jax.random.key(7), 64)
    np.testing.assert_allclose(np.asarray(osrc.gt_GxD), np.eye(5))
    np.testing.assert_allclose(np.asarray(y), np.maximum(np.asarray(xs) @ W.T @ W - 0.2, 0), atol=1e-5)
    assert S.source_dims(cfg) == (5, 2) and S.source_dims(out_cfg) == (5, 5)


def test_toy_model_source_from_a_stored_sweep(tmp_path):
    from experiments.intro import INTRO_TINY
    from toymodels import store
    from toymodels.sweep import run_sweep

    sweep_cfg = dataclasses.replace(INTRO_TINY, results_dir=str(tmp_path), progress=False)
    rdir = run_sweep(sweep_cfg).run_dir
    run = store.Run(rdir)
    # Cell 4 = density 0.05 (axis index 2), seed 0: grid is density[3] x seed[2], C order.
    cfg = S.toy_model_config(str(rdir), bucket=0, cell=4)
    src = _build(cfg)
    W = run.buckets[0].params["W_HxF"][2, 0]
    np.testing.assert_allclose(np.asarray(src.W_HxF), W, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(src.p_G), 0.05, rtol=1e-6)
    norms = np.linalg.norm(W, axis=0)
    np.testing.assert_array_equal(np.asarray(src.represented_G), norms > 0.5)
    h, codes = draw(src, cfg, jax.random.key(8), 256)
    np.testing.assert_allclose(np.asarray(h), np.asarray(codes) @ np.asarray(src.gt_GxD), atol=1e-5)
    assert S.source_dims(cfg) == (5, 2)
    with pytest.raises(ConfigError, match="source.toy_kind"):
        S.make_source(dataclasses.replace(cfg, toy_kind="linear"), jax.random.key(0))
    with pytest.raises(ConfigError, match="source.cell"):
        S.make_source(dataclasses.replace(cfg, cell=6), jax.random.key(0))


def test_sample_is_jittable_inside_scan_and_deterministic():
    cfg = dataclasses.replace(SMALL, correlation="per_batch")
    src = _build(cfg)
    keys = jax.random.split(jax.random.key(9), 3)

    @jax.jit
    def run(source, keys):
        def step(carry, k):
            x, codes = S.sample(source, cfg, k, 32)
            return carry + jnp.sum(x), codes
        return jax.lax.scan(step, 0.0, keys)

    _, codes_scan = run(src, keys)
    for i in range(3):
        np.testing.assert_array_equal(np.asarray(codes_scan[i]), np.asarray(draw(src, cfg, keys[i], 32)[1]))
    assert not np.array_equal(np.asarray(codes_scan[0]), np.asarray(codes_scan[1]))
    a, b = _build(cfg, seed=3), _build(cfg, seed=3)
    np.testing.assert_array_equal(np.asarray(a.gt_GxD), np.asarray(b.gt_GxD))


@pytest.mark.parametrize("changes, field", [
    (dict(mean_l0=0.0), "source.mean_l0"),
    (dict(decay=1.5), "source.decay"),
    (dict(correlation="sometimes"), "source.correlation"),
    (dict(noise_std=-1.0), "source.noise_std"),
    (dict(n_gt=0), "source.n_gt"),
    (dict(correlation="none", mean_l0=100.0, n_gt=128), "source.mean_l0"),
    (dict(kind="hierarchy", d=3), "source.d"),
    (dict(kind="hierarchy", n_children=3, p_child=0.5), "source.p_child"),
    (dict(kind="toy_model"), "source.run_dir"),
    (dict(kind="toy_model", W=((1.0, 2.0), (1.0,))), "source.W"),
    (dict(kind="bogus"), "source.kind"),
])
def test_invalid_configs_name_the_field(changes, field):
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")) as e:
        S.make_source(dataclasses.replace(S.SHARKEY22_SMALL, **changes), jax.random.key(0))
    assert "\n" not in str(e.value)
