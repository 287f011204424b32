"""Shared test setup: headless matplotlib, and every test's results under a temporary directory."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib  # noqa: E402

matplotlib.use("Agg")
