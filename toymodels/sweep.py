"""Sweeps: a grid of cells × seeds trained as vmapped, compiled chunks, saved to the results store.

A grid is flattened per shape bucket (kind, n_features, n_hidden) into C cells. Each cell gets
  density_F     the feature probabilities (density axis × relative_density on the focus feature)
  importance_F  the importances (profile or decay axis × relative_importance on the focus feature)
  key           fold_in(key(seed), crc32(kind, n, m, cell values)) — a function of the seed and
                the cell's *values*, not of its position, so the same cell trained alone (or in
                another grid) gets bit-identical randomness.
The evaluation sample is shared by every cell with the same feature densities (and every seed):
its key is toymodels.train.eval_key(eval_seed, density_F), so eval losses compare paired.
Cells are trained in chunks of ``chunk_size`` models (derived from a memory budget when 0), padded
to a fixed size so every chunk reuses one compilation, and sharded (``jax.shard_map`` over a 1-D
``Mesh``) over every device JAX sees, across processes when ``cfg.distributed`` joins several. Each
finished chunk is saved at once; an interrupted sweep resumes from them.
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
from toymodels.config import (BUCKET_AXES, VALUE_AXES, ConfigError, ModelConfig, SweepConfig, bucket_models,
                              validate)
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
    with np.errstate(over="ignore"):  # an overflow is reported below, naming its field
        base_importance = data_lib.importance_profile(d, n).astype(np.float64)
    dens, imps, seeds, tags = [], [], [], []
    for combo in itertools.product(*axes.values()):
        v = dict(zip(axes, combo))
        density = np.full(n, v.get("density", d.density))
        if "relative_density" in v:
            density[focus] *= v["relative_density"]
        with np.errstate(over="ignore"):
            importance = (v["importance_decay"] ** np.arange(n) if "importance_decay" in v
                          else base_importance.copy())
        if not _fits_f32(importance):  # e.g. importance_decay 1e30 over 5 features overflows float32
            field = {"decay": "importance_decay", "log_linspace": "importance_range"}.get(d.importance, "importance_values")
            name = "grid.importance_decay" if "importance_decay" in v else f"data.{field}"
            raise ConfigError(name, float(v["importance_decay"]) if "importance_decay" in v else getattr(d, field),
                              f"such that every importance of the {n} features fits float32 (<= 3.4e38)")
        if "relative_importance" in v:
            importance[focus] *= v["relative_importance"]
            if not _fits_f32(importance):
                raise ConfigError("grid.relative_importance", float(v["relative_importance"]),
                                  "small enough that the focus feature's importance fits float32 (<= 3.4e38)")
        tag_values = {a: v.get(a) for a in VALUE_AXES}
        tag_values["density"] = v.get("density", d.density)
        dens.append(np.clip(density, 1e-12, 1.0))
        imps.append(importance)
        seeds.append(int(v["seed"]))
        tags.append(cell_tag(model, tag_values))
    with np.errstate(over="ignore"):
        imps_f32 = np.asarray(imps, np.float32)
    return BucketPlan(index, model, axes, np.asarray(dens, np.float32), imps_f32,
                      np.asarray(seeds, np.int64), np.asarray(tags, np.uint32))


def _fits_f32(a: np.ndarray) -> bool:
    return bool(np.all(np.isfinite(a)) and np.all(np.abs(a) <= np.finfo(np.float32).max))


def plan_buckets(cfg: SweepConfig) -> list[BucketPlan]:
    return [plan_bucket(cfg, i, m) for i, m in enumerate(bucket_models(cfg))]


def cell_keys(seeds_C: np.ndarray, tags_C: np.ndarray) -> jax.Array:
    """One typed PRNG key per cell: fold_in(key(seed), tag)."""
    return jax.vmap(lambda s, t: jax.random.fold_in(jax.random.key(s), t))(
        jnp.asarray(seeds_C, jnp.uint32), jnp.asarray(tags_C, jnp.uint32))


# ----------------------------------------------------------------------------- memory and devices


CPU_BLOCK_BYTES = 4 << 20
"""Target size of one block's batch-sized arrays on a CPU (toymodels.train.map_models): about the
two cores' L2 plus a slice of L3, so the elementwise passes of a training step stay in cache."""


