"""No silent wrong number (issue 16): bad inputs at every public boundary end in one clear line or a
documented, tested convention; a killed sweep resumes bit for bit with nothing left behind.

Property-based tests (hypothesis) hunt over config fields and metric inputs with small example
counts; the fault-injection tests kill the store at every write of a tiny sweep and resume it.
docs/reliability.md lists what each test guarantees.
"""

from __future__ import annotations

import dataclasses
import math
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toymodels import analysis, selection, store, sweep
from toymodels.cli import main
from toymodels.config import (ConfigError, DataConfig, GridConfig, ModelConfig, SweepConfig, TrainConfig,
                              validate)
from toymodels.sae import metrics as SM

ROOT = Path(__file__).resolve().parents[1]
FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# ----------------------------------------------------------------------------- CLI boundary


@pytest.mark.parametrize("args, needle", [
    (["--train.b1", "1.5"], "--train.b1 1.5 is invalid: must be in [0, 1)"),
    (["--train.b2", "1.0"], "--train.b2 1.0 is invalid: must be in [0, 1)"),
    (["--train.eps", "0"], "--train.eps 0.0 is invalid"),
    (["--model.n-hidden", "0"], "--model.n-hidden 0 is invalid: must be >= 1"),
    (["--grid.density", "0.1", "2"], "--grid.density[1] 2.0 is invalid: must be in (0, 1]"),
    (["--grid.density"], "--grid.density was given no values"),
    (["--grid.density", "--train.steps", "5"], "--grid.density was given no values"),
    (["--train.lr", "nan"], "--train.lr nan is invalid"),
    (["--data.correlation", "correlated", "--grid.relative-density", "0.5", "--grid.focus-feature", "1"],
     "--grid.focus-feature 1 is invalid: must be the first member of its correlated set"),
    (["--model.n-features", "1000000", "--model.n-hidden", "100000"], "GiB of memory to train"),
])
def test_bad_cli_values_are_one_line_exit_2_nothing_written(tmp_path, capsys, args, needle):
    results = tmp_path / "results"
    assert main(["sweep", "intro-tiny", "--results-dir", str(results), *args]) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1 and "Traceback" not in err, err
    assert not results.exists()  # refused before anything is written (no config.json left behind)


def test_memory_preflight_message_has_estimate_and_budget(tmp_path):
    cfg = SweepConfig(model=ModelConfig(n_features=1_000_000, n_hidden=100_000), results_dir=str(tmp_path / "r"))
    with pytest.raises(sweep.MemoryPreflightError) as e:
        sweep.run_sweep(cfg)
    msg = str(e.value)
    k = sweep.plan_intervals(cfg.train.steps, cfg.train.n_snapshots).lo_CxK.shape[1]
    need = sweep.model_footprint_bytes(sweep.RunSpec(cfg.model, cfg.data, cfg.train), k)
    assert f"needs ~{sweep._gib(need)}" in msg and f"is {sweep._gib(sweep.device_memory_bytes())}" in msg
    assert not (tmp_path / "r").exists()


def test_sigint_exits_130_with_one_line_at_any_moment():
    """The program's SIGINT handler ends the process at once (exit 130, one line), so an interrupt
    that JAX would swallow or turn into a SIGSEGV during teardown cannot happen."""
    script = textwrap.dedent("""
        import sys, time
        from toymodels import cli
        cli.COMMANDS["wait"] = lambda argv: (print("ready", flush=True), time.sleep(60))
        sys.argv = ["toymodels", "wait"]
        sys.exit(cli.main())
    """)
    p = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert p.stdout.readline().strip() == "ready"
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 130
    assert err.strip() == "interrupted: finished chunks are saved; run the same command again to resume"


# ----------------------------------------------------------------------------- config properties

_BAD_FLOATS = st.sampled_from([math.nan, math.inf, -math.inf, -1.0, 0.0, 1.0, 1.5, 1e300, -1e-9])
_ANY_INT = st.one_of(st.integers(-5, 5), st.sampled_from([0.5, math.nan, "3", None, True]))

