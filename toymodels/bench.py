"""``toymodels bench``: throughput of the real training path, against the machine's matmul peak
and the PyTorch instances-axis reference (../shared/bench/torch_reference.py).

Suites
  geometry  the notebook's feature-geometry workload (paper section 4; paper_spec 1.3): ReLU-output
            model x' = ReLU(WᵀWx + b), n=200 features, m=20 hidden, 20 models with densities
            20**-linspace(0, 1, 20), uniform importance, batch 1024, AdamW — trained for a fixed
            number of steps through the compiled chunk functions a sweep uses
            (toymodels.sweep.chunk_layout → toymodels.train.make_chunk_fns → the advance loop).
            Prints model-steps/s, training FLOP/s and the fraction of the float32 matmul peak
            measured in the same run, and, when torch is importable, runs the reference on the
            same workload in the same run and prints the ratio.
  scale     model-steps/s versus the number of models (1 … 16,384) for (n, m) = (2, 1), (5, 2),
            (200, 20); the n=2, m=1 phase diagram (40 × 40 cells × 10 seeds × 10,000 steps) end to
            end through ``run_sweep`` (or a stated fraction of its steps); the fraction of peak.

FLOP count (training FLOPs per model-step; matmuls only, multiply and add counted separately):

    forward    h = W x              2·B·n·m
               out = Wᵀ h           2·B·n·m
    backward   dW += δ hᵀ            2·B·n·m      (δ = dL/d(out), through the ReLU)
               dh = W δ             2·B·n·m
               dW += dh xᵀ           2·B·n·m
    total      10·B·n·m per model-step   (B = batch, n = features, m = hidden)

The sampler, the elementwise ops (ReLU, residual, loss, masks) and AdamW are O(B·n) or O(n·m) and
are *not* counted, so the FLOP/s figure is a lower bound on the work done. The same count is used
for the torch reference.

Peak: the best float32 rate of two jitted matmuls timed in the same process — a square
2048×2048 @ 2048×2048 (2·N³ FLOPs) and a batched matmul of the workload's own forward shape
[models, B, n] @ [models, n, m] — so "fraction of peak" is training FLOP/s over the faster one.

Timing: compile and warm-up (the first call of each compiled function, run on empty step
intervals) are timed separately and excluded from throughput; each throughput is the median of
``repeats`` timed runs (the minimum is printed too). The load average before and after each suite
is printed, because a shared machine makes every number noisy.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Literal

import numpy as np

TORCH_REFERENCE_DEFAULT = "../shared/bench/torch_reference.py"


@dataclasses.dataclass(frozen=True)
class BenchConfig:
    """Options of ``toymodels bench``."""

    suite: Literal["geometry", "scale", "phase"] = "geometry"
    """geometry: the notebook's n=200, m=20 workload vs the torch reference; scale: cost vs number
    of models, the phase diagram end to end, fraction of peak; phase: only the phase diagram."""
    steps: int = 400
    """Training steps per timed geometry run."""
    repeats: int = 3
    """Timed runs per measurement; the median is reported (and the minimum)."""
    n_features: int = 200
    n_hidden: int = 20
    n_models: int = 20
    batch_size: int = 1024
    block_size: int = 0
    """Models vmapped together (SweepConfig.block_size; 0 = automatic, >= n_models = one vmap)."""
    torch: bool = True
    """Run the torch reference in the same run when torch is importable."""
    torch_reference: str = TORCH_REFERENCE_DEFAULT
    """Path of torch_reference.py (relative paths are tried against the current directory and the
    repository root)."""
    torch_steps: int = 30
    """Steps of the torch reference run (it is slow: a Python loop over steps)."""
    peak_size: int = 2048
    """N of the square N×N float32 matmul whose rate is one candidate for the peak."""
    peak_min_s: float = 0.3
    """Seconds each peak timing runs for (several matmuls back to back)."""
    scale_counts: tuple[int, ...] = (1, 4, 16, 64, 256, 1024, 4096, 16384)
    """Model counts of the scale suite."""
    scale_shapes: tuple[str, ...] = ("2x1", "5x2", "200x20")
    """(n_features)x(n_hidden) shapes of the scale suite."""
    scale_target_s: float = 2.0
    """Seconds each timed scale run should take: a calibration run of scale_min_steps steps
    estimates the rate, then steps = target × rate / models, within [scale_min_steps, scale_max_steps]."""
    scale_min_steps: int = 20
    scale_max_steps: int = 2000
    scale_max_point_s: float = 30.0
    """Skip (and list as capped) a point whose scale_min_steps run is predicted, from the previous
    count of the same shape, to take longer than this."""
    phase_steps: int = 0
    """Training steps of the phase-diagram run: 10,000 is the full recipe, fewer a run labelled as
    that fraction. 0: 10,000 on a GPU/TPU, 500 (a labelled 5% fraction) on a CPU."""
    phase: bool = True
    """Run the phase diagram in the scale suite."""
    json_out: str = ""
    """Also write every number as JSON to this path."""
    peers: bool = False
    """Run the peer comparison instead of a suite: toymodels beside tms-kit and occhio (when
    importable here or under a --peer-python) on the PEER_WORKLOADS, interleaved rounds, one fresh
    process per side and round, recipe matched; prints ratios of medians and the floor fractions."""
    peer_python: tuple[str, ...] = ()
    """Other interpreters to look for the peers in (e.g. a venv's bin/python with tms-kit/occhio)."""
    peer_workloads: tuple[str, ...] = ("intro-10", "intro-1000", "intro-16000", "geometry")
    """Workloads of --peers: names of PEER_WORKLOADS, or NxMxCOUNT (relu, n=N, m=M, COUNT models:
    10 densities x COUNT/10 seeds when 10 divides COUNT, else COUNT densities; the scaling plots)."""
    plot: tuple[str, ...] = ()
    """Draw the scaling plots from these --peers JSON files (written by --json-out) instead of
    running anything: model-steps/s vs number of models (the n=5, m=2 workloads) and vs n (the
    workloads of one model count), toymodels and each peer on one plot each."""
    plot_out: str = "docs/img"
    """Folder of the --plot PNGs (bench_scaling_models.png, bench_scaling_n.png)."""
    peer_threads: int = 0
    """torch threads of the peers (0: torch's own default, as a user gets it)."""
    peer_rounds: int = 3
    """Interleaved rounds of --peers; each side's rate is the median over rounds."""
    peer_target_s: float = 3.0
    """Seconds each timed run of --peers aims at (steps are calibrated per side and round)."""
    peer_repeats: int = 2
    """Timed runs per side and round (their median is the round's rate)."""


# ----------------------------------------------------------------------------- accounting


def train_flops_per_model_step(batch: int, n_features: int, n_hidden: int) -> int:
    """Matmul FLOPs of one training step of one model (see the module docstring): 10·B·n·m."""
    return 10 * batch * n_features * n_hidden


def machine() -> dict:
    """What the numbers were measured on."""
    import jax

    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            names = [ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "jax": jax.__version__, "backend": jax.default_backend(),
            "devices": [d.device_kind for d in jax.devices()], "python": platform.python_version(),
            "host": platform.node()}


def load_average() -> float:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return float("nan")


def _timed(fn, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def matmul_peak(size: int, batched_shape: tuple[int, int, int, int] | None = None, min_s: float = 0.3,
                repeats: int = 3) -> dict:
    """Float32 FLOP/s of a jitted square matmul (and of a batched one of the workload's shape)."""
    import jax
    import jax.numpy as jnp

    def rate(a, b, flops):
        f = jax.jit(lambda x, y: x @ y)
        f(a, b).block_until_ready()
        t0 = time.perf_counter()
        f(a, b).block_until_ready()
        one = max(time.perf_counter() - t0, 1e-6)
        reps = max(1, int(min_s / one))

        def run():
            for _ in range(reps):
                r = f(a, b)
            r.block_until_ready()
        return flops * reps / min(_timed(run, repeats))

    key = jax.random.key(0)
    a = jax.random.normal(key, (size, size), jnp.float32)
    out = {"square_size": size, "square_flops_per_s": rate(a, a, 2 * size**3)}
    if batched_shape is not None:
        i, b, n, m = batched_shape
        x = jax.random.uniform(key, (i, b, n), jnp.float32)
        w = jax.random.normal(key, (i, n, m), jnp.float32)
        out["batched_shape"] = list(batched_shape)
        out["batched_flops_per_s"] = rate(x, w, 2 * i * b * n * m)
    out["peak_flops_per_s"] = max(v for k, v in out.items() if k.endswith("flops_per_s"))
    return out


def _max_peak(a: dict, b: dict) -> dict:
    """Elementwise max of two peak measurements (on a shared machine the load varies between them;
    the larger peak gives the smaller, i.e. the conservative, fraction)."""
    return {k: max(a[k], b[k]) if k.endswith("flops_per_s") else a[k] for k in a}


# ----------------------------------------------------------------------------- our trainer


def geometry_config(n_features=200, n_hidden=20, n_models=20, batch=1024, steps=400, block_size=0):
    """The notebook's feature-geometry sweep: relu, uniform importance, densities 20**-linspace."""
    from toymodels.config import DataConfig, GridConfig, ModelConfig, SweepConfig, TrainConfig

    densities = tuple(float(v) for v in 20.0 ** -np.linspace(0.0, 1.0, n_models))
    return SweepConfig(
        name="bench-geometry",
        model=ModelConfig(kind="relu", n_features=n_features, n_hidden=n_hidden, init_fan_instances=20),
        data=DataConfig(importance_decay=1.0),
        train=TrainConfig(steps=steps, batch_size=batch, n_snapshots=0),
        grid=GridConfig(density=densities), progress=False, block_size=block_size)


def time_training(cfg, steps: int, repeats: int) -> dict:
    """Train cfg's single bucket for ``steps`` steps through the sweep's compiled chunk functions.

    Returns compile_s (first calls, on empty intervals: compiles init and advance without training),
    the timed runs' wall seconds, and the chunk layout used. Each timed run starts from a fresh
    init and runs exactly the interval calls a sweep of ``steps`` steps makes."""
    import jax
    import jax.numpy as jnp

    from toymodels import sweep
    from toymodels.train import RunSpec, make_chunk_fns, plan_intervals

    (bp,) = sweep.plan_buckets(cfg)
    spec = RunSpec(bp.model, cfg.data, cfg.train)
    plan = plan_intervals(steps, 0)
    size, block = sweep.chunk_layout(cfg, spec, bp.n_cells, plan.lo_CxK.shape[1])
    if size < bp.n_cells:
        raise ValueError(f"{bp.n_cells} models do not fit one chunk (chunk size {size}); lower n_models")
    mesh = sweep.sweep_mesh(size)
    hp = sweep._place(sweep._hyper(bp, slice(0, bp.n_cells), size), mesh)
    init, adv, fin = make_chunk_fns(spec, block, mesh)
    empty = jnp.full(plan.lo_CxK.shape[1], 0, jnp.int32)
    no_log = jnp.zeros(plan.lo_CxK.shape[1], bool)

    t0 = time.perf_counter()
    state = init(hp)
    state, _, loss = adv(state, hp, empty, empty, no_log)
    jax.block_until_ready(loss)
    compile_s = time.perf_counter() - t0

    lo = [jnp.asarray(v) for v in plan.lo_CxK]
    hi = [jnp.asarray(v) for v in plan.hi_CxK]
    finals = []

    def run():
        st = init(hp)
        for a, b in zip(lo, hi):
            st, _, _ = adv(st, hp, a, b, no_log)
        jax.block_until_ready(st.params)
        finals[:] = [st]

    walls = _timed(run, repeats)
    # outside the timed runs: the last run's final weights scored on the shared evaluation sample
    final_loss = np.asarray(fin(finals[-1], hp)[0])[: bp.n_cells]
    return {"models": bp.n_cells, "padded_models": size, "block": block,
            "devices": 1 if mesh is None else mesh.size, "steps": steps, "compile_s": compile_s,
            "wall_s": walls, "final_loss": final_loss.tolist()}


def _rates(result: dict, flops_per_model_step: int, peak: float) -> dict:
    walls = result["wall_s"]
    med, best = statistics.median(walls), min(walls)
    ms = result["models"] * result["steps"]
    return {"model_steps_per_s": ms / med, "model_steps_per_s_best": ms / best,
            "flops_per_s": ms * flops_per_model_step / med,
            "peak_fraction": ms * flops_per_model_step / med / peak}


# ----------------------------------------------------------------------------- torch reference


def find_torch_reference(path: str) -> Path | None:
    """``path`` as given, else relative to the current directory, the repository root or one of
    its parents (a worktree may sit one level deeper than the checkout the default assumes)."""
    p = Path(path)
    if p.is_absolute():
        return p if p.is_file() else None
    root = Path(__file__).resolve().parents[1]
    candidates = [Path.cwd() / p, root / p] + [d / p for d in root.parents]
    return next((c.resolve() for c in candidates if c.is_file()), None)


def run_torch_reference(path: Path, n_features, n_hidden, n_models, batch, steps) -> dict:
    """Run torch_reference.py in a subprocess (its own interpreter state and thread pool) on the
    same workload and return its JSON line."""
    cmd = [sys.executable, str(path), "--features", str(n_features), "--hidden", str(n_hidden),
           "--instances", str(n_models), "--batch", str(batch), "--steps", str(steps)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"torch reference failed: {proc.stderr.strip().splitlines()[-1:]}")
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")][-1]
    out = json.loads(line)
    out["command"] = " ".join(cmd[1:])
    return out


# ----------------------------------------------------------------------------- formatting


def _table(header: list[str], rows: list[list]) -> str:
    """A Markdown pipe table (pastes into docs/benchmarks.md as printed)."""
    def fmt(v):
        if isinstance(v, float):
            if not math.isfinite(v):
                return "—"
            return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"
        return str(v)
    cells = [[fmt(v) for v in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(header)]
    line = lambda r: "| " + " | ".join(c.rjust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [line(r) for r in cells])


def _header(title: str, info: dict) -> str:
    m = info["machine"]
    return (f"## {title}\n\nmachine: {m['cpu']}, {m['cores']} cores, jax {m['jax']} ({m['backend']}: "
            f"{', '.join(sorted(set(m['devices'])))} x{len(m['devices'])}), python {m['python']}\n"
            f"date: {info['date']}   load average (1 min) before: {info['load_before']}")


# ----------------------------------------------------------------------------- suites


def suite_geometry(bc: BenchConfig) -> dict:
    info = {"machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "load_before": load_average(), "config": dataclasses.asdict(bc)}
    print(_header("geometry workload", info))
    b, n, m, k = bc.batch_size, bc.n_features, bc.n_hidden, bc.n_models
    print(f"workload: relu n={n} m={m}, {k} models (densities 20**-linspace(0,1,{k})), batch {b}, uniform "
          f"importance, AdamW; {bc.steps} steps x {bc.repeats} timed runs (median; min in brackets)\n"
          f"FLOPs per model-step = 10*B*n*m = {train_flops_per_model_step(b, n, m):,}", flush=True)
    peak = matmul_peak(bc.peak_size, (k, b, n, m), bc.peak_min_s, bc.repeats)
    flops = train_flops_per_model_step(b, n, m)
    ours = time_training(geometry_config(n, m, k, b, bc.steps, bc.block_size), bc.steps, bc.repeats)
    peak = _max_peak(peak, matmul_peak(bc.peak_size, (k, b, n, m), bc.peak_min_s, bc.repeats))  # before and after: the higher
    info["peak"] = peak
    ours.update(_rates(ours, flops, peak["peak_flops_per_s"]))
    info["toymodels"] = ours
    rows = [["toymodels (jax)", ours["steps"], f"{ours['model_steps_per_s']:,.0f} [{ours['model_steps_per_s_best']:,.0f}]",
             ours["flops_per_s"] / 1e9, f"{100 * ours['peak_fraction']:.1f}%", ours["compile_s"]]]
    ref = None
    if bc.torch:
        path = find_torch_reference(bc.torch_reference)
        if importlib.util.find_spec("torch") is None:
            info["torch_skipped"] = "torch is not importable (pip install torch, or the bench extra)"
        elif path is None:
            info["torch_skipped"] = f"{bc.torch_reference} not found (set --torch-reference)"
        else:
            ref = run_torch_reference(path, n, m, k, b, bc.torch_steps)
            ref["flops_per_s"] = ref["model_steps_per_s"] * flops
            ref["peak_fraction"] = ref["flops_per_s"] / peak["peak_flops_per_s"]
            info["torch_reference"] = ref
            rows.append([f"torch {ref['torch']} reference ({ref['threads']} threads)", ref["steps"],
                         f"{ref['model_steps_per_s']:,.1f}", ref["flops_per_s"] / 1e9,
                         f"{100 * ref['peak_fraction']:.1f}%", "—"])
    info["load_after"] = load_average()
    print()
    print(_table(["trainer", "steps", "model-steps/s", "train GFLOP/s", "of peak", "compile+warm-up s"], rows))
    print(f"\nfloat32 matmul peak (this run): {peak['peak_flops_per_s'] / 1e9:.1f} GFLOP/s  "
          f"[{peak['square_size']}^2 square: {peak['square_flops_per_s'] / 1e9:.1f}; "
          f"workload-shaped {tuple(peak['batched_shape'])}: {peak['batched_flops_per_s'] / 1e9:.1f}]")
    print(f"chunk layout: {ours['padded_models']} models per call, block {ours['block'] or 'none (one vmap)'}, "
          f"{ours['devices']} device(s)")
    if ref is not None:
        info["ratio"] = ours["model_steps_per_s"] / ref["model_steps_per_s"]
        print(f"speed-up over the torch reference: {info['ratio']:.1f}x model-steps/s  (target >= 10x)")
    else:
        print(f"torch reference skipped: {info.get('torch_skipped', 'disabled (--no-torch)')}")
    print(f"fraction of matmul peak: {100 * ours['peak_fraction']:.1f}%  (target >= 50%)")
    print(f"load average (1 min) after: {info['load_after']}")
    return info


def _scale_points(bc: BenchConfig):
    for shape in bc.scale_shapes:
        n, m = (int(v) for v in shape.lower().split("x"))
        for count in bc.scale_counts:
            yield n, m, count


def suite_scale(bc: BenchConfig) -> dict:
    info = {"machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "load_before": load_average(), "config": dataclasses.asdict(bc), "points": []}
    print(_header("scale: model-steps/s vs number of models", info))
    b = bc.batch_size
    print(f"relu models, batch {b}, uniform importance, densities 20**-linspace(0,1,models); each point: a "
          f"calibration run of {bc.scale_min_steps} steps, then steps = {bc.scale_target_s:g} s x rate / models within "
          f"[{bc.scale_min_steps}, {bc.scale_max_steps}], median of {bc.repeats} timed runs", flush=True)
    peak = matmul_peak(bc.peak_size, None, bc.peak_min_s, bc.repeats)
    rows, skipped = [], []
    last_rate: dict[str, float] = {}
    for n, m, count in _scale_points(bc):
        shape = f"{n}x{m}"
        flops = train_flops_per_model_step(b, n, m)
        if shape in last_rate and count * bc.scale_min_steps / last_rate[shape] > bc.scale_max_point_s:
            skipped.append(f"{shape} at {count} models")
            continue
        cfg = geometry_config(n, m, count, b, bc.scale_min_steps, bc.block_size)
        calib = time_training(cfg, bc.scale_min_steps, 1)
        rate = count * bc.scale_min_steps / calib["wall_s"][0]
        steps = int(min(bc.scale_max_steps, max(bc.scale_min_steps, bc.scale_target_s * rate / count)))
        r = time_training(cfg, steps, bc.repeats)
        r["compile_s"] = calib["compile_s"]
        r.update(_rates(r, flops, peak["peak_flops_per_s"]))
        r.update(n_features=n, n_hidden=m)
        last_rate[shape] = r["model_steps_per_s"]
        info["points"].append(r)
        rows.append([shape, count, steps, r["block"] or "-", r["model_steps_per_s"],
                     1e6 / r["model_steps_per_s"], f"{100 * r['peak_fraction']:.1f}%", r["compile_s"]])
        print(f"  {shape} models={count}: {r['model_steps_per_s']:,.0f} model-steps/s", file=sys.stderr, flush=True)
    peak = _max_peak(peak, matmul_peak(bc.peak_size, None, bc.peak_min_s, bc.repeats))
    info["peak"] = peak
    for r, row in zip(info["points"], rows):  # fractions against the higher of the two peak readings
        r["peak_fraction"] = r["flops_per_s"] / peak["peak_flops_per_s"]
        row[6] = f"{100 * r['peak_fraction']:.1f}%"
    print()
    print(_table(["n x m", "models", "steps", "block", "model-steps/s", "us per model-step", "of peak",
                  "compile s"], rows))
    if skipped:
        print(f"capped (a {bc.scale_min_steps}-step run predicted over {bc.scale_max_point_s:g} s): {', '.join(skipped)}")
    for shape in bc.scale_shapes:
        pts = [p for p in info["points"] if f"{p['n_features']}x{p['n_hidden']}" == shape and p["models"] >= 64]
        if len(pts) >= 2:
            cost = [1 / p["model_steps_per_s"] for p in pts]
            spread = max(cost) / min(cost) - 1
            info.setdefault("flatness", {})[shape] = spread
            print(f"{shape}: cost per model-step from 64 models up varies by {100 * spread:.0f}% "
                  f"(max/min - 1; target <= 20%)")
    print(f"float32 matmul peak: {peak['peak_flops_per_s'] / 1e9:.1f} GFLOP/s ({peak['square_size']}^2 square)")
    if bc.phase:
        info["phase"] = phase_diagram(bc)
    info["load_after"] = load_average()
    print(f"load average (1 min) after: {info['load_after']}")
    return info


def phase_config(steps: int, results_dir: str):
    """The n=2, m=1 phase diagram (paper section 4.1; paper_spec 6): 40 densities × 40 relative
    importances of the second feature × 10 seeds, the notebook recipe."""
    from toymodels.config import DataConfig, GridConfig, ModelConfig, SweepConfig, TrainConfig

    return SweepConfig(
        name="bench-phase-2x1", model=ModelConfig(kind="relu", n_features=2, n_hidden=1),
        data=DataConfig(importance_decay=1.0), train=TrainConfig(steps=steps, n_snapshots=0),
        grid=GridConfig(density=tuple(float(v) for v in np.geomspace(1.0, 0.01, 40)),
                        relative_importance=tuple(float(v) for v in np.geomspace(0.1, 10.0, 40)), n_seeds=10),
        results_dir=results_dir, progress=True)


def phase_diagram(bc: BenchConfig) -> dict:
    """End to end through run_sweep (planning, compile, training, eval, store writes)."""
    from toymodels.sweep import run_sweep

    import jax

    steps = bc.phase_steps or (10_000 if jax.default_backend() != "cpu" else 500)
    label = ("full run" if steps == 10_000 else
             f"FRACTION {steps / 10_000:g} of the full run ({steps:,} of 10,000 steps)")
    print(f"\nphase diagram n=2 m=1: 40 x 40 cells x 10 seeds = 16,000 models x {steps:,} steps [{label}]",
          flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = phase_config(steps, tmp)
        t0 = time.perf_counter()
        res = run_sweep(cfg)
        wall = time.perf_counter() - t0
    ms = res.trained_models * steps
    out = {"steps": steps, "models": res.trained_models, "wall_s": wall, "model_steps_per_s": ms / wall,
           "label": label}
    print(_table(["run", "models", "steps", "wall s (end to end: plan, compile, train, eval, write)", "model-steps/s"],
                 [[label, res.trained_models, steps, wall, ms / wall]]))
    return out


# ----------------------------------------------------------------------------- floor


def sampler_seconds_per_model_step(n_features: int, batch: int, models: int, steps: int = 20,
                                   repeats: int = 3) -> float:
    """Seconds to draw one model-step's batch with the trainer's sampler alone (data.sample_batch:
    the per-step key, the B·n counter-hash uniforms, mask and value), vmapped over min(models, 256)
    models and looped over ``steps`` steps inside one compiled call, as the trainer draws them.
    Each batch is summed (one read) so the compiler cannot drop it."""
    import jax
    import jax.numpy as jnp

    from toymodels import data as data_lib
    from toymodels.config import DataConfig

    k = max(1, min(models, 256))
    cfg = DataConfig()
    keys = jax.random.split(jax.random.key(0), k)
    dens = jnp.broadcast_to(20.0 ** -jnp.linspace(0.0, 1.0, k)[:, None], (k, n_features))

    @jax.jit
    def draw(keys, dens):
        def one(key, d):
            def body(i, acc):
                return acc + data_lib.sample_batch(jax.random.fold_in(key, i), d, cfg, batch).sum()
            return jax.lax.fori_loop(0, steps, body, jnp.float32(0.0))
        return jax.vmap(one)(keys, dens)

    draw(keys, dens).block_until_ready()
    walls = _timed(lambda: draw(keys, dens).block_until_ready(), repeats)
    return min(walls) / (k * steps)


def floor_of(batch: int, n_features: int, n_hidden: int, models: int, peak_flops_per_s: float) -> dict:
    """The measured floor of one model-step: its matmul FLOPs (10·B·n·m) at the machine's measured
    matmul peak plus the time its sampler alone takes to draw its B·n uniforms. A trainer that
    did nothing but these two things would run at 1/floor model-steps/s; the bench prints each
    rate's fraction of that (rate × floor)."""
    mm = train_flops_per_model_step(batch, n_features, n_hidden) / peak_flops_per_s
    samp = sampler_seconds_per_model_step(n_features, batch, models)
    return {"matmul_s": mm, "sampler_s": samp, "floor_s": mm + samp, "floor_model_steps_per_s": 1 / (mm + samp)}


# ----------------------------------------------------------------------------- peers

PEER_WORKLOADS: dict[str, dict] = {
    # intro: paper section 2 / the notebook's intro (n=5, m=2, I=0.9^i, densities 20**-linspace(0,1,10))
    "intro-10": {"n_features": 5, "n_hidden": 2, "n_densities": 10, "seeds": 1, "importance_decay": 0.9},
    "intro-1000": {"n_features": 5, "n_hidden": 2, "n_densities": 10, "seeds": 100, "importance_decay": 0.9},
    # the phase diagram's model count (40 x 40 x 10) at the intro's shape
    "intro-16000": {"n_features": 5, "n_hidden": 2, "n_densities": 10, "seeds": 1600, "importance_decay": 0.9},
    # the notebook's feature-geometry workload (paper section 4): n=200, m=20, 20 densities, I = 1
    "geometry": {"n_features": 200, "n_hidden": 20, "n_densities": 20, "seeds": 1, "importance_decay": 1.0},
}
for _name, _wl in PEER_WORKLOADS.items():
    _wl.update(name=_name, batch=1024, models=_wl["n_densities"] * _wl["seeds"],
               calib_steps=max(2, min(20, 20_000 // (_wl["n_densities"] * _wl["seeds"]))))

PEERS: dict[str, dict] = {
    "tms-kit": {
        "module": "tms_kit", "package": "tms-kit",
        # AdamW with decay 0 is Adam; fan 25 gives tms-kit's xavier_normal_ sigma of a 10-instance Model
        "toymodels": {"lr": 1e-3, "weight_decay": 0.0, "init": "notebook", "init_fan_instances": 25},
        "matching": "optimiser: tms-kit's Adam(lr 1e-3) = toymodels AdamW lr 1e-3, weight decay 0; init: "
                    "tms-kit xavier_normal_ on [inst, m, n] (sigma depends on the instance count) ~ toymodels "
                    "notebook init with init_fan_instances 25 (equal at 10 instances); loss: both the mean over "
                    "batch and features of I(x-x')^2 per model (tms-kit sums the models' losses: same "
                    "gradients); data: an independent batch per model and step on both sides (tms-kit: two "
                    "torch.rand draws per element; toymodels: one counter-hash draw).",
    },
    "occhio": {
        "module": "occhio", "package": "occhio",
        "toymodels": {"lr": 3e-4, "weight_decay": 0.05, "init": "xavier", "init_fan_instances": 20},
        "matching": "optimiser: occhio's AdamW(lr 3e-4, decay 0.05, bias decayed too) = toymodels AdamW lr 3e-4, "
                    "weight decay 0.05; init: occhio unit-norm columns ~ toymodels xavier (sigma sqrt(2/(n+m))); "
                    "loss: occhio sums over features and averages over models (a constant gradient scale, "
                    "which Adam all but ignores) vs toymodels' mean over features per model; data: occhio's "
                    "sample cache draws ONE batch per density and step, shared by that density's seeds, while "
                    "toymodels draws an independent batch per model (more work on our side).",
    },
}


def peer_workload(name: str) -> dict:
    """A PEER_WORKLOADS entry, or the relu workload NxMxCOUNT (importance 0.9^i when n <= 20, else
    uniform; 10 densities x COUNT/10 seeds when 10 divides COUNT, else COUNT densities x 1 seed)."""
    if name in PEER_WORKLOADS:
        return dict(PEER_WORKLOADS[name])
    try:
        n, m, count = (int(v) for v in name.lower().split("x"))
    except ValueError:
        n = m = count = 0
    if min(n, m, count) < 1:
        from toymodels.cli import UsageError
        raise UsageError(f"unknown peer workload {name!r}: use one of {list(PEER_WORKLOADS)} or NxMxCOUNT")
    k = 10 if count % 10 == 0 else count
    return {"name": name, "n_features": n, "n_hidden": m, "n_densities": k, "seeds": count // k,
            "importance_decay": 0.9 if n <= 20 else 1.0, "batch": 1024, "models": count,
            "calib_steps": max(2, min(20, 20_000 // count))}


def toymodels_version() -> str:
    try:
        from importlib.metadata import version
        return version("toymodels")
    except Exception:  # noqa: BLE001 - a source checkout without metadata
        return "source"


def peer_workload_config(wl: dict):
    """The SweepConfig of a PEER_WORKLOADS entry for toymodels, with a peer's recipe flags
    (wl["toymodels"]: lr, weight_decay, init, init_fan_instances) when given."""
    from toymodels.config import DataConfig, GridConfig, ModelConfig, SweepConfig, TrainConfig

    k, rec = wl["n_densities"], wl.get("toymodels", {})
    densities = tuple(float(v) for v in 20.0 ** -np.linspace(0.0, 1.0, k))
    return SweepConfig(
        name=f"bench-peers-{wl['name']}",
        model=ModelConfig(kind="relu", n_features=wl["n_features"], n_hidden=wl["n_hidden"],
                          init=rec.get("init", "notebook"), init_fan_instances=rec.get("init_fan_instances", 20)),
        data=DataConfig(importance_decay=wl["importance_decay"]),
        train=TrainConfig(steps=wl["calib_steps"], batch_size=wl["batch"], n_snapshots=0,
                          lr=rec.get("lr", 1e-3), weight_decay=rec.get("weight_decay", 0.01)),
        grid=GridConfig(density=densities, n_seeds=wl["seeds"]), progress=False)


def find_peer(module: str, peer_pythons: tuple[str, ...] = ()) -> tuple[str | None, str]:
    """The interpreter that can import ``module``: this one, else the first of ``peer_pythons``.
    Returns (path or None, what was tried)."""
    if importlib.util.find_spec(module) is not None:
        return sys.executable, "this interpreter"
    tried = ["this interpreter"]
    for py in peer_pythons:
        try:
            ok = subprocess.run([py, "-c", f"import {module}"], capture_output=True, timeout=300).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        if ok:
            return py, py
        tried.append(py)
    return None, "not importable in " + ", ".join(tried)


def run_side(python: str, side: str, wl: dict, target_s: float, repeats: int) -> dict:
    """One fresh process: peer_worker.py SIDE WORKLOAD ... under ``python``; returns its JSON line
    with model_steps_per_s (models × steps / wall of each timed run, and their median)."""
    worker = Path(__file__).with_name("peer_worker.py")
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[1])
    if side == "toymodels":  # this checkout, whatever the venv's install points at
        env["PYTHONPATH"] = os.pathsep.join([root] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    cmd = [python, str(worker), side, json.dumps(wl), str(target_s), str(repeats)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=3600, env=env)
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["(no stderr)"])[-1]
        raise RuntimeError(f"{side} on {wl['name']} failed (rc {proc.returncode}): {tail}")
    out = json.loads([ln for ln in proc.stdout.splitlines() if ln.startswith("{")][-1])
    rates = [out["models"] * out["steps"] / w for w in out["wall_s"]]
    out["model_steps_per_s_runs"] = rates
    out["model_steps_per_s"] = statistics.median(rates)
    return out


def ratio_of_medians(ours: list[float], theirs: list[float]) -> float:
    """median(ours) / median(theirs): the speed-up, robust to one disturbed round on either side."""
    return statistics.median(ours) / statistics.median(theirs)


def suite_peers(bc: BenchConfig) -> dict:
    info = {"machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "load_before": load_average(), "config": dataclasses.asdict(bc), "peers": {}, "workloads": {}}
    print(_header("toymodels beside its peers (training loop only, interleaved rounds)", info))
    workloads = {w: peer_workload(w) for w in bc.peer_workloads}
    available = {}
    for name, peer in PEERS.items():
        py, where = find_peer(peer["module"], bc.peer_python)
        info["peers"][name] = {"python": py, "found": where if py else None}
        if py is None:
            print(f"peer {name}: SKIPPED, {where} (pip install {peer['package']}, or the peers extra; "
                  f"or --peer-python PATH)")
        else:
            available[name] = py
            print(f"peer {name}: {where}")
    print(f"{bc.peer_rounds} rounds; in each, for each workload: toymodels matched to a peer, then the peer, "
          f"each a fresh process; {bc.peer_repeats} timed runs of ~{bc.peer_target_s:g} s per process after "
          f"warm-up and calibration (excluded); rate = median over rounds of each process's median", flush=True)
    peak = matmul_peak(bc.peak_size, None, bc.peak_min_s, bc.repeats)
    sides = [("toymodels", None)] if not available else []
    for name in available:
        sides += [(f"toymodels~{name}", name), (name, name)]
    runs: dict[tuple[str, str], list[dict]] = {}
    for rnd in range(bc.peer_rounds):
        for wname in bc.peer_workloads:
            for side, peer in sides:
                wl = dict(workloads[wname])
                if bc.peer_threads:
                    wl["torch_threads"] = bc.peer_threads
                if side.startswith("toymodels"):
                    if peer is not None:
                        wl["toymodels"] = PEERS[peer]["toymodels"]
                    r = run_side(sys.executable, "toymodels", wl, bc.peer_target_s, bc.peer_repeats)
                else:
                    r = run_side(available[side], side, wl, bc.peer_target_s, bc.peer_repeats)
                r["load"] = load_average()
                runs.setdefault((wname, side), []).append(r)
                print(f"  round {rnd + 1} {wname:12s} {side:18s} {r['model_steps_per_s']:>12,.0f} model-steps/s "
                      f"({r['steps']} steps, load {r['load']})", file=sys.stderr, flush=True)
    peak = _max_peak(peak, matmul_peak(bc.peak_size, None, bc.peak_min_s, bc.repeats))
    info["peak"] = peak
    rows = []
    for wname in bc.peer_workloads:
        wl = workloads[wname]
        fl = floor_of(wl["batch"], wl["n_features"], wl["n_hidden"], wl["models"], peak["peak_flops_per_s"])
        w = {"workload": wl, "floor": fl, "sides": {}}
        for side, peer in sides:
            rates = [r["model_steps_per_s"] for r in runs[(wname, side)]]
            w["sides"][side] = {"rates": rates, "median": statistics.median(rates), "runs": runs[(wname, side)],
                                "floor_fraction": statistics.median(rates) * fl["floor_s"]}
        for name in available:
            w["sides"][name]["ratio"] = ratio_of_medians(w["sides"][f"toymodels~{name}"]["rates"],
                                                         w["sides"][name]["rates"])
        info["workloads"][wname] = w
        shape = f"n={wl['n_features']} m={wl['n_hidden']} x {wl['models']:,}"
        for side, peer in sides:
            s = w["sides"][side]
            ratio = f"**{s['ratio']:.1f}x**" if "ratio" in s else ""
            rows.append([wname, shape, side, f"{s['median']:,.0f} [{min(s['rates']):,.0f}-{max(s['rates']):,.0f}]",
                         f"{100 * s['floor_fraction']:.1f}%", ratio])
    info["load_after"] = load_average()
    print()
    print(_table(["workload", "shape", "side", "model-steps/s, median [range over rounds]", "of floor",
                  "toymodels / peer (ratio of medians)"], rows))
    print("\nfloor per model-step = matmuls (10*B*n*m FLOPs) at the measured peak + the sampler alone:")
    for wname, w in info["workloads"].items():
        fl = w["floor"]
        print(f"  {wname}: {1e6 * fl['matmul_s']:.2f} us matmul + {1e6 * fl['sampler_s']:.2f} us sampler = "
              f"{1e6 * fl['floor_s']:.2f} us ({fl['floor_model_steps_per_s']:,.0f} model-steps/s)")
    print(f"float32 matmul peak: {peak['peak_flops_per_s'] / 1e9:.1f} GFLOP/s ({peak['square_size']}^2 square)")
    for name in PEERS:
        if name in available:
            print(f"recipe matched to {name}: {PEERS[name]['matching']}")
    for name, p in info["peers"].items():
        if p["python"] is None:
            print(f"{name}: not run (not importable); no number is reported for it")
    print(f"load average (1 min) after: {info['load_after']}")
    return info


def scaling_points(infos: list[dict]) -> dict:
    """{side: [(n, m, models, median model-steps/s)]} from --peers results; toymodels~peer sides
    are pooled as "toymodels" (the same trainer; its recipe flags do not change a step's work),
    and the floor is a side of its own."""
    out: dict[str, dict] = {}
    for info in infos:
        for w in info["workloads"].values():
            wl = w["workload"]
            key = (wl["n_features"], wl["n_hidden"], wl["models"])
            for side, s in w["sides"].items():
                name = "toymodels" if side.startswith("toymodels") else side
                out.setdefault(name, {}).setdefault(key, []).append(s["median"])
            out.setdefault("floor (matmuls at peak + sampler)", {})[key] = [w["floor"]["floor_model_steps_per_s"]]
    return {side: sorted((k + (statistics.median(v),) for k, v in pts.items())) for side, pts in out.items()}


def plot_scaling(paths: tuple[str, ...], out_dir: str) -> list[Path]:
    """The two scaling plots from saved --peers results (plots compute nothing but medians)."""
    from toymodels import plotting

    infos = [json.loads(Path(p).read_text()) for p in paths]
    pts = scaling_points(infos)
    m0 = infos[0]["machine"]
    when = "\n".join(sorted({f"{i['date']} (load {i['load_before']}→{i['load_after']}; "
                              f"{i.get('config', {}).get('peer_rounds', '?')} round(s), peers' torch threads "
                              f"{i.get('config', {}).get('peer_threads') or 'default'})" for i in infos}))
    out_dir_p = Path(out_dir)
    out_dir_p.mkdir(parents=True, exist_ok=True)
    written = []
    shapes_at: dict[int, set] = {}
    for rows in pts.values():
        for p in rows:
            shapes_at.setdefault(p[2], set()).add(p[0])
    fixed_count = max(shapes_at, key=lambda c: (len(shapes_at[c]), c)) if shapes_at else 0
    specs = [("bench_scaling_models.png", "number of models (n=5, m=2, batch 1024)",
              lambda p: (p[0], p[1]) == (5, 2), lambda p: p[2]),
             ("bench_scaling_n.png", f"n features (m = n/10; n=5: m=2), {fixed_count} models, batch 1024",
              lambda p: p[2] == fixed_count, lambda p: p[0])]
    for fname, xlabel, keep, xof in specs:
        series = {}
        for side, rows in pts.items():
            sel = sorted((xof(p), p[3]) for p in rows if keep(p))
            if len({x for x, _ in sel}) >= 2:
                series[side] = sel
        if not series:
            continue
        fig, ax = plotting.make_figure(figsize=(7, 4.5))
        plotting.plot_rate_curves(ax, series, xlabel=xlabel, ylabel="model-steps/s (median over rounds)",
                                  title=f"{m0['cpu']}, {m0['cores']} cores\n{when}")
        path = out_dir_p / fname
        plotting.save_figure(fig, path, dpi=110)
        written.append(path)
        print(f"wrote {path}")
    return written


def main(argv: list[str]) -> int:
    import tyro

    bc = tyro.cli(BenchConfig, args=argv, prog="toymodels bench", description=__doc__.split("\n\n")[0])
    for name in ("steps", "repeats", "n_features", "n_hidden", "n_models", "batch_size", "torch_steps",
                 "peak_size", "scale_min_steps", "scale_max_steps", "peer_rounds", "peer_repeats"):
        if getattr(bc, name) < 1:
            from toymodels.cli import UsageError
            raise UsageError(f"--{name.replace('_', '-')}={getattr(bc, name)} is invalid: must be >= 1")
    if bc.plot:
        plot_scaling(bc.plot, bc.plot_out)
        return 0
    if bc.peers:
        info = suite_peers(bc)
    elif bc.suite == "phase":
        info = {"machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                "load_before": load_average()}
        print(_header("phase diagram end to end", info))
        info["phase"] = phase_diagram(bc)
        info["load_after"] = load_average()
        print(f"load average (1 min) after: {info['load_after']}")
    else:
        info = suite_geometry(bc) if bc.suite == "geometry" else suite_scale(bc)
    if bc.json_out:
        from toymodels.store import write_json
        write_json(Path(bc.json_out), info)
        print(f"wrote {bc.json_out}")
    return 0
