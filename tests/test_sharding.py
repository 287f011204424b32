"""Scale (issue 6): sharded sweeps equal unsharded ones cell for cell, chunks fit a memory budget,
an out-of-memory chunk is a one-line error, and several processes train one sweep with only
process 0 writing.

Several devices need their own process (the device count is fixed when JAX starts), so the
sharded and multi-process runs are subprocesses; the unsharded reference runs in this process
(one CPU device)."""

import dataclasses
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
import pytest

from toymodels import sweep
from toymodels.cli import main
from toymodels.config import (DataConfig, DistributedConfig, GridConfig, ModelConfig, SweepConfig, TrainConfig,
                              config_hash)
from toymodels.store import Run
from toymodels.train import RunSpec

ROOT = Path(__file__).resolve().parents[1]

# 3 densities x 5 seeds = 15 models: not a multiple of 4 devices (padded to 16 = 4 devices x 2 blocks of 2)
SHARD_CFG = """SweepConfig(name="shard", model=ModelConfig(n_features=6, n_hidden=2),
    data=DataConfig(importance_decay=0.9), train=TrainConfig(steps=80, batch_size=64, n_snapshots=4, eval_samples=256),
    grid=GridConfig(density=(1.0, 0.3, 0.05), n_seeds=5), progress=False, block_size=2)"""


def _shard_cfg(results_dir) -> SweepConfig:
    return dataclasses.replace(eval(SHARD_CFG), results_dir=str(results_dir))


def _run_python(code: str, env_extra: dict, timeout=240) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **env_extra}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=timeout, cwd=ROOT)


def _assert_same_results(a: Run, b: Run, atol: float) -> float:
    """Every saved array of every cell agrees; returns the largest difference seen."""
    worst = 0.0
    for ba, bb in zip(a.buckets, b.buckets):
        for name in ba.params:
            np.testing.assert_allclose(ba.params[name], bb.params[name], rtol=0, atol=atol, err_msg=name)
            worst = max(worst, float(np.abs(ba.params[name] - bb.params[name]).max()))
        for name in ba.history:
            np.testing.assert_allclose(ba.history[name], bb.history[name], rtol=0, atol=atol, err_msg=name)
        np.testing.assert_allclose(ba.metrics["eval_loss"], bb.metrics["eval_loss"], rtol=0, atol=atol)
    return worst