_FIELDS = [("train", "b1"), ("train", "b2"), ("train", "eps"), ("train", "lr"), ("train", "weight_decay"),
           ("data", "density"), ("data", "importance_decay"), ("data", "importance_range"),
           ("model", "n_features"), ("model", "n_hidden"), ("train", "steps"), ("train", "batch_size"),
           ("train", "warmup_steps"), ("train", "n_snapshots"), ("train", "eval_samples"), ("grid", "n_seeds"),
           ("grid", "seed"), ("grid", "focus_feature"), ("data", "set_size"), ("data", "dataset_size")]


@FAST
@given(field=st.sampled_from(_FIELDS), value=st.one_of(_BAD_FLOATS, _ANY_INT))
def test_validate_accepts_or_names_the_field(field, value):
    """Any value in any field: validate passes, or raises ConfigError naming exactly that field
    (never a TypeError from deep inside, never a silent pass of NaN)."""
    section, name = field
    cfg = SweepConfig()
    cfg = dataclasses.replace(cfg, **{section: dataclasses.replace(getattr(cfg, section), **{name: value})})
    try:
        validate(cfg)
    except ConfigError as e:
        assert e.field == f"{section}.{name}", (e.field, value)
        assert e.cli_message().startswith("--" + f"{section}.{name}".replace("_", "-"))
        return
    assert not (isinstance(value, float) and not math.isfinite(value))  # NaN/Inf never pass
    assert not isinstance(value, (str, type(None), bool))


@FAST
@given(axis=st.sampled_from(["density", "importance_decay", "relative_importance", "relative_density"]),
       values=st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.just(0.0)), min_size=1, max_size=3))
def test_grid_axes_finite_or_named(axis, values):
    cfg = SweepConfig(grid=GridConfig(**{axis: tuple(values)}))
    try:
        validate(cfg)
    except ConfigError as e:
        assert e.field.startswith(f"grid.{axis}[")
        return
    assert all(math.isfinite(v) and v >= 0 for v in values)
    try:
        bp = sweep.plan_buckets(cfg)[0]
    except ConfigError as e:  # an importance that overflows float32
        assert e.field == f"grid.{axis}" and axis in ("importance_decay", "relative_importance")
        return
    assert np.isfinite(bp.density_CxF).all() and np.isfinite(bp.importance_CxF).all()
    assert (bp.density_CxF <= 1).all() and (bp.density_CxF > 0).all()


def test_correlated_relative_density_first_member_is_honoured_and_others_rejected():
    base = SweepConfig(model=ModelConfig(n_features=5, n_hidden=2),
                       data=DataConfig(correlation="correlated", set_size=2))
    for focus in (0, 2, 4, -1):  # first members of sets (0, 2) and the free feature (4 = -1)
        validate(dataclasses.replace(base, grid=GridConfig(relative_density=(0.5,), focus_feature=focus)))
    for focus in (1, 3, -2):
        with pytest.raises(ConfigError, match="first member"):
            validate(dataclasses.replace(base, grid=GridConfig(relative_density=(0.5,), focus_feature=focus)))
    # the honoured case: the whole set fires with the first member's density
    import jax
    import jax.numpy as jnp

    from toymodels.data import sample_batch
    cfg = dataclasses.replace(base, grid=GridConfig(relative_density=(0.1,), focus_feature=0), data=base.data)
    bp = sweep.plan_buckets(cfg)[0]
    x = np.asarray(sample_batch(jax.random.key(0), jnp.asarray(bp.density_CxF[0]), cfg.data, 4000))
    active = (x > 0).mean(0)
    np.testing.assert_allclose(active[:2], 0.1, atol=0.02)  # both members at the first member's density
    np.testing.assert_allclose(active[2:], 1.0, atol=0.01)


# ----------------------------------------------------------------------------- analysis on diverged models


