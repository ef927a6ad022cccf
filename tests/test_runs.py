"""Run files, names and the state store, in-process (no crawl). The tests of the state's semantics run on both
backends (``state_backend``: the SQLite files, a PostgreSQL database)."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from pathlib import Path

import pytest

from harvester.crawl.spider import PageSummary
from harvester.storage.backends import open_backend
from harvester.storage.plan import RunPlan, confined, job_key, new_run_id, safe_name
from harvester.storage.run import Run, RunSetupError, preflight
from harvester.storage.state import StateError, StateStore, content_hash
from tests.test_contract import valid_record


def plan(tmp_path: Path, backend=None, **kwargs) -> RunPlan:
    values = {"source": "wilson", "mode": "incremental", "output_dir": tmp_path / "out", "arguments": {"q": 1},
              "state_url": backend.url if backend is not None else ""}  # fmt: skip
    values.update(kwargs)
    return RunPlan(**values)


def stored(p: RunPlan) -> int:
    """The records the plan's state holds."""
    backend = open_backend(p)
    try:
        state = backend.open_state(p)
        try:
            return len(state)
        finally:
            state.close()
    finally:
        backend.close()


def record(n: int, **changes) -> dict:
    values = {"id": f"wilson:doc-{n}", "url": f"https://example.org/document/doc-{n}", "position": n, **changes}
    return valid_record(**values)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# --- names and paths ---


def test_run_ids_sort_by_time_and_are_file_safe():
    ids = {new_run_id() for _ in range(50)}
    assert len(ids) == 50
    assert all(re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{9}", i) for i in ids)
    assert all(safe_name(i, "run id") == i for i in ids)


def test_runs_started_within_one_second_sort_in_their_order():
    from datetime import UTC, datetime, timedelta

    start = datetime(2026, 12, 4, 18, 30, 5, tzinfo=UTC)
    ids = [new_run_id(start + timedelta(milliseconds=ms)) for ms in (0, 1, 2, 17, 500, 998, 999)]
    assert all(i.startswith("20261204T183005Z-") for i in ids)
    assert ids == sorted(ids)
    assert new_run_id(start + timedelta(seconds=1)) > ids[-1]
    assert len({new_run_id(start) for _ in range(50)}) == 50  # the same millisecond: 24 random bits apart


def test_a_new_run_never_takes_the_id_of_a_run_already_in_its_folder(tmp_path, monkeypatch):
    from harvester.storage import run as run_module

    p = plan(tmp_path)
    p.runs_dir.mkdir(parents=True)
    p.manifest_path("20261204T183005Z-000000001").write_text("{}")
    drawn = iter(["20261204T183005Z-000000001", "20261204T183005Z-000000002"])
    monkeypatch.setattr(run_module, "new_run_id", lambda: next(drawn))
    run = Run.start(p)
    try:
        assert run.run_id == "20261204T183005Z-000000002"
    finally:
        run.release()


@pytest.mark.parametrize("bad", ["", ".", "..", "../x", "a/b", "a\\b/..", ".hidden", "x..y", "a b", "/abs", "é"])
def test_names_that_could_leave_the_output_folder_are_refused(bad):
    with pytest.raises(RunSetupError):
        safe_name(bad, "run id")


def test_every_derived_path_is_inside_the_output_folder(tmp_path):
    p = plan(tmp_path)
    root = (tmp_path / "out").resolve()
    for path in (p.state_path, p.dataset_path, p.run_path("R1"), p.manifest_path("R1"), p.invalid_path("R1"),
                 p.job_dir, p.lock_path):
        assert path.resolve().is_relative_to(root), path
    assert p.run_path("R1") == tmp_path / "out" / "wilson" / "runs" / "R1.jsonl"
    assert p.invalid_path("R1").name == "R1.invalid.jsonl"
    with pytest.raises(RunSetupError):
        p.run_path("../../etc/passwd")
    with pytest.raises(RunSetupError):
        plan(tmp_path, source="../wilson")
    with pytest.raises(RunSetupError):
        plan(tmp_path, run_id="../x")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "escape").symlink_to(tmp_path)
    with pytest.raises(RunSetupError):
        confined(tmp_path / "out", "escape")


