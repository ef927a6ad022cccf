"""Build the replica's document pages (``fixtures/wilson/documents/``) from real document-page markup.

    python -m tests.support.replica_documents      # rewrites fixtures/wilson/documents/*.html

Reproducible: the same inputs give the same bytes (``tests/test_replica_documents.py`` checks the committed files).

* The 8 real ``<main>`` elements of ``../shared/realworld/wilson/document-main/`` are served at their own slugs,
  byte for byte, in the replica chrome (head, header, footer) of ``document-cable-anastas-mikoyan-joseph-stalin.html``.
* Every other result of the replica's listings (``fixtures/wilson/expected/search-*.json``) gets the real Mikoyan
  cable ``<main>`` with that result's own values put in: title, date, summary and node id from its listing row;
  the Type from the title grammar (no Type block when it finds none); Author(s) = the title's sender, Associated
  People = its other people, written in the archive's "Family, Given" form with ``/people/<slug>`` links. Record
  ids (node id + 30000) and the translation text (the summary) are invented; places, topics, subjects, source,
  archive, rights and language are the cable's own. The Related Documents rows are left out.
* ``FAILING``: a result with no document page (the server answers 404), for failure tests.
"""

from __future__ import annotations

import json
import re
import unicodedata
from html import escape
from pathlib import Path

from harvester.normalize.names import default_registry, people_and_organisations
from harvester.normalize.titles import parse_title
from tests.support.paths import SHARED

ROOT = Path(__file__).parents[2]
REPLICA = ROOT / "harvester" / "data" / "demo" / "wilson"
OUT = REPLICA / "documents"
REAL = SHARED / "realworld" / "wilson" / "document-main"
# The replica chrome (head, header, footer) around every page: the real cable page's own file (generating it again
# writes the same bytes: its <main> is the real one).
TEMPLATE = OUT / "cable-anastas-mikoyan-joseph-stalin.html"
# A Mongolia result whose document page is missing (404): detail failures are named and counted, never lose it.
FAILING = "record-conversation-between-mongolian-deputy-foreign-minister-chimiddorj-and-counselor-soviet"
_NODE = {  # real node ids, from document-main/README.md
    "battle-warsaw": "104005", "aleksandr-antonov-1917-1921-case-folder-7-chekist-anthology": "87061",
    "brief-introduction-and-assessment-juche-ideology": "98016", "cable-anastas-mikoyan-joseph-stalin": "96412",
    "about-situation-yugoslavia-and-its-foreign-policy": "92960",
    "annex-5-proposals-development-relations-between-two-parties": "102551",
    "anatoly-chernyaev-notes-meeting-politburo-2": "98962",
    "additional-instructions-regarding-sino-american-ambassadorial-talks-geneva": "90714",
}  # fmt: skip


def _chrome() -> tuple[str, str]:
    page = TEMPLATE.read_text(encoding="utf-8")
    head, _, rest = page.partition('<main id="main">')
    _, _, foot = rest.partition("</main>")
    return head, foot


def _wrap(main: str, slug: str, title: str, node: str) -> str:
    head, foot = _chrome()
    head = head.replace("/document/cable-anastas-mikoyan-joseph-stalin", f"/document/{slug}")
    head = head.replace("/node/96412", f"/node/{node}")
    head = head.replace("<title>Cable, Anastas Mikoyan to Joseph Stalin |", f"<title>{escape(title, quote=False)} |")
    return head + main + foot.replace("node\\/96412", f"node\\/{node}")