def test_diverged_weights_never_read_as_a_clean_answer():
    from toymodels.analysis import measures as M
    W = np.zeros((2, 5), np.float32)
    W[0, 0] = W[1, 1] = 1.0
    W[0, 3] = np.nan
    out = analysis.analyze_grid(W[None], np.zeros((1, 5), np.float32), "relu")
    assert (out["status_F"] == analysis.NONFINITE).all()  # not NOT_REPRESENTED for any feature
    assert out["n_represented"][0] == -1 and not out["finite"][0]
    assert np.isnan(out["D_F"]).all() and np.isnan(out["D_star"][0])  # never D = 0 / D* = 0
    assert out["status_counts_4"].sum() == 0
    for bad in (np.inf, -np.inf):
        W[0, 3] = bad
        m = M.model_measures(W)
        assert (np.asarray(m["status_F"]) == M.NONFINITE).all() and int(m["n_represented"]) == -1
        assert np.isnan(m["D_F"]).all() and np.isnan(m["D_star"])  # an Inf gave D* = 0 before
    status_H = np.asarray(M.neuron_status(W))
    assert status_H[0] == M.NEURON_NONFINITE and status_H[1] == M.NEURON_MONOSEMANTIC  # not polysemantic
    assert np.asarray(M.neuron_counts(status_H)).tolist() == [0, 1, 0]
    with pytest.raises(ValueError, match="non-finite"):
        analysis.geometry_summary(W)
    ok = M.model_measures(np.eye(2, 5, dtype=np.float32))  # a finite model is unaffected
    assert bool(ok["finite"]) and int(ok["n_represented"]) == 2 and float(ok["D_F"][0]) == 1.0


@FAST
@given(st.lists(st.lists(st.sampled_from([0.1, 0.2, 0.3, math.nan, math.inf]), min_size=3, max_size=3),
                min_size=1, max_size=4))
def test_best_of_seeds_never_selects_a_diverged_seed(loss_rows):
    loss = np.array(loss_rows)
    values = np.arange(loss.size, dtype=np.float64).reshape(loss.shape)
    best = selection.best_of_seeds(values, loss)
    for c, row in enumerate(loss):
        if not np.isfinite(row).any():
            assert np.isnan(best[c])  # every seed diverged: NaN, not seed 0
        else:
            s = int(values[c].tolist().index(best[c]))
            assert np.isfinite(row[s]) and row[s] == np.nanmin(np.where(np.isfinite(row), row, np.nan))
    if not np.isfinite(loss).any(axis=1).all():
        with pytest.raises(ValueError, match="every seed diverged"):
            selection.best_seed_index(loss)
    mean = selection.mean_drop_worst(values, loss)
    assert np.all(np.isnan(mean) == ~np.isfinite(loss).any(axis=1))


def test_best_of_seeds_integer_values_all_diverged_become_nan():
    out = selection.best_of_seeds(np.array([[1, 2], [3, 4]]), np.array([[np.nan, np.inf], [0.2, 0.1]]))
    assert np.isnan(out[0]) and out[1] == 4


# ----------------------------------------------------------------------------- SAE metric inputs


def _sae_inputs(rng, L=6, G=4, D=3, B=16):
    gt = rng.normal(size=(G, D))
    dec = np.concatenate([gt, rng.normal(size=(L - G, D))])
    codes = np.maximum(rng.normal(size=(B, G)), 0)
    acts = np.concatenate([codes, np.zeros((B, L - G))], axis=1)
    return dict(dec_LxD=dec, gt_GxD=gt, codes_BxG=codes, acts_BxL=acts, x_BxD=codes @ gt)


@FAST
@given(arg=st.sampled_from(["dec_LxD", "gt_GxD", "codes_BxG", "acts_BxL", "x_BxD"]),
       bad=st.sampled_from([np.nan, np.inf, -np.inf]), pos=st.integers(0, 10_000))
def test_metrics_name_a_non_finite_argument(arg, bad, pos):
    kw = _sae_inputs(np.random.default_rng(0))
    a = kw[arg].copy()
    a.flat[pos % a.size] = bad
    kw[arg] = a
    with pytest.raises(SM.MetricInputError, match=f"^{arg} holds 1 non-finite entries"):
        SM.score_dictionary(**kw)


@pytest.mark.parametrize("arg, value, needle", [
    ("dec_LxD", np.zeros((0, 3)), "need at least one latent"),
    ("gt_GxD", np.zeros((0, 3)), "need at least one latent"),
    ("dec_LxD", np.array([["a", "b", "c"]]), "dec_LxD has dtype <U1"),
    ("gt_GxD", np.ones((4, 3)) * 1j, "gt_GxD has dtype complex128"),
    ("acts_BxL", np.ones((16, 6), dtype=object), "acts_BxL has dtype object"),
    ("codes_BxG", np.ones((16, 5)), "codes_BxG has shape (16, 5)"),
    ("dec_LxD", np.ones((6, 3, 1)), "must be 2-D"),
])
def test_metrics_bad_shapes_and_dtypes_are_one_line(arg, value, needle):
    kw = _sae_inputs(np.random.default_rng(1))
    kw[arg] = value
    with pytest.raises(ValueError) as e:
        SM.score_dictionary(**kw)
    assert needle in str(e.value) and "\n" not in str(e.value)


