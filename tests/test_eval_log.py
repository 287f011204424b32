"""Measurement design (issue 15, items 3-4): the shared evaluation sample, its standard error, and
the logged steps (step 0 and the last step always)."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from toymodels import models, selection, sweep, train
from toymodels.config import DataConfig, GridConfig, ModelConfig, SweepConfig, TrainConfig
from toymodels.store import Run
from toymodels.train import CellHyper, RunSpec, plan_intervals

# 3 densities x 2 seeds of n=6, m=2: small enough that a whole sweep takes a second or two
CFG = SweepConfig(
    name="evallog", model=ModelConfig(n_features=6, n_hidden=2), data=DataConfig(importance_decay=0.9),
    train=TrainConfig(steps=40, batch_size=64, n_snapshots=3, eval_samples=200),
    grid=GridConfig(density=(1.0, 0.3, 0.05), n_seeds=2), progress=False, chunk_size=1)
SPEC = RunSpec(CFG.model, CFG.data, CFG.train)
# chunk_size=1: the grid and the cell alone run the same compiled functions (one compilation)


@pytest.fixture(scope="module")
def grid_run(tmp_path_factory):
    return Run(sweep.run_sweep(dataclasses.replace(CFG, results_dir=str(tmp_path_factory.mktemp("g")))).run_dir)


def _hp(seeds, density, importance=None):
    """CellHypers of one cell's values under several seeds."""
    n = len(seeds)
    density_F = jnp.full((n, 6), density, jnp.float32)
    importance_F = jnp.asarray(importance if importance is not None else 0.9 ** np.arange(6), jnp.float32)
    return CellHyper(jax.vmap(jax.random.key)(jnp.asarray(seeds, jnp.uint32)), density_F,
                     jnp.broadcast_to(importance_F, (n, 6)))


_eval_batch = jax.jit(lambda density_F, i: train.eval_batch(SPEC, density_F, i))


def _params(seed=0, n=6, m=2):
    rng = np.random.default_rng(seed)
    return {"W_HxF": jnp.asarray(0.5 * rng.normal(size=(m, n)), jnp.float32),
            "b_F": jnp.asarray(0.1 * rng.normal(size=n), jnp.float32)}


# ----------------------------------------------------------------------------- logged steps


@pytest.mark.parametrize("steps", [1, 7, 120, 10_000])
@pytest.mark.parametrize("n_snapshots", [1, 2, 24])
def test_step_0_and_the_last_step_are_always_logged(steps, n_snapshots):
    plan = plan_intervals(steps, n_snapshots)
    assert plan.steps_T[0] == 0 and plan.steps_T[-1] == steps
    assert np.all(np.diff(plan.steps_T) > 0) and len(plan.steps_T) <= n_snapshots + 1
    # the flagged intervals end exactly at the logged steps, in order, and cover [0, steps)
    ends = plan.hi_CxK[plan.snapshot_CxK]
    np.testing.assert_array_equal(ends, plan.steps_T)
    lengths = (plan.hi_CxK - plan.lo_CxK).ravel()
    assert lengths.min() >= 0 and lengths.sum() == steps
    if n_snapshots == 1:
        np.testing.assert_array_equal(plan.steps_T, [0, steps] if steps > 0 else [0])


def test_no_snapshots_logs_nothing():
    plan = plan_intervals(120, 0)
    assert plan.steps_T.size == 0 and not plan.snapshot_CxK.any()
    assert (plan.hi_CxK - plan.lo_CxK).sum() == 120