def test_one_off_runs_write_beside_the_chosen_file(tmp_path):
    p = plan(tmp_path, mode="one-off", out=tmp_path / "x" / "records.jsonl")
    assert not p.tracked
    assert p.run_path("R") == tmp_path / "x" / "records.jsonl"
    assert p.invalid_path("R") == tmp_path / "x" / "records.invalid.jsonl"
    assert p.job_dir == tmp_path / "x" / ".records.jsonl.job"


def test_job_keys_follow_spider_arguments_and_mode():
    assert job_key("wilson", {"a": 1, "b": 2}, "incremental") == job_key("wilson", {"b": 2, "a": 1}, "incremental")
    assert job_key("wilson", {"a": 1}, "incremental") != job_key("wilson", {"a": 2}, "incremental")
    assert job_key("wilson", {"a": 1}, "incremental") != job_key("wilson", {"a": 1}, "full")
    assert re.fullmatch(r"wilson-[0-9a-f]{16}", job_key("wilson", {}, "full"))


# --- the state store ---


def test_content_hash_ignores_where_and_when_a_record_was_seen():
    base = record(1)
    moved = record(1, position=7, page=3, crawled_at="2030-01-01T00:00:00Z",
                   listing_url="https://mirror.example/search?page=3", url="https://mirror.example/document/doc-1")
    assert content_hash(base) == content_hash(moved)
    assert content_hash(base) != content_hash(record(1, title="Another title"))


def test_state_store_keeps_first_seen_and_exports_by_id(tmp_path, state_backend):
    backend = open_backend(plan(tmp_path, state_backend))
    store = backend.open_state(plan(tmp_path, state_backend))
    rows = [(f"wilson:doc-{n}", "h", json.dumps(record(n)), "2025-01-01T00:00:00Z") for n in (3, 1, 2)]
    assert store.commit(rows) == 3
    assert store.commit(rows) == 3  # idempotent
    store.commit([("wilson:doc-1", "h2", json.dumps(record(1, title="New")), "2025-02-01T00:00:00Z")])
    assert store.known(["wilson:doc-1", "wilson:doc-9"]) == {"wilson:doc-1"}
    assert store.hashes(["wilson:doc-1"]) == {"wilson:doc-1": "h2"}
    assert store.export(tmp_path / "dataset.jsonl") == 3
    lines = read_jsonl(tmp_path / "dataset.jsonl")
    assert [r["id"] for r in lines] == ["wilson:doc-1", "wilson:doc-2", "wilson:doc-3"]
    assert (lines[0]["title"], lines[0]["first_seen"], lines[0]["last_seen"]) == (
        "New", "2025-01-01T00:00:00Z", "2025-02-01T00:00:00Z"
    )
    assert list(tmp_path.glob(".*.part")) == []
    assert len(store) == 3
    store.close()
    backend.close()


def test_the_dataset_is_in_byte_order_of_ids_on_every_backend(tmp_path, state_backend):
    """PostgreSQL sorts text by its locale (``a`` < ``B`` in most); SQLite by bytes: the export is the same."""
    backend = open_backend(plan(tmp_path, state_backend))
    store = backend.open_state(plan(tmp_path, state_backend))
    ids = ["wilson:b", "wilson:B", "wilson:a-1", "wilson:a1", "wilson:A", "wilson:é", "wilson:_"]
    store.commit([(i, "h", json.dumps(record(1, id=i)), "2025-01-01T00:00:00Z") for i in ids])
    store.export(tmp_path / "dataset.jsonl")
    assert [r["id"] for r in read_jsonl(tmp_path / "dataset.jsonl")] == sorted(ids, key=lambda i: i.encode())
    store.close()
    backend.close()


