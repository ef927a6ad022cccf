"""What a data user gets from a harvest: published schemas, exports, a report, diffs between runs, job status.

One concern a module, each a set of pure functions over records and manifests, with the file handling at the
edges: ``schemas`` (load and validate against the packaged JSON Schemas), ``data`` (read datasets, run files and
manifests), ``flatten`` (records to flat rows), ``export`` (CSV and Parquet files), ``report`` (the HTML page),
``diff`` (two runs compared), ``status`` (the last run of every job). The CLI calls them; bad input raises
:class:`ProductError`, which the CLI prints as one line and exits 2.
"""

from __future__ import annotations


class ProductError(Exception):
    """Bad input for a product command (a missing or unreadable file, a line that is not a record, an unknown
    run id): one line on stderr, exit 2."""
