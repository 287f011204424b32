"""Vmapped SAE training: seeds × coefficients in one compiled call per dictionary-size bucket.

A run is a pure function of (SAESpec, source, SAEHyper). ``advance`` runs steps [lo, hi) as a
``lax.fori_loop`` whose body samples a fresh batch from the ground-truth source inside the
compiled loop, with key fold_in(data_key, step); it is vmapped over the models of a chunk and
jitted once per spec (lo/hi are traced, so every segment reuses one compilation, and changing
only coefficient values never recompiles). The host calls it ~n_calls times per run, for the
progress bar and for dead-latent resampling between segments — never once per step.

Randomness: a model's init key, data stream and resampling stream depend only on (seed,
n_latents), not on its coefficient or position in the grid. So SAEs that differ only in λ (or k)
see identical batches (common random numbers), and a model trained alone is the same model as in
any grid.

Resampling (Anthropic 2023, "Towards Monosemanticity"; sae_recovery.md §2): at the steps of
``SAETrainConfig.resample_at``, latents that have not fired for ``resample_window`` steps are
reinitialised: draw ``resample_samples`` fresh inputs, compute each one's reconstruction loss
‖x − x̂‖², pick one input per dead latent with probability ∝ loss²; decoder row ← x/‖x‖ (times the
mean alive decoder norm for the free-norm variants); encoder column ← 0.2 · (mean alive encoder
column norm) · x/‖x‖; b_enc ← 0 (and the variant's per-latent extras back to their init); the Adam
moments of every modified slice are set to 0.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import zlib
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from toymodels.sae import sources
from toymodels.sae import variants as V
from toymodels.sae.config import UNIT_NORM_VARIANTS, SAEConfig, SAETrainConfig
from toymodels.sae.sources import SourceConfig

RESAMPLE_ENCODER_SCALE = 0.2


class SAEHyper(NamedTuple):
    """Per-model values (vmapped arrays)."""

    key: jax.Array  # from (seed, n_latents)
    coef: jax.Array  # λ, or k for the TopK family (float32)


class SAEState(NamedTuple):
    params: V.Params
    opt_state: Any
    aux: V.Aux


@dataclasses.dataclass(frozen=True)
class SAESpec:
    """Everything jit specialises on: architecture, source config, recipe, and the shapes."""

    sae: SAEConfig
    source: SourceConfig
    train: SAETrainConfig
    d: int
    n_latents: int


def model_key(seed: int, n_latents: int) -> jax.Array:
    return jax.random.fold_in(jax.random.key(seed), zlib.crc32(json.dumps(["sae", n_latents]).encode()))


def make_hyper(seeds, coefs, n_latents: int) -> SAEHyper:
    keys = jnp.stack([model_key(int(s), n_latents) for s in np.asarray(seeds)])
    return SAEHyper(keys, jnp.asarray(coefs, jnp.float32))


def _keys(key):
    init_key, data_key, resample_key = jax.random.split(key, 3)
    return init_key, data_key, resample_key


def make_schedule(t: SAETrainConfig):
    decay_start = int(round(t.steps * (1 - t.lr_decay_frac)))
    if t.lr_decay_frac <= 0:
        return optax.constant_schedule(t.lr)

    def schedule(step):
        frac = jnp.clip((t.steps - step) / max(t.steps - decay_start, 1), 0.0, 1.0)
        return t.lr * frac
    return schedule


def make_optimizer(t: SAETrainConfig) -> optax.GradientTransformation:
    """Adam (no weight decay), optionally after global-norm clipping."""
    adam = optax.adam(make_schedule(t), b1=t.b1, b2=t.b2, eps=t.eps)
    return optax.chain(optax.clip_by_global_norm(t.grad_clip), adam) if t.grad_clip > 0 else adam


def coef_scale(t: SAETrainConfig, step):
    """λ warmup factor at ``step`` (1 without warmup)."""
    warm = t.coef_warmup_frac * t.steps
    if warm <= 0:
        return jnp.float32(1.0)
    return jnp.minimum(1.0, (step + 1) / warm).astype(jnp.float32)


def init_state(spec: SAESpec, hp: SAEHyper) -> SAEState:
    init_key, _, _ = _keys(hp.key)
    params = V.init_params(spec.sae, spec.d, spec.n_latents, init_key)
    return SAEState(params, make_optimizer(spec.train).init(params), V.init_aux(spec.sae, spec.n_latents))


def train_step(spec: SAESpec, source, state: SAEState, hp: SAEHyper, step):
    """One Adam update on the fresh batch of ``step``; returns (state, loss)."""
    _, data_key, _ = _keys(hp.key)
    x_BxD, _ = sources.sample(source, spec.source, jax.random.fold_in(data_key, step), spec.train.batch_size)
    scale = coef_scale(spec.train, step)

    def loss_fn(params):
        return V.loss(spec.sae, params, state.aux, x_BxD, hp.coef, scale)

    (loss, info), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.params)
    updates, opt_state = make_optimizer(spec.train).update(grads, state.opt_state, state.params)
    params = optax.apply_updates(state.params, updates)
    return SAEState(params, opt_state, V.update_aux(spec.sae, state.aux, info)), loss


def advance(spec: SAESpec, source, state: SAEState, hp: SAEHyper, lo, hi):
    """Steps [lo, hi) of one model; returns (state, mean batch loss over the segment)."""

    def body(step, carry):
        state, total = carry
        state, loss = train_step(spec, source, state, hp, step)
        return state, total + loss

    state, total = jax.lax.fori_loop(lo, hi, body, (state, jnp.float32(0.0)))
    return state, jnp.where(hi > lo, total / jnp.maximum(hi - lo, 1), jnp.nan)


def _latent_mask(name: str, leaf: jax.Array, dead_L: jax.Array) -> jax.Array | None:
    """Boolean mask of ``leaf``'s entries that belong to dead latents (None: not per-latent)."""
    if name not in V.LATENT_AXIS:
        return None
    axis = V.LATENT_AXIS[name]
    shape = [1] * leaf.ndim
    shape[axis] = leaf.shape[axis]
    return jnp.broadcast_to(dead_L.reshape(shape), leaf.shape)


