"""One side of one round of ``toymodels bench --peers``, run as a fresh process.

    python peer_worker.py SIDE WORKLOAD_JSON TARGET_S REPEATS

SIDE is ``toymodels``, ``tms-kit`` or ``occhio``. This file imports nothing but the standard
library at module level, so it can run under another interpreter (``--peer-python``) that has a
peer installed and not toymodels. It prints one JSON line: the side, the workload, the steps of
each timed run, the wall seconds of each timed run, and what was excluded (set-up, warm-up,
compilation). A model-step is one training step of one model: drawing its batch, forward,
backward, optimiser update.

How each side is driven (recipe matching, see toymodels.bench.PEER_RECIPES for the flags):

  toymodels  toymodels.bench.time_training: the compiled chunk functions a sweep runs, recipe
             flags from the workload's "toymodels" entry (optimiser, lr, weight decay, init).
  tms-kit    one tms_kit.model.Model whose instances axis holds all the models,
             IIDFeatureGenerator (per-instance densities), ImportanceWeightedLoss, trained by
             tms_kit.optimize.optimize (its Adam, lr 1e-3, its Python loop over steps).
  occhio     a ModelGrid over (density index, seed) of ToyModel(SparseUniform, TiedLinearRelu),
             trained by ModelGrid.fit (its AdamW 3e-4, decay 0.05; eager, its default). One torch
             generator per density, so its sample cache draws one batch per density and step,
             shared by that density's seeds (occhio's own data sharing). fit() re-stacks the
             parameters at every call and unstacks them at the end; that fixed cost is measured
             by fit(n_epochs=0) and subtracted (in occhio's favour).
"""

from __future__ import annotations

import json
import statistics
import sys
import time


def _steps_for(target_s: float, seconds_per_step: float, lo: int = 2, hi: int = 100_000) -> int:
    return int(min(hi, max(lo, round(target_s / max(seconds_per_step, 1e-9)))))


def densities_of(wl: dict) -> list[float]:
    """The workload's density per model, models ordered (density, seed) as a grid flattens them."""
    k = wl["n_densities"]
    dens = [20.0 ** (-i / (k - 1)) if k > 1 else 1.0 for i in range(k)]
    return [d for d in dens for _ in range(wl["seeds"])]


def run_toymodels(wl: dict, target_s: float, repeats: int) -> dict:
    from toymodels import bench

    cfg = bench.peer_workload_config(wl)
    t0 = time.perf_counter()
    calib = bench.time_training(cfg, wl["calib_steps"], 1)  # compiles, then one short timed run
    setup_s = time.perf_counter() - t0
    steps = _steps_for(target_s, calib["wall_s"][0] / wl["calib_steps"])
    r = bench.time_training(cfg, steps, repeats)
    import jax
    return {"steps": steps, "wall_s": r["wall_s"], "excluded_s": setup_s, "compile_s": calib["compile_s"],
            "models": r["models"], "version": bench.toymodels_version(), "jax": jax.__version__,
            "block": r["block"]}


def _torch_threads(wl: dict):
    import torch
    if wl.get("torch_threads"):
        torch.set_num_threads(int(wl["torch_threads"]))
    return torch


def run_tmskit(wl: dict, target_s: float, repeats: int) -> dict:
    torch = _torch_threads(wl)
    from importlib.metadata import version
    from tms_kit.data import IIDFeatureGenerator
    from tms_kit.loss import ImportanceWeightedLoss
    from tms_kit.model import Model
    from tms_kit.optimize import optimize
    from tms_kit.tms import TMS

    n, m = wl["n_features"], wl["n_hidden"]
    models = wl["n_densities"] * wl["seeds"]
    t0 = time.perf_counter()
    torch.manual_seed(0)
    tms = TMS()
    tms.model = Model(n, models, m, device="cpu")
    p = torch.tensor(densities_of(wl), dtype=torch.float32)[:, None].expand(models, n).contiguous()
    tms.data_gen = IIDFeatureGenerator(n, models, p)
    imp = (wl["importance_decay"] ** torch.arange(n, dtype=torch.float32))[None].expand(models, n).contiguous()
    tms.loss_calc = ImportanceWeightedLoss(n, imp)

    def train(steps):
        optimize(tms, steps=steps, batch_size=wl["batch"], disable_tqdm=True)

    train(2)  # warm-up
    setup_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    train(wl["calib_steps"])
    steps = _steps_for(target_s, (time.perf_counter() - t1) / wl["calib_steps"])
    walls = []
    for _ in range(repeats):
        t1 = time.perf_counter()
        train(steps)
        walls.append(time.perf_counter() - t1)
    return {"steps": steps, "wall_s": walls, "excluded_s": setup_s, "models": models,
            "version": version("tms-kit"), "torch": torch.__version__, "threads": torch.get_num_threads()}


def run_occhio(wl: dict, target_s: float, repeats: int) -> dict:
    import contextlib
    import io

    torch = _torch_threads(wl)
    from importlib.metadata import version
    from occhio.autoencoder import TiedLinearRelu
    from occhio.distributions.sparse import SparseUniform
    from occhio.model_grid import Axis, ModelGrid
    from occhio.toy_model import ToyModel

    n, m = wl["n_features"], wl["n_hidden"]
    k, seeds = wl["n_densities"], wl["seeds"]
    dens = densities_of({**wl, "seeds": 1})
    imp = wl["importance_decay"] ** torch.arange(n, dtype=torch.float32)
    t0 = time.perf_counter()

    def create(params):
        d, s = int(params["DensityIndex"]), int(params["Seed"])
        data_gen = torch.Generator("cpu")
        data_gen.manual_seed(d)  # one stream per density: the sample cache shares it across seeds
        init_gen = torch.Generator("cpu")
        init_gen.manual_seed(1_000_003 * s + d)
        return ToyModel(distribution=SparseUniform(n, p_active=dens[d], generator=data_gen),
                        ae=TiedLinearRelu(n, m, generator=init_gen), importances=imp)

    grid = ModelGrid(create, axes=[Axis("DensityIndex", list(range(k))), Axis("Seed", list(range(seeds)))])
    models = k * seeds

    def fit(steps):
        with contextlib.redirect_stderr(io.StringIO()):  # its tqdm bar cannot be turned off
            t = time.perf_counter()
            grid.fit(n_epochs=steps, batch_size=wl["batch"])
            return time.perf_counter() - t

    fit(2)  # warm-up
    setup_s = time.perf_counter() - t0
    fixed = statistics.median(fit(0) for _ in range(max(repeats, 2)))
    calib = fit(wl["calib_steps"]) - fixed
    steps = _steps_for(target_s, calib / wl["calib_steps"])
    walls = [max(fit(steps) - fixed, 1e-9) for _ in range(repeats)]
    return {"steps": steps, "wall_s": walls, "excluded_s": setup_s, "fit_fixed_s": fixed, "models": models,
            "version": version("occhio"), "torch": torch.__version__, "threads": torch.get_num_threads()}


SIDES = {"toymodels": run_toymodels, "tms-kit": run_tmskit, "occhio": run_occhio}


def main(argv: list[str]) -> int:
    side, wl_json, target_s, repeats = argv[0], argv[1], float(argv[2]), int(argv[3])
    wl = json.loads(wl_json)
    out = SIDES[side](wl, target_s, repeats)
    out.update(side=side, workload=wl["name"])
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
