"""Matplotlib figures for toy models of superposition (paper figures; paper_spec 2 and 6).

The ONLY module of toymodels that imports matplotlib. Rules:

* Plot functions compute nothing beyond layout: every number drawn is passed in (take D_i,
  WᵀW, phases, jitter ... from :mod:`toymodels.analysis`).
* Every function draws into axes it is given (``ax`` / ``axes``) and returns them (or the
  artists). Titles, axis labels and legend strings are arguments; the defaults are empty or
  generic and the caller overrides them (hard-coded plot text goes stale, paper_spec/peers).
* It uses the object API (``matplotlib.figure.Figure``), never pyplot state, so it is safe under
  the Agg backend and in threads. :func:`make_figure` creates a figure; :func:`save_figure`
  writes it atomically.
"""

from __future__ import annotations

import os

import matplotlib
import matplotlib.colors as mcolors
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

# The notebook's guide lines for the D_i scatter (paper_spec 3.5), as (a, b) for a/b.
DEFAULT_FRACTIONS = ((1, 2), (2, 3), (2, 5), (2, 6), (2, 7), (5, 6), (4, 5), (3, 4), (3, 8), (3, 12), (3, 20))
# Phase codes of toymodels.analysis.phases: not represented, dedicated, superposition.
DEFAULT_PHASE_NAMES = ("not represented", "dedicated", "superposition")
DEFAULT_PHASE_COLORS = ("#d9d9d9", "#4c72b0", "#dd8452")


def make_figure(nrows: int = 1, ncols: int = 1, *, figsize=None, squeeze: bool = True, **subplot_kw):
    """A new Figure (object API, no pyplot) and its axes, like ``plt.subplots``.

    Returns:
      (fig, axes): axes is one Axes when squeeze and 1×1, else a numpy array of Axes.
    """
    fig = Figure(figsize=figsize, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=squeeze, subplot_kw=subplot_kw or None)
    return fig, axes


def save_figure(fig, path, **savefig_kwargs) -> str:
    """Write a figure atomically: render to a temp file in the target folder, then os.replace.

    A reader never sees a half-written file, and an interrupted save leaves the old file intact.
    The format comes from the path's extension unless ``format=`` is given.

    Args:
      fig: a matplotlib Figure.
      path: destination file path; its folder is created if missing.
      **savefig_kwargs: forwarded to ``fig.savefig`` (dpi, bbox_inches, ...).

    Returns:
      the path written, as a string.
    """
    from toymodels.store import atomic_write

    wrap_long_titles(fig)
    fmt = savefig_kwargs.pop("format", None) or os.path.splitext(os.fspath(path))[1].lstrip(".") or "png"
    atomic_write(path, lambda f: fig.savefig(f, format=fmt, **savefig_kwargs))
    path = os.fspath(path)
    return path


def wrap_long_titles(fig) -> None:
    """Re-wrap any figure or axes title wider than the room it has, at word boundaries.

    Titles are built from configs (``labels.run_label``) and can be longer than a small figure is
    wide; a clipped title ("tput model, n=5 … 10 se") is worse than a two-line one. The room is
    the figure's width for a suptitle and the axes' width (plus a little) for an axes title or
    x-axis label.
    Called by :func:`save_figure`; drawing only, nothing is computed.
    """
    import textwrap

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    renderer = canvas.get_renderer()
    width_px = fig.bbox.width
    texts = []
    for f in [fig, *fig.subfigs] if hasattr(fig, "subfigs") else [fig]:
        if getattr(f, "_suptitle", None) is not None:
            texts.append((f._suptitle, 0.96 * f.bbox.width if f is not fig else 0.96 * width_px))
    for ax in fig.get_axes():
        room = 1.08 * ax.get_position().width * width_px
        texts += [(ax.title, room), (ax._left_title, room), (ax._right_title, room), (ax.xaxis.label, room)]
    for text, room in texts:
        content = text.get_text()
        if not content.strip() or room <= 0:
            continue
        extent = text.get_window_extent(renderer).width
        longest = max(len(line) for line in content.splitlines())
        for _ in range(6):  # proportional fonts: shrink the width in characters until it fits
            if extent <= room or longest <= 12:
                break
            longest = max(12, int(longest * min(room / extent, 0.95)))
            text.set_text("\n".join(textwrap.fill(line, width=longest, break_long_words=False,
                                                   break_on_hyphens=False) for line in content.splitlines()))
            extent = text.get_window_extent(renderer).width


def _labels(ax, title, xlabel, ylabel):
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)