def reset_moments(opt_state, dead_L: jax.Array):
    """Zero the optimizer state (Adam mu/nu) of every dead latent's parameter slices."""

    def fix(path, leaf):
        names = [p.key for p in path if isinstance(p, jax.tree_util.DictKey)]
        if not names or not hasattr(leaf, "ndim"):
            return leaf
        mask = _latent_mask(names[-1], leaf, dead_L)
        return leaf if mask is None else jnp.where(mask, jnp.zeros_like(leaf), leaf)

    return jax.tree_util.tree_map_with_path(fix, opt_state)


def resample(spec: SAESpec, source, state: SAEState, hp: SAEHyper, step):
    """Anthropic-style resampling of dead latents (see the module docstring); returns
    (state, number of latents resampled)."""
    cfg, t = spec.sae, spec.train
    window = t.resample_window or cfg.dead_steps
    dead = state.aux.steps_since_fired_L >= window
    _, _, rkey = _keys(hp.key)
    k_data, k_pick = jax.random.split(jax.random.fold_in(rkey, step))
    x_NxD, _ = sources.sample(source, spec.source, k_data, t.resample_samples)
    f, _ = V.encode(cfg, state.params, x_NxD, hp.coef, state.aux, train=True)
    loss_N = jnp.square(x_NxD - V.decode(cfg, state.params, f)).sum(-1)
    w = jnp.square(loss_N)
    logits = jnp.where(w > 0, jnp.log(jnp.maximum(w, 1e-30)), -jnp.inf)
    logits = jnp.where(jnp.isfinite(logits).any(), logits, jnp.zeros_like(logits))
    idx_L = jax.random.categorical(k_pick, logits, shape=(spec.n_latents,))
    x_LxD = x_NxD[idx_L]
    dirs_LxD = x_LxD / jnp.maximum(jnp.linalg.norm(x_LxD, axis=-1, keepdims=True), 1e-12)
    alive = ~dead
    n_alive = jnp.maximum(alive.sum(), 1)

    def alive_mean(v_L):
        return jnp.where(alive.any(), (v_L * alive).sum() / n_alive, 1.0)

    p = dict(state.params)
    W_dec = p["W_dec_LxD"]
    dec_norm = 1.0 if cfg.variant in UNIT_NORM_VARIANTS else alive_mean(jnp.linalg.norm(W_dec, axis=-1))
    new = {"W_dec_LxD": dirs_LxD * dec_norm, "b_enc_L": jnp.zeros(spec.n_latents)}
    if "W_enc_DxL" in p:
        enc_norm = alive_mean(jnp.linalg.norm(p["W_enc_DxL"], axis=0))
        new["W_enc_DxL"] = dirs_LxD.T * (RESAMPLE_ENCODER_SCALE * enc_norm)
    if "log_threshold_L" in p:
        new["log_threshold_L"] = jnp.full(spec.n_latents, jnp.log(cfg.threshold_init))
    for name in ("r_mag_L", "b_mag_L"):
        if name in p:
            new[name] = jnp.zeros(spec.n_latents)
    for name, value in new.items():
        p[name] = jnp.where(_latent_mask(name, p[name], dead), value.astype(p[name].dtype), p[name])
    aux = state.aux._replace(steps_since_fired_L=jnp.where(dead, 0, state.aux.steps_since_fired_L))
    return SAEState(p, reset_moments(state.opt_state, dead), aux), dead.sum()


