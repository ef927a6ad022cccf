"""Stand-ins for crawl components, for tests that drive one component by hand."""

from __future__ import annotations

from harvester.model import PageSummary


class PageRecorder:
    """What a spider tells the run's keeper (:class:`harvester.crawl.run_keeper.RunKeeper`), recorded."""

    def __init__(self) -> None:
        self.parsed: list[PageSummary] = []
        self.failed: list[tuple[str, str]] = []

    def page_parsed(self, summary: PageSummary) -> None:
        self.parsed.append(summary)

    def page_failed(self, url: str, reason: str) -> None:
        self.failed.append((url, reason))
