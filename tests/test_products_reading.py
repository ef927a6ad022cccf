"""docs/reading-data.md runs as written: each ```python and ```sh example runs against the demo's real output
(``harvester demo`` in a fresh folder) and prints the ```text block that follows it, byte for byte."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harvester.products import schemas
from tests.support.cli import harvester
from tests.support.paths import REPO

pytestmark = pytest.mark.e2e

DOC = REPO / "docs" / "reading-data.md"
_BLOCK = re.compile(r"```(python|sh)\n(.*?)```\n(?:\n```text\n(.*?)```\n)?", re.S)


def examples() -> list[tuple[str, str, str | None]]:
    return [(m.group(1), m.group(2), m.group(3)) for m in _BLOCK.finditer(DOC.read_text(encoding="utf-8"))]


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """A folder as a user has it after `python3 run.py demo`: output/wilson/ (and the schemas, as in a clone)."""
    root = tmp_path_factory.mktemp("reading")
    result = harvester("demo", cwd=root)
    assert result.code == 0, result.stderr
    assert harvester("export", "output/wilson/dataset.jsonl", "--format", "parquet", cwd=root).code == 0
    # Last: a harvester/ folder in the working directory would shadow the package for `python -m harvester`.
    shutil.copytree(REPO / "harvester" / "schema", root / "harvester" / "schema")
    return root


def run_example(kind: str, code: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    command = [sys.executable, "-c", code] if kind == "python" else ["bash", "-euo", "pipefail", "-c", code]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=100, env=env, check=False)


def test_the_page_has_examples_for_each_tool():
    code = "\n".join(c for _, c, _ in examples())
    for tool in ("pyarrow", "pd.read_json(", "dtype=False", "duckdb.read_json(", "jq ", "Draft202012Validator"):
        assert tool in code, tool
    assert sum(expected is not None for *_, expected in examples()) >= 7


@pytest.mark.parametrize("index", range(len(examples())))
def test_example_runs_and_prints_what_the_page_shows(demo, index):
    kind, code, expected = examples()[index]
    if code.lstrip().startswith("jq") and shutil.which("jq") is None:
        pytest.skip("jq is not installed (apt-get install -y jq)")
    result = run_example(kind, code, demo)
    assert result.returncode == 0, result.stderr
    if os.environ.get("HARVESTER_PRINT_EXAMPLES"):
        print(f"\n=== example {index}\n{result.stdout}=== end")
    if expected is not None:
        assert result.stdout == expected


def test_the_duckdb_columns_are_the_schema_fields():
    code = next(c for k, c, _ in examples() if "duckdb.read_json(" in c)
    columns = ast.literal_eval(code.split("COLUMNS = ", 1)[1].split("\n}\n", 1)[0] + "}")
    dataset = schemas.load("dataset")
    assert list(columns) == list(dataset["properties"])
    record = schemas.load("record")["properties"]
    for name, kind in columns.items():  # the DuckDB type of each field follows its JSON type
        json_type = record[name].get("type") if name in record else "timestamp"
        if name in ("crawled_at", "first_seen", "last_seen"):
            assert kind == "TIMESTAMPTZ", name
        elif name == "extra":
            assert kind == "MAP(VARCHAR, VARCHAR)", name
        elif name == "links":
            assert kind == "STRUCT(url VARCHAR, label VARCHAR)[]", name
        elif name == "details":
            assert kind == "JSON", name
        elif json_type == "array":
            assert kind.startswith("STRUCT(name VARCHAR, id VARCHAR, role VARCHAR, as_written VARCHAR"), name
        elif "integer" in (json_type or []):
            assert kind == "BIGINT", name
        elif json_type == "boolean":
            assert kind == "BOOLEAN", name
        else:
            assert kind == "VARCHAR", name