def test_a_damaged_or_foreign_state_file_is_refused(tmp_path):
    damaged = tmp_path / "damaged.sqlite"
    damaged.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StateError, match=r"damaged or not SQLite|cannot open"):
        StateStore.open(damaged)
    assert damaged.read_bytes() == b"this is not a database" * 100
    foreign = tmp_path / "foreign.sqlite"
    sqlite3.connect(foreign).execute("CREATE TABLE other (x)").connection.commit()
    with pytest.raises(StateError, match="not a harvester state store"):
        StateStore.open(foreign)


# --- runs: journal, finish, resume ---


def test_a_run_finishes_into_run_file_manifest_state_and_dataset(tmp_path, state_backend):
    p = plan(tmp_path, state_backend)
    run = Run.start(p)
    assert run.journal.stage("k1", record(1), *run.classify(record(1)))
    assert run.journal.stage("k2", record(2), *run.classify(record(2)))
    assert not run.journal.stage("k2", record(2), *run.classify(record(2)))  # staged once
    run.journal.quarantine("k3", record(3, id=None), ["$.id: None is not of type 'string'"])
    run.journal.mark_done(PageSummary(0, "https://example.org/search", 3))
    finish = run.finish(reason="finished", exit_code=0, problems=[], facts={}, failed_pages=[])
    assert [r["id"] for r in read_jsonl(finish.run_path)] == ["wilson:doc-1", "wilson:doc-2"]
    manifest = json.loads(finish.manifest_path.read_text())
    wanted = {"pages": 1, "records": 2, "new": 2, "changed": 0, "invalid": 1}
    assert {k: manifest["counts"][k] for k in wanted} == wanted
    assert read_jsonl(p.invalid_path(run.run_id)) == [
        {"record": json.loads(json.dumps(record(3, id=None))), "errors": ["$.id: None is not of type 'string'"]}
    ]
    assert [r["id"] for r in read_jsonl(p.dataset_path)] == ["wilson:doc-1", "wilson:doc-2"]
    assert state_backend.journals(p.output_dir) == 0


def test_finishing_again_after_a_kill_during_the_finish_gives_the_same_files(tmp_path, monkeypatch, state_backend):
    p = plan(tmp_path, state_backend)
    run = Run.start(p)
    for n in (1, 2):
        run.journal.stage(f"k{n}", record(n), *run.classify(record(n)))

    def killed(self):
        raise KeyboardInterrupt("killed after the state commit, before the job dir was removed")

    monkeypatch.setattr(Run, "_remove_job", killed)
    with pytest.raises(KeyboardInterrupt):
        run.finish(reason="finished", exit_code=0, problems=[], facts={}, failed_pages=[])
    first = {path.name: path.read_bytes() for path in (p.run_path(run.run_id), p.dataset_path)}
    monkeypatch.undo()
    again = Run.start(plan(tmp_path, state_backend, resume=True))
    assert again.resumed
    assert again.run_id == run.run_id
    assert again.classify(record(1))[0] == "unchanged"  # the store was committed before the kill
    finish = again.finish(reason="finished", exit_code=0, problems=[], facts={}, failed_pages=[])
    assert finish.run_path.read_bytes() == first[finish.run_path.name]
    assert p.dataset_path.read_bytes() == first["dataset.jsonl"]
    assert json.loads(finish.manifest_path.read_text())["counts"]["new"] == 2


def test_an_interrupted_run_writes_nothing_and_resumes_with_its_run_id(tmp_path, state_backend):
    p = plan(tmp_path, state_backend)
    run = Run.start(p)
    run.journal.stage("k1", record(1), *run.classify(record(1)))
    finish = run.finish(reason="shutdown", exit_code=1, problems=["interrupted"], facts={}, failed_pages=[])
    assert finish.run_path is None
    assert not p.runs_dir.exists()
    assert state_backend.journals(p.output_dir) == 1
    resumed = Run.start(plan(tmp_path, state_backend, resume=True))
    assert (resumed.run_id, resumed.sessions, resumed.journal.item_count()) == (run.run_id, 2, 1)
    resumed.release()
    fresh = Run.start(p)  # without --resume the interrupted run is discarded
    assert fresh.run_id != run.run_id
    assert fresh.journal.item_count() == 0
    fresh.release()


