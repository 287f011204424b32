"""Models, optimizer, and the compiled trainer: equivalences that must hold exactly."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from toymodels import models, sweep
from toymodels.config import DataConfig, GridConfig, ModelConfig, SweepConfig, TrainConfig
from toymodels.train import CellHyper, RunSpec, make_chunk_fns, make_optimizer, plan_intervals, train_step, init_state


def test_forward_on_a_hand_computed_example():
    W = jnp.array([[1.0, -1.0, 0.5]])  # m=1, n=3
    b = jnp.array([0.1, -0.2, 0.0])
    x = jnp.array([[1.0, 0.0, 2.0]])
    h = 1.0 * 1 + 0.5 * 2  # = 2
    expect_linear = np.array([h * 1 + 0.1, h * -1 - 0.2, h * 0.5])
    np.testing.assert_allclose(models.forward("linear", {"W_HxF": W, "b_F": b}, x)[0], expect_linear, rtol=1e-6)
    np.testing.assert_allclose(models.forward("relu", {"W_HxF": W, "b_F": b}, x)[0], np.maximum(expect_linear, 0), rtol=1e-6)
    x2 = jnp.array([[-1.0, 0.0, 0.0]])  # h = -1 -> ReLU(h) = 0 -> out = ReLU(b)
    np.testing.assert_allclose(models.forward("relu_hidden", {"W_HxF": W, "b_F": b}, x2)[0], [0.1, 0, 0], atol=1e-7)
    p_abs = {"W1_HxF": jnp.array([[1.0, 0.0], [-1.0, 0.0]]), "W2_FxH": jnp.array([[1.0, 1.0], [0.0, 0.0]]),
             "b_F": jnp.zeros(2)}
    for v in (-0.7, 0.4):  # two neurons ReLU(x) and ReLU(-x) summed = |x|
        np.testing.assert_allclose(models.forward("abs", p_abs, jnp.array([[v, 0.3]]))[0], [abs(v), 0.0], atol=1e-7)
    loss = models.loss("relu", {"W_HxF": W, "b_F": b}, x, jnp.array([1.0, 2.0, 3.0]))
    out = np.maximum(expect_linear, 0)
    np.testing.assert_allclose(loss, np.mean(np.array([1, 2, 3]) * (np.array([1, 0, 2]) - out) ** 2), rtol=1e-6)


@pytest.mark.parametrize("n,m,k,std", [(5, 2, 10, 0.258), (100, 20, 20, 0.0289), (200, 20, 20, 0.0213)])
def test_notebook_init_scale(n, m, k, std):
    cfg = ModelConfig(n_features=n, n_hidden=m, init_fan_instances=k)
    assert abs(models.init_std(cfg) - std) < 5e-4
    W = models.init_params(cfg, jax.random.key(0))["W_HxF"]
    assert W.shape == (m, n)
    if n * m >= 2000:
        assert abs(float(jnp.std(W)) / std - 1) < 0.05


def test_adamw_matches_torch_formula_for_one_step():
    """torch.optim.AdamW step 1: p -= lr·wd·p; m = (1-b1)g; v = (1-b2)g²; p -= lr·m̂/(sqrt(v̂)+eps)."""
    cfg = TrainConfig(lr=1e-3, weight_decay=0.01)
    p = {"w": jnp.array([0.5, -2.0])}
    g = {"w": jnp.array([0.3, 1e-3])}
    opt = make_optimizer(cfg)
    upd, _ = opt.update(g, opt.init(p), p)
    new = np.asarray(p["w"] + upd["w"])
    pw, gw = np.array([0.5, -2.0]), np.array([0.3, 1e-3])
    expect = pw * (1 - 1e-3 * 0.01) - 1e-3 * gw / (np.abs(gw) + 1e-8)
    np.testing.assert_allclose(new, expect, rtol=1e-6)


def _cfg(**kw):
    base = SweepConfig(
        name="t", model=ModelConfig(n_features=6, n_hidden=2), data=DataConfig(importance_decay=0.9),
        train=TrainConfig(steps=120, batch_size=64, n_snapshots=6, eval_samples=256),
        grid=GridConfig(density=(1.0, 0.3, 0.05), n_seeds=2), progress=False)
    return dataclasses.replace(base, **kw)


@pytest.mark.parametrize("kind", ["relu", "linear", "relu_hidden", "abs"])
def test_grid_cell_equals_the_same_run_trained_alone(kind, tmp_path):
    cfg = _cfg(model=ModelConfig(kind=kind, n_features=6, n_hidden=3), results_dir=str(tmp_path))
    run = sweep.run_sweep(cfg)
    from toymodels.store import Run
    b = Run(run.run_dir).buckets[0]
    alone = sweep.train_cell(cfg, seed=1, density=0.3)
    for name, v in alone.items():
        np.testing.assert_allclose(v, b.params[name][1, 1], rtol=0, atol=1e-6)


def test_same_key_gives_bit_identical_weights_and_other_seed_differs():
    cfg = _cfg()
    a = sweep.train_cell(cfg, seed=3, density=0.3)
    b = sweep.train_cell(cfg, seed=3, density=0.3)
    c = sweep.train_cell(cfg, seed=4, density=0.3)
    np.testing.assert_array_equal(a["W_HxF"], b["W_HxF"])
    assert np.abs(a["W_HxF"] - c["W_HxF"]).max() > 1e-3


def test_interval_split_does_not_change_the_trajectory():
    cfg = _cfg()
    (bp,) = sweep.plan_buckets(cfg)
    spec = RunSpec(bp.model, cfg.data, cfg.train)
    hp = sweep._hyper(bp, slice(0, 4), 4)
    one = sweep.train_chunk(spec, hp, plan_intervals(120, 0, n_calls=1))
    many = sweep.train_chunk(spec, hp, plan_intervals(120, 6, n_calls=7))
    np.testing.assert_array_equal(one["p:W_HxF"], many["p:W_HxF"])


def test_snapshots_are_the_weights_at_their_steps():
    cfg = _cfg()
    (bp,) = sweep.plan_buckets(cfg)
    spec = RunSpec(bp.model, cfg.data, cfg.train)
    hp = sweep._hyper(bp, slice(0, 2), 2)
    plan = plan_intervals(120, 6)
    out = sweep.train_chunk(spec, hp, plan)
    assert out["s:W_HxF"].shape == (2, len(plan.steps_T), 2, 6)
    np.testing.assert_array_equal(out["s:W_HxF"][:, -1], out["p:W_HxF"])
    # replay with plain Python steps up to the 3rd snapshot
    t3 = int(plan.steps_T[2])
    hp1 = jax.tree_util.tree_map(lambda a: a[0], hp)
    state = init_state(spec, hp1)
    for s in range(t3):
        state, _ = train_step(spec, state, hp1, s)
    np.testing.assert_allclose(out["s:W_HxF"][0, 2], state.params["W_HxF"], atol=1e-6)


def test_changing_grid_values_does_not_recompile(tmp_path):
    # a spec no other test uses (eval_samples), so the compile caches start empty
    cfg = _cfg(results_dir=str(tmp_path), chunk_size=3,
               train=TrainConfig(steps=120, batch_size=64, n_snapshots=6, eval_samples=320))
    sweep.run_sweep(cfg)
    spec = RunSpec(cfg.model, cfg.data, cfg.train)
    init, adv, fin = make_chunk_fns(spec)
    sizes = (init._cache_size(), adv._cache_size(), fin._cache_size())
    other = dataclasses.replace(cfg, grid=GridConfig(density=(0.7, 0.2, 0.01), relative_importance=(0.5, 2.0),
                                                     n_seeds=1, seed=9))
    sweep.run_sweep(other)
    assert (init._cache_size(), adv._cache_size(), fin._cache_size()) == sizes == (1, 1, 1)


def test_resume_after_interruption_gives_the_same_weights(tmp_path):
    full = _cfg(results_dir=str(tmp_path / "a"), chunk_size=2)
    part = _cfg(results_dir=str(tmp_path / "b"), chunk_size=2)
    ref = sweep.run_sweep(full)
    first = sweep.run_sweep(part, max_chunks=1)
    assert first.trained_models == 2 and not (first.run_dir / "meta.json").exists()
    second = sweep.run_sweep(part)
    assert second.trained_models == 4  # 6 models, the first chunk of 2 reused
    third = sweep.run_sweep(part)
    assert third.trained_models == 0  # finished sweeps train nothing
    from toymodels.store import Run
    a, b = Run(ref.run_dir).buckets[0], Run(second.run_dir).buckets[0]
    np.testing.assert_array_equal(a.params["W_HxF"], b.params["W_HxF"])
    np.testing.assert_array_equal(a.history["W_HxF"], b.history["W_HxF"])
    assert not (second.run_dir / "chunks").exists()


def test_nonfinite_loss_is_flagged_not_saved_as_good(tmp_path):
    cfg = _cfg(results_dir=str(tmp_path), train=TrainConfig(steps=30, batch_size=32, lr=1e30, n_snapshots=0,
                                                            eval_samples=64))
    res = sweep.run_sweep(cfg)
    from toymodels.store import Run
    b = Run(res.run_dir).buckets[0]
    assert res.nonfinite_cells, "an lr of 1e30 must blow up"
    assert (b.metrics["finite"] == 0).sum() == len(res.nonfinite_cells)


def test_finite_dataset_full_batch_reaches_zero_train_loss_when_memorising():
    """T=3 points in m=2 dims, long full-batch training: the training loss falls far below the
    test loss (memorisation, Henighan et al. 2023)."""
    cfg = SweepConfig(model=ModelConfig(n_features=50, n_hidden=2, init="xavier"),
                      data=DataConfig(density=0.05, dataset_size=3, normalize=True),
                      train=TrainConfig(steps=3000, full_batch=True, n_snapshots=0, eval_samples=2048),
                      progress=False)
    (bp,) = sweep.plan_buckets(cfg)
    out = sweep.train_chunk(RunSpec(bp.model, cfg.data, cfg.train), sweep._hyper(bp, slice(0, 1), 1),
                            plan_intervals(3000, 0))
    assert out["dataset_loss"][0] < 0.2 * out["eval_loss"][0]


def test_linear_model_learns_the_top_m_features_like_pca():
    """Paper section 3: a linear model represents exactly the m most important features."""
    cfg = SweepConfig(model=ModelConfig(kind="linear", n_features=6, n_hidden=2),
                      data=DataConfig(importance_decay=0.7), train=TrainConfig(steps=10_000, n_snapshots=0),
                      progress=False)
    p = sweep.train_cell(cfg, seed=0)
    WtW = p["W_HxF"].T @ p["W_HxF"]
    np.testing.assert_allclose(WtW[:2, :2], np.eye(2), atol=0.02)
    assert np.abs(WtW[2:, :]).max() < 0.02
    np.testing.assert_allclose(p["b_F"][2:], 0.5, atol=0.02)  # dropped features output E[x]


def test_relu_model_dense_regime_drops_unrepresented_features_to_their_mean():
    """Paper section 3 / paper_spec 4.1: at density 1 the two top features are dedicated and the
    rest output b = E[x] = 0.5."""
    cfg = SweepConfig(model=ModelConfig(n_features=5, n_hidden=2, init_fan_instances=10),
                      data=DataConfig(importance_decay=0.9), train=TrainConfig(steps=10_000, n_snapshots=0),
                      progress=False)
    p = sweep.train_cell(cfg, seed=0, density=1.0)
    norms = np.linalg.norm(p["W_HxF"], axis=0)
    assert np.all(np.abs(norms[:2] - 1) < 0.05) and np.all(norms[2:] < 0.1)
    np.testing.assert_allclose(p["b_F"][2:], 0.5, atol=0.02)