def plot_features_2d(
    ax,
    W_2xF,
    importance_F=None,
    *,
    title: str = "",
    xlabel: str = "",
    ylabel: str = "",
    lim: float = 1.5,
    cmap: str = "viridis",
    marker_size: float = 30.0,
    represented_F=None,
    vmin: float | None = None,
    vmax: float | None = None,
):
    """Feature directions of an m=2 model: each W_i as a point and a segment from the origin.

    As the notebook's plot_intro_diagram (paper section 1 figure): colour = viridis(importance),
    axes fixed to ±lim with equal aspect. Features marked not represented (``represented_F``
    False) are drawn as a small light-grey "×" without a segment, so that a near-zero column
    cannot be read as a vector or a hub at the origin; pair the plot with
    :func:`features_2d_legend` to explain the marker.

    Args:
      ax: target Axes.
      W_2xF: weights, shape (2, n).
      importance_F: colour values, shape (n,); None colours all features alike.
      title, xlabel, ylabel: text.
      lim: axis half-width.
      cmap: colormap name.
      marker_size: point size.
      represented_F: bool per feature (e.g. analysis.represented), or None to draw all alike.
      vmin, vmax: colour range (default: the importances' range), so panels can share a key.

    Returns:
      ax.
    """
    W = np.asarray(W_2xF, dtype=float)
    n = W.shape[1]
    values = np.ones(n) if importance_F is None else np.asarray(importance_F, dtype=float)
    norm = mcolors.Normalize(vmin=float(values.min()) if vmin is None else vmin,
                             vmax=float(values.max()) if vmax is None else vmax)
    colors = matplotlib.colormaps[cmap](norm(values))
    rep = np.ones(n, bool) if represented_F is None else np.asarray(represented_F, bool)
    for i in np.flatnonzero(rep):
        ax.plot([0, W[0, i]], [0, W[1, i]], color=colors[i], lw=1.5)
    ax.scatter(W[0, rep], W[1, rep], c=colors[rep], s=marker_size, zorder=3)
    if not rep.all():
        ax.scatter(W[0, ~rep], W[1, ~rep], marker="x", color="0.7", s=marker_size * 0.6, lw=1.0, zorder=2)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    _labels(ax, title, xlabel, ylabel)
    return ax


def features_2d_legend(fig, *, not_represented_label: str = "", colorbar_label: str = "",
                       importance_F=None, cmap: str = "viridis", axes=None, loc: str = "outside lower center"):
    """The key of :func:`plot_features_2d` panels: a colour bar for importance (when the colours
    mean something) and a legend entry for the "×" of features that are not represented.

    Args:
      fig: the Figure (constrained layout, as from :func:`make_figure`).
      not_represented_label: legend text of the "×" marker ("" for no legend).
      colorbar_label: colour-bar label ("" for no colour bar).
      importance_F: the colour values, to set the colour bar's range.
      cmap: the panels' colormap.
      axes: the panels (the colour bar sits beside them).
      loc: legend location.
    """
    if colorbar_label and importance_F is not None:
        values = np.asarray(importance_F, dtype=float)
        add_colorbar(fig, cmap, float(values.min()), float(values.max()), axes, colorbar_label)
    if not_represented_label:
        handle = Line2D([], [], marker="x", color="0.7", ls="", label=not_represented_label)
        fig.legend(handles=[handle], loc=loc, fontsize=8, frameon=False)


def add_colorbar(fig, cmap: str, vmin: float, vmax: float, axes, label: str, **kwargs):
    """A labelled colour bar for colours that were set by hand (bars, points) rather than by a
    mappable; ``axes`` is the Axes (or array of Axes) it sits beside."""
    from matplotlib.cm import ScalarMappable

    if vmax <= vmin:
        vmax = vmin + 1e-9
    sm = ScalarMappable(norm=mcolors.Normalize(vmin=vmin, vmax=vmax), cmap=cmap)
    ax_list = list(np.ravel(axes)) if axes is not None else None
    return fig.colorbar(sm, ax=ax_list, label=label, **kwargs)


def plot_features_2d_row(axes, W_IxHxF, importance_F=None, *, titles=None, represented_IxF=None, **kwargs):
    """:func:`plot_features_2d` for several models, one per Axes (e.g. one row of a figure).

    Args:
      axes: sequence of Axes, one per model.
      W_IxHxF: weights of I models, shape (I, 2, n), or a list of (2, n) arrays.
      importance_F: shape (n,) shared, or (I, n) per model, or None.
      titles: one title per panel, or None.
      represented_IxF: bool per model and feature, or None (all drawn as vectors).
      **kwargs: forwarded to plot_features_2d (xlabel, ylabel, lim, cmap, ...).

    Returns:
      the list of Axes.
    """
    axes = list(np.ravel(axes))
    if len(axes) != len(W_IxHxF):
        raise ValueError(f"{len(axes)} axes for {len(W_IxHxF)} models")
    titles = [""] * len(axes) if titles is None else list(titles)
    imp = None if importance_F is None else np.asarray(importance_F)
    for k, ax in enumerate(axes):
        imp_k = None if imp is None else (imp[k] if imp.ndim == 2 else imp)
        rep_k = None if represented_IxF is None else represented_IxF[k]
        plot_features_2d(ax, W_IxHxF[k], imp_k, title=titles[k], represented_F=rep_k, **kwargs)
    return axes


def plot_interference(
    ax,
    WtW_FxF,
    b_F=None,
    *,
    bias_ax=None,
    title: str = "",
    xlabel: str = "",
    ylabel: str = "",
    bias_title: str = "",
    cmap: str = "coolwarm",
    vlim: float = 1.0,
    split_at=None,
):
    """WᵀW heatmap on [−vlim, vlim] (coolwarm) with an optional bias strip (paper section 2 figs).

    Features should already be in the desired order (the paper sorts by importance).

    Args:
      ax: Axes for the n×n heatmap.
      WtW_FxF: end-to-end matrix, shape (n, n).
      b_F: bias, shape (n,), drawn as an n×1 strip in the same colours; None for no strip.
      bias_ax: Axes for the strip; None places it in an inset right of ax.
      title, xlabel, ylabel, bias_title: text.
      cmap: colormap name.
      vlim: colour range half-width.
      split_at: draw lines between feature split_at − 1 and split_at (e.g. m), or None.

    Returns:
      (image, bias_image or None).
    """
    M = np.asarray(WtW_FxF, dtype=float)
    im = ax.imshow(M, cmap=cmap, vmin=-vlim, vmax=vlim, interpolation="nearest")
    if split_at is not None:
        ax.axvline(split_at - 0.5, color="k", lw=0.8)
        ax.axhline(split_at - 0.5, color="k", lw=0.8)
    _labels(ax, title, xlabel, ylabel)
    bias_im = None
    if b_F is not None:
        if bias_ax is None:
            bias_ax = ax.inset_axes([1.04, 0.0, 0.06, 1.0])
        b = np.asarray(b_F, dtype=float)[:, None]
        bias_im = bias_ax.imshow(b, cmap=cmap, vmin=-vlim, vmax=vlim, aspect="auto", interpolation="nearest")
        bias_ax.set_xticks([])
        bias_ax.set_yticks([])
        bias_ax.set_title(bias_title)
    return im, bias_im


