"""Frozen configuration dataclasses for toy-model sweeps.

Everything that changes array *shapes* (model kind, n_features, n_hidden, batch size, number of
steps, logging schedule) is a config field; everything that varies *across a grid* (density,
importance, seeds) becomes an array inside one compiled call, so changing only grid values never
recompiles.

The defaults reproduce the companion notebook's recipe (paper_spec section 1.3): AdamW lr 1e-3,
weight decay 0.01 on every parameter, betas (0.9, 0.999), eps 1e-8, constant schedule, 10,000
steps of batch 1,024, b = 0 and xavier-normal W with the notebook's fan rule (see
``ModelConfig.init``).

Configs round-trip through JSON with :func:`to_dict` / :func:`from_dict`; :func:`config_hash`
names the run directory.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import types
import typing
from typing import Literal

def _mend_shadowed_package() -> None:
    """A folder named ``toymodels`` in the working directory (e.g. a clone, run from its parent)
    shadows the installed package as a namespace package: our submodules still load through the
    installed finder, but ``toymodels/__init__.py`` never runs, so ``toymodels.__version__`` is
    missing. Give it the installed version and say once what happened."""
    import sys
    pkg = sys.modules.get(__name__.rpartition(".")[0])
    if pkg is None or hasattr(pkg, "__version__") or getattr(pkg, "__file__", None):
        return
    import importlib.metadata
    import warnings
    try:
        pkg.__version__ = importlib.metadata.version("toymodels")
    except importlib.metadata.PackageNotFoundError:
        pkg.__version__ = "unknown"
    warnings.warn(f"the folder {list(getattr(pkg, '__path__', []))} shadows the toymodels package (its "
                  f"__init__ did not run); run from another directory to avoid surprises", stacklevel=3)


_mend_shadowed_package()

ModelKind = Literal["relu", "linear", "relu_hidden", "abs"]
MODEL_KINDS: tuple[str, ...] = typing.get_args(ModelKind)


class ConfigError(ValueError):
    """A config value outside its allowed range. ``field`` names it, ``allowed`` says what is."""

    def __init__(self, field: str, value, allowed: str):
        self.field, self.value, self.allowed = field, value, allowed
        super().__init__(f"{field}={value!r} is invalid: must be {allowed}")

    @property
    def flag(self) -> str:
        """The field as the user types it on the command line: ``model.n_features`` ->
        ``--model.n-features``, ``grid.density[1]`` -> ``--grid.density[1]`` (tyro's spelling)."""
        return "--" + self.field.replace("_", "-")

    def cli_message(self) -> str:
        """The one-line error for the CLI, naming the flag instead of the dataclass field."""
        return f"{self.flag} {self.value!r} is invalid: must be {self.allowed}"


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """Which toy model to train (paper section 2; README "Models, data, recipe").

    kinds:
      ``linear``      x' = WᵀW x + b
      ``relu``        x' = ReLU(WᵀW x + b)                 (the main model)
      ``relu_hidden`` h = ReLU(W x), x' = ReLU(Wᵀ h + b)   (privileged basis, section 7)
      ``abs``         h = ReLU(W₁ x), y' = ReLU(W₂ h + b), target |x|   (section 8)
    """

    kind: ModelKind = "relu"
    """Model family: ``relu`` x' = ReLU(WᵀWx + b) (the main model); ``linear`` x' = WᵀWx + b;
    ``relu_hidden`` h = ReLU(Wx), x' = ReLU(Wᵀh + b) (privileged basis, paper section 7); ``abs``
    h = ReLU(W₁x), y' = ReLU(W₂h + b) with target |x| (paper section 8)."""
    n_features: int = 5
    """n, the number of input features."""
    n_hidden: int = 2
    """m, the hidden dimension (neurons for relu_hidden/abs)."""
    init: Literal["notebook", "xavier"] = "notebook"
    """W init. ``notebook``: N(0, σ²) with σ = sqrt(2 / (m·(n + init_fan_instances))), which is what
    torch's xavier_normal_ gives on the notebook's [instances, n, m] tensor. ``xavier``: the plain
    per-matrix rule σ = sqrt(2 / (n + m)). The abs model always uses the plain rule for W₁ and W₂."""
    init_fan_instances: int = 20
    """The notebook's n_instances that enters its fan rule (10 in its intro run, 20 elsewhere). Fixed
    per config, so a cell's init never depends on how many models are trained together."""


@dataclasses.dataclass(frozen=True)
class DataConfig:
    """Synthetic sparse features (paper section 2; README "Models, data, recipe").

    Each feature is 0 with probability S = 1 - density, else U[0, 1) (U[-1, 1) when signed).
    """

    density: float = 1.0
    """Feature probability p = 1 - S for every feature, unless the grid has a density axis."""
    importance: Literal["decay", "log_linspace", "explicit"] = "decay"
    """Importance profile: ``decay`` I_i = importance_decay**i; ``log_linspace``
    I = importance_range**-linspace(0, 1, n) (the notebook's 100**-linspace); ``explicit`` uses
    importance_values."""
    importance_decay: float = 1.0
    importance_range: float = 100.0
    importance_values: tuple[float, ...] = ()
    correlation: Literal["none", "correlated", "anticorrelated"] = "none"
    """Feature sets: consecutive blocks of ``set_size`` features (trailing features stay
    independent). ``correlated``: one shared draw per set decides whether the whole set is zero or
    all nonzero; values independent U[0,1). ``anticorrelated``: see anticorrelated_convention."""
    set_size: int = 2
    anticorrelated_convention: Literal["paper", "arena"] = "paper"
    """``paper``: the set is zero with prob 1-p, else exactly one uniformly chosen feature is active,
    so each feature's marginal density is p/k. ``arena``: the set is active with prob min(1, k·p),
    so each feature's marginal density is p."""
    signed: bool | None = None
    """Values U[-1, 1) instead of U[0, 1). None: signed exactly for the abs model."""
    dataset_size: int = 0
    """T > 0: train on a fixed finite dataset of T examples (Henighan et al. 2023); 0: a fresh batch
    every step (infinite data)."""
    normalize: bool = False
    """Rescale every example to unit L2 norm (the double-descent setting)."""
    rng: Literal["hash", "threefry"] = "hash"
    """Sampler bits. ``hash``: a counter-based 2-round hash keyed per (model, step) by threefry, one
    32-bit draw per element (fast on CPU; see toymodels.data). ``threefry``: jax.random.uniform."""


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """The optimisation recipe: the companion notebook's by default (README "Models, data, recipe")."""

    steps: int = 10_000
    batch_size: int = 1024
    lr: float = 1e-3
    weight_decay: float = 0.01
    """Decoupled (AdamW) weight decay, applied to every parameter as in the notebook."""
    b1: float = 0.9
    b2: float = 0.999
    eps: float = 1e-8
    schedule: Literal["constant", "warmup_cosine", "linear", "cosine"] = "constant"
    """``warmup_cosine``: linear warmup over warmup_steps to lr, then cosine decay to 0 (Henighan et
    al.). ``linear`` and ``cosine`` are the notebook's unused linear_lr and cosine_decay_lr."""
    warmup_steps: int = 0
    full_batch: bool = False
    """With a finite dataset: use every example at every step instead of sampling batch_size."""
    n_snapshots: int = 24
    """Weights and loss are logged inside the compiled loop at step 0 (the init) and at up to
    n_snapshots log-spaced steps in [1, steps] that always include the last step (n_snapshots = 1:
    steps 0 and ``steps`` only); 0 logs nothing (only the final weights are kept). The logged loss
    is the exact loss of the logged weights on the first evaluation batch (min(batch_size,
    eval_samples) examples of the shared evaluation sample, see eval_samples), the same examples
    at every step and for every seed, so a loss curve moves only when the weights do."""
    eval_samples: int = 16_384
    """Size N of the evaluation sample on which each model's final loss (metrics.csv ``eval_loss``)
    and its standard error (``eval_loss_se``) are measured; rounded down to whole batches of
    min(batch_size, eval_samples) examples.

    The sample is shared (common random numbers): it is drawn from a key made of eval_seed and
    the cell's feature densities only — not the model seed, importance or grid position — so
    every seed and every cell of a sweep with the same data distribution is scored on the same N
    examples, and a cell trained alone is scored exactly as inside any grid. The difference of
    two models' eval losses is then a paired difference, whose standard error
    sd(ℓ_a − ℓ_b)/√N (ℓ: per-example loss) is far smaller than either model's own SE when the
    models are similar; toymodels.selection.paired_eval_difference computes it from the stored
    runs, and eval_loss_se_a + eval_loss_se_b always bounds it from above.

    Size rule: pick N so that the standard error of the smallest loss difference Δ a study must
    resolve is at most a third of it, N ≥ (3·sd(ℓ_a − ℓ_b)/|Δ|)², with sd(ℓ_a − ℓ_b) = paired SE·√N
    read off a pilot run. Measured (2-core CPU, 2026-12-08): n=5, m=2, I_i = 0.9^i, 10k steps,
    N = 16,384: one model's SE is 0.4% of its loss at 1−S = 1, 3–4% at 0.1 and 6–15% at 0.01;
    the paired SE of two seeds' difference is 26× below the unpaired one at 1−S = 1 (both found
    the same solution) but only 1.4–2× below it where they found different solutions. Figure 9's
    setup (n=5, m=2, 1−S=0.05, N=65,536): paired SEs of 3–7·10⁻⁵ on losses of ≈1.5·10⁻³, so a
    pentagon−digon gap of 10⁻⁴ is resolved at z ≈ 3 and the 3·10⁻⁵ gaps between a cell's best
    and second-best seed are noise (z < 1)."""
    eval_seed: int = 0
    """Seed of the shared evaluation sample (see eval_samples); change it to re-measure every
    model's loss on an independent sample."""


@dataclasses.dataclass(frozen=True)
class GridConfig:
    """Axes of a sweep. Value axes become arrays inside one compiled call; bucket axes (kind,
    n_features, n_hidden) change shapes and run as separate compiled buckets. An empty tuple means
    "not an axis" (the ModelConfig/DataConfig value is used)."""

    density: tuple[float, ...] = ()
    """Feature probability 1 - S of every feature."""
    importance_decay: tuple[float, ...] = ()
    """I_i = decay**i (overrides DataConfig.importance)."""
    relative_importance: tuple[float, ...] = ()
    """Importance of ``focus_feature`` relative to the profile's value (r in the phase diagrams)."""
    relative_density: tuple[float, ...] = ()
    """Density of ``focus_feature`` relative to the others (the pentagon-deformation study)."""
    focus_feature: int = -1
    """Index of the feature that the relative_* axes act on (negative counts from the end)."""
    n_seeds: int = 1
    """Seeds per cell: seed values seed, seed+1, ..., seed+n_seeds-1."""
    seed: int = 0
    kind: tuple[ModelKind, ...] = ()
    n_features: tuple[int, ...] = ()
    n_hidden: tuple[int, ...] = ()


@dataclasses.dataclass(frozen=True)
class DistributedConfig:
    """Several processes (hosts) training one sweep through ``jax.distributed``; docs/scaling.md
    shows how to launch it. No field changes a trained number, so none enters the run hash."""

    mode: Literal["off", "auto", "manual"] = "off"
    """``off``: one process. ``auto``: ``jax.distributed.initialize()`` without arguments, i.e.
    JAX's cluster auto-detection (Cloud TPU pod slices, SLURM, Open MPI / mpirun, ...).
    ``manual``: the coordinator_address, num_processes and process_id below."""
    coordinator_address: str = ""
    """host:port of process 0, reachable from every process (manual mode)."""
    num_processes: int = 0
    """Number of processes (manual mode)."""
    process_id: int = -1
    """This process's index in [0, num_processes) (manual mode)."""
    initialization_timeout_s: int = 300
    """Seconds to wait for every process to join."""


VALUE_AXES: tuple[str, ...] = ("density", "importance_decay", "relative_importance", "relative_density")
BUCKET_AXES: tuple[str, ...] = ("kind", "n_features", "n_hidden")


@dataclasses.dataclass(frozen=True)
class SweepConfig:
    """One sweep: a model family, data, recipe and grid. Its hash names its results directory."""

    name: str = "sweep"
    model: ModelConfig = ModelConfig()
    data: DataConfig = DataConfig()
    train: TrainConfig = TrainConfig()
    grid: GridConfig = GridConfig()
    results_dir: str = "results"
    """Parent directory of the run directory ``<results_dir>/<name>-<hash>``."""
    chunk_size: int = 0
    """Models per compiled call; 0 derives it from memory_budget_mb."""
    memory_budget_mb: float = 0.0
    """Memory budget for one chunk; 0: a quarter of the device's (or host's) memory."""
    progress: bool = True
    """Progress bar with ETA on stderr."""
    block_size: int = 0
    """Models vmapped together inside a chunk; blocks run one after another (toymodels.train.map_models).
    0: automatic — cache-sized blocks on a CPU, the whole per-device chunk on a GPU/TPU."""
    distributed: DistributedConfig = DistributedConfig()
    """Multi-process (multi-host) settings; see DistributedConfig."""


# Fields that do not change any trained number (beyond float rounding of how models are batched):
# excluded from the run hash.
_HASH_EXCLUDED = {"results_dir", "chunk_size", "memory_budget_mb", "progress", "block_size", "distributed"}


def _check(ok: bool, field: str, value, allowed: str) -> None:
    if not ok:
        raise ConfigError(field, value, allowed)


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def validate(cfg: SweepConfig) -> None:
    """Raise :class:`ConfigError` naming the first field outside its allowed range."""
    m, d, t, g = cfg.model, cfg.data, cfg.train, cfg.grid
    for section in ("model", "data", "train", "distributed"):  # every Literal field: one of its choices
        sub = getattr(cfg, section)
        for fname, tp in typing.get_type_hints(type(sub)).items():
            if typing.get_origin(tp) is Literal:
                v = getattr(sub, fname)
                _check(v in typing.get_args(tp), f"{section}.{fname}", v, f"one of {typing.get_args(tp)}")
    _check(_int(m.n_features) and m.n_features >= 1, "model.n_features", m.n_features, ">= 1")
    _check(_int(m.n_hidden) and m.n_hidden >= 1, "model.n_hidden", m.n_hidden, ">= 1")
    _check(_int(m.init_fan_instances) and m.init_fan_instances >= 1, "model.init_fan_instances", m.init_fan_instances, ">= 1")
    _check(_finite(d.density) and 0 < d.density <= 1, "data.density", d.density, "in (0, 1]")
    _check(_finite(d.importance_decay) and d.importance_decay >= 0, "data.importance_decay",
           d.importance_decay, "finite and >= 0")
    _check(_finite(d.importance_range) and d.importance_range > 0, "data.importance_range",
           d.importance_range, "finite and > 0")
    for i, v in enumerate(d.importance_values):
        _check(_finite(v) and v >= 0, f"data.importance_values[{i}]", v, "finite and >= 0")
    _check(_int(d.set_size) and d.set_size >= 1, "data.set_size", d.set_size, ">= 1")
    _check(_int(d.dataset_size) and d.dataset_size >= 0, "data.dataset_size", d.dataset_size, ">= 0 (0 = fresh batches)")
    _check(_int(t.steps) and t.steps >= 1, "train.steps", t.steps, ">= 1")
    _check(_int(t.batch_size) and t.batch_size >= 1, "train.batch_size", t.batch_size, ">= 1")
    _check(_finite(t.lr) and t.lr > 0, "train.lr", t.lr, "finite and > 0")
    _check(_finite(t.weight_decay) and t.weight_decay >= 0, "train.weight_decay", t.weight_decay,
           "finite and >= 0")
    # Adam's moment decay rates: b = 1 never forgets the init, b > 1 or < 0 makes the moments diverge.
    _check(_finite(t.b1) and 0 <= t.b1 < 1, "train.b1", t.b1, "in [0, 1)")
    _check(_finite(t.b2) and 0 <= t.b2 < 1, "train.b2", t.b2, "in [0, 1)")
    _check(_finite(t.eps) and t.eps > 0, "train.eps", t.eps, "finite and > 0")
    _check(_int(t.warmup_steps) and 0 <= t.warmup_steps < t.steps, "train.warmup_steps", t.warmup_steps, f"in [0, steps={t.steps})")
    _check(_int(t.n_snapshots) and t.n_snapshots >= 0, "train.n_snapshots", t.n_snapshots, ">= 0")
    _check(_int(t.eval_samples) and t.eval_samples >= 1, "train.eval_samples", t.eval_samples, ">= 1")
    _check(_int(t.eval_seed) and 0 <= t.eval_seed < 2**32, "train.eval_seed", t.eval_seed, "in [0, 2**32)")
    _check(not t.full_batch or d.dataset_size > 0, "train.full_batch", t.full_batch,
           "False unless data.dataset_size > 0")
    _check(_int(g.n_seeds) and g.n_seeds >= 1, "grid.n_seeds", g.n_seeds, ">= 1")
    _check(_int(cfg.chunk_size) and cfg.chunk_size >= 0, "chunk_size", cfg.chunk_size, ">= 0 (0 = from the memory budget)")
    _check(_finite(cfg.memory_budget_mb) and cfg.memory_budget_mb >= 0, "memory_budget_mb",
           cfg.memory_budget_mb, ">= 0 (0 = automatic)")
    _check(_int(cfg.block_size) and cfg.block_size >= 0, "block_size", cfg.block_size, ">= 0 (0 = automatic)")
    dist = cfg.distributed
    _check(dist.mode in ("off", "auto", "manual"), "distributed.mode", dist.mode, "one of ('off', 'auto', 'manual')")
    if dist.mode == "manual":
        _check(":" in dist.coordinator_address, "distributed.coordinator_address", dist.coordinator_address,
               "host:port of process 0 in manual mode")
        _check(_int(dist.num_processes) and dist.num_processes >= 1, "distributed.num_processes", dist.num_processes, ">= 1 in manual mode")
        _check(_int(dist.process_id) and 0 <= dist.process_id < dist.num_processes, "distributed.process_id", dist.process_id,
               f"in [0, num_processes={dist.num_processes}) in manual mode")
    _check(_int(dist.initialization_timeout_s) and dist.initialization_timeout_s >= 1, "distributed.initialization_timeout_s",
           dist.initialization_timeout_s, ">= 1")
    for i, v in enumerate(g.density):
        _check(_finite(v) and 0 < v <= 1, f"grid.density[{i}]", v, "in (0, 1]")
    for name in ("importance_decay", "relative_importance", "relative_density"):
        for i, v in enumerate(getattr(g, name)):
            _check(_finite(v) and v >= 0, f"grid.{name}[{i}]", v, "finite and >= 0")
    for i, r in enumerate(g.relative_density):  # the focus feature's density must stay a probability
        top = max(g.density or (d.density,))
        _check(r * top <= 1, f"grid.relative_density[{i}]", r,
               f"<= {1 / top:.6g} so that density x relative_density <= 1 (largest density {top})")
    for i, v in enumerate(g.kind):
        _check(v in MODEL_KINDS, f"grid.kind[{i}]", v, f"one of {MODEL_KINDS}")
    for name in ("n_features", "n_hidden"):
        for i, v in enumerate(getattr(g, name)):
            _check(_int(v) and v >= 1, f"grid.{name}[{i}]", v, ">= 1")
    _check(_int(g.seed) and 0 <= g.seed and g.seed + g.n_seeds <= 2**32, "grid.seed", g.seed,
           "an integer with 0 <= seed and seed + n_seeds <= 2**32 (seeds are uint32)")
    _check(_int(g.focus_feature), "grid.focus_feature", g.focus_feature, "an integer")
    for bucket in bucket_models(cfg):
        n = bucket.n_features
        _check(-n <= g.focus_feature < n, "grid.focus_feature", g.focus_feature,
               f"in [-{n}, {n}) for n_features={n}")
        if g.relative_density and d.correlation != "none":
            # A set fires as one, with its FIRST member's density (toymodels.data.sample_batch), so a
            # relative density on another member would be silently ignored.
            f, k = g.focus_feature % n, d.set_size
            _check(f >= n // k * k or f % k == 0, "grid.focus_feature", g.focus_feature,
                   f"the first member of its {d.correlation} set of {k} (index a multiple of {k}) or "
                   f"a free feature (index >= {n // k * k}) when grid.relative_density is set: a set's "
                   f"density is its first member's")
        if d.importance == "explicit":
            _check(len(d.importance_values) == n, "data.importance_values", d.importance_values,
                   f"a tuple of n_features={n} values")


def bucket_models(cfg: SweepConfig) -> list[ModelConfig]:
    """The ModelConfig of each shape bucket: the product of the grid's kind/n_features/n_hidden axes."""
    g, m = cfg.grid, cfg.model
    return [dataclasses.replace(m, kind=k, n_features=n, n_hidden=h)
            for k in (g.kind or (m.kind,))
            for n in (g.n_features or (m.n_features,))
            for h in (g.n_hidden or (m.n_hidden,))]


# ----------------------------------------------------------------------------- JSON round trip


def to_dict(cfg) -> dict:
    """A JSON-ready dict of a (nested) config dataclass; tuples become lists."""
    return json.loads(json.dumps(dataclasses.asdict(cfg)))


def _coerce(tp, value):
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        return from_dict(tp, value)
    if origin is tuple:
        args = typing.get_args(tp)
        elem = args[0] if args else typing.Any
        return tuple(_coerce(elem, v) for v in value)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        for a in typing.get_args(tp):
            if a is not type(None):
                return _coerce(a, value)
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def from_dict(cls, data: dict):
    """Inverse of :func:`to_dict`: rebuild the (nested) frozen dataclass ``cls`` from a dict.

    Unknown keys raise ConfigError, so a results directory from another version is not silently
    misread."""
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise ConfigError(f"{cls.__name__}.{sorted(unknown)[0]}", data[sorted(unknown)[0]],
                          f"one of the fields {sorted(names)}")
    return cls(**{k: _coerce(hints[k], v) for k, v in data.items()})


def config_hash(cfg: SweepConfig) -> str:
    """8 hex digits of the sha256 of the canonical JSON of every field that affects results."""
    d = {k: v for k, v in to_dict(cfg).items() if k not in _HASH_EXCLUDED}
    blob = json.dumps(d, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:8]


@dataclasses.dataclass(frozen=True)
class Preset:
    """A named, documented sweep: what it shows, how long it takes, what to expect."""

    name: str
    description: str
    config: SweepConfig
    expected_runtime: str
    """Measured wall time on a named machine, e.g. '25 s on a 2-core CPU'."""
    expected_outcome: str = ""
    report: typing.Callable[[typing.Any], list] | None = None
    """Called with the finished toymodels.store.Run; writes the study's plots/tables into the run
    directory and returns their paths."""

    @property
    def command(self) -> str:
        return f"toymodels sweep {self.name}"