def test_metrics_conventions_zero_decoder_rows_and_dead_latents_are_counted():
    rng = np.random.default_rng(2)
    kw = _sae_inputs(rng)
    kw["dec_LxD"][5] = 0.0  # a latent with no direction: cosine 0 with everything, counted
    r = SM.score_dictionary(**kw)
    assert r["zero_decoder_rows"] == 1
    assert r["max_cos_L"][5] == 0.0 and r["mmcs_recall"] == pytest.approx(1.0)
    assert r["dead_latents"] == 2 and r["dead_fraction"] == pytest.approx(2 / 6)  # latents 4, 5 never fire
    np.testing.assert_array_equal(r["f1_L"][4:], 0.0)
    assert r["f1_alive"] == pytest.approx(r["f1_L"][:4].mean())  # dead latents left out, as documented
    kw["gt_GxD"] = kw["gt_GxD"].copy()
    kw["gt_GxD"][2] = 0.0
    with pytest.raises(SM.MetricInputError, match="gt_GxD row 2 has norm 0"):
        SM.score_dictionary(**{k: v for k, v in kw.items() if k in ("dec_LxD", "gt_GxD")})
    r = SM.score_dictionary(kw["dec_LxD"], kw["gt_GxD"], gt_mask_G=np.array([1, 1, 0, 1], bool))
    assert r["n_gt_excluded"] == 1  # the zero feature left out explicitly is fine


@pytest.mark.parametrize("kw, needle", [({"dense_threshold": 1.5}, "dense_threshold"),
                                        ({"thresholds": (0.9, 2.0)}, "thresholds"),
                                        ({"match": "cos"}, "match"),
                                        ({"absorption_min_cos": math.nan}, "absorption_min_cos")])
def test_metric_options_are_checked(kw, needle):
    inputs = _sae_inputs(np.random.default_rng(3))
    with pytest.raises(SM.MetricInputError, match=needle):
        SM.score_dictionary(**inputs, **kw)


# ----------------------------------------------------------------------------- store: faults and corruption


def _tiny(results_dir) -> SweepConfig:
    """4 models in 2 chunks of 2. The model/data/train spec and chunk size are test_train.py's, so
    in a full pytest run the compiled chunk functions are shared (no extra compilation)."""
    return SweepConfig(name="fault", model=ModelConfig(n_features=6, n_hidden=2), data=DataConfig(importance_decay=0.9),
                       train=TrainConfig(steps=120, batch_size=64, n_snapshots=6, eval_samples=256),
                       grid=GridConfig(density=(1.0, 0.3), n_seeds=2), results_dir=str(results_dir),
                       chunk_size=2, progress=False)


def _files(rdir: Path) -> dict[str, bytes]:
    return {p.relative_to(rdir).as_posix(): p.read_bytes() for p in sorted(rdir.rglob("*")) if p.is_file()}


def _assert_same_run(rdir: Path, ref: dict[str, bytes]) -> None:
    got = _files(rdir)
    assert sorted(got) == sorted(ref)  # nothing left behind: no .tmp, no chunks/
    for name in ref:
        if name == "config.json":  # results_dir differs (not part of the run's hash)
            a, b = (store.json.loads(x) for x in (got[name], ref[name]))
            assert {**a, "results_dir": ""} == {**b, "results_dir": ""}
        elif name != "meta.json":  # wall times differ; its checksums must verify instead
            assert got[name] == ref[name], name
    store.verify(rdir, store.read_json(rdir / "meta.json"))
    store.Run(rdir)


class _Killed(BaseException):
    """What SIGKILL does to a write, in-process: the temporary stays, nothing is renamed."""


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    res = sweep.run_sweep(_tiny(tmp_path_factory.mktemp("ref")))
    return _files(res.run_dir)


