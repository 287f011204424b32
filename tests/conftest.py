"""Shared test setup: headless matplotlib, and every test's results under a temporary directory."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib  # noqa: E402

matplotlib.use("Agg")


import pytest  # noqa: E402


@pytest.fixture
def layout_checked(monkeypatch):
    """Check every figure saved through toymodels.plotting.save_figure during the test: after the
    save, matplotlib's own text extents must show no text leaving the figure and no two texts
    overlapping (plotting.layout_problems). Yields the list of (path, problem) found; the test
    asserts it is empty."""
    from toymodels import plotting

    found: list[tuple[str, str]] = []
    save = plotting.save_figure

    def checked(fig, path, **kwargs):
        out = save(fig, path, **kwargs)
        found.extend((str(path), p) for p in plotting.layout_problems(fig))
        return out

    monkeypatch.setattr(plotting, "save_figure", checked)
    yield found