def test_sharded_sweep_equals_the_unsharded_one_cell_for_cell(tmp_path):
    """4 forced host devices, 15 models (padded to 16), blocks of 2 per device, versus one device.

    Tolerance 1e-6 (absolute, weights of order 1): each device runs the same per-model program on
    its own slice, so only the batched-kernel shapes differ; on this CPU the results come out
    bit-identical (max difference 0.0), and 1e-6 is the grid-cell-vs-alone tolerance of
    test_train, which already allows different batching to round differently."""
    code = f"""
import dataclasses, json, jax, numpy as np
from toymodels import sweep
from toymodels.config import *
from toymodels.train import RunSpec, make_chunk_fns, plan_intervals
cfg = dataclasses.replace({SHARD_CFG}, results_dir={str(tmp_path / "sharded")!r})
(bp,) = sweep.plan_buckets(cfg)
spec = RunSpec(bp.model, cfg.data, cfg.train)
plan = plan_intervals(cfg.train.steps, cfg.train.n_snapshots)
size, block = sweep.chunk_layout(cfg, spec, bp.n_cells, plan.lo_CxK.shape[1])
mesh = sweep.sweep_mesh(size)
hp = sweep._place(sweep._hyper(bp, slice(0, bp.n_cells), size), mesh)
init, adv, fin = make_chunk_fns(spec, block, mesh)
W = init(hp).params["W_HxF"]
shards = sorted((s.device.id, s.data.shape[0]) for s in W.addressable_shards)
res = sweep.run_sweep(cfg)
print(json.dumps({{"devices": jax.device_count(), "size": size, "block": block, "shards": shards,
                  "run_dir": str(res.run_dir), "trained": res.trained_models}}))
"""
    proc = _run_python(code, {"XLA_FLAGS": "--xla_force_host_platform_device_count=4"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    assert info["devices"] == 4 and info["size"] == 16 and info["block"] == 2
    assert info["shards"] == [[0, 4], [1, 4], [2, 4], [3, 4]], "each device must hold its own 4 models"
    assert info["trained"] == 15
    ref = sweep.run_sweep(_shard_cfg(tmp_path / "single"))
    assert jax.device_count() == 1 and ref.run_dir.name == Path(info["run_dir"]).name
    _assert_same_results(Run(info["run_dir"]), Run(ref.run_dir), atol=1e-6)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_processes_train_one_sweep_and_only_process_0_writes(tmp_path):
    """Two local CPU processes x 2 devices joined by jax.distributed (gloo collectives), through
    the CLI flags; process 1 is given its own results dir, which must stay empty."""
    port = _free_port()
    procs = []
    for pid in (0, 1):
        cmd = [sys.executable, "-m", "toymodels", "sweep", "intro-tiny", "--no-progress",
               "--results-dir", str(tmp_path / f"p{pid}"), "--block-size", "2",
               "--distributed.mode", "manual", "--distributed.coordinator-address", f"localhost:{port}",
               "--distributed.num-processes", "2", "--distributed.process-id", str(pid),
               "--distributed.initialization-timeout-s", "60"]
        procs.append(subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                      env={**os.environ, "PYTHONPATH": str(ROOT), "JAX_NUM_CPU_DEVICES": "2"}))
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (_, err) in zip(procs, outs):
        assert p.returncode == 0, err[-3000:]
    assert not (tmp_path / "p1").exists(), "process 1 must not write"
    (rdir,) = [d for d in (tmp_path / "p0").iterdir() if d.is_dir()]
    meta = json.loads((rdir / "meta.json").read_text())
    assert meta["process_count"] == 2 and len(meta["devices"]) == 4
    from experiments import all_presets
    ref = sweep.run_sweep(dataclasses.replace(all_presets()["intro-tiny"].config, results_dir=str(tmp_path / "ref"),
                                              progress=False))
    assert ref.run_dir.name == rdir.name
    _assert_same_results(Run(rdir), Run(ref.run_dir), atol=1e-6)


def test_only_process_0_touches_the_store(tmp_path, monkeypatch):
    """Unit level: a process whose index is not 0 trains (through the CLI) but writes nothing: no
    config, chunks, results or figures."""
    monkeypatch.setattr(jax, "process_index", lambda: 1)
    assert main(["sweep", "intro-tiny", "--results-dir", str(tmp_path / "cli"), "--no-progress",
                 "--train.steps", "5", "--train.eval-samples", "64"]) == 0
    assert not (tmp_path / "cli").exists()


def test_distributed_and_layout_fields_do_not_change_the_run_hash():
    base = SweepConfig()
    other = dataclasses.replace(base, block_size=7, chunk_size=3, distributed=DistributedConfig(
        mode="manual", coordinator_address="host:1234", num_processes=4, process_id=2))
    assert config_hash(base) == config_hash(other)
    assert config_hash(base) != config_hash(dataclasses.replace(base, train=TrainConfig(steps=9)))


@pytest.mark.parametrize("args,field", [
    (["--distributed.mode", "manual", "--distributed.num-processes", "2", "--distributed.process-id", "0"],
     "distributed.coordinator_address"),
    (["--distributed.mode", "manual", "--distributed.coordinator-address", "h:1", "--distributed.process-id", "0"],
     "distributed.num_processes"),
    (["--distributed.mode", "manual", "--distributed.coordinator-address", "h:1", "--distributed.num-processes",
      "2", "--distributed.process-id", "2"], "distributed.process_id"),
    (["--block-size", "-1"], "block_size"),
])
def test_bad_distributed_settings_are_one_line_errors(args, field, tmp_path, capsys):
    assert main(["sweep", "intro-tiny", "--results-dir", str(tmp_path), *args]) == 2
    err = capsys.readouterr().err.strip()
    flag = "--" + field.replace("_", "-")  # named as the user typed it
    assert len(err.splitlines()) == 1 and flag in err
    assert not any(tmp_path.iterdir())


def test_out_of_memory_is_a_one_line_error_with_a_smaller_chunk_size(tmp_path, monkeypatch, capsys):
    def boom(*a, **k):
        raise jax.errors.JaxRuntimeError("RESOURCE_EXHAUSTED: Out of memory while trying to allocate 123456 bytes.\n"
                                         "BufferAssignment stats: ...")

    real = sweep.make_chunk_fns
    monkeypatch.setattr(sweep, "make_chunk_fns", lambda *a: (boom,) + tuple(real(*a))[1:])
    code = main(["sweep", "intro-tiny", "--results-dir", str(tmp_path), "--no-progress", "--chunk-size", "6"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1, err
    assert "chunk of 6 models" in err and "--chunk-size 1" in err and "Out of memory" in err
    assert "Traceback" not in err


def test_other_runtime_errors_are_not_disguised_as_out_of_memory(monkeypatch):
    def boom(*a, **k):
        raise jax.errors.JaxRuntimeError("INTERNAL: something else")

    real = sweep.make_chunk_fns
    monkeypatch.setattr(sweep, "make_chunk_fns", lambda *a: (boom,) + tuple(real(*a))[1:])
    cfg = dataclasses.replace(_shard_cfg("unused"), grid=GridConfig(density=(0.3,)))
    (bp,) = sweep.plan_buckets(cfg)
    with pytest.raises(jax.errors.JaxRuntimeError, match="INTERNAL"):
        sweep.train_chunk(RunSpec(bp.model, cfg.data, cfg.train), sweep._hyper(bp, slice(0, 1), 1),
                          sweep.plan_intervals(10, 0))


def test_oom_suggestion_is_a_quarter_rounded_to_the_device_count():
    e = sweep.ChunkOOMError(1000, 4, "x")
    assert "chunk of 1000 models on 4 device(s)" in str(e) and "--chunk-size 248" in str(e)
    assert "reduce train.batch-size" in str(sweep.ChunkOOMError(4, 4, "x"))


def _spec(**train):
    return RunSpec(ModelConfig(kind="relu", n_features=10, n_hidden=3), DataConfig(),
                   TrainConfig(batch_size=100, **train))


def test_footprint_counts_parameters_optimizer_snapshots_and_the_largest_batch():
    spec = _spec(eval_samples=50)
    p = 10 * 3 + 10
    assert sweep.persistent_bytes(spec, 5) == 4 * (6 * p + 5 * p)
    assert sweep.activation_bytes(spec) == 4 * 100 * (10 * 10 + 4 * 3)
    # full-batch on a dataset smaller than the eval batch: the eval batch is the largest
    fb = RunSpec(spec.model, DataConfig(dataset_size=20), TrainConfig(batch_size=100, full_batch=True, eval_samples=300))
    assert sweep.activation_bytes(fb) == 4 * 100 * (10 * 10 + 4 * 3)
    assert sweep.persistent_bytes(fb, 1) == 4 * (7 * p + 20 * 10)
    assert sweep.model_footprint_bytes(spec, 5) == sweep.persistent_bytes(spec, 5) + sweep.activation_bytes(spec)


def test_chunk_layout_fits_the_budget_and_splits_into_whole_blocks():
    spec = _spec()
    persist, act = sweep.persistent_bytes(spec, 4), sweep.activation_bytes(spec)
    unblocked = 5000  # models that fit when all are vmapped at once
    budget = unblocked * (persist + act)
    cfg = SweepConfig(memory_budget_mb=budget / 2**20, block_size=0)
    size, block = sweep.chunk_layout(cfg, spec, 10**6, 4)
    target = sweep.block_target(spec)  # CPU: cache-sized blocks
    assert target // 2 <= block <= target and size % block == 0
    assert size * persist + block * act <= budget
    assert size > unblocked  # only one block's activations are live at a time
    assert sweep.chunk_layout(dataclasses.replace(cfg, block_size=10**9), spec, 10**6, 4) == (unblocked, 0)
    # an explicit chunk size is honoured; an awkward model count pads to whole blocks
    assert sweep.chunk_layout(dataclasses.replace(cfg, chunk_size=12, block_size=4), spec, 1000, 4) == (12, 4)
    assert sweep.chunk_layout(dataclasses.replace(cfg, chunk_size=10, block_size=4), spec, 1000, 4) == (8, 4)
    assert sweep.chunk_layout(dataclasses.replace(cfg, chunk_size=0, block_size=4), spec, 17, 4) == (20, 4)
    assert sweep.chunk_layout(dataclasses.replace(cfg, block_size=4), spec, 6, 4) == (6, 3)
    assert sweep.chunk_layout(dataclasses.replace(cfg, block_size=4), spec, 3, 4) == (3, 0)