def plot_norm_bars(
    ax,
    norms_F,
    color_values_F,
    *,
    title: str = "",
    xlabel: str = "",
    ylabel: str = "",
    cmap: str = "viridis",
    vmin: float = 0.0,
    vmax: float = 1.0,
    split_at=None,
):
    """Horizontal bars of ||W_i||, coloured by superposition (paper section 2 figures).

    Feature 0 is at the top. The notebook colours by sqrt(Σ_{j≠i}(Ŵ_i·W_j)²) on [0, 1]; pass
    whichever quantity you want as color_values_F.

    Args:
      ax: target Axes.
      norms_F: bar lengths, shape (n,).
      color_values_F: colour values, shape (n,).
      title, xlabel, ylabel: text.
      cmap, vmin, vmax: colour mapping.
      split_at: a line between feature split_at − 1 and split_at, or None.

    Returns:
      the BarContainer.
    """
    norms = np.asarray(norms_F, dtype=float)
    values = np.asarray(color_values_F, dtype=float)
    colors = matplotlib.colormaps[cmap](mcolors.Normalize(vmin=vmin, vmax=vmax)(values))
    bars = ax.barh(np.arange(norms.size), norms, color=colors)
    ax.set_ylim(norms.size - 0.5, -0.5)
    if split_at is not None:
        ax.axhline(split_at - 0.5, color="k", lw=0.8)
    _labels(ax, title, xlabel, ylabel)
    return bars


def plot_dimensionality(
    ax,
    x_L,
    D_star_L,
    *,
    points_x_N=None,
    points_D_N=None,
    jitter_N=None,
    fractions=DEFAULT_FRACTIONS,
    title: str = "",
    xlabel: str = "",
    ylabel: str = "",
    line_label: str = "",
    points_label: str = "",
    fraction_color: str = "#9b59b6",
    point_alpha: float = 0.3,
):
    """D* against 1/(1−S) on a log x-axis, with the per-feature D_i scatter (paper section 5).

    Args:
      ax: target Axes.
      x_L: x of each sweep level, e.g. 1/(1−S), shape (L,).
      D_star_L: dimensions per feature per level, shape (L,).
      points_x_N, points_D_N: the D_i scatter (x = its level's x), shape (N,) each, or None.
      jitter_N: x offsets added to points_x_N (drawn by the caller, e.g. the notebook's
        dx·U(−0.1, 0.1)); None for no jitter.
      fractions: (a, b) pairs for dashed guide lines at a/b, labelled "a/b" (the notebook's set
        by default).
      title, xlabel, ylabel, line_label, points_label: text (empty labels are left out of the
        legend).
      fraction_color, point_alpha: styling.

    Returns:
      ax.
    """
    for a, b in fractions:
        ax.axhline(a / b, color=fraction_color, lw=0.6, ls="--", alpha=0.6)
    ax.plot(np.asarray(x_L), np.asarray(D_star_L), "k-", lw=1.5, label=line_label or None)
    if points_x_N is not None:
        px = np.asarray(points_x_N, dtype=float)
        if jitter_N is not None:
            px = px + np.asarray(jitter_N, dtype=float)
        ax.scatter(px, np.asarray(points_D_N), s=6, alpha=point_alpha, label=points_label or None)
    ax.set_xscale("log")
    _fraction_labels(ax, fractions, fraction_color)
    if line_label or points_label:
        ax.legend()
    _labels(ax, title, xlabel, ylabel)
    return ax


def _fraction_labels(ax, fractions, color, fontsize: float = 7.0) -> None:
    """Label the guide lines a/b at the right edge, in as many columns as it takes for no two
    labels to touch (close fractions such as 2/5 and 3/8 go side by side)."""
    lo, hi = ax.get_ylim()
    fig = ax.figure
    axes_px = max(ax.get_position().height * fig.get_figheight() * fig.dpi, 1.0)
    gap = 1.3 * fontsize * fig.dpi / 72 * (hi - lo) / axes_px  # one text height, in data units
    last_y: list[float] = []
    for a, b in sorted(fractions, key=lambda f: f[0] / f[1]):
        y = a / b
        if not lo <= y <= hi:
            continue
        col = next((c for c, prev in enumerate(last_y) if y - prev >= gap), len(last_y))
        if col == len(last_y):
            last_y.append(y)
        last_y[col] = y
        ax.annotate(f"{a}/{b}", (1.0, y), xycoords=("axes fraction", "data"), xytext=(2 + 18 * col, 0),
                    textcoords="offset points", fontsize=fontsize, color=color, va="center", ha="left")


def circle_positions(n: int):
    """Layout helper: n points on the unit circle, starting at the top, clockwise. (n, 2)."""
    a = np.pi / 2 - 2 * np.pi * np.arange(n) / n
    return np.stack([np.cos(a), np.sin(a)], axis=1)