class ChunkOOMError(RuntimeError):
    """A chunk did not fit in device memory; the message names the chunk size and a smaller one."""

    def __init__(self, size: int, n_devices: int, detail: str):
        self.size, self.n_devices = size, n_devices
        smaller = max(n_devices, (size // 4) // n_devices * n_devices)
        advice = (f"rerun with --chunk-size {smaller} (or a smaller --memory-budget-mb)" if smaller < size
                  else "even one model per device does not fit: reduce train.batch-size or the model size")
        super().__init__(f"out of device memory training a chunk of {size} models on {n_devices} "
                         f"device(s) [{detail}]; {advice}")


def _is_oom(err: BaseException) -> bool:
    return isinstance(err, jax.errors.JaxRuntimeError) and "RESOURCE_EXHAUSTED" in str(err)


def _param_count(model: ModelConfig) -> int:
    n, m = model.n_features, model.n_hidden
    return (2 * n * m if model.kind == "abs" else n * m) + n


def _rows_per_model(spec: RunSpec) -> int:
    """The largest batch one model processes at once: a training batch (the whole dataset under
    full_batch), an evaluation batch, or the fixed dataset while it is sampled."""
    t = spec.train
    train_rows = spec.data.dataset_size if t.full_batch else t.batch_size
    return max(train_rows, min(t.batch_size, t.eval_samples), spec.data.dataset_size)


def activation_bytes(spec: RunSpec) -> int:
    """Batch-sized working memory of one model during a step: uniforms, mask, x, out, residual and
    their gradients (F-sized), h and its gradient (H-sized)."""
    n, m = spec.model.n_features, spec.model.n_hidden
    return 4 * _rows_per_model(spec) * (10 * n + 4 * m)


def persistent_bytes(spec: RunSpec, k_intervals: int) -> int:
    """Memory one model holds for the whole chunk: parameters, AdamW moments, gradients and
    update (6 copies), the K snapshots one interval-call returns, and the fixed dataset."""
    p = _param_count(spec.model)
    return 4 * (6 * p + k_intervals * p + spec.data.dataset_size * spec.model.n_features)


def model_footprint_bytes(spec: RunSpec, k_intervals: int) -> int:
    """Bytes one model needs on the device when all models of a chunk are vmapped at once."""
    return persistent_bytes(spec, k_intervals) + activation_bytes(spec)


def memory_budget_bytes(cfg: SweepConfig) -> int:
    """Memory for one chunk on one device: cfg.memory_budget_mb, else a quarter of the first
    device's memory (GPU/TPU: its bytes_limit; CPU: physical RAM shared by all host devices)."""
    if cfg.memory_budget_mb > 0:
        return int(cfg.memory_budget_mb * 2**20)
    try:
        stats = jax.local_devices()[0].memory_stats() or {}
    except Exception:  # some backends do not implement memory_stats
        stats = {}
    if stats.get("bytes_limit"):
        return int(stats["bytes_limit"]) // 4
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return int(ram) // 4 // jax.local_device_count()


class MemoryPreflightError(ConfigError):
    """Even one model at a time does not fit in memory (raised before anything is written)."""

    def __init__(self, model: ModelConfig, need: int, budget: int, where: str):
        self.field, self.value = "model", f"n_features={model.n_features}, n_hidden={model.n_hidden}"
        self.allowed = where
        ValueError.__init__(self, f"one {model.kind} model with n_features={model.n_features}, n_hidden="
                            f"{model.n_hidden} needs ~{_gib(need)} of memory to train (weights, AdamW state, "
                            f"one batch); {where} is {_gib(budget)}: reduce the model, --train.batch-size or "
                            f"--train.eval-samples")

    def cli_message(self) -> str:
        return str(self)


def _gib(n: int) -> str:
    return f"{n / 2**30:,.2f} GiB" if n >= 2**28 else f"{n / 2**20:,.1f} MiB"


def device_memory_bytes() -> int:
    """All memory of one device: a GPU/TPU's bytes_limit, else the host's RAM shared by its
    CPU devices."""
    try:
        stats = jax.local_devices()[0].memory_stats() or {}
    except Exception:
        stats = {}
    if stats.get("bytes_limit"):
        return int(stats["bytes_limit"])
    return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")) // jax.local_device_count()


def preflight_memory(cfg: SweepConfig, buckets: list[BucketPlan], plan) -> None:
    """Refuse, before anything is allocated or written, a bucket of which even ONE model cannot fit:
    its footprint (:func:`model_footprint_bytes`) against the whole memory of one device
    (memory_budget_mb only sizes chunks: a chunk is at least one model whatever the budget).
    Raises :class:`MemoryPreflightError`."""
    k = plan.lo_CxK.shape[1]
    for bp in buckets:
        need = model_footprint_bytes(RunSpec(bp.model, cfg.data, cfg.train), k)
        budget, where = device_memory_bytes(), f"the memory of one {jax.default_backend()} device"
        if need > budget:
            raise MemoryPreflightError(bp.model, need, budget, where)


def block_target(spec: RunSpec, block_size: int = 0) -> int:
    """Models per vmapped block: block_size if set; else 0 (no blocking) on GPU/TPU, and on a CPU
    as many models as fit CPU_BLOCK_BYTES of batch-sized arrays (x and h)."""
    if block_size > 0:
        return block_size
    if jax.default_backend() != "cpu":
        return 0
    per_model = 4 * _rows_per_model(spec) * (spec.model.n_features + spec.model.n_hidden)
    return max(1, CPU_BLOCK_BYTES // per_model)


def _largest_divisor_at_most(n: int, cap: int) -> int:
    return max(d for d in range(1, min(n, cap) + 1) if n % d == 0)


def block_for(n_per_device: int, target: int) -> int:
    """The block (0 = none) for a per-device slice of n models: the largest divisor <= target."""
    if target <= 0 or target >= n_per_device:
        return 0
    return _largest_divisor_at_most(n_per_device, target)


def chunk_layout(cfg: SweepConfig, spec: RunSpec, n_models: int, k_intervals: int) -> tuple[int, int]:
    """(models per compiled call, block) for a bucket of n_models.

    The size is cfg.chunk_size, else the most models whose persistent memory plus one block's
    activations fit the per-device budget; it is then capped at n_models and rounded up to a
    multiple of (device count × block), so every chunk shards evenly and splits into whole blocks
    (the padding repeats the last cell and is discarded). When the budget or chunk_size is what
    limits the size, it is rounded *down* to whole blocks instead, so it stays within the budget."""
    n_dev = jax.device_count()
    target = block_target(spec, cfg.block_size)
    if cfg.chunk_size > 0:
        size = cfg.chunk_size
    else:
        budget, persist, act = memory_budget_bytes(cfg), persistent_bytes(spec, k_intervals), activation_bytes(spec)
        per_dev = budget // (persist + act)  # everything vmapped at once
        if target and per_dev > target:
            per_dev = (budget - target * act) // persist
        size = max(1, per_dev) * n_dev
    cap, need = math.ceil(size / n_dev), math.ceil(n_models / n_dev)  # models per device
    if target and target < cap < need:  # the budget (or chunk_size) binds: whole blocks, rounded down
        return int(cap // target * target * n_dev), int(target)
    per_dev = min(cap, need)
    block = block_for(per_dev, target)
    if block and 2 * block < target:  # an awkward count (e.g. prime): pad to whole blocks instead
        block, per_dev = target, math.ceil(per_dev / target) * target
    return int(per_dev * n_dev), int(block)


def chunk_size_for(cfg: SweepConfig, spec: RunSpec, n_models: int, k_intervals: int) -> int:
    """Models per compiled call (see :func:`chunk_layout`)."""
    return chunk_layout(cfg, spec, n_models, k_intervals)[0]


def sweep_mesh(n_models: int) -> jax.sharding.Mesh | None:
    """A 1-D mesh ``"models"`` over every device of every process, or None when there is one
    device or n_models does not split evenly over them (then the chunk runs on one device)."""
    devices = jax.devices()
    if len(devices) <= 1 or n_models % len(devices):
        return None
    return jax.sharding.Mesh(np.array(devices), ("models",))


def _place(hp: CellHyper, mesh: jax.sharding.Mesh | None) -> CellHyper:
    """Put a chunk's per-model values on the mesh, sharded along the model axis. Every process
    holds the same host values, so each device receives exactly its slice (the same code works
    with several processes)."""
    if mesh is None:
        return hp
    sharding = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("models"))
    impl = jax.random.key_impl(hp.key)
    key_data = jax.device_put(np.asarray(jax.random.key_data(hp.key)), sharding)
    return CellHyper(jax.random.wrap_key_data(key_data, impl=impl),
                     jax.device_put(np.asarray(hp.density_F), sharding),
                     jax.device_put(np.asarray(hp.importance_F), sharding))


def to_host(tree):
    """numpy copies of (possibly sharded, possibly multi-process) arrays: with several processes
    every process receives the whole array (an all-gather). Arrays a process already holds in full
    (e.g. a chunk that was not sharded) are copied, not gathered, so they are never duplicated."""
    def one(x):
        if isinstance(x, jax.Array) and not x.is_fully_addressable:
            from jax.experimental import multihost_utils
            return np.asarray(multihost_utils.process_allgather(x, tiled=True))
        return np.asarray(x)
    return jax.tree_util.tree_map(one, tree)


def init_distributed(cfg: SweepConfig) -> None:
    """Join the jax.distributed cluster described by cfg.distributed (no-op when mode is off or
    this process already joined). Must run before anything else touches a JAX device."""
    d = cfg.distributed
    if d.mode == "off" or _DISTRIBUTED["joined"]:
        return
    if jax.config.jax_cpu_collectives_implementation in (None, "", "none"):
        # cross-process all-gathers on CPU devices need a collectives library; gloo ships with jaxlib
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
    kwargs = {} if d.mode == "auto" else dict(coordinator_address=d.coordinator_address,
                                              num_processes=d.num_processes, process_id=d.process_id)
    try:
        jax.distributed.initialize(initialization_timeout=d.initialization_timeout_s, **kwargs)
    except (RuntimeError, ValueError) as e:
        raise ConfigError("distributed", d.mode, f"settings jax.distributed accepts ({str(e).splitlines()[0]})") from None
    _DISTRIBUTED["joined"] = True


_DISTRIBUTED = {"joined": False}


def _agree(value):
    """Process 0's value of a small host array/scalar, on every process (identity with one)."""
    if jax.process_count() == 1:
        return value
    from jax.experimental import multihost_utils
    return np.asarray(multihost_utils.broadcast_one_to_all(np.asarray(value)))


# ----------------------------------------------------------------------------- progress


class Progress:
    """A one-line progress bar with ETA on stderr (model-steps done / total).

    The ETA comes from the rate of the work timed after the first training call: that call
    includes XLA compilation, which would otherwise make a 4-second run announce a minute
    ("ETA 67.9s"), and resumed chunks cost nothing. Until a rate exists the bar says
    "compiling…".
    """

    def __init__(self, total: int, label: str, enabled: bool = True):
        self.total, self.label, self.enabled = max(total, 1), label, enabled
        self.done, self.t0, self._last = 0, time.perf_counter(), 0.0
        self.tty = sys.stderr.isatty()
        self._rate_t0: float | None = None  # end of the first timed update (compilation inside)
        self._rate_done0 = 0

    def update(self, n: int, note: str = "", *, timed: bool = True) -> None:
        """Count ``n`` model-steps; ``timed=False`` for work that took no training time (resumed)."""
        self.done += n
        now = time.perf_counter()
        if timed and self._rate_t0 is None:
            self._rate_t0, self._rate_done0 = now, self.done
        elif not timed and self._rate_t0 is not None:
            self._rate_done0 += n
        if not self.enabled:
            return
        finished = self.done >= self.total
        if not finished and now - self._last < (0.2 if self.tty else 5.0):
            return
        self._last = now
        frac = self.done / self.total
        elapsed = now - self.t0
        line = (f"[{self.label}] |{'#' * int(30 * frac):-<30}| {100 * frac:5.1f}%  {self.done:,}/{self.total:,} "
                f"model-steps  {elapsed:6.1f}s elapsed  {self.eta_text(now)} {note}")
        sys.stderr.write(("\r" + line) if self.tty else (line + "\n"))
        if finished and self.tty:
            sys.stderr.write("\n")
        sys.stderr.flush()

    def eta_text(self, now: float) -> str:
        """'ETA 12.3s' from the post-compilation rate, 'done', or 'ETA: compiling…'."""
        if self.done >= self.total:
            return "done"
        timed_done = self.done - self._rate_done0
        if self._rate_t0 is None or timed_done <= 0 or now <= self._rate_t0:
            return "ETA: compiling…"
        rate = timed_done / (now - self._rate_t0)
        return f"ETA {(self.total - self.done) / rate:6.1f}s"


# ----------------------------------------------------------------------------- training chunks


def train_chunk(spec: RunSpec, hp: CellHyper, plan, progress: Progress | None = None,
                block: int | None = None) -> dict[str, np.ndarray]:
    """Train one chunk of models (leading axis of ``hp``) to the end; return host arrays:
    final params (``p:<name>``), snapshots (``s:<name>`` [I, T, ...]) and loss_T [I, T] at the
    logged steps plan.steps_T (loss: exact, on the first evaluation batch), and for the final
    weights eval_loss [I] and eval_loss_se [I] (mean and standard error over the shared
    evaluation sample) and dataset_loss [I] (on the fixed training set; NaN without one).

    The chunk is sharded over every device (of every process) when its size is a multiple of the
    device count, else it runs on one device. ``block``: models vmapped together (0 = all of a
    device's slice; None = :func:`block_target`'s choice). A device running out of memory raises
    :class:`ChunkOOMError`."""
    n_models = hp.density_F.shape[0]
    mesh = sweep_mesh(n_models)
    n_dev = 1 if mesh is None else mesh.size
    if block is None:
        block = block_for(n_models // n_dev, block_target(spec))
    try:
        return _train_chunk(spec, _place(hp, mesh), plan, progress, block, mesh)
    except jax.errors.JaxRuntimeError as e:
        if not _is_oom(e):
            raise
        detail = next((ln.strip() for ln in str(e).splitlines() if "RESOURCE_EXHAUSTED" in ln), "RESOURCE_EXHAUSTED")
        raise ChunkOOMError(n_models, n_dev, detail[:160]) from None


def _train_chunk(spec, hp, plan, progress, block, mesh) -> dict[str, np.ndarray]:
    init, adv, fin = make_chunk_fns(spec, block, mesh)
    n_models = hp.density_F.shape[0]
    state = init(hp)
    snaps: list[dict[str, np.ndarray]] = []
    losses: list[np.ndarray] = []
    for c in range(plan.lo_CxK.shape[0]):
        state, snap_params, loss_IxK = adv(state, hp, jnp.asarray(plan.lo_CxK[c]), jnp.asarray(plan.hi_CxK[c]),
                                           jnp.asarray(plan.snapshot_CxK[c]))
        sel = np.flatnonzero(plan.snapshot_CxK[c])
        # to host every call (the loss always): the progress bar then counts finished steps
        snap_params, loss_IxK = to_host((snap_params if sel.size else {}, loss_IxK))
        if sel.size:
            snaps.append({k: v[:, sel] for k, v in snap_params.items()})
            losses.append(loss_IxK[:, sel])
        if progress is not None:
            progress.update(int((plan.hi_CxK[c] - plan.lo_CxK[c]).sum()) * n_models)
    eval_loss, eval_se, dataset_loss = to_host(fin(state, hp))
    out = {f"p:{k}": v for k, v in to_host(state.params).items()}
    if snaps:
        for k in snaps[0]:
            out[f"s:{k}"] = np.concatenate([s[k] for s in snaps], axis=1)
        out["loss_T"] = np.concatenate(losses, axis=1)
    out["eval_loss"] = eval_loss
    out["eval_loss_se"] = eval_se
    out["dataset_loss"] = dataset_loss
    return out


def _hyper(bp: BucketPlan, sl: slice, size: int) -> CellHyper:
    """The CellHyper of cells ``sl`` padded to ``size`` models (padding repeats the last cell)."""
    idx = np.arange(sl.start, sl.stop)
    idx = np.concatenate([idx, np.full(size - len(idx), idx[-1])])
    return CellHyper(cell_keys(bp.seeds_C[idx], bp.tags_C[idx]),
                     jnp.asarray(bp.density_CxF[idx]), jnp.asarray(bp.importance_CxF[idx]))


def cell_metrics(model: ModelConfig, params: dict[str, np.ndarray], eval_loss, eval_loss_se,
                 dataset_loss) -> dict[str, np.ndarray]:
    """Per-model summary columns for metrics.csv (vectorised over the leading model axis); the
    store's docstring (toymodels.store) defines every column."""
    W = params["W1_HxF"] if model.kind == "abs" else params["W_HxF"]
    W = W.astype(np.float64)
    frob2 = (W**2).sum(axis=(-2, -1))
    norms = np.sqrt((W**2).sum(axis=-2))
    finite = np.isfinite(eval_loss) & np.all(np.isfinite(W.reshape(W.shape[0], -1)), axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        dims = np.where(frob2 > 0, model.n_hidden / frob2, np.inf)
    # a diverged model is never "0 represented, D* = inf": NaN and -1 say it has no such numbers
    w_finite = np.all(np.isfinite(W.reshape(W.shape[0], -1)), axis=1)
    return {"eval_loss": eval_loss, "eval_loss_se": eval_loss_se, "dataset_loss": dataset_loss,
            "finite": finite.astype(int),
            "frobenius2": frob2, "dims_per_feature": np.where(w_finite, dims, np.nan),
            "n_represented": np.where(w_finite, (norms > REPRESENTED_NORM).sum(axis=-1), -1)}


@dataclasses.dataclass
class SweepResult:
    run_dir: Path
    trained_models: int
    wall_s: float
    nonfinite_cells: list[str]


def run_sweep(cfg: SweepConfig, *, max_chunks: int | None = None) -> SweepResult:
    """Train every cell of ``cfg`` (resuming finished chunks) and write the run directory.

    With several processes (cfg.distributed) every process runs this same function on the same
    plan: each chunk is one global computation whose devices span all processes, every process
    receives the chunk's results, and only process 0 touches the results store (it decides which
    chunks are already finished and tells the others).

    ``max_chunks`` stops after that many newly trained chunks (used to test resuming); the run
    directory then holds the chunks and no final files."""
    validate(cfg)
    init_distributed(cfg)
    writer = jax.process_index() == 0
    rdir = store.run_dir(cfg)
    buckets = plan_buckets(cfg)
    plan = plan_intervals(cfg.train.steps, cfg.train.n_snapshots)
    preflight_memory(cfg, buckets, plan)  # before anything is written
    if writer:
        store.ensure_writable(Path(cfg.results_dir))
    if bool(_agree(writer and store.is_complete(rdir))):
        meta = store.read_json(rdir / "meta.json") if writer else {}
        if writer:  # a kill after meta.json but before the cleanup leaves chunks/ and temporaries
            store.clean_partial(rdir)
            store.remove_chunks(rdir)
        return SweepResult(rdir, 0, 0.0, meta.get("nonfinite_cells", []))
    if writer:
        store.clean_partial(rdir)  # temporaries of a killed write are never read back
        store.save_config(rdir, cfg)
    t0 = time.perf_counter()
    total = sum(b.n_cells for b in buckets) * cfg.train.steps
    progress = Progress(total, cfg.name, cfg.progress and writer)
    trained, new_chunks = 0, 0
    results: dict[int, list[dict[str, np.ndarray]]] = {}
    layouts = [chunk_layout(cfg, RunSpec(bp.model, cfg.data, cfg.train), bp.n_cells, plan.lo_CxK.shape[1])
               for bp in buckets]
    if writer:  # chunks of another layout (e.g. resumed with a different --chunk-size) are stale
        expected = {store.chunk_path(rdir, bp.index, a, min(a + size, bp.n_cells)).name
                    for bp, (size, _) in zip(buckets, layouts) for a in range(0, bp.n_cells, size)}
        for p in (rdir / "chunks").glob("*.npz") if (rdir / "chunks").is_dir() else []:
            if p.name not in expected:
                p.unlink()
    for bp, (size, block) in zip(buckets, layouts):
        spec = RunSpec(bp.model, cfg.data, cfg.train)
        results[bp.index] = []
        starts = list(range(0, bp.n_cells, size))
        paths = [store.chunk_path(rdir, bp.index, a, min(a + size, bp.n_cells)) for a in starts]
        saved = [_load_chunk(p, stop - start) if writer else None
                 for p, start, stop in zip(paths, starts, [min(a + size, bp.n_cells) for a in starts])]
        done = _agree(np.array([c is not None for c in saved], bool))
        t_chunk = time.perf_counter()
        for start, path, finished, chunk in zip(starts, paths, done, saved):
            stop = min(start + size, bp.n_cells)
            if finished:
                if writer:
                    results[bp.index].append(chunk)
                progress.update((stop - start) * cfg.train.steps, "(resumed)", timed=False)
                continue
            if max_chunks is not None and new_chunks >= max_chunks:
                return SweepResult(rdir, trained, time.perf_counter() - t0, [])
            out = train_chunk(spec, _hyper(bp, slice(start, stop), size), plan, progress, block)
            out = {k: v[: stop - start] for k, v in out.items()}
            # the chunk's cost (training, compilation, waiting) travels with it, so a resumed
            # sweep's meta.json still reports what the whole run cost
            now = time.perf_counter()
            out[COST_KEY] = np.float64(now - t_chunk)
            t_chunk = now
            if writer:
                store.write_npz(path, out)
                results[bp.index].append(out)
            trained += stop - start
            new_chunks += 1
    wall = time.perf_counter() - t0
    nonfinite = _finalize(cfg, rdir, buckets, plan, results, wall, trained) if writer else []
    return SweepResult(rdir, trained, wall, nonfinite)


COST_KEY = "cost:wall_s"
"""Seconds a chunk took to train (its share of compilation included), stored in its chunk file."""


def _load_chunk(path: Path, n_models: int) -> dict[str, np.ndarray] | None:
    """A finished chunk's arrays, or None when it is absent or unusable (then it is trained again):
    a file that does not load, or whose arrays do not hold n_models models (e.g. a chunk of an
    earlier layout under the same name cannot happen, but a damaged file can)."""
    if not path.exists():
        return None
    try:
        out = store.read_npz(path)
    except store.StoreError:
        path.unlink(missing_ok=True)
        return None
    if not out or any(k != COST_KEY and (v.ndim == 0 or v.shape[0] != n_models) for k, v in out.items()):
        path.unlink(missing_ok=True)
        return None
    return out


def _finalize(cfg, rdir, buckets, plan, results, wall, trained) -> list[str]:
    rows, grid_json, nonfinite = [], [], []
    t_final = time.perf_counter()
    chunk_cost = sum(float(r.get(COST_KEY, 0.0)) for rs in results.values() for r in rs)
    written = ["config.json"]
    for bp in buckets:
        cat = {k: np.concatenate([r[k] for r in results[bp.index]]) for k in results[bp.index][0]
               if k != COST_KEY}
        shape = bp.grid_shape
        params = {k[2:]: v.reshape(shape + v.shape[1:]) for k, v in cat.items() if k.startswith("p:")}
        axis_arrays = {f"axis_{a}": v for a, v in bp.axes.items()}
        store.write_npz(rdir / f"params-b{bp.index}.npz", {**params, **axis_arrays})
        written.append(f"params-b{bp.index}.npz")
        if "loss_T" in cat:
            hist = {k[2:]: v.reshape(shape + v.shape[1:]) for k, v in cat.items() if k.startswith("s:")}
            hist["loss"] = cat["loss_T"].reshape(shape + cat["loss_T"].shape[1:])
            store.write_npz(rdir / f"history-b{bp.index}.npz", {"steps_T": plan.steps_T, **hist, **axis_arrays})
            written.append(f"history-b{bp.index}.npz")
        flat_params = {k[2:]: v for k, v in cat.items() if k.startswith("p:")}
        cols = cell_metrics(bp.model, flat_params, cat["eval_loss"], cat["eval_loss_se"], cat["dataset_loss"])
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
    written += ["grid.json", "metrics.csv"]
    n_models = sum(b.n_cells for b in buckets)
    # The whole run's cost, over every session that trained part of it: each chunk carries its
    # own training time, plus this session's final writing. trained_models counts every model.
    total_wall = chunk_cost + (time.perf_counter() - t_final)
    store.write_json(rdir / "meta.json", {
        "status": "complete", "name": cfg.name, "wall_s": round(total_wall, 3), "trained_models": n_models,
        "n_models": n_models,
        "model_steps_per_s": round(n_models * cfg.train.steps / chunk_cost, 1) if chunk_cost > 0 else None,
        "this_session": {"wall_s": round(wall, 3), "trained_models": trained, "resumed": trained < n_models},
        "nonfinite_cells": nonfinite, "versions": versions(), "devices": [str(d) for d in jax.devices()],
        "process_count": jax.process_count(),
        "backend": jax.default_backend(), "host": platform.node(), "cpu_count": os.cpu_count(),
        "sha256": store.checksums(rdir, written)})
    store.remove_chunks(rdir)
    store.clean_partial(rdir)
    return nonfinite


def _package_version(name: str) -> str:
    """A package's version, never an exception: its ``__version__``, else the installed metadata,
    else "unknown". (A folder named like the package in the working directory can shadow it as a
    namespace package without ``__version__``; a run must still record its meta.json.)"""
    import importlib
    import importlib.metadata
    try:
        v = getattr(importlib.import_module(name), "__version__", None)
        if isinstance(v, str):
            return v
    except Exception:
        pass
    try:
        return importlib.metadata.version(name)
    except Exception:
        return "unknown"


def versions() -> dict[str, str]:
    return {"toymodels": _package_version("toymodels"), "jax": jax.__version__,
            "jaxlib": _package_version("jaxlib"), "numpy": np.__version__,
            "optax": _package_version("optax"), "flax": _package_version("flax"),
            "python": platform.python_version()}


def eval_example_losses(run: store.Run, bucket: int, cells) -> np.ndarray:
    """Per-example losses ℓ_KxN of the final weights of ``cells`` on their shared evaluation sample.

    The sample is regenerated exactly as training scored it (toymodels.train.eval_key), so the
    mean of row k is the cell's stored ``eval_loss`` up to float rounding, and two cells with the
    same densities have rows on the same N examples (pair them with
    toymodels.selection.paired_difference).

    Args:
      run: a finished sweep (toymodels.store.Run).
      bucket: index into run.buckets.
      cells: grid indices, one tuple per cell (same order as the bucket's axes, seed last).
    """
    from toymodels.train import eval_example_losses as one_model

    bk = run.buckets[bucket]
    bp = plan_bucket(run.config, bk.index, ModelConfig(**bk.model))
    flat = np.array([np.ravel_multi_index(tuple(c), bp.grid_shape) for c in cells], np.int64)
    idx = tuple(np.array(c) for c in zip(*[tuple(c) for c in cells]))
    params = {k: jnp.asarray(v[idx]) for k, v in bk.params.items() if not k.startswith("axis_")}
    hp = CellHyper(cell_keys(bp.seeds_C[flat], bp.tags_C[flat]), jnp.asarray(bp.density_CxF[flat]),
                   jnp.asarray(bp.importance_CxF[flat]))
    spec = RunSpec(bp.model, run.config.data, run.config.train)
    return np.asarray(jax.jit(jax.vmap(lambda p, h: one_model(spec, p, h)))(params, hp))


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
