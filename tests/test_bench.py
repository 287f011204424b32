"""``toymodels bench``: its FLOP accounting matches the matmuls the trainer really runs, and the
CLI runs a tiny benchmark end to end and prints its table."""

import functools
import importlib.util
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from toymodels import bench, models
from toymodels.cli import main


def _dot_flops(jaxpr) -> int:
    """2·(product of all dims of the dot) for every dot_general in a jaxpr, sub-jaxprs included."""
    total = 0
    for eqn in jaxpr.eqns:
        if eqn.primitive.name == "dot_general":
            (lc, rc), (lb, rb) = eqn.params["dimension_numbers"]
            lhs, rhs = (v.aval.shape for v in eqn.invars)
            batch = int(np.prod([lhs[d] for d in lb]))
            contract = int(np.prod([lhs[d] for d in lc]))
            free_l = int(np.prod([s for d, s in enumerate(lhs) if d not in lc and d not in lb]))
            free_r = int(np.prod([s for d, s in enumerate(rhs) if d not in rc and d not in rb]))
            total += 2 * batch * contract * free_l * free_r
        for v in eqn.params.values():  # pjit / custom_jvp bodies
            for sub in v if isinstance(v, (tuple, list)) else (v,):
                sub = getattr(sub, "jaxpr", sub)
                if hasattr(sub, "eqns"):
                    total += _dot_flops(sub)
    return total


def test_flop_count_is_hand_computed_and_matches_the_trained_graph():
    """B=8, n=3, m=2: forward W x and Wᵀh, backward δhᵀ, Wδ, dh xᵀ — five matmuls of 2·B·n·m."""
    B, n, m = 8, 3, 2
    assert bench.train_flops_per_model_step(B, n, m) == 5 * 2 * 8 * 3 * 2 == 480
    assert bench.train_flops_per_model_step(1024, 200, 20) == 40_960_000
    params = {"W_HxF": jnp.ones((m, n)), "b_F": jnp.zeros(n)}
    grad = jax.value_and_grad(functools.partial(models.loss, "relu"))
    jaxpr = jax.make_jaxpr(grad)(params, jnp.ones((B, n)), jnp.ones(n)).jaxpr
    assert _dot_flops(jaxpr) == bench.train_flops_per_model_step(B, n, m)


TINY = ["--steps", "6", "--repeats", "1", "--n-features", "6", "--n-hidden", "2", "--n-models", "4",
        "--batch-size", "32", "--peak-size", "64", "--peak-min-s", "0.01", "--torch-steps", "2"]


def test_bench_cli_runs_a_tiny_geometry_benchmark_and_prints_its_table(tmp_path, capsys):
    out_json = tmp_path / "bench.json"
    assert main(["bench", *TINY, "--json-out", str(out_json)]) == 0
    out = capsys.readouterr().out
    rows = [ln for ln in out.splitlines() if ln.startswith("| ")]
    assert "model-steps/s" in rows[0] and "of peak" in rows[0]
    assert any(r.split("|")[1].strip() == "toymodels (jax)" for r in rows)
    assert "FLOPs per model-step = 10*B*n*m = 3,840" in out
    info = json.loads(out_json.read_text())
    ours = info["toymodels"]
    assert ours["models"] == 4 and ours["steps"] == 6 and ours["compile_s"] > 0
    assert ours["model_steps_per_s"] == pytest.approx(4 * 6 / np.median(ours["wall_s"]))
    assert ours["flops_per_s"] == pytest.approx(ours["model_steps_per_s"] * 3840)
    assert np.all(np.isfinite(ours["final_loss"]))
    peak = info["peak"]  # the faster of the square and the workload-shaped matmul
    assert peak["peak_flops_per_s"] == max(peak["square_flops_per_s"], peak["batched_flops_per_s"]) > 0
    assert ours["peak_fraction"] == pytest.approx(ours["flops_per_s"] / peak["peak_flops_per_s"])
    if importlib.util.find_spec("torch") is None:
        assert "torch reference skipped: torch is not importable" in out
    elif bench.find_torch_reference(bench.TORCH_REFERENCE_DEFAULT) is None:
        assert "torch_reference.py not found (set --torch-reference)" in out
    else:
        ref = info["torch_reference"]
        assert ref["instances"] == 4 and ref["features"] == 6 and ref["steps"] == 2
        assert info["ratio"] == pytest.approx(ours["model_steps_per_s"] / ref["model_steps_per_s"])
        assert "speed-up over the torch reference" in out


def test_bench_without_torch_says_so(capsys):
    assert main(["bench", *TINY, "--no-torch"]) == 0
    assert "torch reference skipped: disabled (--no-torch)" in capsys.readouterr().out