def plot_feature_graph(
    ax,
    absdot_FxF,
    positions_Fx2=None,
    *,
    node_values_F=None,
    title: str = "",
    cmap: str = "viridis",
    edge_color: str = "k",
    min_weight: float = 0.0,
    node_size: float = 40.0,
):
    """Feature-geometry graph: nodes = features, edges with alpha ∝ |W_i·W_j| (paper section 5).

    Alpha is |W_i·W_j| divided by the largest off-diagonal weight; edges at or below min_weight
    are not drawn. Disconnected parts are the tegum factors.

    Args:
      ax: target Axes.
      absdot_FxF: |W_i·W_j|, shape (n, n) (the diagonal is ignored).
      positions_Fx2: node positions, shape (n, 2); None places them on a circle.
      node_values_F: node colours, shape (n,), or None.
      title: text.
      cmap, edge_color, node_size: styling.
      min_weight: hide edges with weight <= this.

    Returns:
      ax.
    """
    A = np.abs(np.asarray(absdot_FxF, dtype=float))
    n = A.shape[0]
    pos = circle_positions(n) if positions_Fx2 is None else np.asarray(positions_Fx2, dtype=float)
    off = A[~np.eye(n, dtype=bool)]
    top = off.max() if off.size and off.max() > 0 else 1.0
    for i in range(n):
        for j in range(i + 1, n):
            if A[i, j] > min_weight:
                ax.plot(*pos[[i, j]].T, color=edge_color, alpha=float(min(A[i, j] / top, 1.0)), lw=1.0)
    c = None if node_values_F is None else np.asarray(node_values_F, dtype=float)
    ax.scatter(pos[:, 0], pos[:, 1], c=c, cmap=cmap if c is not None else None, s=node_size, zorder=3)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(title)
    return ax


def _cell_ticks(axis, centers, max_ticks: int = 8):
    """Ticks at (a thinned subset of) the grid's cell centres, labelled with %g, no minor labels."""
    c = np.sort(np.asarray(centers, dtype=float))
    c = c[np.unique(np.linspace(0, c.size - 1, min(c.size, max_ticks)).round().astype(int))]
    axis.set_major_locator(FixedLocator(c))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.2g}"))
    axis.set_minor_formatter(NullFormatter())


def _log_edges(centers):
    """Cell edges around log-spaced centres (geometric midpoints), for pcolormesh."""
    c = np.asarray(centers, dtype=float)
    if c.size == 1:
        return np.array([c[0] / 1.5, c[0] * 1.5])
    mid = np.sqrt(c[1:] * c[:-1])
    return np.concatenate([[c[0] ** 2 / mid[0]], mid, [c[-1] ** 2 / mid[-1]]])


def plot_phase_diagram(
    axes,
    r_R,
    p_P,
    empirical_PxR,
    theory_PxR,
    *,
    boundary_r=None,
    boundary_p=None,
    agreement=None,
    titles=("", ""),
    agreement_format: str = "{title} (agreement {agreement:.0%})",
    xlabel: str = "",
    ylabel: str = "",
    phase_names=DEFAULT_PHASE_NAMES,
    phase_colors=DEFAULT_PHASE_COLORS,
    boundary_label: str = "",
    legend_title: str = "",
    legend_loc: str = "outside lower center",
):
    """Empirical phase diagram beside the theoretical one (paper section 4 figures).

    Both panels use log axes (x = relative importance r, y = density p), one colour per phase
    code, the same boundary curve overlaid on both, and one shared legend on the figure.

    Args:
      axes: two Axes (empirical, theory).
      r_R: relative importances (cell centres), shape (R,).
      p_P: densities (cell centres), shape (P,).
      empirical_PxR, theory_PxR: integer phase codes, shape (P, R).
      boundary_r, boundary_p: the boundary curve p*(r) to overlay, or None.
      agreement: number shown in the empirical panel's title via agreement_format, or None.
      titles: (empirical title, theory title).
      agreement_format: format with fields {title} and {agreement}.
      xlabel, ylabel: axis labels of both panels.
      phase_names, phase_colors: legend label and colour per phase code 0, 1, 2, ...
      boundary_label: legend label of the boundary curve ("" leaves it out).
      legend_title: title of the shared legend.
      legend_loc: figure-legend location; "outside ..." locations need a constrained-layout
        figure (as from :func:`make_figure`).

    Returns:
      the figure legend.
    """
    ax_e, ax_t = list(np.ravel(axes))
    k = len(phase_names)
    cmap = mcolors.ListedColormap(list(phase_colors)[:k])
    norm = mcolors.BoundaryNorm(np.arange(k + 1) - 0.5, k)
    xe, ye = _log_edges(r_R), _log_edges(p_P)
    title_e, title_t = titles
    if agreement is not None:
        title_e = agreement_format.format(title=title_e, agreement=agreement)
    for ax, grid, title in ((ax_e, empirical_PxR, title_e), (ax_t, theory_PxR, title_t)):
        ax.pcolormesh(xe, ye, np.asarray(grid), cmap=cmap, norm=norm)
        if boundary_r is not None and boundary_p is not None:
            ax.plot(boundary_r, boundary_p, "k--", lw=1.2)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(min(xe[0], xe[-1]), max(xe[0], xe[-1]))  # ascending whatever the grid order
        ax.set_ylim(min(ye[0], ye[-1]), max(ye[0], ye[-1]))
        _cell_ticks(ax.xaxis, r_R)
        _cell_ticks(ax.yaxis, p_P)
        _labels(ax, title, xlabel, ylabel)
    handles = [Patch(facecolor=phase_colors[i], label=phase_names[i]) for i in range(k)]
    if boundary_r is not None and boundary_p is not None and boundary_label:
        handles.append(Line2D([], [], color="k", ls="--", label=boundary_label))
    return ax_e.figure.legend(
        handles=handles, loc=legend_loc, ncols=len(handles), title=legend_title or None
    )