def test_history_holds_the_init_and_the_final_weights_with_their_exact_loss(grid_run):
    b = grid_run.buckets[0]
    np.testing.assert_array_equal(b.history["steps_T"], [0, 1, 6, 40])  # n_snapshots=3 over 40 steps
    (bp,) = sweep.plan_buckets(CFG)
    hp = sweep._hyper(bp, slice(0, bp.n_cells), bp.n_cells)
    init = jax.jit(jax.vmap(lambda h: train.init_state(SPEC, h).params))(hp)
    final = {k: v.reshape((-1,) + v.shape[2:]) for k, v in b.params.items() if not k.startswith("axis_")}
    hist = {k: v.reshape((-1,) + v.shape[2:]) for k, v in b.history.items() if k != "steps_T" and not k.startswith("axis_")}
    np.testing.assert_allclose(hist["W_HxF"][:, 0], init["W_HxF"], rtol=1e-6)  # jit vs vmap: rounding only
    np.testing.assert_array_equal(hist["W_HxF"][:, -1], final["W_HxF"])
    np.testing.assert_array_equal(hist["b_F"][:, -1], final["b_F"])
    log_loss = jax.jit(jax.vmap(lambda p, h: train.log_loss(SPEC, p, h)))
    np.testing.assert_allclose(hist["loss"][:, 0], log_loss(init, hp), rtol=1e-5)
    np.testing.assert_allclose(hist["loss"][:, -1], log_loss(final, hp), rtol=1e-5)
    # the logged loss is models.loss on the first evaluation batch
    x = _eval_batch(hp.density_F[0], 0)
    p0 = jax.tree_util.tree_map(lambda a: a[0], init)
    np.testing.assert_allclose(hist["loss"][0, 0], models.loss("relu", p0, x, hp.importance_F[0]), rtol=1e-5)
    assert np.all(np.isfinite(hist["loss"])) and np.all(hist["loss"][:, -1] < hist["loss"][:, 0])


# ----------------------------------------------------------------------------- shared evaluation sample


def test_seeds_of_a_cell_share_the_evaluation_sample():
    """Identical weights scored under two model seeds (and two importance profiles' seeds) give
    identical eval losses; another density gives another sample."""
    params = jax.tree_util.tree_map(lambda a: jnp.stack([a, a, a]), _params())
    ev = jax.jit(jax.vmap(lambda p, h: train.evaluate(SPEC, p, h)))
    mean, se = ev(params, _hp([0, 1, 12345], 0.3))
    assert mean[0] == mean[1] == mean[2] and se[0] == se[1] == se[2]
    other, _ = ev(params, _hp([0, 1, 2], 0.31))
    assert abs(float(other[0]) - float(mean[0])) > 1e-6
    x_a = _eval_batch(jnp.full(6, 0.3), 0)
    x_b = _eval_batch(jnp.full(6, 0.3), 1)
    assert not np.array_equal(x_a, x_b)  # batches are distinct draws
    reseeded = dataclasses.replace(SPEC, train=dataclasses.replace(SPEC.train, eval_seed=1))
    assert not np.array_equal(x_a, jax.jit(lambda d: train.eval_batch(reseeded, d, 0))(jnp.full(6, 0.3)))


def test_se_and_mean_match_numpy_on_the_per_example_losses():
    """eval_samples=200 with batch 64: 3 batches, N=192 examples."""
    params, hp = _params(1), jax.tree_util.tree_map(lambda a: a[0], _hp([5], 0.3))
    assert train.eval_batching(SPEC.train) == (64, 3)
    loss_N = np.asarray(jax.jit(lambda p, h: train.eval_example_losses(SPEC, p, h))(params, hp), np.float64)
    assert loss_N.shape == (192,)
    mean, se = jax.jit(lambda p, h: train.evaluate(SPEC, p, h))(params, hp)
    np.testing.assert_allclose(float(mean), loss_N.mean(), rtol=1e-6)
    np.testing.assert_allclose(float(se), loss_N.std(ddof=1) / np.sqrt(192), rtol=1e-5)
    x = np.concatenate([np.asarray(_eval_batch(hp.density_F, i)) for i in range(3)])
    np.testing.assert_allclose(float(mean), float(models.loss("relu", params, jnp.asarray(x), hp.importance_F)),
                               rtol=1e-6)


def test_paired_difference_on_a_hand_computed_case():
    # d = [1, 2, 2, 3]: mean 2, sample sd sqrt(2/3), se sqrt(2/3)/2
    out = selection.paired_difference([1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 1.0, 1.0])
    assert out["n"] == 4 and out["diff"] == pytest.approx(2.0)
    assert out["se"] == pytest.approx(np.sqrt(2 / 3) / 2)
    # a constant offset on the same sample is known exactly (se 0), unlike unpaired samples
    a = np.random.default_rng(0).exponential(size=1000)
    assert selection.paired_difference(a + 0.01, a)["se"] == pytest.approx(0.0, abs=1e-12)


