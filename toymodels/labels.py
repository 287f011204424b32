"""Plot text built from configs, so a title can never disagree with the run (ARENA #188)."""

from __future__ import annotations

from toymodels.config import DataConfig, ModelConfig, SweepConfig

MODEL_NAMES = {"relu": "ReLU output model", "linear": "linear model",
               "relu_hidden": "ReLU hidden-layer model", "abs": "|x| model"}


def model_label(model: ModelConfig | dict) -> str:
    m = model if isinstance(model, dict) else vars(model)
    return f"{MODEL_NAMES[m['kind']]}, n={m['n_features']}, m={m['n_hidden']}"


def importance_label(data: DataConfig) -> str:
    if data.importance == "decay":
        return "uniform importance" if data.importance_decay == 1.0 else f"importance {data.importance_decay:g}^i"
    if data.importance == "log_linspace":
        return f"importance {data.importance_range:g}^-linspace(0,1,n)"
    return "explicit importance"


def density_label(p: float) -> str:
    return f"1−S = {p:.3g}"


def run_label(cfg: SweepConfig, model: ModelConfig | dict | None = None) -> str:
    """e.g. 'ReLU output model, n=5, m=2 · importance 0.9^i · 10000 steps × 1024 · 10 seeds per cell'."""
    parts = [model_label(model if model is not None else cfg.model), importance_label(cfg.data),
             f"{cfg.train.steps} steps × {cfg.train.batch_size}"]
    if cfg.data.correlation != "none":
        parts.append(f"{cfg.data.correlation} sets of {cfg.data.set_size}")
    if cfg.grid.n_seeds > 1:
        parts.append(f"{cfg.grid.n_seeds} seeds per cell")
    return " · ".join(parts)


def factor_label(name: str, W_HxK=None) -> str:
    """A geometry factor's name in words, with the technical name beside it where it helps.

    ``name`` comes from analysis.geometry (``"digon"``, ``"pentagon"``, ``"other (k features in
    d dims)"`` ...); ``W_HxK`` (the factor's columns) tells an unequal antipodal pair from two
    features sharing a direction with the same sign.
    """
    if name == "digon":
        return "antipodal pair (digon)"
    if name.startswith("other (2 features in 1 dims)") and W_HxK is not None:
        import numpy as np

        W = np.asarray(W_HxK, dtype=float)
        cos = float(W[:, 0] @ W[:, 1] / max(np.linalg.norm(W[:, 0]) * np.linalg.norm(W[:, 1]), 1e-12))
        return "antipodal pair of unequal norms" if cos < 0 else "two features sharing one direction (same sign)"
    if name.startswith("other ("):
        inner = name[len("other ("):].rstrip(")").replace(" 1 dims", " 1 dim")
        return f"irregular: {inner}"
    return name


def format_preset_groups(groups) -> str:
    """The ``toymodels list`` layout: groups of (title, [(name, description, command, runtime,
    outcome), ...]), one block per group, names aligned across all groups."""
    width = max((len(entry[0]) for _, entries in groups for entry in entries), default=0)
    blocks = []
    for title, entries in groups:
        lines = [f"== {title}"] if title else []
        for name, description, command, runtime, outcome in entries:
            lines.append(f"  {name:<{width}}  {description}")
            lines.append(f"  {'':<{width}}  command: {command}    expected runtime: {runtime}")
            if outcome:
                lines.append(f"  {'':<{width}}  expected: {outcome}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
