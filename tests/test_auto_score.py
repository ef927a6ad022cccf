"""The development set's figures as floors (measured - 0.02), and every page that must be refused refused.
The held-out part (devset-heldout) is not run here: it is measured once, for docs/auto.md."""

from __future__ import annotations

from benchmarks.score import SETS, score

MEASURED_DEVSET_DEV_MACRO_F1 = 0.938


def test_devset_dev_floor_and_refusals():
    report = score(*SETS["devset-dev"])
    assert report.macro_f1 >= MEASURED_DEVSET_DEV_MACRO_F1 - 0.02, report.table()
    assert report.refusals
    assert all(r.passed for r in report.refusals), report.table()
    assert sum(1 for p in report.pages if p.error) <= 1, report.table()
