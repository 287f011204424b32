"""``toymodels explore``: one self-contained HTML page per finished sweep, like the paper's
interactive figures.

The page shows the grid as a clickable map (a heat-map for two value axes, a strip for one) of a
per-cell quantity — D* = m/‖W‖²_F, Σ D_i, represented features, eval loss, and for the phase
diagram sweeps (n=2, m=1 / n=3, m=2 over density × relative importance) the extra feature's
phase beside Wattenberg's theory — and, for the chosen cell's best seed (lowest eval loss,
toymodels.selection.best_of_seeds), its feature directions (the hidden plane for m = 2, a
heat-map of W otherwise), WᵀW, the bias, the feature norms, D_i with its snapped fraction, the
superposition score, the feature status and the geometry labels (analysis.geometry_summary).

Every number is computed here in Python, by toymodels.analysis, from the run directory; the page's
script only draws them. No server, no network: data, script and style are inlined. The page reads
``#cell=K`` (flat index over the value axes, C order; ``#bucket=B&cell=K`` for several buckets)
on load, and clicks on the map rewrite the fragment; ``?click=K`` clicks map cell K after loading
(for headless browsers).
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path

import numpy as np

from toymodels import analysis, labels, store
from toymodels.report import (
    _cell_names,
    _structure_text,
    _weights,
    phase_diagram_arrays,
)
from toymodels.selection import best_of_seeds, best_seed_index

FORMAT_VERSION = 1
MAX_WTW_FEATURES = 256  # above this, n² numbers per cell would swell the page; WᵀW is left out


def _num(x, sig: int = 5):
    """JSON-safe nested lists of floats rounded to ``sig`` significant digits; non-finite -> None."""
    a = np.asarray(x)
    if a.ndim == 0:
        v = a.item()
        if isinstance(v, (bool, np.bool_)):
            return bool(v)
        if isinstance(v, (int, np.integer)):
            return int(v)
        v = float(v)
        return float(f"{v:.{sig}g}") if math.isfinite(v) else None
    return [_num(v, sig) for v in a]


def bucket_data(run: store.Run, bucket) -> dict:
    """Everything the page shows for one bucket, as JSON-ready lists (best seed per cell)."""
    kind = bucket.model["kind"]
    W, b = _weights(bucket)
    loss = bucket.metrics["eval_loss"]
    value_axes = [a for a in bucket.axes if a != "seed"]
    cell_shape = bucket.grid_shape[:-1]
    n_cells = int(np.prod(cell_shape)) if cell_shape else 1
    best_W = best_of_seeds(W, loss).reshape(n_cells, *W.shape[-2:])
    best_b = best_of_seeds(b, loss).reshape(n_cells, b.shape[-1])
    best_loss = best_of_seeds(loss, loss).reshape(n_cells)
    best_seed = np.asarray(bucket.axes["seed"])[best_seed_index(loss).reshape(n_cells)]
    W2 = bucket.params.get("W2_FxH")
    best_W2 = None if W2 is None else best_of_seeds(W2, loss).reshape(n_cells, *W2.shape[-2:])
    m = analysis.analyze_grid(best_W, best_b, kind, W2=best_W2)
    from toymodels import (
        sweep,  # the per-cell importances (an axis may vary one feature's importance)
    )
    plan = sweep.plan_bucket(run.config, bucket.index, sweep.ModelConfig(**bucket.model))
    importance_CxF = plan.importance_CxF.reshape(*bucket.grid_shape, -1)[..., 0, :].reshape(n_cells, -1)
    names = _cell_names(bucket)
    cells = []
    for c in range(n_cells):
        summary = analysis.geometry_summary(best_W[c], best_b[c] if kind == "relu" else None)
        structures = _structure_text(summary["factors"], m["status_F"][c], best_W[c], len(summary["not_represented"]))
        cells.append({
            "name": names[c],
            "best_seed": int(best_seed[c]),
            "eval_loss": _num(best_loss[c]),
            "D_star": _num(m["D_star"][c]),
            "D_sum": _num(m["D_sum"][c]),
            "n_represented": int(m["n_represented"][c]),
            "status_counts": [int(v) for v in m["status_counts_4"][c]],
            "structures": structures,
            "model_structure": summary["model_structure"],
            "factors": [{"name": labels.factor_label(f["name"], best_W[c][:, f["features"]]) if f["k"] > 1 else f["name"],
                         "features": [int(i) for i in f["features"]]} for f in summary["factors"]],
            "importance_F": _num(importance_CxF[c], 4),
            "W_HxF": _num(best_W[c], 4),
            "b_F": _num(best_b[c], 4),
            "WtW_FxF": _num(best_W[c].T @ best_W[c], 4) if best_W.shape[-1] <= MAX_WTW_FEATURES else None,
            "norms_F": _num(m["norms_F"][c], 4),
            "D_F": _num(summary["D_F"], 4),
            "D_fraction_F": summary["D_fraction_F"],
            "superposition_F": _num(m["superposition_F"][c], 4),
            "status_F": [int(v) for v in m["status_F"][c]],
        })
    maps = {"D_star": "D* = m/‖W‖²_F (dimensions per feature)", "D_sum": "Σ D_i",
            "n_represented": "represented features (‖W_i‖ > 0.5)", "eval_loss": "eval loss (best seed)"}
    out = {
        "index": bucket.index,
        "label": labels.model_label(bucket.model),
        "title": labels.run_label(run.config, bucket.model),
        "kind": kind,
        "n_features": bucket.model["n_features"],
        "n_hidden": bucket.model["n_hidden"],
        "n_seeds": len(bucket.axes["seed"]),
        "axes": [{"name": a, "values": _num(bucket.axes[a], 6)} for a in value_axes],
        "status_names": list(analysis.STATUS_NAMES),
        "maps": maps,
        "cells": cells,
    }
    phase = phase_diagram_arrays(bucket, focus_feature=run.config.grid.focus_feature)
    if phase is not None:
        out["phase"] = {"names": list(analysis.PHASE_NAMES),
                        "empirical": [int(v) for v in np.asarray(phase["empirical_PxR"]).reshape(-1)],
                        "best": [int(v) for v in np.asarray(phase["best_PxR"]).reshape(-1)],
                        "theory": [int(v) for v in np.asarray(phase["theory_PxR"]).reshape(-1)],
                        "agreement": _num(phase["agreement"], 3)}
    return out


def page_data(run: store.Run) -> dict:
    meta = run.meta
    return {"format_version": FORMAT_VERSION,
            "run": run.dir.name,
            "title": labels.run_label(run.config),
            "subtitle": f"{run.config.train.steps:,} steps × batch {run.config.train.batch_size}, "
                        f"{meta.get('n_models', '?')} models, {meta.get('wall_s', 0):.0f} s on {meta.get('backend', '?')}",
            "buckets": [bucket_data(run, b) for b in run.buckets]}


def render(run: store.Run) -> str:
    """The page as one HTML string (data, script and style inline)."""
    data = json.dumps(page_data(run), separators=(",", ":"), allow_nan=False)
    data = data.replace("</", "<\\/")  # a "</script>" inside a string must not end the script element
    from toymodels._explore_page import PAGE

    return (PAGE.replace("__TITLE__", html.escape(f"explore · {run.dir.name}"))
            .replace("/*__DATA__*/null", data))


def write_page(run: store.Run, out: Path | None = None) -> Path:
    out = Path(out) if out is not None else run.dir / "explore.html"
    page = render(run)
    store.atomic_write(out, lambda f: f.write(page.encode()))
    return out
