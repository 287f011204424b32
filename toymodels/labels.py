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