def evaluate(spec: SAESpec, params: V.Params, aux: V.Aux, coef, x_BxD):
    """Inference-mode codes and reconstruction of one model on an eval batch."""
    f, _ = V.encode(spec.sae, params, x_BxD, coef, aux, train=False)
    return f, V.decode(spec.sae, params, f)


@functools.lru_cache(maxsize=32)
def make_chunk_fns(spec: SAESpec):
    """Jitted, vmapped (over the leading model axis) init / advance / resample / evaluate."""
    init = jax.jit(jax.vmap(functools.partial(init_state, spec)))
    adv = jax.jit(jax.vmap(functools.partial(advance, spec), in_axes=(None, 0, 0, None, None)),
                  donate_argnums=(1,))
    res = jax.jit(jax.vmap(functools.partial(resample, spec), in_axes=(None, 0, 0, None)))
    ev = jax.jit(functools.partial(evaluate, spec))
    return init, adv, res, ev


def segments(t: SAETrainConfig) -> list[tuple[int, int, bool]]:
    """(lo, hi, resample_after) segments covering [0, steps): ~n_calls even ticks, cut at every
    resampling step."""
    ticks = set(np.round(np.linspace(0, t.steps, t.n_calls + 1)).astype(int).tolist())
    cuts = sorted(ticks | set(t.resample_at) | {0, t.steps})
    resample_at = set(t.resample_at)
    return [(a, b, b in resample_at) for a, b in zip(cuts[:-1], cuts[1:]) if b > a]


class ChunkResult(NamedTuple):
    params: dict[str, np.ndarray]  # [I, ...]
    aux: dict[str, np.ndarray]
    loss_I_T: np.ndarray  # mean loss per segment
    seg_end_T: np.ndarray
    resampled_I_R: np.ndarray  # latents resampled at each resampling step


