"""The product commands behind ``harvester export|report|diff|status``: arguments in, files and one summary
line out. Bad input raises :class:`harvester.products.ProductError` (the CLI prints it, exit 2)."""

from __future__ import annotations

import argparse
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