def test_scale_suite_tiny(capsys):
    assert main(["bench", "--suite", "scale", "--repeats", "1", "--scale-counts", "3", "--scale-shapes", "2x1",
                 "--scale-target-s", "0.01", "--scale-min-steps", "5", "--peak-size", "64", "--peak-min-s", "0.01",
                 "--no-phase"]) == 0
    out = capsys.readouterr().out
    rows = [ln.split("|")[1:3] for ln in out.splitlines() if ln.startswith("| ")]
    assert rows[0][0].strip() == "n x m" and [int(r[1]) for r in rows[1:]] == [3]


def test_bad_bench_argument_is_a_one_line_error(capsys):
    assert main(["bench", "--steps", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--steps=0" in err


@pytest.mark.parametrize("kind,n,m", [("linear", 2, 1), ("relu", 5, 2), ("relu_hidden", 4, 4), ("relu", 6, 3)])
def test_training_loss_is_the_loss_and_has_its_gradient(kind, n, m):
    """The trainer's unrolled small-model formulation (n·m <= 16) and the plain one (else) agree
    with models.loss in value and gradient, with negative pre-activations exercising the ReLUs."""
    k1, k2, k3, k4 = jax.random.split(jax.random.key(n * 10 + m), 4)
    params = {"W_HxF": jax.random.normal(k1, (m, n)), "b_F": 0.3 * jax.random.normal(k2, (n,))}
    x = jax.random.uniform(k3, (64, n)) * (jax.random.uniform(k4, (64, n)) < 0.5)
    imp = 0.9 ** jnp.arange(n)
    vg = lambda f: jax.jit(jax.value_and_grad(functools.partial(f, kind)))  # noqa: E731
    ref_v, ref_g = vg(models.loss)(params, x, imp)
    v, g = vg(models.training_loss)(params, x, imp)
    np.testing.assert_allclose(v, ref_v, rtol=1e-5)
    for name in params:
        np.testing.assert_allclose(g[name], ref_g[name], rtol=1e-4, atol=1e-6)


# ----------------------------------------------------------------------------- bench --peers plumbing

from toymodels import peer_worker  # noqa: E402


def test_ratio_of_medians():
    """The speed-up is median(ours) / median(theirs), so one disturbed round on either side moves it little."""
    assert bench.ratio_of_medians([3.0, 100.0, 5.0], [1.0, 2.0, 50.0]) == pytest.approx(5.0 / 2.0)
    assert bench.ratio_of_medians([10.0, 12.0], [2.0, 4.0]) == pytest.approx(11.0 / 3.0)


def test_missing_peer_is_reported_and_skipped_never_faked(monkeypatch, capsys):
    """With no peer importable, --peers says so for each peer, runs only toymodels, prints no ratio."""
    monkeypatch.setitem(bench.PEERS, "tms-kit", {**bench.PEERS["tms-kit"], "module": "no_such_peer_module_a"})
    monkeypatch.setitem(bench.PEERS, "occhio", {**bench.PEERS["occhio"], "module": "no_such_peer_module_b"})
    calls = []

    def fake_run_side(python, side, wl, target_s, repeats):
        calls.append(side)
        return {"models": wl["models"], "steps": 10, "wall_s": [0.01], "model_steps_per_s": 1000.0 * wl["models"],
                "model_steps_per_s_runs": [1000.0 * wl["models"]]}

    monkeypatch.setattr(bench, "run_side", fake_run_side)
    info = bench.suite_peers(bench.BenchConfig(peers=True, peer_workloads=("intro-10",), peer_rounds=2,
                                               peak_size=64, peak_min_s=0.01, repeats=1))
    out = capsys.readouterr().out
    assert "peer tms-kit: SKIPPED" in out and "peer occhio: SKIPPED" in out
    assert calls == ["toymodels", "toymodels"]  # two rounds of toymodels alone
    sides = info["workloads"]["intro-10"]["sides"]
    assert set(sides) == {"toymodels"} and "ratio" not in sides["toymodels"]
    assert "tms-kit: not run (not importable)" in out and "x**" not in out
    fl = info["workloads"]["intro-10"]["floor"]
    assert fl["floor_s"] == pytest.approx(fl["matmul_s"] + fl["sampler_s"]) and fl["sampler_s"] > 0
    assert sides["toymodels"]["floor_fraction"] == pytest.approx(10_000.0 * fl["floor_s"])


def test_find_peer_looks_in_other_interpreters():
    import sys
    assert bench.find_peer("json", ()) == (sys.executable, "this interpreter")
    py, where = bench.find_peer("no_such_peer_module_c", ("/nonexistent/python",))
    assert py is None and "/nonexistent/python" in where


@pytest.mark.parametrize("name", list(bench.PEER_WORKLOADS))
def test_peer_workloads_are_the_same_on_every_side(name):
    """toymodels' config for a peer workload trains the same models as the peer drivers: same shape,
    count, batch, importance, and the same density per model in the same order."""
    from toymodels import sweep
    wl = bench.PEER_WORKLOADS[name]
    expect = {"intro-10": (5, 2, 10), "intro-1000": (5, 2, 1000), "intro-16000": (5, 2, 16000),
              "geometry": (200, 20, 20)}[name]
    assert (wl["n_features"], wl["n_hidden"], wl["models"]) == expect and wl["batch"] == 1024
    cfg = bench.peer_workload_config({**wl, "toymodels": bench.PEERS["occhio"]["toymodels"]})
    (bp,) = sweep.plan_buckets(cfg)
    assert bp.n_cells == wl["models"] and (cfg.model.n_features, cfg.model.n_hidden) == expect[:2]
    assert cfg.train.batch_size == 1024 and cfg.train.lr == 3e-4 and cfg.train.weight_decay == 0.05
    hp = sweep._hyper(bp, slice(0, bp.n_cells), bp.n_cells)
    np.testing.assert_allclose(np.asarray(hp.density_F)[:, 0], peer_worker.densities_of(wl), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(hp.importance_F)[0], wl["importance_decay"] ** np.arange(expect[0]),
                               rtol=1e-6)


def test_tmskit_recipe_init_matches_its_xavier_sigma():
    """tms-kit: xavier_normal_ on W[inst, m, n] has sigma^2 = 2/(m·n + inst·n); at 10 instances the matched
    toymodels flag (init_fan_instances 25) gives the same sigma for the intro shape."""
    from toymodels.config import ModelConfig
    n, m, inst = 5, 2, 10
    rec = bench.PEERS["tms-kit"]["toymodels"]
    cfg = ModelConfig(kind="relu", n_features=n, n_hidden=m, init_fan_instances=rec["init_fan_instances"])
    assert models.init_std(cfg) == pytest.approx((2.0 / (m * n + inst * n)) ** 0.5)


def test_custom_peer_workloads_parse_and_bad_names_are_usage_errors():
    from toymodels.cli import UsageError
    wl = bench.peer_workload("200x20x20")
    assert (wl["n_features"], wl["n_hidden"], wl["models"], wl["n_densities"] * wl["seeds"]) == (200, 20, 20, 20)
    assert bench.peer_workload("5x2x7")["n_densities"] == 7
    assert bench.peer_workload("intro-1000")["seeds"] == 100
    with pytest.raises(UsageError):
        bench.peer_workload("5x2")


def test_scaling_plots_draw_from_saved_results(tmp_path):
    """--plot reads saved --peers JSON and draws both plots (toymodels~peer sides pooled)."""
    def info(n, m, count, ours, theirs):
        wl = {"n_features": n, "n_hidden": m, "models": count}
        return {"workload": wl, "floor": {"floor_model_steps_per_s": 10 * ours},
                "sides": {"toymodels~occhio": {"median": ours}, "occhio": {"median": theirs}}}
    res = {"machine": {"cpu": "test cpu", "cores": 2}, "date": "2026-12-08 00:00 UTC", "load_before": 1.0,
           "load_after": 1.0, "workloads": {"a": info(5, 2, 10, 100.0, 10.0), "b": info(5, 2, 1000, 300.0, 30.0),
                                           "c": info(20, 2, 20, 50.0, 5.0), "d": info(200, 20, 20, 5.0, 0.5)}}
    path = tmp_path / "peers.json"
    path.write_text(json.dumps(res))
    pts = bench.scaling_points([res])
    assert pts["toymodels"] == [(5, 2, 10, 100.0), (5, 2, 1000, 300.0), (20, 2, 20, 50.0), (200, 20, 20, 5.0)]
    written = bench.plot_scaling((str(path),), str(tmp_path / "img"))
    assert [p.name for p in written] == ["bench_scaling_models.png", "bench_scaling_n.png"]


def test_cli_compilation_cache_setting(tmp_path, monkeypatch):
    """The command-line entry turns JAX's persistent cache on under XDG_CACHE_HOME, and leaves it
    alone when the user opted out or set JAX's own variable."""
    from toymodels import cli
    calls = []
    monkeypatch.setattr(jax.config, "update", lambda k, v: calls.append((k, v)))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("JAX_COMPILATION_CACHE_DIR", raising=False)
    monkeypatch.setenv("TOYMODELS_COMPILATION_CACHE", "0")
    assert cli.enable_compilation_cache() is None and calls == []
    monkeypatch.setenv("TOYMODELS_COMPILATION_CACHE", "1")
    monkeypatch.setenv("JAX_COMPILATION_CACHE_DIR", str(tmp_path / "theirs"))
    assert cli.enable_compilation_cache() is None and calls == []
    monkeypatch.delenv("JAX_COMPILATION_CACHE_DIR")
    path = cli.enable_compilation_cache()
    assert path == str(tmp_path / "toymodels" / "jax") and ("jax_compilation_cache_dir", path) in calls