def _slug(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")


def _authority_form(person: dict) -> str:
    """The archive's "Family, Given" form of a person's display name."""
    known = default_registry().person(person["id"]) if person["id"] else None
    words = person["name"].split()
    if len(words) < 2:
        return person["name"]
    if known is not None and known.family_first:
        return f"{words[0]}, {' '.join(words[1:])}"
    family = known.family if known is not None and known.family else words[-1]
    given = person["name"][: person["name"].rfind(family)].strip() or " ".join(words[:-1])
    return f"{family}, {given}"


def _pills(names: list[str]) -> str:
    return "".join(
        f'<li class="pill-item"><a class="pill pill-people" href="/people/{_slug(n)}"><span class="pill-interior">'
        f'<i class="fa-solid fa-user" aria-hidden="true"></i><span class="name"><span>{escape(n, quote=False)}'
        "</span></span></span></a></li>"
        for n in names
    )


def invented_main(row: dict) -> str:
    """The cable's real ``<main>`` with one listing row's values put in (see the module docstring)."""
    main = "<main" + TEMPLATE.read_text(encoding="utf-8").partition("<main")[2].partition("</main>")[0] + "</main>"
    title, date, summary, node = row["title"], row["date_text"] or "", row["summary"], row["node_id"]
    record_id = str(int(node) + 30000)
    people, _ = people_and_organisations(title, date=None)
    senders = [_authority_form(p) for p in people if p["role"] == "sender"]
    others = [_authority_form(p) for p in people if p["role"] != "sender"]
    doc_type = parse_title(title).doc_type
    t, d = escape(title, quote=False), escape(date, quote=False)
    main = main.replace('<h2 class="date">February 4, 1949</h2>', f'<h2 class="date">{d}</h2>')
    main = main.replace('"Cable, Anastas Mikoyan to Joseph Stalin", February 4, 1949,', f'"{t}", {d},')
    main = main.replace("Cable, Anastas Mikoyan to Joseph Stalin", t)
    old_summary = re.search(r"\n<p>Cable from Mikoyan to Stalin.*?</p>", main).group(0)
    main = main.replace(old_summary, f"\n<p>{escape(summary, quote=False)}</p>" if summary else "\n")
    text = escape(summary or title, quote=False)
    main = re.sub(r'</style><p class="csB99A41E7">.*?\n', f'</style><p class="cs7CA41D07"><span><span '
                  f'class="cs5EFED22F">{text}</span></span></p>\n', main, count=1)  # fmt: skip
    main = main.replace("/document/96412/download", f"/document/{node}/download")
    main = main.replace("\n121770\n", f"\n{record_id}\n").replace("/document/121770<", f"/document/{record_id}<")
    author = re.search(r'\n<li class="pill-item"><a class="pill pill-people" href="/people/mikoyan.*?</li>', main)
    main = main.replace(author.group(0), "\n" + _pills(senders))
    associated = re.search(r'\n<li class="pill-item"><a class="pill pill-people" href="/people/stalin.*?</li>\n', main)
    main = main.replace(associated.group(0), "\n" + _pills(others) + "\n")
    main = re.sub(r"\n<tr><td class=\"date\">.*?</tr>\n", "\n", main)  # no Related Documents rows
    type_block = re.search(r'\n\s*<div class="information-block">\s*<h3 class="sub-title">Type</h3>.*?</div>\s*</div>',
                           main, re.S).group(0)  # fmt: skip
    if doc_type:
        main = main.replace(type_block, type_block.replace("\nCable\n", f"\n{escape(doc_type, quote=False)}\n"))
    else:
        main = main.replace(type_block, "")
    return main


def results() -> dict[str, dict]:
    """Every result of the replica's current-site listings, by slug, in file order."""
    out: dict[str, dict] = {}
    for path in sorted((REPLICA / "expected").glob("search-*.json")):
        for row in json.loads(path.read_text(encoding="utf-8"))["blocks"]:
            slug = row["url"].split("/document/", 1)[1].split("?", 1)[0]
            out.setdefault(slug, row)
    return out


def pages() -> dict[str, str]:
    """Every replica document page: slug -> HTML."""
    out = {}
    for path in sorted(REAL.glob("*.html")):
        main = path.read_text(encoding="utf-8").split("\n", 1)[1]  # without the provenance comment line
        title = re.search(r'<h1 class="title"><span>(.*?)</span>', main).group(1)
        out[path.stem] = _wrap(main.rstrip("\n"), path.stem, title, _NODE[path.stem])
    for slug, row in results().items():
        if slug not in out and slug != FAILING:
            out[slug] = _wrap(invented_main(row), slug, row["title"], row["node_id"])
    return out


def main() -> None:
    OUT.mkdir(exist_ok=True)
    wanted = pages()
    for stale in OUT.glob("*.html"):
        if stale.stem not in wanted:
            stale.unlink()
    for slug, html in wanted.items():
        (OUT / f"{slug}.html").write_text(html, encoding="utf-8")


if __name__ == "__main__":
    main()