def test_kill_at_every_write_then_resume_is_bit_identical(tmp_path, monkeypatch, reference):
    """Kill the sweep inside each atomic write in turn (a partial temporary file on disk, no
    rename), resume, and compare every file bit for bit with an uninterrupted run."""
    n_writes = len(reference) + 1  # config, 2 chunks, params, history, grid, metrics, meta
    real = store.atomic_write
    for k in range(n_writes):
        calls = {"n": 0}

        def dying_write(path, write, k=k):
            if calls["n"] == k:
                import tempfile
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=Path(path).parent, prefix=f".{Path(path).name}.", suffix=".tmp")
                os.write(fd, b"PK\x03\x04 half an archive")
                os.close(fd)
                raise _Killed(path)
            calls["n"] += 1
            return real(path, write)

        d = tmp_path / f"k{k}"
        Path(d).mkdir()
        monkeypatch.setattr(store, "atomic_write", dying_write)
        with pytest.raises(_Killed):
            sweep.run_sweep(_tiny(d))
        monkeypatch.setattr(store, "atomic_write", real)
        res = sweep.run_sweep(_tiny(d))
        _assert_same_run(res.run_dir, reference)
        meta = store.read_json(res.run_dir / "meta.json")
        assert meta["trained_models"] == meta["n_models"] == 4  # the whole run's cost, not this session's


def test_kill_after_meta_before_cleanup_is_cleaned_on_the_next_run(tmp_path, monkeypatch, reference):
    monkeypatch.setattr(store, "remove_chunks", lambda rdir: (_ for _ in ()).throw(_Killed()))
    with pytest.raises(_Killed):
        sweep.run_sweep(_tiny(tmp_path))
    monkeypatch.undo()
    rdir = store.run_dir(_tiny(tmp_path))
    assert (rdir / "chunks").exists()
    assert sweep.run_sweep(_tiny(tmp_path)).trained_models == 0
    _assert_same_run(rdir, reference)


def fake_train_chunk(spec, hp, plan, progress=None, block=None):
    """A stand-in for sweep.train_chunk (no compilation): arrays that are a fixed function of each
    model's density, with train_chunk's keys and shapes. The subprocess kill test is about the
    store, not training, and must not pay a second compilation."""
    d = np.asarray(hp.density_F, np.float32)  # [I, F]
    n, (I, F), T = spec.model.n_hidden, d.shape, len(plan.steps_T)
    W = np.broadcast_to(d[:, None, :], (I, n, F)).copy()
    return {"p:W_HxF": W, "p:b_F": -d, "s:W_HxF": np.repeat(W[:, None], T, axis=1),
            "s:b_F": np.repeat(-d[:, None], T, axis=1), "loss_T": np.tile(d[:, :1], (1, T)),
            "eval_loss": d[:, 0].copy(), "eval_loss_se": 0.1 * d[:, 0], "dataset_loss": np.full(I, np.nan, np.float32)}