def _log_x(ax, *x_arrays) -> None:
    """A log x axis; when the data include x <= 0 (e.g. the init at step 0 of a training history),
    a symmetric log axis that is linear up to the smallest positive x, so those points show."""
    x = np.concatenate([np.ravel(np.asarray(a, dtype=float)) for a in x_arrays] or [np.ones(1)])
    x = x[np.isfinite(x)]
    if x.size and x.min() <= 0 and (x > 0).any():
        ax.set_xscale("symlog", linthresh=float(x[x > 0].min()), linscale=0.5)
    else:
        ax.set_xscale("log")


def plot_dynamics(
    ax,
    steps_T,
    D_TxF,
    loss_T=None,
    *,
    title: str = "",
    xlabel: str = "",
    ylabel: str = "",
    loss_label: str = "",
    cmap: str = "viridis",
    logx: bool = True,
    logy_loss: bool = True,
    jump_steps=None,
):
    """D_i(t) per feature with the loss on a twin axis (paper section 5, learning dynamics).

    Args:
      ax: target Axes (D_i on the left axis).
      steps_T: step of each snapshot, shape (T,).
      D_TxF: feature dimensionality per snapshot, shape (T, n).
      loss_T: loss per snapshot, shape (T,), or None for no twin axis.
      title, xlabel, ylabel: text; loss_label is the twin axis label.
      cmap: colours of the feature curves.
      logx, logy_loss: log scales for steps and loss (with step 0 in steps_T: a symmetric log
        axis, linear up to step 1, so the init shows).
      jump_steps: steps to mark with vertical dotted lines (e.g. from detect_jumps), or None.

    Returns:
      (ax, loss_ax or None).
    """
    steps = np.asarray(steps_T)
    D = np.asarray(D_TxF, dtype=float)
    colors = matplotlib.colormaps[cmap](np.linspace(0, 1, max(D.shape[1], 1)))
    for i in range(D.shape[1]):
        ax.plot(steps, D[:, i], color=colors[i], lw=1.0)
    if jump_steps is not None:
        for s in np.ravel(jump_steps):
            ax.axvline(s, color="gray", ls=":", lw=0.8)
    if logx:
        _log_x(ax, steps)
    _labels(ax, title, xlabel, ylabel)
    loss_ax = None
    if loss_T is not None:
        loss_ax = ax.twinx()
        loss_ax.plot(steps, np.asarray(loss_T, dtype=float), "k-", lw=1.5)
        if logy_loss:
            loss_ax.set_yscale("log")
        loss_ax.set_ylabel(loss_label)
    return ax, loss_ax


def plot_neuron_stack(
    ax,
    Win_HxF,
    *,
    feature_values_F=None,
    neuron_order_H=None,
    title: str = "",
    xlabel: str = "",
    ylabel: str = "",
    cmap: str = "viridis",
    width: float = 0.8,
    feature_labels=None,
    legend_title: str = "",
):
    """Neuron stack plot for privileged-basis and |x| models (paper sections 7-8).

    One column per neuron k (row k of W, i.e. its weights over features). Each weight is a
    rectangle of height |w| coloured by its feature; positive weights stack upward from 0 and
    negative weights downward, in feature order. For the |x| model pass the rescaled W₁ from
    :func:`toymodels.analysis.rescale_abs_neurons` and the order from
    :func:`toymodels.analysis.neuron_order_by_importance`.

    Args:
      ax: target Axes.
      Win_HxF: neuron input weights, shape (m, n).
      feature_values_F: colour value per feature (e.g. importance), shape (n,); None uses the
        feature index.
      neuron_order_H: neuron order left to right, shape (m,); None keeps 0..m−1.
      title, xlabel, ylabel: text.
      cmap, width: styling.
      feature_labels: legend label per feature, or None for no legend.
      legend_title: legend title.

    Returns:
      list of the Rectangle patches, neuron by neuron.
    """
    W = np.asarray(Win_HxF, dtype=float)
    m, n = W.shape
    order = np.arange(m) if neuron_order_H is None else np.asarray(neuron_order_H)
    values = np.arange(n, dtype=float) if feature_values_F is None else np.asarray(feature_values_F, dtype=float)
    colors = matplotlib.colormaps[cmap](mcolors.Normalize(vmin=values.min(), vmax=values.max())(values))
    patches = []
    for col, k in enumerate(order):
        up = down = 0.0
        for i in range(n):
            w = W[k, i]
            if w == 0:
                continue
            base = up if w > 0 else down - abs(w)
            rect = Rectangle((col - width / 2, base), width, abs(w), facecolor=colors[i], edgecolor="white", lw=0.3)
            ax.add_patch(rect)
            patches.append(rect)
            if w > 0:
                up += w
            else:
                down -= abs(w)
    pos_total = np.clip(W, 0, None).sum(axis=1)
    neg_total = np.clip(W, None, 0).sum(axis=1)
    top, bottom = float(max(pos_total.max(initial=0), 1e-9)), float(min(neg_total.min(initial=0), 0))
    pad = 0.05 * (top - bottom)
    ax.set_xlim(-0.5 - (1 - width) / 2, m - 0.5 + (1 - width) / 2)
    ax.set_ylim(bottom - pad, top + pad)
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xticks(np.arange(m))
    ax.set_xticklabels([str(k) for k in order])
    if feature_labels is not None:
        handles = [Patch(facecolor=colors[i], label=feature_labels[i]) for i in range(n)]
        ax.legend(handles=handles, title=legend_title or None, fontsize=7)
    _labels(ax, title, xlabel, ylabel)
    return patches