def test_a_failed_run_leaves_state_and_dataset_alone(tmp_path, state_backend):
    p = plan(tmp_path, state_backend)
    run = Run.start(p)
    run.journal.stage("k1", record(1), *run.classify(record(1)))
    finish = run.finish(
        reason="finished", exit_code=1, problems=["1 of 2 listing pages failed"], facts={}, failed_pages=[]
    )
    assert len(read_jsonl(finish.run_path)) == 1
    assert json.loads(finish.manifest_path.read_text())["exit_code"] == 1
    assert not p.dataset_path.exists()
    assert stored(p) == 0


def test_a_running_job_is_refused(tmp_path, state_backend):
    p = plan(tmp_path, state_backend)
    run = Run.start(p)
    with pytest.raises(RunSetupError, match="in use by another harvester run"):
        Run.start(p)
    with pytest.raises(RunSetupError, match="in use"):
        preflight(p)
    run.finish(reason="shutdown", exit_code=1, problems=[], facts={}, failed_pages=[])
    preflight(p)  # released with the run
    Run.start(plan(tmp_path, state_backend, resume=True)).release()


def test_a_damaged_job_dir_is_refused(tmp_path):
    p = plan(tmp_path)
    Run.start(p).finish(reason="shutdown", exit_code=1, problems=[], facts={}, failed_pages=[])
    (p.job_dir / "journal.sqlite").write_bytes(b"garbage" * 1000)
    with pytest.raises(RunSetupError, match=r"job dir .* is damaged"):
        preflight(plan(tmp_path, resume=True))
    with pytest.raises(RunSetupError, match=r"job dir .* is damaged"):
        Run.start(plan(tmp_path, resume=True))
    preflight(p)  # without --resume a damaged job dir is simply discarded


def test_no_unix_only_module_is_imported_so_windows_can_run_a_crawl():
    """fcntl (and termios, pwd, grp, resource) do not exist on Windows: an import of one kills every crawl there."""
    import ast

    from tests.support.paths import REPO

    unix_only = {"fcntl", "termios", "pwd", "grp", "resource", "posix"}
    found = []
    for path in (REPO / "harvester").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names += [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
            found += [f"{path.name}: {n}" for n in names if n.split(".")[0] in unix_only]
    assert found == []


def test_the_job_lock_is_dropped_when_its_process_dies(tmp_path, state_backend):
    """kill -9 of a running job: the OS drops its file lock, the database its session's advisory lock."""
    import signal
    import subprocess
    import sys

    from tests.support.paths import REPO

    p = plan(tmp_path, state_backend)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; "
         "from harvester.storage.plan import RunPlan; from harvester.storage.run import Run; "
         "run = Run.start(RunPlan(source='wilson', mode='incremental', output_dir=Path(sys.argv[1]), "
         "arguments={'q': 1}, state_url=sys.argv[2])); print('held', flush=True); time.sleep(60)",
         str(p.output_dir), p.state_url],
        cwd=REPO, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RunSetupError, match="in use by another harvester run"):
            preflight(p)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    deadline = time.monotonic() + 10  # the server ends a killed client's session when its socket closes
    while True:
        try:
            preflight(p)
            break
        except RunSetupError:
            assert time.monotonic() < deadline, "the lock outlived its process"
            time.sleep(0.05)
    run = Run.start(plan(tmp_path, state_backend, resume=True))  # the killed run is resumed
    assert run.resumed
    run.release()


def test_naming_the_storage_errors_loads_no_postgresql_driver():
    """A SQLite run catches the database engines' errors without importing psycopg (70 ms of every crawl's
    start-up); once psycopg is loaded, its errors are caught too."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from harvester.storage.backends import storage_errors\n"
        "assert 'psycopg' not in sys.modules, 'imported with the package'\n"
        "errors = storage_errors()\n"
        "assert 'psycopg' not in sys.modules, 'imported to name its errors'\n"
        "import psycopg\n"
        "assert psycopg.Error in storage_errors() and psycopg.Error not in errors\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
