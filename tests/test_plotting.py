"""Smoke tests: every plot renders under Agg and shows exactly the text it was given."""

import ast
import os
import pathlib

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from toymodels import plotting as tp  # noqa: E402


def render(fig):
    fig.canvas.draw()  # a full Agg render: layout, text, patches


def polygon(k):
    a = 2 * np.pi * np.arange(k) / k
    return np.stack([np.cos(a), np.sin(a)])


def test_features_2d_row():
    fig, axes = tp.make_figure(1, 3, figsize=(9, 3))
    Ws = [polygon(5), np.array([[1.0, -1, 0, 0, 0], [0, 0, 1, -1, 0]]), np.eye(2, 5)]
    tp.plot_features_2d_row(axes, Ws, 0.9 ** np.arange(5), titles=["1-S=0.1", "1-S=0.2", "1-S=1"], xlabel="x0", ylabel="x1")
    render(fig)
    assert [ax.get_title() for ax in axes] == ["1-S=0.1", "1-S=0.2", "1-S=1"]
    assert axes[0].get_xlabel() == "x0" and axes[2].get_ylabel() == "x1"
    assert axes[1].get_xlim() == (-1.5, 1.5) and axes[1].get_ylim() == (-1.5, 1.5)
    assert len(axes[0].lines) == 5  # one segment per feature
    with pytest.raises(ValueError):
        tp.plot_features_2d_row(axes[:2], Ws)


def test_interference_and_norm_bars():
    fig, (ax0, ax1) = tp.make_figure(1, 2)
    WtW = polygon(5).T @ polygon(5)
    im, bias_im = tp.plot_interference(ax0, WtW, np.linspace(-0.2, 0.3, 5), title="WtW", xlabel="feature j", ylabel="feature i", bias_title="b", split_at=2)
    assert im.get_clim() == (-1.0, 1.0) and im.get_cmap().name == "coolwarm"
    assert bias_im.get_array().shape == (5, 1) and bias_im.axes.get_title() == "b"
    bars = tp.plot_norm_bars(ax1, np.array([1.0, 1.1, 0.2]), np.array([0.0, 0.5, 1.0]), title="norms", xlabel="||W_i||", ylabel="feature")
    render(fig)
    assert (ax0.get_title(), ax0.get_xlabel(), ax0.get_ylabel()) == ("WtW", "feature j", "feature i")
    assert (ax1.get_title(), ax1.get_xlabel(), ax1.get_ylabel()) == ("norms", "||W_i||", "feature")
    np.testing.assert_allclose([b.get_width() for b in bars], [1.0, 1.1, 0.2])
    # bar colours follow the values passed in (viridis at 0 and 1)
    v = matplotlib.colormaps["viridis"]
    np.testing.assert_allclose(bars[0].get_facecolor(), v(0.0))
    np.testing.assert_allclose(bars[2].get_facecolor(), v(1.0))


def test_dimensionality_plot():
    fig, ax = tp.make_figure()
    x = np.geomspace(1, 20, 6)
    pts_x = np.repeat(x, 3)
    jitter = np.tile([-0.01, 0.0, 0.01], 6)
    tp.plot_dimensionality(
        ax, x, np.array([1, 0.95, 0.5, 0.5, 0.4, 0.3]), points_x_N=pts_x, points_D_N=np.full(18, 0.5),
        jitter_N=jitter, fractions=((1, 2), (2, 5)), title="D*", xlabel="1/(1-S)", ylabel="dims per feature",
        line_label="D*", points_label="D_i",
    )
    render(fig)
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("D*", "1/(1-S)", "dims per feature")
    assert ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["D*", "D_i"]
    offsets = ax.collections[0].get_offsets()
    np.testing.assert_allclose(offsets[:, 0], pts_x + jitter)
    assert sorted(t.get_text() for t in ax.texts) == ["1/2", "2/5"]
    assert len(tp.DEFAULT_FRACTIONS) == 11


def test_feature_graph():
    fig, ax = tp.make_figure()
    W = np.concatenate([polygon(3), np.zeros((2, 2))], axis=1)
    W[:, 3] = [0, 0]
    A = np.abs(W.T @ W)
    tp.plot_feature_graph(ax, A, node_values_F=np.arange(5), title="geometry")
    render(fig)
    assert ax.get_title() == "geometry"
    assert len(ax.lines) == 3  # the triangle's 3 edges; zero features have none
    np.testing.assert_allclose([ln.get_alpha() for ln in ax.lines], 1.0)
    np.testing.assert_allclose(tp.circle_positions(4), [[0, 1], [1, 0], [0, -1], [-1, 0]], atol=1e-12)


def test_phase_diagram():
    fig, axes = tp.make_figure(1, 2, figsize=(8, 4))
    r = np.geomspace(0.1, 10, 6)
    p = np.geomspace(0.01, 1, 5)
    theory = (np.arange(30).reshape(5, 6) % 3)
    emp = theory.copy()
    emp[0, 0] = 1
    leg = tp.plot_phase_diagram(
        axes, r, p, emp, theory, boundary_r=r, boundary_p=0.5 * np.ones(6), agreement=0.9667,
        titles=("empirical", "theory"), xlabel="relative importance r", ylabel="density p",
        phase_names=("not learned", "dedicated", "superposed"), boundary_label="p*(r)", legend_title="phase",
    )
    render(fig)
    assert axes[0].get_title() == "empirical (agreement 97%)"
    assert axes[1].get_title() == "theory"
    assert all(ax.get_xlabel() == "relative importance r" and ax.get_ylabel() == "density p" for ax in axes)
    assert [t.get_text() for t in leg.get_texts()] == ["not learned", "dedicated", "superposed", "p*(r)"]
    assert leg.get_title().get_text() == "phase"
    assert axes[0].get_xscale() == "log" and axes[0].get_yscale() == "log"
    lo, hi = axes[0].get_xlim()
    assert lo < 0.1 < 10 < hi
    fig, axes = tp.make_figure(1, 2)
    tp.plot_phase_diagram(axes, r, p, emp, theory, agreement=0.5, titles=("E", "T"), agreement_format="{title}: {agreement:.3f}")
    assert axes[0].get_title() == "E: 0.500"