__all__ = [
    "DEFAULT_FRACTIONS",
    "DEFAULT_PHASE_NAMES",
    "DEFAULT_PHASE_COLORS",
    "make_figure",
    "save_figure",
    "plot_features_2d",
    "plot_features_2d_row",
    "plot_interference",
    "plot_norm_bars",
    "plot_dimensionality",
    "circle_positions",
    "plot_feature_graph",
    "plot_phase_diagram",
    "plot_dynamics",
    "plot_neuron_stack",
]


# --- figs-b figures ---


def plot_phase_map(
    ax,
    r_R,
    p_P,
    codes_PxR,
    *,
    phase_names,
    phase_colors,
    curves=(),
    points=(),
    title: str = "",
    xlabel: str = "",
    ylabel: str = "",
    legend: bool = True,
    legend_loc: str = "lower left",
    cell_ticks: bool = True,
):
    """One phase diagram panel: integer codes on log r × log p cells, with overlaid curves/points.

    Args:
      ax: target Axes.
      r_R, p_P: cell centres (log-spaced), shapes (R,) and (P,).
      codes_PxR: integer codes 0..K-1, shape (P, R).
      phase_names, phase_colors: legend label and colour per code (length K).
      curves: sequence of (x, y, label, style) to draw, e.g. a boundary p*(r) as "k--".
      points: sequence of (x, y, label) markers (e.g. the triple point).
      title, xlabel, ylabel: text.
      legend: draw a legend of the codes present plus the labelled curves/points.
      legend_loc: its location.
      cell_ticks: ticks at (a thinned subset of) the cell centres, as plot_phase_diagram; False
        keeps matplotlib's log decades (for fine grids).

    Returns:
      ax.
    """
    k = len(phase_names)
    cmap = mcolors.ListedColormap(list(phase_colors)[:k])
    norm = mcolors.BoundaryNorm(np.arange(k + 1) - 0.5, k)
    xe, ye = _log_edges(r_R), _log_edges(p_P)
    codes = np.asarray(codes_PxR)
    ax.pcolormesh(xe, ye, codes, cmap=cmap, norm=norm)
    handles = [Patch(facecolor=phase_colors[i], label=phase_names[i]) for i in range(k) if np.any(codes == i)]
    for x, y, label, style in curves:
        (line,) = ax.plot(x, y, style, lw=1.4, label=label)
        if label:
            handles.append(line)
    for x, y, label in points:
        h = ax.scatter([x], [y], marker="*", s=120, color="k", zorder=4, label=label)
        if label:
            handles.append(h)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(min(xe[0], xe[-1]), max(xe[0], xe[-1]))
    ax.set_ylim(min(ye[0], ye[-1]), max(ye[0], ye[-1]))
    if cell_ticks:
        _cell_ticks(ax.xaxis, r_R)
        _cell_ticks(ax.yaxis, p_P)
    _labels(ax, title, xlabel, ylabel)
    if legend:
        ax.legend(handles=handles, loc=legend_loc, fontsize=7, framealpha=0.85)
    return ax


def plot_curves(
    ax,
    x_X,
    ys,
    *,
    title: str = "",
    xlabel: str = "",
    ylabel: str = "",
    logx: bool = False,
    logy: bool = False,
    styles=None,
    vlines=(),
    hlines=(),
    legend_loc: str = "best",
    cell_ticks: bool = True,
):
    """Several curves over one x axis, with optional labelled guide lines.

    Args:
      ax: target Axes.
      x_X: x values, shape (X,), shared by every curve (or a dict label -> x array).
      ys: dict label -> y values, shape (X,); NaN entries leave gaps.
      title, xlabel, ylabel: text.
      logx, logy: log scales (a symmetric log x axis when some x <= 0, see :func:`_log_x`).
      styles: dict label -> matplotlib format string (default: lines with markers).
      vlines, hlines: sequences of (value, label) guide lines (dotted grey).
      legend_loc: legend location.
      cell_ticks: on a log x axis with few points, put the ticks at the data's x values (False keeps
        the axis's existing ticks, e.g. when adding a curve to a panel drawn by another function).

    Returns:
      ax.
    """
    styles = styles or {}
    for label, y in ys.items():
        x = x_X[label] if isinstance(x_X, dict) else x_X
        ax.plot(np.asarray(x, dtype=float), np.asarray(y, dtype=float), styles.get(label, ".-"), label=label,
                lw=1.2, ms=4)
    for v, label in vlines:
        ax.axvline(v, color="gray", ls=":", lw=1.0, label=label or None)
    for v, label in hlines:
        ax.axhline(v, color="gray", ls="--", lw=0.8, label=label or None)
    if logx:
        _log_x(ax, *(x_X.values() if isinstance(x_X, dict) else [x_X]))
        if cell_ticks and not isinstance(x_X, dict) and np.size(x_X) <= 40:
            _cell_ticks(ax.xaxis, x_X)  # readable ticks at the data's x values
        else:
            ax.xaxis.set_minor_formatter(NullFormatter())
    positive = [np.asarray(y, dtype=float) for y in ys.values()]
    if logy and any(np.any(np.isfinite(y) & (y > 0)) for y in positive):  # an all-NaN plot stays linear
        ax.set_yscale("log")
    _labels(ax, title, xlabel, ylabel)
    ax.legend(loc=legend_loc, fontsize=7)
    return ax


