"""The product commands behind ``harvester export|report|diff|status``: arguments in, files and one summary
line out. Bad input raises :class:`harvester.products.ProductError` (the CLI prints it, exit 2)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harvester.products import ProductError, data


def _target(out: Path, inputs: tuple[Path, ...]) -> Path:
    if out.is_dir():
        raise ProductError(f"--out {out} is a directory; give a file name")
    if any(out.resolve() == path.resolve() for path in inputs):
        raise ProductError(f"--out {out} is the input file; give another name")
    return out


def export(args: argparse.Namespace) -> int:
    from harvester.products import export as exporter

    dataset = Path(args.dataset)
    records = data.read_records(dataset)
    out = _target(Path(args.out) if args.out else exporter.default_out(dataset, args.format), (dataset,))
    if args.format == "csv":
        for key in ("people", "organisations"):
            _target(exporter.mention_path(out, key), (dataset,))
        written = exporter.export_csv(records, out, bom=args.bom)
    else:
        if args.bom:
            raise ProductError("--bom is for CSV (Parquet has no byte order mark)")
        written = exporter.export_parquet(records, out)
    files = ", ".join(f"{path} ({rows} rows)" for path, rows in written.items())
    print(f"harvester: export: {len(records)} records from {dataset} -> {files}")
    return 0


def diff(args: argparse.Namespace) -> int:
    import json

    from harvester.products import diff as differ

    output_dir = Path(args.output_dir or "output")
    a, b = data.resolve_run(args.run_a, output_dir), data.resolve_run(args.run_b, output_dir)
    before, after = data.read_records(a.path), data.read_records(b.path)
    result = differ.compare(before, after, all_fields=args.all_fields)
    sizes = (len(before), len(after))
    if args.json:
        print(json.dumps(differ.as_json(result, a, b, sizes), ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(differ.as_text(result, a, b, sizes))
    return 0


def status(args: argparse.Namespace) -> int:
    import json
    from datetime import UTC, datetime

    from harvester.products import status as jobs

    output_dir = Path(args.output_dir or "output")
    if not output_dir.is_dir():
        raise ProductError(f"--output-dir {output_dir}: no such folder")
    if args.max_age is not None and args.max_age <= 0:
        raise ProductError(f"--max-age {args.max_age}: give a number of hours above 0")
    manifests = [m for runs in sorted(output_dir.glob("*/runs")) for m in data.manifests(runs)]
    statuses = jobs.job_statuses(manifests, datetime.now(UTC), args.max_age)
    unfinished = jobs.unfinished_runs(output_dir)
    attention = [s for s in statuses if s.attention]
    if args.json:
        print(json.dumps({"jobs": [s.as_dict() for s in statuses], "unfinished": unfinished}, indent=2))
    elif statuses:
        sys.stdout.write(jobs.table(statuses))
    for run in unfinished if not args.json else []:
        print(f"unfinished: {run['source']} job {run['job_key']}: run {run['run_id']} started {run['started_at']} "
              "has not finished (running, or interrupted: --resume continues it)")  # fmt: skip
    if not statuses:
        print(f"harvester: status: no finished runs under {output_dir}", file=sys.stderr)
        return 1
    failed, stale = sum(s.failed for s in statuses), sum(s.stale and not s.failed for s in statuses)
    age = f", {stale} older than {args.max_age:g} h" if args.max_age is not None else ""
    print(f"harvester: status: {len(statuses)} jobs, {failed} failed{age}", file=sys.stderr)
    return 1 if attention else 0


def report(args: argparse.Namespace) -> int:
    from harvester.products import report as reporter

    dataset = Path(args.dataset)
    records = data.read_records(dataset)
    if not records:
        raise ProductError(f"{dataset}: no records to report on")
    out = _target(Path(args.out) if args.out else dataset.with_name("report.html"), (dataset,))
    manifests = data.runs_beside(dataset)
    reporter.write_report(records, manifests, dataset, out)
    print(f"harvester: report: {len(records)} records, {len(manifests)} runs -> {out}")
    return 0
