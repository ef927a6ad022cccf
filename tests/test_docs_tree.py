"""docs/architecture.md matches the tree: every module of the package is named there, and every module path it
names exists (a renamed or deleted module shows up here, not in a newcomer's confusion)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "harvester"
ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def _modules() -> list[Path]:
    return sorted(
        path.relative_to(PACKAGE)
        for path in PACKAGE.rglob("*.py")
        if path.name != "__init__.py" and "__pycache__" not in path.parts
    )


def test_every_module_of_the_package_is_named_in_the_architecture_page():
    missing = [str(module) for module in _modules() if module.stem not in ARCHITECTURE]
    assert not missing, f"docs/architecture.md does not name: {missing}"


def test_every_module_path_the_architecture_page_names_exists():
    named = set(re.findall(r"`((?:[a-z_]+/)+[a-z_]+\.py)", ARCHITECTURE))
    assert named, "the page names no module path in backquotes: the check below would pass on nothing"
    gone = sorted(path for path in named if not (PACKAGE / path).exists() and not (ROOT / path).exists())
    assert not gone, f"docs/architecture.md names modules that do not exist: {gone}"
