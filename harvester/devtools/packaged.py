"""The fixture sites shipped inside the package (``harvester/data/demo/``), as real folders.

Read through :mod:`importlib.resources`, so they work from a checkout, an installed wheel and a zipped egg
alike: a site that is not a folder on disk (inside a zip) is copied into a temporary folder for as long as
it is served.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

DEMO_SITE = "wilson"


def site_resource(name: str = DEMO_SITE) -> Traversable:
    return resources.files("harvester").joinpath("data", "demo", name)


def read_bytes(name: str, file: str) -> bytes:
    """One file of a packaged site (e.g. its challenge page), without extracting the site."""
    return site_resource(name).joinpath(file).read_bytes()


@contextlib.contextmanager
def packaged_site(name: str = DEMO_SITE) -> Iterator[Path]:
    """The packaged site ``name`` as a folder on disk, for the replay server."""
    resource = site_resource(name)
    if isinstance(resource, Path):
        yield resource
        return
    with tempfile.TemporaryDirectory(prefix=f"harvester-{name}-") as tmp:
        target = Path(tmp) / name
        _copy(resource, target)
        yield target


def _copy(source: Traversable, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for entry in source.iterdir():
        if entry.is_dir():
            _copy(entry, target / entry.name)
        else:
            with entry.open("rb") as src, (target / entry.name).open("wb") as dst:
                shutil.copyfileobj(src, dst)
