"""Seed protocols and `toymodels analyze` on a finished run."""

import json

import numpy as np

from toymodels.cli import main
from toymodels.selection import best_of_seeds, best_seed_index, mean_drop_worst


def test_best_of_seeds_picks_the_lowest_finite_loss():
    loss = np.array([[0.3, 0.1, np.nan], [np.nan, np.inf, 0.5]])
    assert best_seed_index(loss).tolist() == [1, 2]
    W = np.arange(2 * 3 * 4).reshape(2, 3, 4)
    np.testing.assert_array_equal(best_of_seeds(W, loss), np.stack([W[0, 1], W[1, 2]]))
    both = best_of_seeds({"W": W, "b": W[..., 0]}, loss)
    assert both["b"].tolist() == [W[0, 1, 0], W[1, 2, 0]]


def test_mean_drop_worst_discards_exactly_the_highest_loss_seed():
    loss = np.array([[1.0, 5.0, 2.0, 3.0]])
    values = np.array([[10.0, 1000.0, 20.0, 30.0]])
    np.testing.assert_allclose(mean_drop_worst(values, loss), [20.0])
    # a diverged seed is the worst even if another has a larger finite loss
    loss_nan = np.array([[1.0, 5.0, np.nan]])
    np.testing.assert_allclose(mean_drop_worst(np.array([[1.0, 2.0, 99.0]]), loss_nan), [1.5])
    # one seed: nothing to drop
    np.testing.assert_allclose(mean_drop_worst(np.array([[7.0]]), np.array([[1.0]])), [7.0])
    # trailing value axes are carried along
    np.testing.assert_allclose(mean_drop_worst(np.array([[[1.0, 2.0], [9.0, 9.0], [3.0, 4.0]]]),
                                               np.array([[0.1, 0.9, 0.2]])), [[2.0, 3.0]])


def test_analyze_writes_tables_plots_and_a_summary(tmp_path, capsys):
    assert main(["sweep", "intro-tiny", "--results-dir", str(tmp_path), "--no-progress"]) == 0
    (rdir,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert (rdir / "intro.png").stat().st_size > 1000
    capsys.readouterr()
    assert main(["analyze", str(rdir)]) == 0
    out = capsys.readouterr().out
    assert "density=0.05" in out and "D*=" in out
    a = rdir / "analysis"
    for f in ("cells-b0.csv", "measures-b0.npz", "geometry-b0.json", "features2d-b0.png",
              "interference-b0.png", "dimensionality-b0.png", "summary.txt"):
        assert (a / f).exists(), f
    geometry = json.loads((a / "geometry-b0.json").read_text())
    assert len(geometry) == 3  # one entry per density cell
    with np.load(a / "measures-b0.npz") as z:
        assert z["D_F"].shape == (3, 2, 5)  # density × seed × feature
    assert main(["analyze", str(rdir), str(rdir)]) == 0  # several run directories in one call
    assert capsys.readouterr().out.count("tables and plots:") == 2
    assert main(["analyze", str(rdir), str(tmp_path / "missing")]) == 2  # checked before any is analysed


def test_analyze_draws_the_phase_diagram_beside_theory(tmp_path):
    from toymodels import sweep
    from toymodels.config import GridConfig, ModelConfig, SweepConfig, TrainConfig
    from toymodels.report import analyze_run
    from toymodels.store import Run

    cfg = SweepConfig(name="phase", model=ModelConfig(n_features=2, n_hidden=1),
                      train=TrainConfig(steps=50, batch_size=64, n_snapshots=4, eval_samples=128),
                      grid=GridConfig(density=(1.0, 0.05), relative_importance=(0.2, 5.0), n_seeds=3),
                      results_dir=str(tmp_path), progress=False)
    run = Run(sweep.run_sweep(cfg).run_dir)
    text = analyze_run(run)
    assert "agrees with theory in" in text
    phase = json.loads((run.dir / "analysis" / "phase-b0.json").read_text())
    # theory at (p, r): dense & r<1 -> not represented (0); dense & r>1 -> dedicated (1); sparse -> superposition (2)
    assert phase["theory"] == [[0, 1], [2, 2]]
    agree = np.mean(np.array(phase["empirical"]) == np.array(phase["theory"]))
    assert phase["agreement"] == agree
    assert (run.dir / "analysis" / "phase-b0.png").exists() and (run.dir / "analysis" / "dynamics-b0.png").exists()