def test_sigkill_while_writing_a_chunk_then_resume(tmp_path, monkeypatch):
    """The issue's exact failure: a real SIGKILL while the second chunk file is written left a
    temporary in chunks/ and the next run died with 'Directory not empty'."""
    monkeypatch.setattr(sweep, "train_chunk", fake_train_chunk)
    ref = _files(sweep.run_sweep(_tiny(tmp_path / "ref")).run_dir)
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(ROOT)!r}); sys.path.insert(0, {str(Path(__file__).parent)!r})
        import numpy as np
        from toymodels import sweep
        from test_reliability import _tiny, fake_train_chunk
        sweep.train_chunk = fake_train_chunk
        real_savez, n = np.savez, [0]
        def savez(f, **arrays):
            n[0] += 1
            if n[0] == 2:  # the second chunk: half written, then killed
                f.write(b"PK\\x03\\x04 partial"); f.flush()
                os.kill(os.getpid(), signal.SIGKILL)
            real_savez(f, **arrays)
        np.savez = savez
        sweep.run_sweep(_tiny({str(tmp_path / "run")!r}))
    """)
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert p.returncode == -signal.SIGKILL, p.stderr[-2000:]
    rdir = store.run_dir(_tiny(tmp_path / "run"))
    assert [q.name for q in (rdir / "chunks").iterdir() if q.name.endswith(".tmp")]  # the kill's leftover
    res = sweep.run_sweep(_tiny(tmp_path / "run"))
    assert res.trained_models == 2  # the first chunk was reused, the killed one trained again
    _assert_same_run(res.run_dir, ref)


def test_a_damaged_chunk_is_retrained_not_read(tmp_path, reference):
    sweep.run_sweep(_tiny(tmp_path), max_chunks=1)
    rdir = store.run_dir(_tiny(tmp_path))
    (chunk,) = list((rdir / "chunks").glob("*.npz"))
    chunk.write_bytes(chunk.read_bytes()[:50])  # e.g. a full disk
    res = sweep.run_sweep(_tiny(tmp_path))
    assert res.trained_models == 4
    _assert_same_run(res.run_dir, reference)


@pytest.mark.parametrize("name", ["params-b0.npz", "history-b0.npz", "config.json", "grid.json", "metrics.csv",
                                  "meta.json"])
def test_show_and_analyze_name_a_corrupt_file(tmp_path, capsys, reference, name):
    rdir = tmp_path / "run"
    rdir.mkdir()
    for n, data in reference.items():
        (rdir / n).write_bytes(data)
    (rdir / name).write_bytes(reference[name][: len(reference[name]) // 2])
    for cmd in ("show", "analyze"):
        assert main([cmd, str(rdir)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err
        assert (name in err) or (name == "meta.json" and "not a finished sweep" in err), err


def test_legacy_run_without_checksums_still_names_an_unloadable_file(tmp_path, reference):
    rdir = tmp_path / "run"
    rdir.mkdir()
    for n, data in reference.items():
        (rdir / n).write_bytes(data)
    meta = store.read_json(rdir / "meta.json")
    del meta["sha256"]
    store.write_json(rdir / "meta.json", meta)
    (rdir / "params-b0.npz").write_bytes(b"not a zip")
    with pytest.raises(store.StoreError, match="params-b0.npz does not load"):
        store.Run(rdir)
    (rdir / "grid.json").write_text("{broken")
    with pytest.raises(store.StoreError, match="grid.json does not load as JSON"):
        store.Run(rdir)


def test_versions_survive_a_shadowing_namespace_package(tmp_path, monkeypatch):
    """A clone named `toymodels` in the working directory can shadow the package as a namespace
    package without __version__; meta.json must still be written."""
    import types

    import toymodels
    fake = types.ModuleType("toymodels")  # no __version__
    monkeypatch.setitem(sys.modules, "toymodels", fake)
    v = sweep.versions()
    monkeypatch.setitem(sys.modules, "toymodels", toymodels)
    assert v["toymodels"] in ("0.1.0", toymodels.__version__) or v["toymodels"] == "unknown"


def test_stale_chunks_of_another_layout_are_removed_on_resume(tmp_path, monkeypatch):
    monkeypatch.setattr(sweep, "train_chunk", fake_train_chunk)
    sweep.run_sweep(_tiny(tmp_path), max_chunks=1)  # chunks of 2
    rdir = store.run_dir(_tiny(tmp_path))
    assert [p.name for p in (rdir / "chunks").iterdir()] == ["b0-0000000-0000002.npz"]
    four = dataclasses.replace(_tiny(tmp_path), chunk_size=4)  # same run directory (not in the hash)
    sweep.run_sweep(four, max_chunks=0)
    assert list((rdir / "chunks").iterdir()) == []  # the old layout's chunk is gone, not mixed in
    assert sweep.run_sweep(four).trained_models == 4
    assert not (rdir / "chunks").exists() and not list(rdir.glob(".*.tmp"))


def test_metrics_csv_marks_a_diverged_model_instead_of_zero_represented():
    cols = sweep.cell_metrics(ModelConfig(n_features=3, n_hidden=2),
                              {"W_HxF": np.array([np.eye(2, 3), np.full((2, 3), np.nan)])},
                              np.array([0.1, np.nan]), np.array([0.01, np.nan]), np.array([np.nan, np.nan]))
    assert cols["n_represented"].tolist() == [2, -1] and cols["finite"].tolist() == [1, 0]
    assert cols["dims_per_feature"][0] == 1.0 and np.isnan(cols["dims_per_feature"][1])


@pytest.mark.parametrize("kw, needle", [({"W": np.ones(3)}, "W has shape (3,)"),
                                        ({"W": np.ones((2, 3)), "b": np.ones(4)}, "b has shape (4,)"),
                                        ({"W": np.ones((2, 3)).astype(complex)}, "dtype complex")])
def test_analyze_grid_names_a_wrong_shape(kw, needle):
    with pytest.raises(ValueError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        analysis.analyze_grid(**kw)