def test_dynamics_plot():
    fig, ax = tp.make_figure()
    steps = np.array([1, 10, 100, 1000])
    ax, loss_ax = tp.plot_dynamics(
        ax, steps, np.array([[1, 0], [1, 0], [0.5, 0.5], [0.5, 0.5]]), np.array([1.0, 0.9, 0.5, 0.4]),
        title="energy levels", xlabel="step", ylabel="D_i", loss_label="loss", jump_steps=[100],
    )
    render(fig)
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel(), loss_ax.get_ylabel()) == ("energy levels", "step", "D_i", "loss")
    assert ax.get_xscale() == "log" and loss_ax.get_yscale() == "log"
    assert len(ax.lines) == 3 and len(loss_ax.lines) == 1  # 2 features + 1 jump marker
    _, none_ax = tp.plot_dynamics(tp.make_figure()[1], steps, np.ones((4, 1)))
    assert none_ax is None


def test_neuron_stack():
    fig, ax = tp.make_figure()
    W = np.array([[1.0, 0.0, -0.5], [0.3, 0.4, 0.0]])
    patches = tp.plot_neuron_stack(
        ax, W, feature_values_F=[1.0, 0.75, 0.5], neuron_order_H=[1, 0], title="neurons",
        xlabel="neuron", ylabel="weight", feature_labels=["f0", "f1", "f2"], legend_title="feature",
    )
    render(fig)
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("neurons", "neuron", "weight")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["f0", "f1", "f2"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "0"]
    # column 0 = neuron 1: 0.3 then 0.4 stacked up; column 1 = neuron 0: 1.0 up, 0.5 below zero
    geo = [(round(p.get_x() + p.get_width() / 2, 6), round(p.get_y(), 6), round(p.get_height(), 6)) for p in patches]
    assert geo == [(0.0, 0.0, 0.3), (0.0, 0.3, 0.4), (1.0, 0.0, 1.0), (1.0, -0.5, 0.5)]


def test_save_figure_atomic(tmp_path):
    fig, ax = tp.make_figure()
    ax.plot([0, 1], [0, 1])
    target = tmp_path / "sub" / "fig.png"
    assert tp.save_figure(fig, target) == str(target)
    data = target.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    tp.save_figure(fig, tmp_path / "sub" / "fig.pdf")
    assert (tmp_path / "sub" / "fig.pdf").read_bytes()[:4] == b"%PDF"
    with pytest.raises(ValueError):
        tp.save_figure(fig, target, format="not-a-format")
    assert target.read_bytes() == data  # the old file survives a failed save
    assert sorted(os.listdir(tmp_path / "sub")) == ["fig.pdf", "fig.png"]  # no temp files left


def test_only_plotting_imports_matplotlib():
    root = pathlib.Path(tp.__file__).parent
    for path in root.rglob("*.py"):
        if path.name == "plotting.py" and path.parent == root:
            continue
        tree = ast.parse(path.read_text())
        names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        assert not any(m.split(".")[0] == "matplotlib" for m in names), path


def test_layout_problems_finds_clipped_and_overlapping_text_and_passes_a_clean_figure():
    fig, ax = tp.make_figure(figsize=(3, 2))
    ax.set_title("fits")
    assert tp.layout_problems(fig) == []
    ax.text(0.5, 0.5, "same place", transform=ax.transAxes)
    ax.text(0.5, 0.5, "same place too", transform=ax.transAxes)
    fig.text(0.95, 0.5, "this sentence runs far past the right edge of the figure")
    problems = tp.layout_problems(fig)
    assert any("overlap" in p for p in problems) and any("leaves the figure" in p for p in problems)


def test_save_figure_wraps_a_title_that_is_wider_than_the_figure(tmp_path):
    fig, ax = tp.make_figure(figsize=(3, 2))
    fig.suptitle("a very long run label · importance 0.9^i · 10000 steps × 1024 · 10 seeds per cell")
    ax.set_title("an axes title that is also much wider than its little axes")
    assert any("leaves the figure" in p for p in tp.layout_problems(fig))
    tp.save_figure(fig, tmp_path / "f.png")
    assert tp.layout_problems(fig) == []
    assert "\n" in fig._suptitle.get_text()


def test_unrepresented_features_are_drawn_as_crosses_not_vectors():
    fig, ax = tp.make_figure()
    W = np.array([[1.0, 0.0, 0.01], [0.0, 1.0, 0.02]])
    tp.plot_features_2d(ax, W, np.array([1.0, 0.8, 0.5]), represented_F=np.array([True, True, False]))
    assert len(ax.lines) == 2  # segments from the origin only for the represented features
    markers = [c for c in ax.collections if c.get_offsets().shape[0] == 1]
    assert markers, "the unrepresented feature is drawn with its own (cross) marker"