def train_chunk(spec: SAESpec, source, hp: SAEHyper, progress=None) -> ChunkResult:
    """Train the models of ``hp`` (leading axis) to the end; host arrays out."""
    init, adv, res, _ = make_chunk_fns(spec)
    n_models = hp.coef.shape[0]
    state = init(hp)
    losses, ends, resampled = [], [], []
    for lo, hi, do_resample in segments(spec.train):
        state, loss_I = adv(source, state, hp, jnp.int32(lo), jnp.int32(hi))
        losses.append(np.asarray(loss_I))
        ends.append(hi)
        if do_resample:
            state, n_I = res(source, state, hp, jnp.int32(hi))
            resampled.append(np.asarray(n_I))
        if progress is not None:
            progress.update((hi - lo) * n_models)
    params = {k: np.asarray(v) for k, v in state.params.items()}
    aux = {"steps_since_fired_L": np.asarray(state.aux.steps_since_fired_L),
           "threshold": np.asarray(state.aux.threshold)}
    rs = np.stack(resampled, axis=1) if resampled else np.zeros((n_models, 0), np.int64)
    return ChunkResult(params, aux, np.stack(losses, axis=1), np.asarray(ends), rs)


def train_one(spec: SAESpec, source, seed: int, coef: float) -> ChunkResult:
    """One SAE trained alone (a chunk of one)."""
    return train_chunk(spec, source, make_hyper([seed], [coef], spec.n_latents))


# ----------------------------------------------------------------------------- sweeps to the store

EVAL_TAG = 0x5AE0E7A1  # fold_in tag of the shared eval set (fresh samples never seen in training)


@dataclasses.dataclass
class SAEBucket:
    index: int
    n_latents: int
    coef_C: np.ndarray
    seed_C: np.ndarray
    axes: dict[str, np.ndarray]  # {"coef": [...], "seed": [...]} — the grid shape of the bucket

    @property
    def n_cells(self) -> int:
        return len(self.coef_C)


def plan_sae_buckets(cfg, n_gt: int) -> list[SAEBucket]:
    from toymodels.sae.config import dict_sizes
    coefs = np.asarray(cfg.grid.coef, np.float64)
    seeds = np.arange(cfg.grid.seed, cfg.grid.seed + cfg.grid.n_seeds)
    cc, ss = np.meshgrid(coefs, seeds, indexing="ij")
    return [SAEBucket(i, n, cc.reshape(-1), ss.reshape(-1), {"coef": coefs, "seed": seeds})
            for i, n in enumerate(dict_sizes(cfg, n_gt))]


def model_footprint_bytes(spec: SAESpec) -> int:
    """Bytes one SAE needs during a chunk: params + grads + 2 Adam moments (≈ 4 × 2dL floats),
    and the batch's activations and sort buffers (≈ 12 × B·L floats)."""
    d, n, b = spec.d, spec.n_latents, spec.train.batch_size
    return 4 * (8 * d * n + 12 * b * n + 8 * b * d)


