"""Regenerate the README's pictures in docs/ from the commands that draw them, and record what
drew them, so that a test can tell when a picture is stale.

    python docs/make_images.py            # trains what is missing (results/), redraws, copies
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
}


def _resolve(dotted: str):
    import importlib

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
    subprocess.run([sys.executable, "-m", "toymodels", *spec["command"].split()[1:]], check=True)
    rdir = store.run_dir(all_presets()[spec["preset"]].config)
    shutil.copyfile(Path(rdir) / image, DOCS / image)


def main(argv: list[str]) -> int:
    if argv == ["--check"]:
        bad = stale()
        for img in bad:
            print(f"docs/{img} is stale: run `python docs/make_images.py`", file=sys.stderr)
        return 1 if bad else 0
    record = json.loads(RECORD.read_text()) if RECORD.exists() else {}
    for img in IMAGES:
        make(img)
        record[img] = {"command": IMAGES[img]["command"], "fingerprint": fingerprint(img)}
        print(f"wrote docs/{img}")
    RECORD.write_text(json.dumps(record, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(DOCS.parent))
    sys.exit(main(sys.argv[1:]))
