"""The README's pictures are what today's commands draw: docs/images.json records a fingerprint of
the drawing code and preset of each picture in docs/; a change to either without regenerating the
picture (python docs/make_images.py) fails here."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _make_images():
    spec = importlib.util.spec_from_file_location("make_images", ROOT / "docs" / "make_images.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_pictures_are_not_stale():
    make_images = _make_images()
    assert make_images.stale() == [], "regenerate with: python docs/make_images.py"


def test_every_picture_in_docs_named_by_the_readme_is_tracked():
    readme = (ROOT / "README.md").read_text()
    make_images = _make_images()
    shown = {line.split("(docs/")[1].split(")")[0] for line in readme.splitlines() if "](docs/" in line
             and line.split("(docs/")[1].split(")")[0].endswith(".png")}
    assert shown <= set(make_images.IMAGES), f"untracked README pictures: {shown - set(make_images.IMAGES)}"
