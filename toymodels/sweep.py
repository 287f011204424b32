"""Sweeps: a grid of cells × seeds trained as vmapped, compiled chunks, saved to the results store.

A grid is flattened per shape bucket (kind, n_features, n_hidden) into C cells. Each cell gets
  density_F     the feature probabilities (density axis × relative_density on the focus feature)
  importance_F  the importances (profile or decay axis × relative_importance on the focus feature)
  key           fold_in(key(seed), crc32(kind, n, m, cell values)) — a function of the seed and
                the cell's *values*, not of its position, so the same cell trained alone (or in
                another grid) gets bit-identical randomness.
Cells are trained in chunks of ``chunk_size`` models (derived from a memory budget when 0), padded
to a fixed size so every chunk reuses one compilation, and sharded over all local devices when
there are several. Each finished chunk is saved at once; an interrupted sweep resumes from them.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import os
import platform
import sys
import time
import zlib
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from toymodels import data as data_lib
from toymodels import store
from toymodels.config import BUCKET_AXES, VALUE_AXES, ModelConfig, SweepConfig, bucket_models, validate
from toymodels.train import CellHyper, RunSpec, make_chunk_fns, plan_intervals

REPRESENTED_NORM = 0.5  # ‖W_i‖ above which a feature counts as represented in the metrics table


@dataclasses.dataclass
class BucketPlan:
    """The flattened cells of one shape bucket (host arrays, C = number of cells × seeds)."""

    index: int
    model: ModelConfig
    axes: dict[str, np.ndarray]  # ordered; the grid's leading axes, "seed" last
    density_CxF: np.ndarray
    importance_CxF: np.ndarray
    seeds_C: np.ndarray
    tags_C: np.ndarray

    @property
    def grid_shape(self) -> tuple[int, ...]:
        return tuple(len(v) for v in self.axes.values())

    @property
    def n_cells(self) -> int:
        return len(self.seeds_C)


def cell_tag(model: ModelConfig, values: dict[str, float | None]) -> int:
    """crc32 of the cell's bucket and axis values: the cell's identity, independent of its grid."""
    ident = [model.kind, model.n_features, model.n_hidden] + [
        None if values.get(a) is None else float(np.float32(values[a])) for a in VALUE_AXES]
    return zlib.crc32(json.dumps(ident).encode())


def plan_bucket(cfg: SweepConfig, index: int, model: ModelConfig) -> BucketPlan:
    g, d = cfg.grid, cfg.data
    n = model.n_features
    focus = g.focus_feature % n
    axes = {a: np.asarray(getattr(g, a), np.float64) for a in VALUE_AXES if getattr(g, a)}
    axes["seed"] = np.arange(g.seed, g.seed + g.n_seeds)
    base_importance = data_lib.importance_profile(d, n).astype(np.float64)
    dens, imps, seeds, tags = [], [], [], []
    for combo in itertools.product(*axes.values()):
        v = dict(zip(axes, combo))
        density = np.full(n, v.get("density", d.density))
        if "relative_density" in v:
            density[focus] *= v["relative_density"]
        importance = (v["importance_decay"] ** np.arange(n) if "importance_decay" in v
                      else base_importance.copy())
        if "relative_importance" in v:
            importance[focus] *= v["relative_importance"]
        tag_values = {a: v.get(a) for a in VALUE_AXES}
        tag_values["density"] = v.get("density", d.density)
        dens.append(np.clip(density, 1e-12, 1.0))
        imps.append(importance)
        seeds.append(int(v["seed"]))
        tags.append(cell_tag(model, tag_values))
    return BucketPlan(index, model, axes, np.asarray(dens, np.float32), np.asarray(imps, np.float32),
                      np.asarray(seeds, np.int64), np.asarray(tags, np.uint32))


def plan_buckets(cfg: SweepConfig) -> list[BucketPlan]:
    return [plan_bucket(cfg, i, m) for i, m in enumerate(bucket_models(cfg))]


def cell_keys(seeds_C: np.ndarray, tags_C: np.ndarray) -> jax.Array:
    """One typed PRNG key per cell: fold_in(key(seed), tag)."""
    return jax.vmap(lambda s, t: jax.random.fold_in(jax.random.key(s), t))(
        jnp.asarray(seeds_C, jnp.uint32), jnp.asarray(tags_C, jnp.uint32))


# ----------------------------------------------------------------------------- memory and devices


def _param_count(model: ModelConfig) -> int:
    n, m = model.n_features, model.n_hidden
    return (2 * n * m if model.kind == "abs" else n * m) + n


def model_footprint_bytes(spec: RunSpec, k_intervals: int) -> int:
    """Bytes one model needs on the device during a chunk: parameters, AdamW moments, gradients,
    one interval-call of snapshots, the batch activations, the fixed dataset, and the eval batch."""
    p = _param_count(spec.model)
    n, m = spec.model.n_features, spec.model.n_hidden
    b = spec.data.dataset_size if spec.train.full_batch else spec.train.batch_size
    activations = b * (10 * n + 4 * m)  # uniforms, mask, x, out, residual, grads (F-sized), h (H-sized)
    floats = 6 * p + k_intervals * p + activations + spec.data.dataset_size * n
    return 4 * floats


def memory_budget_bytes(cfg: SweepConfig) -> int:
    """cfg.memory_budget_mb, else a quarter of the first device's memory (GPU/TPU: its
    bytes_limit; CPU: physical RAM)."""
    if cfg.memory_budget_mb > 0:
        return int(cfg.memory_budget_mb * 2**20)
    try:
        stats = jax.local_devices()[0].memory_stats() or {}
    except Exception:  # some backends do not implement memory_stats
        stats = {}
    total = stats.get("bytes_limit") or os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return int(total) // 4


def chunk_size_for(cfg: SweepConfig, spec: RunSpec, n_models: int, k_intervals: int) -> int:
    """Models per compiled call: cfg.chunk_size, else what fits the memory budget; rounded to a
    multiple of the local device count so the chunk shards evenly."""
    n_dev = jax.local_device_count()
    if cfg.chunk_size > 0:
        size = cfg.chunk_size
    else:
        size = max(1, memory_budget_bytes(cfg) // model_footprint_bytes(spec, k_intervals))
    size = min(size, n_models)
    return int(math.ceil(size / n_dev) * n_dev)


def _shard(tree, n_dev: int):
    if n_dev <= 1:
        return tree
    mesh = jax.sharding.Mesh(np.array(jax.local_devices()), ("models",))
    sharding = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("models"))
    return jax.device_put(tree, sharding)


# ----------------------------------------------------------------------------- progress


class Progress:
    """A one-line progress bar with ETA on stderr (model-steps done / total)."""

    def __init__(self, total: int, label: str, enabled: bool = True):
        self.total, self.label, self.enabled = max(total, 1), label, enabled
        self.done, self.t0, self._last = 0, time.perf_counter(), 0.0
        self.tty = sys.stderr.isatty()

    def update(self, n: int, note: str = "") -> None:
        self.done += n
        if not self.enabled:
            return
        now = time.perf_counter()
        finished = self.done >= self.total
        if not finished and now - self._last < (0.2 if self.tty else 5.0):
            return
        self._last = now
        frac = self.done / self.total
        elapsed = now - self.t0
        eta = elapsed * (1 - frac) / frac if frac > 0 else float("nan")
        bar = "#" * int(30 * frac) + "-" * (30 - int(30 * frac))
        line = (f"[{self.label}] |{bar}| {100 * frac:5.1f}%  {self.done:,}/{self.total:,} model-steps  "
                f"{elapsed:6.1f}s elapsed  ETA {eta:6.1f}s {note}")
        sys.stderr.write(("\r" + line) if self.tty else (line + "\n"))
        if finished and self.tty:
            sys.stderr.write("\n")
        sys.stderr.flush()


# ----------------------------------------------------------------------------- training chunks


def train_chunk(spec: RunSpec, hp: CellHyper, plan, progress: Progress | None = None) -> dict[str, np.ndarray]:
    """Train one chunk of models (leading axis of ``hp``) to the end; return host arrays:
    final params (``p:<name>``), snapshots (``s:<name>`` [I, T, ...]), loss_T [I, T],
    eval_loss [I], train_loss [I] (last interval), dataset_loss [I]."""
    init, adv, fin = make_chunk_fns(spec)
    n_models = hp.density_F.shape[0]
    n_dev = jax.local_device_count() if n_models % max(jax.local_device_count(), 1) == 0 else 1
    hp = _shard(hp, n_dev)
    state = init(hp)
    snaps: list[dict[str, np.ndarray]] = []
    losses: list[np.ndarray] = []
    last_loss = np.full(n_models, np.nan, np.float32)
    for c in range(plan.lo_CxK.shape[0]):
        state, snap_params, loss_IxK = adv(state, hp, jnp.asarray(plan.lo_CxK[c]), jnp.asarray(plan.hi_CxK[c]))
        loss_IxK = np.asarray(loss_IxK)
        sel = np.flatnonzero(plan.snapshot_CxK[c])
        if sel.size:
            snaps.append({k: np.asarray(v)[:, sel] for k, v in snap_params.items()})
            losses.append(loss_IxK[:, sel])
        valid = plan.hi_CxK[c] > plan.lo_CxK[c]
        if valid.any():
            last_loss = loss_IxK[:, np.flatnonzero(valid)[-1]]
        if progress is not None:
            progress.update(int((plan.hi_CxK[c] - plan.lo_CxK[c]).sum()) * n_models)
    eval_loss, dataset_loss = fin(state, hp)
    out = {f"p:{k}": np.asarray(v) for k, v in state.params.items()}
    if snaps:
        for k in snaps[0]:
            out[f"s:{k}"] = np.concatenate([s[k] for s in snaps], axis=1)
        out["loss_T"] = np.concatenate(losses, axis=1)
    out["eval_loss"] = np.asarray(eval_loss)
    out["train_loss"] = last_loss
    out["dataset_loss"] = np.asarray(dataset_loss)
    return out


def _hyper(bp: BucketPlan, sl: slice, size: int) -> CellHyper:
    """The CellHyper of cells ``sl`` padded to ``size`` models (padding repeats the last cell)."""
    idx = np.arange(sl.start, sl.stop)
    idx = np.concatenate([idx, np.full(size - len(idx), idx[-1])])
    return CellHyper(cell_keys(bp.seeds_C[idx], bp.tags_C[idx]),
                     jnp.asarray(bp.density_CxF[idx]), jnp.asarray(bp.importance_CxF[idx]))


def cell_metrics(model: ModelConfig, params: dict[str, np.ndarray], eval_loss, train_loss) -> dict[str, np.ndarray]:
    """Per-model summary columns for metrics.csv (vectorised over the leading model axis)."""
    W = params["W1_HxF"] if model.kind == "abs" else params["W_HxF"]
    W = W.astype(np.float64)
    frob2 = (W**2).sum(axis=(-2, -1))
    norms = np.sqrt((W**2).sum(axis=-2))
    finite = np.isfinite(eval_loss) & np.all(np.isfinite(W.reshape(W.shape[0], -1)), axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        dims = np.where(frob2 > 0, model.n_hidden / frob2, np.inf)
    return {"eval_loss": eval_loss, "train_loss": train_loss, "finite": finite.astype(int),
            "frobenius2": frob2, "dims_per_feature": dims,
            "n_represented": (norms > REPRESENTED_NORM).sum(axis=-1)}


@dataclasses.dataclass
class SweepResult:
    run_dir: Path
    trained_models: int
    wall_s: float
    nonfinite_cells: list[str]


def run_sweep(cfg: SweepConfig, *, max_chunks: int | None = None) -> SweepResult:
    """Train every cell of ``cfg`` (resuming finished chunks) and write the run directory.

    ``max_chunks`` stops after that many newly trained chunks (used to test resuming); the run
    directory then holds the chunks and no final files."""
    validate(cfg)
    rdir = store.run_dir(cfg)
    store.ensure_writable(Path(cfg.results_dir))
    if store.is_complete(rdir):
        meta = store.read_json(rdir / "meta.json")
        return SweepResult(rdir, 0, 0.0, meta.get("nonfinite_cells", []))
    store.save_config(rdir, cfg)
    t0 = time.perf_counter()
    buckets = plan_buckets(cfg)
    plan = plan_intervals(cfg.train.steps, cfg.train.n_snapshots)
    total = sum(b.n_cells for b in buckets) * cfg.train.steps
    progress = Progress(total, cfg.name, cfg.progress)
    trained, new_chunks = 0, 0
    results: dict[int, list[dict[str, np.ndarray]]] = {}
    for bp in buckets:
        spec = RunSpec(bp.model, cfg.data, cfg.train)
        size = chunk_size_for(cfg, spec, bp.n_cells, plan.lo_CxK.shape[1])
        results[bp.index] = []
        for start in range(0, bp.n_cells, size):
            stop = min(start + size, bp.n_cells)
            path = store.chunk_path(rdir, bp.index, start, stop)
            if path.exists():
                results[bp.index].append(store.read_npz(path))
                progress.update((stop - start) * cfg.train.steps, "(resumed)")
                continue
            if max_chunks is not None and new_chunks >= max_chunks:
                return SweepResult(rdir, trained, time.perf_counter() - t0, [])
            out = train_chunk(spec, _hyper(bp, slice(start, stop), size), plan, progress)
            out = {k: v[: stop - start] for k, v in out.items()}
            store.write_npz(path, out)
            results[bp.index].append(out)
            trained += stop - start
            new_chunks += 1
    wall = time.perf_counter() - t0
    nonfinite = _finalize(cfg, rdir, buckets, plan, results, wall, trained)
    return SweepResult(rdir, trained, wall, nonfinite)


def _finalize(cfg, rdir, buckets, plan, results, wall, trained) -> list[str]:
    rows, grid_json, nonfinite = [], [], []
    for bp in buckets:
        cat = {k: np.concatenate([r[k] for r in results[bp.index]]) for k in results[bp.index][0]}
        shape = bp.grid_shape
        params = {k[2:]: v.reshape(shape + v.shape[1:]) for k, v in cat.items() if k.startswith("p:")}
        axis_arrays = {f"axis_{a}": v for a, v in bp.axes.items()}
        store.write_npz(rdir / f"params-b{bp.index}.npz", {**params, **axis_arrays})
        if "loss_T" in cat:
            hist = {k[2:]: v.reshape(shape + v.shape[1:]) for k, v in cat.items() if k.startswith("s:")}
            hist["loss"] = cat["loss_T"].reshape(shape + cat["loss_T"].shape[1:])
            store.write_npz(rdir / f"history-b{bp.index}.npz", {"steps_T": plan.steps_T, **hist, **axis_arrays})
        flat_params = {k[2:]: v for k, v in cat.items() if k.startswith("p:")}
        cols = cell_metrics(bp.model, flat_params, cat["eval_loss"], cat["train_loss"])
        grid_values = list(itertools.product(*bp.axes.values()))
        for c in range(bp.n_cells):
            row = {"bucket": bp.index, "kind": bp.model.kind, "n_features": bp.model.n_features,
                   "n_hidden": bp.model.n_hidden}
            row.update({a: (int(v) if a == "seed" else float(v)) for a, v in zip(bp.axes, grid_values[c])})
            row.update({k: (int(v[c]) if k in ("finite", "n_represented") else float(v[c])) for k, v in cols.items()})
            if not row["finite"]:
                nonfinite.append(", ".join(f"{a}={row[a]}" for a in ["bucket", *bp.axes]))
            rows.append(row)
        grid_json.append({"index": bp.index, "model": dataclasses.asdict(bp.model),
                          "axes": {a: v.tolist() for a, v in bp.axes.items()}, "shape": list(bp.grid_shape)})
    store.write_json(rdir / "grid.json", {"buckets": grid_json})
    store.write_csv(rdir / "metrics.csv", rows)
    n_models = sum(b.n_cells for b in buckets)
    store.write_json(rdir / "meta.json", {
        "status": "complete", "name": cfg.name, "wall_s": round(wall, 3), "trained_models": trained,
        "n_models": n_models, "model_steps_per_s": round(trained * cfg.train.steps / wall, 1) if wall > 0 and trained else None,
        "nonfinite_cells": nonfinite, "versions": versions(), "devices": [str(d) for d in jax.devices()],
        "backend": jax.default_backend(), "host": platform.node(), "cpu_count": os.cpu_count()})
    for p in sorted((rdir / "chunks").glob("*.npz")):
        p.unlink()
    if (rdir / "chunks").exists():
        (rdir / "chunks").rmdir()
    return nonfinite


def versions() -> dict[str, str]:
    import flax
    import optax

    import toymodels
    return {"toymodels": toymodels.__version__, "jax": jax.__version__, "jaxlib": jax.lib.__version__
            if hasattr(jax.lib, "__version__") else "", "numpy": np.__version__, "optax": optax.__version__,
            "flax": flax.__version__, "python": platform.python_version()}


def train_cell(cfg: SweepConfig, seed: int, **values: float) -> dict[str, np.ndarray]:
    """Train one cell alone (no store) and return its final params as host arrays.

    ``values`` give the cell's axis values (e.g. density=0.1); the result is bit-for-bit the
    randomness of the same cell inside any grid, so its weights match to float rounding."""
    unknown = set(values) - set(VALUE_AXES)
    if unknown:
        raise ValueError(f"unknown axis {sorted(unknown)[0]!r}; axes are {VALUE_AXES}")
    grid = dataclasses.replace(cfg.grid, **{a: (values[a],) if a in values else () for a in VALUE_AXES},
                               seed=seed, n_seeds=1, **{a: () for a in BUCKET_AXES})
    one = dataclasses.replace(cfg, grid=grid)
    validate(one)
    (bp,) = plan_buckets(one)
    spec = RunSpec(bp.model, one.data, one.train)
    out = train_chunk(spec, _hyper(bp, slice(0, 1), 1), plan_intervals(one.train.steps, one.train.n_snapshots))
    return {k[2:]: v[0] for k, v in out.items() if k.startswith("p:")}
