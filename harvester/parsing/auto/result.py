"""What auto mode returns: the blocks it found and a summary of the groups they came from."""

from __future__ import annotations

from dataclasses import dataclass, field

from harvester.model import ListingPage, RawBlock


@dataclass(frozen=True, slots=True)
class AutoBlock:
    """One result block found without configuration."""

    position: int  # 1-based rank on the page (document order)
    url: str | None  # absolute when base_url was given
    title: str | None
    date_text: str | None  # the date as shown (time not included)
    summary: str | None
    date_iso: str | None  # "2019-03-07" | "2019-03" | None
    date_precision: str | None  # "day" | "month" | None
    year_source: str | None = None  # "text" | "context" (year taken from a heading above) | None
    path: str = ""  # CSS-like path of the block element ("... > p ::line" for <br>-lines)
    #: where the year came from when date_text shows none: "block" (another part of the same block),
    #: "heading", "preceding-text", "select", "page-title", "url"; None when the text shows it (or no year)
    year_from: str | None = None
    links: tuple[tuple[str, str | None], ...] = ()  # the block's other links: (url, label)

    def to_raw_block(self) -> RawBlock:
        """The block for the record builder: its date as auto mode read it travels along (`date_iso`,
        `date_year_from`) so that a year from the page's context reaches the record."""
        return RawBlock(
            self.position, self.url, self.date_text, self.title, self.summary,
            date_iso=self.date_iso, date_year_from=self.year_from, links=self.links,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class GroupSummary:
    """One group of sibling blocks the result was built from (enough to draft a profile)."""

    kind: str  # "elements" | "br-lines" | "heading-sections"
    container: str  # CSS-like path of the lowest common ancestor of the group's blocks
    block: str  # the block signature, e.g. "tr", "li.views-row", "p ::line", "h3 + siblings"
    blocks: int
    dated: int
    score: float


@dataclass(slots=True)
class AutoResult:
    blocks: list[AutoBlock]
    confidence: float  # 0..1, heuristic (dated share, block count, penalties of the chosen group)
    container_path: str  # of the best group
    block_signature: str  # of the best group
    layout: str  # kind of the best group
    groups: list[GroupSummary] = field(default_factory=list)
    dropped_undated: int = 0  # blocks of the chosen groups left out for showing no date

    def to_listing_page(self) -> ListingPage:
        return ListingPage(layout=f"auto-{self.layout}", blocks=[b.to_raw_block() for b in self.blocks])
