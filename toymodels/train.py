"""Training: one run is a pure function; many runs are one vmapped, compiled call.

The unit of compiled work is :func:`make_chunk_fns`' ``advance``: for a chunk of I models (a
vmapped axis) it runs a fixed number K of step *intervals* ``[lo_k, hi_k)`` as a ``lax.scan`` over
intervals whose body is a ``lax.fori_loop`` over steps. The scan emits each model's parameters at
the end of every interval and, at the logged steps, their exact loss on the first batch of the
shared evaluation sample, so weight snapshots at log-spaced steps (and step 0, an empty first
interval) are recorded inside the compiled loop. The host calls ``advance`` a few dozen times per
chunk (to draw a progress bar), never once per step; the interval bounds are traced values, so every call reuses
one compilation, and changing grid values (densities, importances, seeds) never recompiles.
On a CPU the model axis is walked in cache-sized blocks (vmap inside, lax.map outside; see
:func:`map_models`); with several devices it is split over them by ``jax.shard_map``.

Per-step randomness is ``fold_in(data_key, step)``: a model's trajectory does not depend on how
the steps are split into intervals, how many models share the chunk, or on resuming.

Evaluation uses common random numbers: the evaluation sample is drawn from :func:`eval_key`, a
function of TrainConfig.eval_seed and the cell's feature densities only, so all seeds and all
cells with the same data distribution are scored on the same examples (paired comparisons).
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from toymodels import data as data_lib
from toymodels import models
from toymodels.config import DataConfig, ModelConfig, TrainConfig

EVAL_FOLD = 0x7FFFFFFF  # fold_in tag of the evaluation stream (keeps it apart from key(eval_seed)'s other uses)


class CellHyper(NamedTuple):
    """Per-model values that vary across a grid (vmapped arrays, never static)."""

    key: jax.Array  # the cell's PRNG key, from (seed, cell values)
    density_F: jax.Array
    importance_F: jax.Array


class TrainState(NamedTuple):
    params: models.Params
    opt_state: Any
    dataset_TxF: jax.Array  # (0, F) when training on fresh batches


def make_schedule(cfg: TrainConfig) -> optax.Schedule:
    """Learning-rate schedule of TrainConfig.schedule."""
    lr, steps = cfg.lr, cfg.steps
    if cfg.schedule == "constant":
        return optax.constant_schedule(lr)
    if cfg.schedule == "linear":  # the notebook's linear_lr: 1 - step/steps
        return optax.linear_schedule(lr, 0.0, steps)
    if cfg.schedule == "cosine":  # the notebook's cosine_decay_lr: cos(π/2 · step/(steps-1))
        return lambda step: lr * jnp.cos(0.5 * jnp.pi * step / max(steps - 1, 1))
    return optax.warmup_cosine_decay_schedule(0.0, lr, max(cfg.warmup_steps, 1), steps, 0.0)


def make_optimizer(cfg: TrainConfig) -> optax.GradientTransformation:
    """AdamW as torch.optim.AdamW: decoupled weight decay on every parameter (b included)."""
    return optax.adamw(make_schedule(cfg), b1=cfg.b1, b2=cfg.b2, eps=cfg.eps,
                       weight_decay=cfg.weight_decay)


def _split_cell_key(key: jax.Array):
    init_key, data_key, dataset_key = jax.random.split(key, 3)
    return init_key, data_key, dataset_key


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """The static (shape-defining) part of a run: everything jit specialises on."""

    model: ModelConfig
    data: DataConfig
    train: TrainConfig

    @property
    def signed(self) -> bool:
        return data_lib.is_signed(self.data, self.model.kind)


def _sample(spec: RunSpec, key, density_F, batch: int):
    x = data_lib.sample_batch(key, density_F, spec.data, batch, spec.signed)
    return data_lib.normalize_rows(x) if spec.data.normalize else x


def init_state(spec: RunSpec, hp: CellHyper) -> TrainState:
    """Parameters, optimizer state and (for finite-data runs) the fixed training set of one model."""
    init_key, _, dataset_key = _split_cell_key(hp.key)
    params = models.init_params(spec.model, init_key)
    opt_state = make_optimizer(spec.train).init(params)
    t = spec.data.dataset_size
    dataset = (_sample(spec, dataset_key, hp.density_F, t) if t > 0
               else jnp.zeros((0, spec.model.n_features), jnp.float32))
    return TrainState(params, opt_state, dataset)


def _batch_at(spec: RunSpec, state: TrainState, hp: CellHyper, step) -> jax.Array:
    _, data_key, _ = _split_cell_key(hp.key)
    key = jax.random.fold_in(data_key, step)
    if spec.data.dataset_size == 0:
        return _sample(spec, key, hp.density_F, spec.train.batch_size)
    if spec.train.full_batch:
        return state.dataset_TxF
    idx = jax.random.randint(key, (spec.train.batch_size,), 0, spec.data.dataset_size)
    return state.dataset_TxF[idx]


def train_step(spec: RunSpec, state: TrainState, hp: CellHyper, step) -> tuple[TrainState, jax.Array]:
    """One AdamW update of one model on the batch of ``step``; returns (state, batch loss)."""
    x_BxF = _batch_at(spec, state, hp, step)
    loss_fn = functools.partial(models.training_loss, spec.model.kind, x_BxF=x_BxF, importance_F=hp.importance_F)
    loss, grads = jax.value_and_grad(loss_fn)(state.params)
    updates, opt_state = make_optimizer(spec.train).update(grads, state.opt_state, state.params)
    params = optax.apply_updates(state.params, updates)
    return TrainState(params, opt_state, state.dataset_TxF), loss


def advance(spec: RunSpec, state: TrainState, hp: CellHyper, lo_K: jax.Array, hi_K: jax.Array,
            log_K: jax.Array):
    """Run steps [lo_k, hi_k) for k = 0..K-1 in order (empty intervals allowed).

    Returns (state, params at the end of each interval [K, ...], loss [K]): where log_k is True
    the exact loss of those params on the first evaluation batch (:func:`log_loss`), else NaN.
    log_K is one flag per interval for all models (not vmapped), so the skipped evaluations cost
    nothing; with TrainConfig.n_snapshots = 0 none is compiled."""

    def interval(state, lo_hi_log):
        lo, hi, log = lo_hi_log
        state = jax.lax.fori_loop(lo, hi, lambda step, st: train_step(spec, st, hp, step)[0], state)
        if spec.train.n_snapshots > 0:
            loss = jax.lax.cond(log, lambda p: log_loss(spec, p, hp), lambda p: jnp.float32(jnp.nan),
                                state.params)
        else:
            loss = jnp.float32(jnp.nan)
        return state, (state.params, loss)

    state, (snaps, losses_K) = jax.lax.scan(interval, state, (lo_K, hi_K, log_K))
    return state, snaps, losses_K


def eval_key(spec: RunSpec, density_F: jax.Array) -> jax.Array:
    """Key of the shared evaluation sample: fold_in of every feature density's float32 bits into
    key(eval_seed). It depends on the data distribution only (the densities; the correlation
    structure, signs and normalisation are static config, the same for the whole sweep), never on
    the model seed, importance or grid position."""
    bits_F = jax.lax.bitcast_convert_type(density_F.astype(jnp.float32), jnp.uint32)
    key = jax.random.fold_in(jax.random.key(spec.train.eval_seed), EVAL_FOLD)
    return jax.lax.fori_loop(0, bits_F.shape[-1], lambda i, k: jax.random.fold_in(k, bits_F[i]), key)


def eval_batching(cfg: TrainConfig) -> tuple[int, int]:
    """(examples per evaluation batch, number of batches): the sample holds their product,
    eval_samples rounded down to whole batches of min(batch_size, eval_samples)."""
    batch = min(cfg.batch_size, cfg.eval_samples)
    return batch, max(cfg.eval_samples // batch, 1)


def eval_batch(spec: RunSpec, density_F: jax.Array, i) -> jax.Array:
    """Batch i of the shared evaluation sample, x_BxF."""
    batch, _ = eval_batching(spec.train)
    return _sample(spec, jax.random.fold_in(eval_key(spec, density_F), i), density_F, batch)


def example_losses(kind: str, params: models.Params, x_BxF: jax.Array, importance_F: jax.Array) -> jax.Array:
    """Per-example loss ℓ_b = mean_i I_i (y_bi − y'_bi)²; its mean over b is models.loss."""
    err_BxF = models.target(kind, x_BxF) - models.forward(kind, params, x_BxF)
    return jnp.mean(importance_F * err_BxF**2, axis=-1)


def log_loss(spec: RunSpec, params: models.Params, hp: CellHyper) -> jax.Array:
    """The logged loss: exact loss of ``params`` on the first batch of the shared evaluation sample."""
    x_BxF = eval_batch(spec, hp.density_F, 0)
    return jnp.mean(example_losses(spec.model.kind, params, x_BxF, hp.importance_F))


def eval_example_losses(spec: RunSpec, params: models.Params, hp: CellHyper) -> jax.Array:
    """Per-example losses ℓ_N of ``params`` on the whole shared evaluation sample (N =
    batch × batches of :func:`eval_batching`), for paired comparisons of models."""
    batch, n_batches = eval_batching(spec.train)

    def one(i):
        return example_losses(spec.model.kind, params, eval_batch(spec, hp.density_F, i), hp.importance_F)

    return jax.lax.map(one, jnp.arange(n_batches)).reshape(n_batches * batch)


def evaluate(spec: RunSpec, params: models.Params, hp: CellHyper) -> tuple[jax.Array, jax.Array]:
    """(mean, standard error) of the per-example loss over the shared evaluation sample.

    SE = sd(ℓ)/√N with the sample sd (ddof 1), accumulated in batches: per-batch means and sums
    of squared deviations combined exactly (Chan et al.), so no float32 sum of squares cancels."""
    batch, n_batches = eval_batching(spec.train)

    def body(i, acc):
        mean_K, m2_K = acc
        loss_B = example_losses(spec.model.kind, params, eval_batch(spec, hp.density_F, i), hp.importance_F)
        mu = jnp.mean(loss_B)
        return mean_K.at[i].set(mu), m2_K.at[i].set(jnp.sum((loss_B - mu) ** 2))

    zeros = jnp.zeros((n_batches,), jnp.float32)
    mean_K, m2_K = jax.lax.fori_loop(0, n_batches, body, (zeros, zeros))
    n = n_batches * batch
    mean = jnp.mean(mean_K)
    m2 = jnp.sum(m2_K) + batch * jnp.sum((mean_K - mean) ** 2)
    se = jnp.sqrt(m2 / max(n - 1, 1) / n)
    return mean, se


def train_loss_full(spec: RunSpec, state: TrainState, hp: CellHyper) -> jax.Array:
    """Loss on the whole fixed training set (NaN when training on fresh batches)."""
    if spec.data.dataset_size == 0:
        return jnp.float32(jnp.nan)
    return models.training_loss(spec.model.kind, state.params, state.dataset_TxF, hp.importance_F)


def map_models(fn, block: int = 0):
    """``fn`` (one model) applied over the leading model axis of every argument.

    block = 0 (or >= the number of models): ``jax.vmap`` over all models at once — what a GPU or
    TPU wants, one large batched op per layer.
    block = k: ``jax.vmap`` over blocks of k consecutive models and ``lax.map`` (a compiled loop)
    over the blocks; the number of models must be a multiple of k. The per-model math is the same
    as plain vmap; the point is memory traffic on a CPU: for n=200, m=20, batch 1024 one model's
    batch-sized activations are ~0.8 MB, so 20 vmapped models stream ~16 MB arrays through RAM at
    every elementwise op, while a block of 4 stays in cache (docs/benchmarks.md has the numbers).
    """
    vf = jax.vmap(fn)
    if block <= 0:
        return vf

    def blocked(*args):
        n = jax.tree_util.tree_leaves(args)[0].shape[0]
        if n <= block:
            return vf(*args)
        if n % block:
            raise ValueError(f"{n} models do not split into blocks of {block}")
        split = lambda a: a.reshape((n // block, block) + a.shape[1:])  # noqa: E731
        out = jax.lax.map(lambda a: vf(*a), jax.tree_util.tree_map(split, args))
        return jax.tree_util.tree_map(lambda a: a.reshape((n,) + a.shape[2:]), out)

    return blocked


def make_chunk_fns(spec: RunSpec, block: int = 0, mesh: jax.sharding.Mesh | None = None):
    """Jitted init / advance / finish over the leading model axis for one RunSpec.

    ``block``: see :func:`map_models` (0 = plain vmap). ``mesh``: a 1-D ``jax.sharding.Mesh`` with
    axis ``"models"``; when it has several devices each function is a ``jax.shard_map`` over it, so
    every device trains its own contiguous slice of the models (no communication: models are
    independent) and the model count must be a multiple of the mesh size.

    Cached per (spec, block, mesh), so a second sweep with the same shapes reuses the compiled
    functions."""
    if mesh is not None and mesh.size <= 1:
        mesh = None
    return _make_chunk_fns(spec, int(block), mesh)


@functools.lru_cache(maxsize=64)
def _make_chunk_fns(spec: RunSpec, block: int, mesh: jax.sharding.Mesh | None):
    P = jax.sharding.PartitionSpec

    def sharded(f, in_specs):
        if mesh is None:
            return f
        # check_vma=False: nothing inside communicates, and the loop carries (a running loss sum
        # that starts as a replicated 0.0) need no varying-axis annotations
        return jax.shard_map(f, mesh=mesh, in_specs=in_specs, out_specs=P("models"), check_vma=False)

    def init_fn(hp):
        return map_models(functools.partial(init_state, spec), block)(hp)

    def adv_fn(state, hp, lo_K, hi_K, log_K):
        return map_models(lambda s, h: advance(spec, s, h, lo_K, hi_K, log_K), block)(state, hp)

    def finish(state, hp):
        """(eval loss, its standard error, loss on the fixed training set) of the final weights."""
        return (*evaluate(spec, state.params, hp), train_loss_full(spec, state, hp))

    def fin_fn(state, hp):
        return map_models(finish, block)(state, hp)

    m = P("models")
    init = jax.jit(sharded(init_fn, (m,)))
    adv = jax.jit(sharded(adv_fn, (m, m, P(), P(), P())), donate_argnums=(0,))
    fin = jax.jit(sharded(fin_fn, (m, m)))
    return init, adv, fin


def log_spaced_steps(steps: int, n: int) -> np.ndarray:
    """The logged steps: 0 (the init) and up to n distinct log-spaced steps in [1, steps] that
    always include ``steps`` (and 1 when n >= 2). n <= 0: just [steps], the end of training (a
    cut point of the plan, not a logged step)."""
    if n <= 0:
        return np.array([steps], dtype=np.int64)
    logged = np.round(np.geomspace(steps, 1, n)).astype(np.int64)  # n = 1: [steps]
    return np.unique(np.concatenate([[0], logged]))


class IntervalPlan(NamedTuple):
    """How a run's steps are cut into compiled calls.

    lo_CxK / hi_CxK: the K intervals each of the C calls runs (padded with empty ones);
    snapshot_CxK: whether the interval's end is a logged snapshot step; steps_T: those steps."""

    lo_CxK: np.ndarray
    hi_CxK: np.ndarray
    snapshot_CxK: np.ndarray
    steps_T: np.ndarray


def plan_intervals(steps: int, n_snapshots: int, n_calls: int = 20) -> IntervalPlan:
    """Cut [0, steps) at the snapshot steps and at ~n_calls even ticks; group into n_calls calls.

    Each call covers about steps/n_calls steps, so the host can update a progress bar between
    calls; all calls have the same K (padding), so they share one compilation. Step 0 is logged
    by an empty first interval [0, 0), whose end state is the init."""
    snaps = log_spaced_steps(steps, n_snapshots)
    ticks = np.unique(np.round(np.linspace(0, steps, n_calls + 1)[1:]).astype(np.int64))
    ends = np.unique(np.concatenate([snaps, ticks]))
    starts = np.concatenate([[0], ends[:-1]])
    groups: list[list[int]] = [[] for _ in ticks]
    for j, e in enumerate(ends):
        groups[int(np.searchsorted(ticks, e))].append(j)
    groups = [g for g in groups if g]
    k = max(len(g) for g in groups)
    lo = np.full((len(groups), k), steps, np.int32)
    hi = np.full((len(groups), k), steps, np.int32)
    snap = np.zeros((len(groups), k), bool)
    snap_set = set(snaps.tolist())
    for c, g in enumerate(groups):
        for slot, j in enumerate(g):
            lo[c, slot], hi[c, slot] = starts[j], ends[j]
            snap[c, slot] = (int(ends[j]) in snap_set) and n_snapshots > 0
    steps_T = snaps if n_snapshots > 0 else np.zeros((0,), np.int64)
    return IntervalPlan(lo, hi, snap, steps_T)