def plot_features_2d_sets(
    ax,
    W_2xF,
    set_F,
    *,
    title: str = "",
    lim: float = 1.5,
    set_colors=("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b2"),
    annotate: bool = True,
):
    """Feature directions of an m=2 model coloured by feature set (correlated-feature figures).

    Args:
      ax: target Axes.
      W_2xF: weights, shape (2, n) (canonicalised by the caller if wanted).
      set_F: integer set index of each feature, shape (n,).
      title: text.
      lim: axis half-width.
      set_colors: colour per set.
      annotate: write each feature's index beside its point.

    Returns:
      ax.
    """
    W = np.asarray(W_2xF, dtype=float)
    sets = np.asarray(set_F)
    theta = np.linspace(0, 2 * np.pi, 200)
    ax.plot(np.cos(theta), np.sin(theta), color="0.85", lw=0.8, zorder=0)
    for i in range(W.shape[1]):
        c = set_colors[int(sets[i]) % len(set_colors)]
        ax.plot([0, W[0, i]], [0, W[1, i]], color=c, lw=1.6)
        ax.scatter([W[0, i]], [W[1, i]], color=c, s=30, zorder=3)
    if annotate:
        # Features whose points (nearly) coincide share one label, "2,3", instead of two overprinted ones.
        near = 0.08 * lim
        labelled = np.zeros(W.shape[1], bool)
        for i in range(W.shape[1]):
            if labelled[i]:
                continue
            group = [j for j in range(i, W.shape[1])
                     if not labelled[j] and np.hypot(*(W[:, j] - W[:, i])) <= near]
            labelled[group] = True
            ax.annotate(",".join(map(str, group)), (W[0, i], W[1, i]), textcoords="offset points",
                        xytext=(4, 4), fontsize=7)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=8)
    return ax


def make_figure_rows(height_ratios, *, figsize=None):
    """A constrained-layout Figure split into stacked sub-figures (rows with their own grids).

    Returns:
      (fig, subfigs): one SubFigure per entry of height_ratios; call ``subfig.subplots(...)``.
    """
    fig = Figure(figsize=figsize, layout="constrained")
    subfigs = fig.subfigures(len(height_ratios), 1, height_ratios=list(height_ratios))
    return fig, list(np.ravel(subfigs))


# --- figs-a figures ---


def plot_scatter(
    ax,
    x_N,
    y_N,
    *,
    color_values_N=None,
    cmap: str = "viridis",
    title: str = "",
    xlabel: str = "",
    ylabel: str = "",
    colorbar_label: str = "",
    logx: bool = False,
    logy: bool = False,
    marker_size: float = 18.0,
):
    """A scatter of y against x, optionally coloured (e.g. vulnerability against ||W||²_F/m,
    coloured by density).

    Args:
      ax: target Axes.
      x_N, y_N: shape (N,) each.
      color_values_N: colour value per point, or None.
      cmap: colormap name.
      title, xlabel, ylabel, colorbar_label: text ("" colorbar_label draws no colour bar).
      logx, logy: log scales.
      marker_size: point size.

    Returns:
      the PathCollection.
    """
    c = None if color_values_N is None else np.asarray(color_values_N, dtype=float)
    sc = ax.scatter(np.asarray(x_N, dtype=float), np.asarray(y_N, dtype=float), c=c,
                    cmap=cmap if c is not None else None, s=marker_size)
    if c is not None and colorbar_label:
        ax.figure.colorbar(sc, ax=ax, label=colorbar_label)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    _labels(ax, title, xlabel, ylabel)
    return sc


__all__ += ["plot_phase_map", "plot_curves", "plot_features_2d_sets", "make_figure_rows", "plot_scatter"]


# --- figs-c figures ---


def plot_features_and_points_2d(
    ax,
    W_2xF,
    h_Tx2,
    *,
    title: str = "",
    xlabel: str = "",
    ylabel: str = "",
    lim: float | None = None,
    feature_color: str = "#4c72b0",
    point_color: str = "#dd8452",
    feature_label: str = "",
    point_label: str = "",
):
    """An m=2 model's feature directions (segments from the origin) and the hidden vectors of its
    training points (dots): the double-descent panels of Henighan et al. 2023 (paper_spec 5.1).

    Args:
      ax: target Axes.
      W_2xF: weights, shape (2, n); every column is drawn (unused features sit at the origin).
      h_Tx2: hidden vectors h_t = W x_t of the training set, shape (T, 2).
      title, xlabel, ylabel, feature_label, point_label: text (empty labels stay out of the legend).
      lim: axis half-width; None fits the largest feature or point (with 10% margin).
      feature_color, point_color: styling.

    Returns:
      ax.
    """
    W = np.asarray(W_2xF, dtype=float)
    h = np.asarray(h_Tx2, dtype=float)
    segs = np.stack([np.zeros_like(W.T), W.T], axis=1)  # (n, 2 points, 2 coords)
    from matplotlib.collections import LineCollection

    ax.add_collection(LineCollection(segs, colors=feature_color, linewidths=1.2, alpha=0.8,
                                     label=feature_label or None))
    ax.scatter(h[:, 0], h[:, 1], s=8, color=point_color, zorder=3, label=point_label or None)
    if lim is None:
        r = max(float(np.abs(W).max(initial=0)), float(np.abs(h).max(initial=0)), 1e-6)
        lim = 1.1 * r
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    if feature_label or point_label:
        ax.legend(fontsize=6, loc="upper right")
    _labels(ax, title, xlabel, ylabel)
    return ax