def chunk_size_for(cfg, spec: SAESpec, n_models: int) -> int:
    from toymodels.sweep import memory_budget_bytes
    size = cfg.chunk_size if cfg.chunk_size > 0 else max(1, memory_budget_bytes(cfg) // model_footprint_bytes(spec))
    return int(min(size, n_models))


def build_source(cfg):
    """The ground-truth source of a sweep (shared by every SAE in it)."""
    return sources.make_source(cfg.source, jax.random.key(cfg.source_seed))


def eval_batch(cfg, source):
    key = jax.random.fold_in(jax.random.key(cfg.source_seed), EVAL_TAG)
    return sources.sample(source, cfg.source, key, cfg.train.eval_samples)


def score_models(cfg, spec: SAESpec, source, params: dict[str, np.ndarray], aux: dict[str, np.ndarray],
                 coef_C: np.ndarray, x_BxD, codes_BxG) -> list[dict]:
    """metrics.score_dictionary for each model (leading axis of ``params``) on the eval batch."""
    from toymodels.sae.metrics import MetricInputError, scalars, score_dictionary
    _, _, _, ev = make_chunk_fns(spec)
    rows = []
    gt = np.asarray(source.gt_GxD)
    parent = np.asarray(source.parent_G)
    extra = {"gt_mask_G": np.asarray(source.represented_G)}
    if (parent >= 0).any():
        extra["parent_G"] = parent
    for c in range(len(coef_C)):
        p = {k: jnp.asarray(v[c]) for k, v in params.items()}
        a = V.Aux(jnp.asarray(aux["steps_since_fired_L"][c]), jnp.asarray(aux["threshold"][c]))
        acts, x_hat = ev(p, a, jnp.float32(coef_C[c]), x_BxD)
        dec = np.asarray(V.decoder_rows(spec.sae, p))
        try:
            scores = score_dictionary(dec, gt, x_BxD=np.asarray(x_BxD), codes_BxG=np.asarray(codes_BxG),
                                      acts_BxL=np.asarray(acts), x_hat_BxD=np.asarray(x_hat), **extra)
        except MetricInputError as e:  # a diverged SAE (NaN weights): no score, and the row says why
            rows.append({"finite": 0, "unscored": str(e)})
            continue
        rows.append({"finite": 1, **scalars(scores)})
    return rows


@dataclasses.dataclass
class SAESweepResult:
    run_dir: Any
    trained_models: int
    wall_s: float


def run_sae_sweep(cfg, *, max_chunks: int | None = None) -> SAESweepResult:
    """Train and score every SAE of ``cfg`` (resuming finished chunks); write its run directory:
    config.json, grid.json, params-b<k>.npz (grid axes coef × seed lead every array; the
    effective decoder is ``decoder_LxD``), history-b<k>.npz (loss per segment), metrics.csv (one
    row per SAE: bucket, n_latents, coef, seed, every scalar of score_dictionary, final loss,
    latents resampled), meta.json."""
    import time
    from pathlib import Path

    from toymodels import store
    from toymodels.sae.config import validate
    from toymodels.sweep import Progress, versions

    validate(cfg)
    rdir = store.run_dir(cfg)
    store.ensure_writable(Path(cfg.results_dir))
    if store.is_complete(rdir):
        store.clean_partial(rdir)  # a kill after meta.json, before the cleanup
        store.remove_chunks(rdir)
        return SAESweepResult(rdir, 0, 0.0)
    store.clean_partial(rdir)  # temporaries of a killed write are never read back
    store.write_json(rdir / "config.json", _to_dict(cfg))
    t0 = time.perf_counter()
    source = build_source(cfg)
    n_gt, d = np.asarray(source.gt_GxD).shape
    buckets = plan_sae_buckets(cfg, n_gt)
    progress = Progress(sum(b.n_cells for b in buckets) * cfg.train.steps, cfg.name, cfg.progress)
    trained, new_chunks = 0, 0
    results: dict[int, list[dict[str, np.ndarray]]] = {}
    for bk in buckets:
        spec = SAESpec(cfg.sae, cfg.source, cfg.train, int(d), bk.n_latents)
        size = chunk_size_for(cfg, spec, bk.n_cells)
        results[bk.index] = []
        for start in range(0, bk.n_cells, size):
            stop = min(start + size, bk.n_cells)
            path = store.chunk_path(rdir, bk.index, start, stop)
            if path.exists():
                results[bk.index].append(store.read_npz(path))
                progress.update((stop - start) * cfg.train.steps, "(resumed)")
                continue
            if max_chunks is not None and new_chunks >= max_chunks:
                return SAESweepResult(rdir, trained, time.perf_counter() - t0)
            idx = np.arange(start, stop)
            idx = np.concatenate([idx, np.full(size - len(idx), idx[-1])])  # pad: one compilation
            hp = make_hyper(bk.seed_C[idx], bk.coef_C[idx], bk.n_latents)
            out = train_chunk(spec, source, hp, progress)
            n = stop - start
            arrays = {**{f"p:{k}": v[:n] for k, v in out.params.items()},
                      **{f"a:{k}": v[:n] for k, v in out.aux.items()},
                      "loss_T": out.loss_I_T[:n], "seg_end_T": out.seg_end_T, "resampled_R": out.resampled_I_R[:n]}
            store.write_npz(path, arrays)
            results[bk.index].append(arrays)
            trained += n
            new_chunks += 1
    train_wall = time.perf_counter() - t0
    x_BxD, codes_BxG = eval_batch(cfg, source)
    rows, grid_json = [], []
    for bk in buckets:
        spec = SAESpec(cfg.sae, cfg.source, cfg.train, int(d), bk.n_latents)
        chunks = results[bk.index]
        cat = {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0] if k != "seg_end_T"}
        params = {k[2:]: v for k, v in cat.items() if k.startswith("p:")}
        aux = {k[2:]: v for k, v in cat.items() if k.startswith("a:")}
        scores = score_models(cfg, spec, source, params, aux, bk.coef_C, x_BxD, codes_BxG)
        shape = (len(bk.axes["coef"]), len(bk.axes["seed"]))
        dec = np.stack([np.asarray(V.decoder_rows(cfg.sae, {k: jnp.asarray(v[c]) for k, v in params.items()}))
                        for c in range(bk.n_cells)])
        enc = np.stack([np.asarray(V.encoder_matrix(cfg.sae, {k: jnp.asarray(v[c]) for k, v in params.items()}))
                        for c in range(bk.n_cells)])
        grid_arrays = {"decoder_LxD": dec, "encoder_DxL": enc, **params, **{f"aux_{k}": v for k, v in aux.items()}}
        store.write_npz(rdir / f"params-b{bk.index}.npz",
                        {**{k: v.reshape(shape + v.shape[1:]) for k, v in grid_arrays.items()},
                         "axis_coef": bk.axes["coef"], "axis_seed": bk.axes["seed"]})
        store.write_npz(rdir / f"history-b{bk.index}.npz",
                        {"steps_T": chunks[0]["seg_end_T"], "loss": cat["loss_T"].reshape(shape + (-1,)),
                         "axis_coef": bk.axes["coef"], "axis_seed": bk.axes["seed"]})
        for c in range(bk.n_cells):
            row = {"bucket": bk.index, "variant": cfg.sae.variant, "n_latents": bk.n_latents,
                   "dict_ratio": round(bk.n_latents / n_gt, 6), "coef": float(bk.coef_C[c]),
                   "seed": int(bk.seed_C[c]), "final_loss": float(cat["loss_T"][c, -1]),
                   "resampled": int(cat["resampled_R"][c].sum()) if cat["resampled_R"].size else 0}
            row.update(scores[c])
            rows.append(row)
        grid_json.append({"index": bk.index, "n_latents": bk.n_latents, "shape": list(shape),
                          "axes": {a: v.tolist() for a, v in bk.axes.items()}})
    store.write_json(rdir / "grid.json", {"n_gt": int(n_gt), "d": int(d), "buckets": grid_json})
    store.write_csv(rdir / "metrics.csv", rows)
    wall = time.perf_counter() - t0
    store.write_json(rdir / "meta.json", {
        "status": "complete", "name": cfg.name, "wall_s": round(wall, 3), "train_wall_s": round(train_wall, 3),
        "trained_models": trained, "n_models": sum(b.n_cells for b in buckets),
        "versions": versions(), "devices": [str(x) for x in jax.devices()], "backend": jax.default_backend()})
    store.remove_chunks(rdir)
    store.clean_partial(rdir)
    return SAESweepResult(rdir, trained, wall)


def _to_dict(cfg) -> dict:
    from toymodels.config import to_dict
    return to_dict(cfg)


def load_sae_run(rdir):
    """(config, grid.json, metrics rows, {bucket: params npz}) of a finished SAE sweep."""
    from pathlib import Path

    from toymodels import store
    from toymodels.config import from_dict
    from toymodels.sae.config import SAESweepConfig
    rdir = Path(rdir)
    if not store.is_complete(rdir):
        raise FileNotFoundError(f"{rdir} is not a finished SAE sweep; run it again to resume")
    cfg = from_dict(SAESweepConfig, store.read_json(rdir / "config.json"))
    grid = store.read_json(rdir / "grid.json")
    rows = store.read_csv(rdir / "metrics.csv")
    params = {b["index"]: store.read_npz(rdir / f"params-b{b['index']}.npz") for b in grid["buckets"]}
    return cfg, grid, rows, params
