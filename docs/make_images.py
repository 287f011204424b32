"""Regenerate the README's pictures in docs/ from the commands that draw them, and record what
drew them, so that a test can tell when a picture is stale.

    python docs/make_images.py            # trains what is missing (results/), redraws, copies
    python docs/make_images.py explore.png   # only the pictures named
    python docs/make_images.py --check    # exit 1 and name every stale picture

A picture is stale when the code that draws it (the functions listed in IMAGES) or the preset it
comes from has changed since it was made: docs/images.json keeps a fingerprint of both, and
tests/test_docs_images.py compares it with today's code.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import shutil
import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
RECORD = DOCS / "images.json"

# picture -> (the command a user types, the preset, the functions that draw it)
IMAGES = {
    "intro.png": {
        "command": "toymodels sweep intro",
        "preset": "intro",
        "drawn_by": [
            "toymodels.report.intro_report", "toymodels.report._features_2d_figure",
            "toymodels.plotting.make_figure", "toymodels.plotting.save_figure",
            "toymodels.plotting.wrap_long_titles", "toymodels.plotting.plot_features_2d",
            "toymodels.plotting.plot_features_2d_row", "toymodels.plotting.features_2d_legend",
            "toymodels.plotting.add_colorbar", "toymodels.labels.run_label",
            "toymodels.labels.model_label", "toymodels.labels.importance_label",
            "toymodels.labels.density_label",
        ],
    },
    # A screenshot of the explore page in headless Chromium (Debian package chromium), the
    # sparsest density selected: `toymodels sweep intro`, then the command below.
    "explore.png": {
        "command": "toymodels explore results/intro-<hash>",
        "preset": "intro",
        "screenshot": {"fragment": "#cell=9", "window": "1400,860"},
        "drawn_by": [
            "toymodels.explore.bucket_data", "toymodels.explore.page_data", "toymodels.explore.render",
            "toymodels._explore_page", "toymodels.report._structure_text", "toymodels.labels.run_label",
        ],
    },
}


def _resolve(dotted: str):
    import importlib

    try:
        return importlib.import_module(dotted)  # a whole module
    except ImportError:
        module, _, name = dotted.rpartition(".")
        return getattr(importlib.import_module(module), name)


def fingerprint(image: str) -> str:
    """sha256 over the source of every drawing function and the preset's config."""
    from experiments import all_presets
    from toymodels.config import config_hash

    spec = IMAGES[image]
    h = hashlib.sha256()
    for dotted in spec["drawn_by"]:
        h.update(dotted.encode())
        h.update(inspect.getsource(_resolve(dotted)).encode())
    h.update(config_hash(all_presets()[spec["preset"]].config).encode())
    return h.hexdigest()


def stale() -> list[str]:
    """The pictures whose recorded fingerprint differs from today's code (or that are missing)."""
    record = json.loads(RECORD.read_text()) if RECORD.exists() else {}
    return [img for img in IMAGES
            if not (DOCS / img).exists() or record.get(img, {}).get("fingerprint") != fingerprint(img)]


def make(image: str) -> None:
    """Run the image's command as a user would (reusing finished results) and copy its picture."""
    from experiments import all_presets
    from toymodels import store

    spec = IMAGES[image]
    rdir = store.run_dir(all_presets()[spec["preset"]].config)
    if "screenshot" in spec:  # train the preset (if missing), write the page, photograph it
        subprocess.run([sys.executable, "-m", "toymodels", "sweep", spec["preset"]], check=True)
        page = Path(rdir) / "explore.html"
        subprocess.run([sys.executable, "-m", "toymodels", "explore", str(rdir), "--out", str(page)], check=True)
        import tempfile
        with tempfile.TemporaryDirectory() as user_dir:
            subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                            "--disable-background-networking", "--disable-component-update", "--disable-sync",
                            "--no-first-run", f"--user-data-dir={user_dir}", f"--window-size={spec['screenshot']['window']}",
                            f"--screenshot={DOCS / image}", page.resolve().as_uri() + spec["screenshot"]["fragment"]],
                           check=True, capture_output=True)
        return
    subprocess.run([sys.executable, "-m", "toymodels", *spec["command"].split()[1:]], check=True)
    shutil.copyfile(Path(rdir) / image, DOCS / image)


def main(argv: list[str]) -> int:
    if argv == ["--check"]:
        bad = stale()
        for img in bad:
            print(f"docs/{img} is stale: run `python docs/make_images.py`", file=sys.stderr)
        return 1 if bad else 0
    record = json.loads(RECORD.read_text()) if RECORD.exists() else {}
    unknown = [a for a in argv if a not in IMAGES]
    if unknown:
        print(f"unknown picture {unknown[0]}; choose from: {', '.join(IMAGES)}", file=sys.stderr)
        return 2
    for img in argv or list(IMAGES):
        make(img)
        record[img] = {"command": IMAGES[img]["command"], "fingerprint": fingerprint(img)}
        print(f"wrote docs/{img}")
    RECORD.write_text(json.dumps(record, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(DOCS.parent))
    sys.exit(main(sys.argv[1:]))