def test_sweep_eval_is_shared_across_seeds_and_the_same_cell_alone(grid_run, tmp_path):
    grid = grid_run
    b = grid.buckets[0]
    assert {"eval_loss", "eval_loss_se", "dataset_loss"} <= set(b.metrics) and "train_loss" not in b.metrics
    assert np.all(b.metrics["eval_loss_se"] > 0) and np.all(np.isnan(b.metrics["dataset_loss"]))
    # re-scored per-example losses reproduce the stored eval loss; seeds pair on one sample
    loss_KxN = sweep.eval_example_losses(grid, 0, [(1, 0), (1, 1)])
    np.testing.assert_allclose(loss_KxN.mean(axis=1), b.metrics["eval_loss"][1], rtol=1e-5)
    pd = selection.paired_eval_difference(grid, 0, (1, 0), (1, 1))
    assert pd["n"] == 192
    assert pd["diff"] == pytest.approx(b.metrics["eval_loss"][1, 0] - b.metrics["eval_loss"][1, 1], abs=1e-6)
    assert 0 < pd["se"] <= b.metrics["eval_loss_se"][1].sum()
    with pytest.raises(ValueError, match="different feature densities"):
        selection.paired_eval_difference(grid, 0, (0, 0), (1, 0))
    # the same cell alone: bit-identical keys (training and evaluation), the same results
    alone_cfg = dataclasses.replace(CFG, results_dir=str(tmp_path / "a"), grid=GridConfig(density=(0.3,), seed=1))
    alone = Run(sweep.run_sweep(alone_cfg).run_dir).buckets[0]
    (bp_g,), (bp_a,) = sweep.plan_buckets(CFG), sweep.plan_buckets(alone_cfg)
    hp_g, hp_a = sweep._hyper(bp_g, slice(3, 4), 1), sweep._hyper(bp_a, slice(0, 1), 1)
    np.testing.assert_array_equal(jax.random.key_data(hp_g.key), jax.random.key_data(hp_a.key))
    ek = jax.jit(jax.vmap(lambda d: jax.random.key_data(train.eval_key(SPEC, d))))
    np.testing.assert_array_equal(ek(hp_g.density_F), ek(hp_a.density_F))
    for col in ("eval_loss", "eval_loss_se"):
        np.testing.assert_allclose(alone.metrics[col][0, 0], b.metrics[col][1, 1], rtol=1e-5, err_msg=col)
    np.testing.assert_allclose(alone.history["loss"][0, 0], b.history["loss"][1, 1], rtol=1e-5)


# ----------------------------------------------------------------------------- the loss itself


def test_loss_value_and_gradient_against_numpy():
    """models.loss (what training differentiates, via training_loss) is the importance-weighted
    MSE; its gradient matches central finite differences of a float64 numpy implementation."""
    params = {k: np.asarray(v, np.float64) for k, v in _params(2, n=4, m=2).items()}
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(16, 4)) * (rng.uniform(size=(16, 4)) < 0.6)
    imp = 0.8 ** np.arange(4)

    def np_loss(W, b):
        out = np.maximum(x @ W.T @ W + b, 0.0)
        return np.mean(imp * (x - out) ** 2)

    jp = {k: jnp.asarray(v, jnp.float32) for k, v in params.items()}
    args = (jnp.asarray(x, jnp.float32), jnp.asarray(imp, jnp.float32))
    val, grad = jax.jit(jax.value_and_grad(lambda p: models.loss("relu", p, *args)))(jp)
    np.testing.assert_allclose(float(val), np_loss(params["W_HxF"], params["b_F"]), rtol=1e-5)
    tval, tgrad = jax.jit(jax.value_and_grad(lambda p: models.training_loss("relu", p, *args)))(jp)
    np.testing.assert_allclose(float(tval), float(val), rtol=1e-5)
    np.testing.assert_allclose(float(jnp.mean(train.example_losses("relu", jp, *args))), float(val), rtol=1e-6)
    eps = 1e-6
    for name in ("W_HxF", "b_F"):
        fd = np.zeros_like(params[name])
        for idx in np.ndindex(fd.shape):
            hi, lo = dict(params), dict(params)
            hi[name], lo[name] = params[name].copy(), params[name].copy()
            hi[name][idx] += eps
            lo[name][idx] -= eps
            fd[idx] = (np_loss(hi["W_HxF"], hi["b_F"]) - np_loss(lo["W_HxF"], lo["b_F"])) / (2 * eps)
        np.testing.assert_allclose(grad[name], fd, rtol=1e-3, atol=1e-6, err_msg=name)
        np.testing.assert_allclose(tgrad[name], fd, rtol=1e-3, atol=1e-6, err_msg=name)