def plot_vs_dataset_size(
    ax,
    T_N,
    series,
    *,
    title: str = "",
    xlabel: str = "",
    ylabel: str = "",
    logy: bool = False,
    mark_x=None,
    mark_label: str = "",
):
    """Curves against dataset size T on a log x-axis (double descent, paper_spec 5.1).

    Args:
      ax: target Axes.
      T_N: dataset sizes, shape (N,).
      series: list of (label, y_N, yerr_N or None, style dict or None); y may hold NaN (gaps).
      title, xlabel, ylabel: text.
      logy: log y-axis.
      mark_x: draw a dotted vertical line at this T (e.g. the test-loss peak), or None.
      mark_label: its legend label.

    Returns:
      ax.
    """
    T = np.asarray(T_N, dtype=float)
    for label, y, yerr, style in series:
        kw = {"marker": "o", "ms": 3, "lw": 1.2}
        kw.update(style or {})
        if yerr is None:
            ax.plot(T, np.asarray(y, dtype=float), label=label or None, **kw)
        else:
            ax.errorbar(T, np.asarray(y, dtype=float), yerr=np.asarray(yerr, dtype=float), capsize=2,
                        label=label or None, **kw)
    if mark_x is not None:
        ax.axvline(float(mark_x), color="k", ls=":", lw=1.0, label=mark_label or None)
    ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    if any(s[0] for s in series) or mark_label:
        ax.legend(fontsize=7)
    _labels(ax, title, xlabel, ylabel)
    return ax



__all__ += ["plot_features_and_points_2d", "plot_vs_dataset_size"]


# --- benchmarks ---


def plot_rate_curves(ax, series, *, xlabel: str = "", ylabel: str = "", title: str = ""):
    """Throughput curves on log-log axes (``toymodels bench --plot``): ``series`` maps a label to
    sorted (x, rate) pairs; a label starting with "floor" is drawn as a dotted grey guide."""
    for side, sel in series.items():
        style = {"linestyle": ":", "color": "grey"} if side.startswith("floor") else {"marker": "o"}
        ax.plot([x for x, _ in sel], [y for _, y in sel], label=side, **style)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title, fontsize=9)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


__all__ += ["plot_rate_curves"]


# --- layout checks ---


def layout_problems(fig, *, tol_px: float = 1.0) -> list[str]:
    """Text that a reader cannot read at the figure's saved size: each problem as one line.

    Renders ``fig`` (Agg) and, from matplotlib's own window extents, reports every visible,
    non-empty text (titles, labels, tick labels, legend entries, annotations, colour-bar labels)
    that leaves the figure, and every pair of such texts whose boxes overlap by more than
    ``tol_px`` pixels in both directions. Plots compute nothing, so this is a check on drawing
    only; the tests run it over every standard plot kind.

    Returns:
      a list of human-readable problems; empty when the figure is clean.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    W, H = fig.bbox.width, fig.bbox.height
    # Tick labels: only those of the ticks matplotlib actually draws (in view); the axis keeps
    # spare Tick objects with stale labels that findobj would also return.
    tick_texts, drawn_ticks = set(), []
    for ax in fig.findobj(lambda a: hasattr(a, "get_major_ticks") and hasattr(a, "_update_ticks")):
        for tick in list(ax.majorTicks) + list(ax.minorTicks):
            tick_texts.update({id(tick.label1), id(tick.label2)})
        if ax.axes is not None and ax.axes.get_visible() and ax.get_visible():
            for tick in ax._update_ticks():
                drawn_ticks += [lab for lab in (tick.label1, tick.label2) if lab.get_visible()]
    candidates = [t for t in fig.findobj(Text) if id(t) not in tick_texts] + drawn_ticks
    drawn = []
    for t in candidates:
        if not t.get_visible() or not t.get_text().strip():
            continue
        if t.axes is not None and not t.axes.get_visible():
            continue
        bb = t.get_window_extent(renderer)
        if bb.width > 0 and bb.height > 0:
            drawn.append((t, bb))
    problems = []
    for t, bb in drawn:
        if bb.x0 < -tol_px or bb.y0 < -tol_px or bb.x1 > W + tol_px or bb.y1 > H + tol_px:
            problems.append(f"text {t.get_text()!r} leaves the figure "
                            f"(box x {bb.x0:.0f}..{bb.x1:.0f}, y {bb.y0:.0f}..{bb.y1:.0f}; figure {W:.0f}×{H:.0f} px)")
    for i in range(len(drawn)):
        ti, bi = drawn[i]
        for j in range(i + 1, len(drawn)):
            tj, bj = drawn[j]
            dx = min(bi.x1, bj.x1) - max(bi.x0, bj.x0)
            dy = min(bi.y1, bj.y1) - max(bi.y0, bj.y0)
            if dx > tol_px and dy > tol_px:
                problems.append(f"texts {ti.get_text()!r} and {tj.get_text()!r} overlap ({dx:.0f}×{dy:.0f} px)")
    return problems


__all__ += ["layout_problems"]
