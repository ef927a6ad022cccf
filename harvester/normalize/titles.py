"""Title grammar: the document type, its number and the parties a Wilson Center archive title names.

The forms the archive uses (keywords are case-insensitive; A, B, C may be lists "A, B and C"):

    <Type> [No. N], A to B [via C] [, for D]     A sender, B recipient, C via; with ", for D": B via, D recipient
    <Type> [No. N] from A to B [via C]           also "to B from A", "of A to B", "by A", "<Report> for B"
    <Org> <Type> / X's <Type>                    the prefix is the sender ("VKP(b) CC Decree", "Tsedenbal's diary")
    <Org>, '<quoted title>'                      the organisation is the sender
    <Conversation> between A and B               participants; also "[of A] with B", ", A and B", "A's Meeting with B"
    [From the] Journal|Diary of A, <rest>        A sender; <rest> is read by the rules above
    ..., conveying|transmitting <title>          the conveyed message's parties are "mentioned"
    ... on|regarding|concerning <topic>          names in "meeting with X", "between X and Y", "Cde. X" are "mentioned"

A quoted subject supplies no parties, except that a quoted conversation record ("'Minutes of the Conversation
between A and B'") gives its participants, and "Cde. X" or "meeting with X" in a quote are "mentioned".
Parties are returned as written (brackets such as "[Stalin]" kept for the resolver), in title order.
Bracketed "[via C]" and "(via C)" become via parties of their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from harvester.normalize import text as tx

ROLES = ("sender", "recipient", "via", "participant", "mentioned")


@dataclass(frozen=True, slots=True)
class Party:
    as_written: str
    role: str  # "sender" | "recipient" | "via" | "participant" | "mentioned"


@dataclass(frozen=True, slots=True)
class TitleParts:
    doc_type: str | None
    doc_number: str | None
    parties: tuple[Party, ...]


# --- document types: the controlled vocabulary of harvester/data/genres.toml -----------------------------
@dataclass(frozen=True, slots=True)
class Genre:
    type: str  # the canonical doc_type
    pattern: str  # the regex its phrases compile to
    conversation: bool  # its parties took part
    authored: bool  # "<Type> of A" names the author
    message: bool  # a message that can be conveyed or forwarded
    head_only: bool  # a common noun: the type only when it heads the title


def _phrase_regex(phrase: str, sets: dict[str, list[str]]) -> str:
    """ "record/records of @art? @conv" -> a regex (see the FORMAT notes of genres.toml)."""
    tokens = phrase.split()
    parts = []
    for i, token in enumerate(tokens):
        optional = token.endswith("?")
        alts: list[str] = []
        for alt in token.rstrip("?").split("/"):
            alts.extend(sets[alt[1:]] if alt.startswith("@") else [alt])
        rx = "(?:" + "|".join(re.escape(x).replace(r"\ ", r"\s+") for x in sorted(alts, key=len, reverse=True)) + ")"
        if optional:
            parts.append(rf"(?:{rx}\s+)?")
        else:
            parts.append(rx + (r"\s+" if i < len(tokens) - 1 else ""))
    return "".join(parts)


def _genres_data() -> dict:
    """harvester/data/genres.toml, read once at import (the genres and their first words both come from it)."""
    from importlib import resources

    from harvester.normalize import tomltext

    return tomltext.loads(resources.files("harvester").joinpath("data", "genres.toml").read_text("utf-8"))


_GENRES_DATA = _genres_data()


def _load_genres() -> tuple[tuple[Genre, ...], dict[str, str | None]]:
    data = _GENRES_DATA
    sets = data.get("sets", {})
    genres = []
    for g in data["genre"]:
        pattern = "|".join(_phrase_regex(ph, sets) for ph in g["phrases"])
        genres.append(
            Genre(
                g["type"],
                pattern,
                g.get("conversation", False),
                g.get("authored", False),
                g.get("message", False),
                g.get("head-only", False),
            )
        )
    qualifiers: dict[str, str | None] = {}
    for q in data.get("qualifier", []):
        for word in q["words"]:
            qualifiers[word.lower()] = q.get("label")
    return tuple(genres), qualifiers


GENRES, QUALIFIERS = _load_genres()
GENRE_TYPES = tuple(g.type for g in GENRES)
_ART = r"(?:(?:a|an|the)\s+)?"
_QUALIFIER_RX = "|".join(re.escape(q) for q in sorted(QUALIFIERS, key=len, reverse=True))
_GENRE_RE = re.compile(
    r"(?<![\w'\-])(?:" + "|".join(f"(?P<g{i}>{g.pattern})" for i, g in enumerate(GENRES)) + r")(?![\w\-])",
    re.IGNORECASE,
)


def _first_words() -> frozenset[str]:
    """Every word a type can start with: the genre scan tries the big pattern only where one stands."""
    data = _GENRES_DATA
    sets = data.get("sets", {})
    out: set[str] = set()
    for g in data["genre"]:
        for phrase in g["phrases"]:
            for alt in phrase.split()[0].rstrip("?").split("/"):
                out.update(x.split()[0].lower() for x in (sets[alt[1:]] if alt.startswith("@") else [alt]))
    return frozenset(out)


_GENRE_FIRST = _first_words()
_WORD_START = re.compile(r"[^\W\d_](?<![\w'\-].)[\w\-]*")  # (?<![\w'\-])[^\W\d_][\w\-]*, led by the letter


class _Found:
    """A type found in a title: where it starts (with its qualifiers) and ends, and its doc_type."""

    __slots__ = ("end", "genre", "start", "type")

    def __init__(self, start: int, end: int, genre: Genre, type: str) -> None:
        self.start, self.end, self.genre, self.type = start, end, genre, type


def _found(text: str, match: re.Match[str] | None, floor: int = 0) -> _Found | None:
    """The match widened over the qualifier words written before it ("Top Secret Draft Telegram")."""
    if match is None:
        return None
    genre = GENRES[int(match.lastgroup[1:])]  # type: ignore[index]
    start = match.start()
    if start <= floor or text[start - 1] != " ":
        return _Found(start, match.end(), genre, genre.type)
    labels: list[str] = []
    while start > floor:
        end = start
        while end > floor and text[end - 1] == " ":
            end -= 1
        if end == start:
            break
        begin = text.rfind(" ", floor, end) + 1 or floor
        word = text[max(begin, floor) : end].lower()
        if word not in QUALIFIERS:
            break
        label = QUALIFIERS[word]
        if label and label not in labels:
            labels.insert(0, label)
        start = max(begin, floor)
    return _Found(start, match.end(), genre, " ".join([*labels, genre.type]))


#: The characters other than its two cases that an ASCII letter matches under re.IGNORECASE (tests check every
#: code point): "İ" and "ı" for i, the Kelvin sign for k, the long s.
_CASE_EXTRAS = {"i": "\u0130\u0131", "k": "\u212a", "s": "\u017f"}


def _word_led(alternatives: list[str]) -> str:
    """``(?<![\\w'\\-])(?:ALT|...)`` (one of the words, not inside another), for an IGNORECASE pattern whose every
    ALT starts with an ASCII letter, written so that ``re`` can skip to the letters it may start with.

    A pattern led by a lookbehind, or by a letter under IGNORECASE, gives ``re`` no first characters to look for,
    so a search runs the whole pattern at every position of the title. Here the first letter is a case-sensitive
    set of its spellings, consumed; the lookbehind looks past it, and each branch checks the letter it starts
    with (``(?<=f)rom``, under IGNORECASE as before). Alternatives keep their order within each first letter."""
    by_letter: dict[str, list[str]] = {}
    for alt in alternatives:
        by_letter.setdefault(alt[0].lower(), []).append(alt[1:])
    spellings = "".join(c + c.upper() + _CASE_EXTRAS.get(c, "") for c in by_letter)
    branches = "|".join(f"(?<={c})(?:{'|'.join(rests)})" for c, rests in by_letter.items())
    return rf"(?-i:[{spellings}])(?<![\w'\-].)(?:{branches})"


# Types whose "of A" names the author ("Letter of Governor Sheng to ...", "Declaration of the CC CPSU").
_AUTHORED = frozenset(g.type for g in GENRES if g.authored)
_GENRE_WORDS = "(?:" + "|".join(g.pattern for g in GENRES if g.message) + ")"
# A document number: "No. 340", "No 10456", "Nr. 12", "№ 5", "#149", "No. 059.057", "No. 1234/56", "No. 01/04595",
# "No. K-123", "Nr. RB/45" (letters then digits).
_NUMBER_BODY = r"((?:[A-Za-z]{1,4}[-/]?)?\d[\w./\-]*)"
# (r"(?:\bNo\b\.?|\bNr\b\.?|\bNum\b\.?|N°|№|#)\s*", led by the characters it can start with: see _word_led)
_NUMBER = re.compile(
    r"(?-i:[Nn№#])(?:(?<=n)(?:(?<!\w.)(?:o\b\.?|r\b\.?|um\b\.?)|°)|(?<=[№#]))\s*" + _NUMBER_BODY, re.IGNORECASE
)
_NUMBER_AT = re.compile(r"\s*(?:No\b\.?|Nr\b\.?|Num\b\.?|N°|№|#)\s*" + _NUMBER_BODY, re.IGNORECASE)
_BARE_NUMBER = re.compile(r"\s+(\d[\d./\-]*)(?![\w])")

# --- slot keywords, topics, forwarded messages -------------------------------------------------------------
_KW = re.compile("(" + _word_led(["from", "to", "via", "between", "with", "by", "for"]) + r")\s+", re.IGNORECASE)
_TOPIC = re.compile(
    _word_led(
        [
            *("on", "regarding", "concerning", "about", "re", r"in\s+connection\s+with", "requesting", "asking"),
            *("informing", "reporting", "proposing", "expressing", "discussing", r"referring\s+to", r"relating\s+to"),
            *(r"with\s+regard\s+to", r"in\s+regard\s+to", "dated", "including"),
        ]
    )
    + r"(?=\s)",
    re.IGNORECASE,
)
_FORWARD = re.compile(
    r"[,\s]\s*(?:(?:conveying|transmitting|forwarding|enclosing|relaying|attaching|passing\s+on)\s+"
    r"|(?:with|containing)\s+(?=(?:(?:the|a|an|his|her|its|their)\s+)?(?:[^\s,]+\s+){0,4}?"
    + _GENRE_WORDS
    + r"\s+(?:from|of|by|to)\b))",
    re.IGNORECASE,
)
_JOURNAL = re.compile(
    r"\s*(?:(?:excerpts?|extracts?)\s+from\s+)?(?:from\s+)?(?:the\s+)?(?:journal|diary)\s+of\s+", re.IGNORECASE
)
_JOURNAL_END = re.compile(r"[,:]|\s+for\s+(?=the\s+period|\d)", re.IGNORECASE)
# A quoted subject that is itself a conversation record ("'Minutes of the Conversation between A and B'").
_CONV_START = re.compile(
    r"\s*(?:" + "|".join(g.pattern for g in GENRES if g.conversation and not g.head_only) + r")\b", re.IGNORECASE
)
_MENTION_CONV = re.compile(
    _word_led(["meetings?", "conversations?", "talks?", "discussions?", "negotiations?", "interviews?", "audience"])
    + r"\s+(?:of\s+[^,;]{1,60}?\s+)?(?:with|between)\s+",
    re.IGNORECASE,
)
#: Words that count a noun phrase ("Ten Major Relationships", "Three General Principles"): an office word
#: after one of these is an adjective.
_COUNT_WORDS = frozenset(
    {
        "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "several",
        "many", "some", "all", "both", "these", "those", "first", "second", "third", "fourth", "fifth",
    }
)
_MENTION_CDE = re.compile(r"C(?<![\w'\-]C)(?:des?\.|omrades?)\s+")  # (?<![\w'\-])(?:Cdes?\.|Comrades?)\s+
_POSSESSED = "|".join(
    sorted(
        {
            "meetings?",
            "conversations?",
            "talks",
            "telegrams?",
            "messages?",
            "letters?",
            "reports?",
            "cables?",
            "proposals?",
            "notes?",
            "statements?",
            "remarks",
            "views",
            "position",
            "memorandum",
        }
        | set(tx.POSSESSIVE_NOUNS),
        key=len,
        reverse=True,
    )
)
# "Zhou Enlai's presentation", "Khrushchev and Bulganin's November-December 1955 trip", "Gorbachev's Briefing"
_MENTION_POSSESSIVE = re.compile(
    r"((?:[A-Z][\w.\-]*\s+){0,3}[A-Z][\w.\-]*(?:\s+and\s+(?:[A-Z][\w.\-]*\s+){0,3}[A-Z][\w.\-]*)?)['’]s\s+"
    r"(?:[\w\-]+\s+){0,2}(?i:" + _POSSESSED + r")\b"
)
# An office written in front of a name inside a subject: "Premier Zhou's Schedule", "Vice Premier Deng Xiaoping
# Discusses ...", "President Sarney".
_MENTION_OFFICE = re.compile(
    r"(?<![\w'\-])((?:(?:Vice|Deputy|Prime|First|Foreign|Defen[cs]e|State|Party)[\s-]+)*(?:"
    + "|".join(sorted((w.capitalize() for w in tx.OFFICES if w.isalpha()), key=len, reverse=True))
    + r")\.?\s+(?:[A-Z][\w\-]*\.?\s+){0,2}[A-Z][\w\-]+)"
)
_CONVO_NOUNS = tx.words(
    """conversation conversations meeting meetings talk talks discussion discussions negotiation negotiations
    interview interviews audience reception dinner lunch luncheon breakfast encounter consultation
    consultations exchange"""
)
# A word before "to" that makes "to" part of a phrase, not a recipient ("Ambassador to China", "Visit to Moscow").
_TO_NOT_AFTER = tx.words(
    """ambassador ambassadors envoy envoys representative representatives adviser advisor advisers advisors
    delegate delegates assistant attache attaché counselor counsellor consul emissary plenipotentiary mission
    missions delegation delegations visit visits trip trips journey travel voyage return attachment annex
    appendix supplement addendum additions amendments changes introduction preface reaction approach attitude
    policy relations aid assistance contribution threat road way path transfer transfers accession admission
    entry access subordinate successor according due regard respect close next similar up able ready
    prior pursuant owing contrary"""
)
# Capitalised title-case verbs after "to" ("Decision to Send Troops") are not recipients.
_VERBS = tx.words(
    """give send provide withdraw establish sell buy visit hold convene organise organize create form transfer
    deliver help assist grant allow permit accept reject stop halt cross enter join leave return open close
    build supply ship move use be have make take set go come meet discuss sign conclude begin start continue
    end change appoint dismiss recall invite inform raise reduce increase strengthen improve develop expand
    support oppose condemn resolve settle release receive recognize recognise protest request ask demand
    publish prepare conduct launch attack defend deploy station train reach seek restore resume"""
)
_ARTICLES = tx.words("the a an cde cde. cdes cdes. comrade comrades his her their its")
# (\s+(?:of|for|at|in|on)\s+(?=\d)|\s+dated\s+, with \s\s* first: a set of characters for re to skip to)
_TRAIL = re.compile(r"\s\s*(?:(?:of|for|at|in|on)\s+(?=\d)|dated\s+)", re.IGNORECASE)
_POSSESSIVE_CUT = re.compile(r"['’]s([\]\)]?)\s+(?=(?:[A-Za-z\-]+\s+){0,2}?(?:" + _POSSESSED + r")\b)", re.IGNORECASE)
_NOT_A_PARTY = re.compile(r"^[\W\d_]*$|^(?:and|or|the|a|an|etc)$", re.IGNORECASE)
_INITIAL_END = re.compile(r"(?:^|[\s.])[A-Z][a-z]?\.$")
_LEAD = re.compile(r"\s*(?:excerpts?|extracts?|translation|copy)\s+(?:of|from)\s+(?:(?:an?|the)\s+)?", re.IGNORECASE)
_STOP_WORDS = tx.words(
    "about on regarding concerning to from and with the in of for at by re into over after before during as is "
    "was were his her their its"
)
# Patterns the grammar uses inline, compiled once (the re module's cache lookup is a measurable share).
_AND_MORE = re.compile(r"\s+(?:and|&)\s+")
_POSSESSIVE_END = re.compile(r"['’]s([\])]?)$")
_GENRE_WORD = re.compile(_GENRE_WORDS + r"\b", re.IGNORECASE)
_OF = re.compile(r"of\s+", re.IGNORECASE)
_OF_INSIDE = re.compile(r"\s+of\s+")
_AND = re.compile(r"\s(?:and|&)\s")
_AND_START = re.compile(r"and\s")
_AND_SPLIT = re.compile(r"\s(?:and|&)\s|^and\s")
_VIA = re.compile(r"\s*via\s+", re.IGNORECASE)
_WITH = re.compile(r"(?:with\s+)?", re.IGNORECASE)
_WORD = re.compile(r"\S+")
_CLAUSE_MARK = re.compile(r"[,;:]")
_DASH_CHARS = re.compile(r" -|–|—")  # alternatives of literals: re skips to their first characters
_CAPITALISED = re.compile(r"[A-Z][a-z]+")
_HEAD_AFTER = re.compile(r"\s*(?:(?:the|a|an|his|her|its|their)\s+)?(\S+)", re.IGNORECASE)
_DASH = re.compile(r"\s+[-–—]\s+|\s*[–—]\s*")
# Two names joined by a dash before a meeting noun: "Record of Furui-Zhou Enlai Meeting", "Brezhnev – Nixon
# Talks". An unspaced hyphen counts only when one side has two words (so "Gheorghiu-Dej Meeting" stays whole).
_NAME_RUN = r"[A-Z][\w.’'\-]*?(?:\s+[A-Z][\w.’'\-]*?){0,2}"
_PAIR_EVENT = re.compile(
    r"(?P<head>(?i:records?|minutes|memorand(?:um|a)|summary|summaries|transcripts?|notes?)\s+(?i:of)\s+"
    r"(?:(?i:the)\s+)?)?(?P<a>" + _NAME_RUN + r")(?P<dash>\s+[-–—]\s+|\s*[–—]\s*|-)(?P<b>" + _NAME_RUN + r")\s+"
    r"(?P<noun>(?i:meetings?|talks|conversations?|summit|discussions?|negotiations|correspondence))\b"
)
_TRAILING_BRACKET = re.compile(r"\s*[(\[]([^()\[\]]*)[)\]]\s*$")
_MAX_DEPTH = 4
_FILL = "\x00"
_OPENERS = {"'": "'’", "‘": "'’", "’": "'’", '"': '"”', "“": '"”', "«": "»"}
_OPENER = re.compile("[" + re.escape("".join(_OPENERS)) + "]")
_BRACKET = re.compile(r"[()\[\]]")


def parse_title(title: str | None) -> TitleParts:
    """Read a title's document type, number and parties. Never raises; no title gives empty parts."""
    if not isinstance(title, str):
        return TitleParts(None, None, ())
    text = " ".join(title.split())
    if not text:
        return TitleParts(None, None, ())
    return _parse_text(text)


@lru_cache(maxsize=4096)
def _parse_text(text: str) -> TitleParts:
    """Titles repeat (a series, related searches): the parts are immutable, so a repeat costs a lookup."""
    parser = _Parser(text)
    parser.region(0, len(text), outer=True, mention_all=False, depth=0)
    parties = tuple(Party(a, r) for _, a, r in sorted(parser.parties, key=lambda p: p[0]))
    return TitleParts(parser.doc_type, parser.doc_number, _dedupe(parties))


def _dedupe(parties: tuple[Party, ...]) -> tuple[Party, ...]:
    seen: set[tuple[str, str]] = set()
    out = []
    for p in parties:
        if (p.as_written, p.role) not in seen:
            seen.add((p.as_written, p.role))
            out.append(p)
    return tuple(out)


def _mask_quotes(t: str) -> tuple[str, list[tuple[int, int]]]:
    """Replace quoted subjects with filler of the same length, so offsets still point into the title."""
    spans: list[tuple[int, int]] = []
    n = len(t)
    opener = _OPENER.search(t)
    while opener is not None:  # only quote characters can open a subject: jump from one to the next
        i = opener.start()
        ch = t[i]
        if (i == 0 or t[i - 1] in " ([,:;-") and i + 1 < n and not t[i + 1].isspace():
            closers = _OPENERS[ch]
            end = n  # an unclosed quote runs to the end of the title
            for j in range(i + 1, n):
                if t[j] in closers and not t[j - 1].isspace() and (j + 1 == n or not t[j + 1].isalnum()):
                    end = j + 1
                    break
            spans.append((i, end))
            opener = _OPENER.search(t, end)
        else:
            opener = _OPENER.search(t, i + 1)
    if not spans:
        return t, spans
    chars = list(t)
    for a, b in spans:
        chars[a:b] = _FILL * (b - a)
    return "".join(chars), spans


def _depths(s: str) -> list[int]:
    """The bracket depth of every character: an opening bracket counts itself, a closing one too."""
    out: list[int] = []
    d = prev = 0
    for bracket in _BRACKET.finditer(s):  # the characters between two brackets share one depth
        i = bracket.start()
        out.extend([d] * (i - prev))
        if s[i] in "([":
            d += 1
            out.append(d)
        else:
            out.append(d)
            d = max(0, d - 1)
        prev = i + 1
    out.extend([d] * (len(s) - prev))
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.t = text
        self.m, self.quotes = _mask_quotes(text)
        self.depth = _depths(self.m)
        self.flat = not _BRACKET.search(self.m)  # no brackets: every position is at the top level
        self.doc_type: str | None = None
        self.doc_number: str | None = None
        self.parties: list[tuple[int, str, str]] = []  # (offset, as_written, role)

    # --- small helpers on spans ----------------------------------------------------------------------
    def top(self, pos: int) -> bool:
        return 0 <= pos < len(self.depth) and self.depth[pos] == 0

    def strip(self, a: int, b: int) -> tuple[int, int]:
        while a < b and self.m[a] in " ,;:-":
            a += 1
        while b > a and self.m[b - 1] in " ,;:.-":
            if self.m[b - 1] == "." and _INITIAL_END.search(self.m, a, b):
                break  # "Shcherbakov I.S." keeps its last period
            b -= 1
        return a, b

    def clause_end(self, a: int, b: int) -> int:
        if a < 0:
            return next((i for i in range(a, b) if self.m[i] in ",;:" and self.depth[i] == 0), b)
        return next((i for i in (m.start() for m in _CLAUSE_MARK.finditer(self.m, a, b)) if self.depth[i] == 0), b)

    def commas(self, a: int, b: int) -> list[int]:
        if a < 0:
            return [i for i in range(a, b) if self.m[i] == "," and self.depth[i] == 0]
        m, depth, out = self.m, self.depth, []
        i = m.find(",", a, b)
        while i != -1:
            if depth[i] == 0:
                out.append(i)
            i = m.find(",", i + 1, b)
        return out

    def word_after(self, pos: int) -> str:
        """The first word in the 60 characters after ``pos`` (``\\s*(\\S+)``), or ""."""
        words = self.m[pos : pos + 60].split(None, 1)
        return words[0] if words else ""

    def _head_after(self, pos: int) -> str:
        """The first word after ``pos`` that is no article ("a Meeting of ..." -> "Meeting")."""
        match = _HEAD_AFTER.match(self.m, pos)
        return match.group(1) if match else ""

    def word_before(self, pos: int) -> str:
        """The last word in the 60 characters before ``pos`` (``(\\S+)\\s*$``), or "". A split, not that
        regex: its search tries every start in the window, each running to the window's end."""
        words = self.m[max(0, pos - 60) : pos].rsplit(None, 1)
        return words[-1] if words else ""

    def emit(self, a: int, b: int, role: str) -> None:
        a, b = self.strip(a, b)
        if a >= b:
            return
        written = self.t[a:b].strip()
        if written.startswith("and "):
            written, a = written[4:].strip(), a + 4
        if not written or _NOT_A_PARTY.match(written) or not (
            written[0].isalpha() or any(ch.isalpha() for ch in written)  # most start with a letter: no generator
        ):
            return
        if _event_headed(written):
            return  # "the Meeting of the HSWP Politburo", "the Sino-US Ambassadorial Talks": no party
        self.parties.append((a, written, role))

    # --- the grammar ---------------------------------------------------------------------------------
    def region(self, a: int, b: int, *, outer: bool, mention_all: bool, depth: int) -> None:
        """Parse t[a:b] as a title. ``mention_all``: every party found is a forwarded one ("mentioned")."""
        if depth > _MAX_DEPTH or a >= b:
            return
        head_end, inner = b, None
        for fw in _FORWARD.finditer(self.m, a, b):
            if self.top(fw.start()) and fw.start() > a:
                head_end, inner = fw.start(), fw.end()
                break
        journal = _JOURNAL.match(self.m, a, head_end)
        if journal:
            self.journal(journal.end(), head_end, outer=outer, mention_all=mention_all, depth=depth)
        else:
            self.head(a, head_end, outer=outer, mention_all=mention_all)
        if inner is not None:
            self.region(inner, b, outer=False, mention_all=True, depth=depth + 1)

    def journal(self, a: int, b: int, *, outer: bool, mention_all: bool, depth: int) -> None:
        if outer:
            self.doc_type = "Journal"
        end = b
        for match in _JOURNAL_END.finditer(self.m, a, b):
            if self.top(match.start()):
                end = match.start()
                break
        self.slot(a, end, "mentioned" if mention_all else "sender", single=True)
        rest = end
        if rest < b and self.m[rest] in ",:":
            rest += 1
        ra, rb = self.strip(rest, b)
        quote = next(((qa, qb) for qa, qb in self.quotes if qa == ra and qb >= rb), None)
        if quote:  # From the Diary of X, 'Record of Conversation with Y, 2 November 1966'
            self.unquoted(quote, mention_all=mention_all, depth=depth, conversation_only=False)
        elif ra < rb:
            self.head(ra, rb, outer=False, mention_all=mention_all, inner_type=outer)

    def genre(self, a: int, b: int) -> _Found | None:
        """The head type: the first type word before any party keyword. A head-only type (a common noun:
        "Plan", "Meeting") counts only with nothing before it but its author or parties."""
        lead = _LEAD.match(self.m, a, b)
        start = lead.end() if lead else a
        for word in _WORD_START.finditer(self.m, a, b):
            if word.group().lower() not in _GENRE_FIRST or not self.top(word.start()):
                continue
            raw = _GENRE_RE.match(self.m, word.start(), b)
            if raw is None:
                continue
            match = _found(self.m, raw, start)
            before = self.m[start : match.start] if match.start >= start else ""
            if any(self.top(k.start() + start) for k in _KW.finditer(before)) or _FILL in before:
                return None
            if match.genre.head_only and not self.heads(start, match.start):
                continue
            return match
        return None

    def heads(self, a: int, b: int) -> bool:
        """May t[a:b] stand before a head-only type: nothing, an author or parties ("CC CPSU Politburo",
        "The Chancellor's [Helmut Kohl's]", "Bhabha and Jawaharlal Nehru", "Anatoly Chernyaev,")?"""
        a, b = self.strip(a, b)
        if a >= b:
            return True
        words = self.t[a:b]
        if _POSSESSIVE_END.search(words):
            return True
        if tx.is_org_like(words) and tx.has_word(words, tx.ORG_MARKERS):
            return True
        first = self.commas(a, b)
        if first:
            return tx.is_person_shaped(self.t[a : first[0]].strip())
        return all(tx.is_person_shaped(x.strip()) for x in _AND_SPLIT.split(words) if x.strip())

    def head(self, a: int, b: int, *, outer: bool, mention_all: bool, inner_type: bool = False) -> None:
        """Parse a title head. ``inner_type``: the rest of "Journal of X, <rest>": a type heading it is the
        document's type ("..., Record of a Conversation with Kim Il Sung" -> Record of Conversation)."""

        def role(r: str) -> str:
            return "mentioned" if mention_all else r

        g = self.genre(a, b)
        conversation = False
        kind = None
        r0 = a
        if g is not None:
            kind, conversation = g.type, g.genre.conversation
            r0 = g.end
            # "Resolution and Letter to ...": a second type joined by "and" belongs to the head.
            more = _AND_MORE.match(self.m[r0:b])
            if more:
                g2 = _GENRE_RE.match(self.m, r0 + more.end(), b)
                if g2:
                    r0 = g2.end()
            found = _NUMBER_AT.match(self.m, r0, b) or _BARE_NUMBER.match(self.m, r0, b)
            if found:
                if outer and self.doc_number is None:
                    self.doc_number = found.group(1).rstrip(".-/")
                r0 = found.end()
            self.prefix(a, g.start, conversation, role)
            if inner_type and not self.m[a : g.start].strip():
                self.doc_type = kind
            if kind == "Journal":
                conversation = True  # "Tsedenbal's diary on his conversation with X": X took part
        if g is None:
            pair = self.pair_event(a, b, role)
            if pair is not None:
                kind, conversation, r0 = pair, True, b
            elif outer:
                kind = self.quoted_type(a, b, role)
        if outer:
            if self.doc_type is None:
                self.doc_type = kind
            if self.doc_number is None:
                self.number_anywhere(a, b)
        self.slots(r0, b, kind, conversation, role)
        # quoted subjects inside this head
        for qa, qb in self.quotes:
            if a <= qa < b:
                self.unquoted((qa, qb), mention_all=mention_all, depth=1, conversation_only=True)
        if g is None:
            self.org_then_quote(a, b, role)

    def pair_event(self, a: int, b: int, role) -> str | None:
        """ "Record of Furui-Zhou Enlai Meeting": the two names take part; the type is the record's."""
        lead = _LEAD.match(self.m, a, b)
        match = _PAIR_EVENT.match(self.m, lead.end() if lead else a, b)
        if not match or _FILL in match.group(0) or not self.top(match.start()):
            return None
        ta, tb = match.group("a"), match.group("b")
        if match.group("dash") == "-" and len(ta.split()) < 2 and len(tb.split()) < 2:
            return None
        if not (tx.is_person_shaped(ta) and tx.is_person_shaped(tb)):
            return None
        self.emit(match.start("a"), match.end("a"), role("participant"))
        self.emit(match.start("b"), match.end("b"), role("participant"))
        phrase = f"{match.group('head') or ''}{match.group('noun')}"
        text = " ".join(phrase.split())
        g = _found(text, _GENRE_RE.match(text))
        return g.type if g else None

    def quoted_type(self, a: int, b: int, role) -> str | None:
        """No type outside quotes, and the title is "<Org or Translation>, '<Type ...>'": the quoted
        document's type ("Soviet Translation, 'Statement of the Iran Party ...'"); an authored quote's own
        parties are read too."""
        quote = next(((qa, qb) for qa, qb in self.quotes if a <= qa < b), None)
        if quote is None:
            return None
        before = self.m[a : quote[0]].rstrip()
        after = _TRAILING_BRACKET.sub(lambda m: "" if tx.is_marker(m.group(1)) else m.group(0), self.t[quote[1] : b])
        if not before.endswith(",") or after.strip(" .,"):
            return None
        ia = quote[0] + 1
        ib = quote[1] - 1 if self.t[quote[1] - 1] in "'\"’”»" else quote[1]
        sub = _Parser(self.t[ia:ib])
        g = sub.genre(0, len(sub.t))
        if g is None or g.start != 0:
            return None
        genre = g.genre
        if genre.authored and not genre.conversation:
            sub.head(0, len(sub.t), outer=False, mention_all=False)
            for off, written, r in sub.parties:
                self.parties.append((ia + off, written, role(r)))
        return g.type

    def number_anywhere(self, a: int, b: int) -> None:
        """A number before the first party keyword ("Memo on Protocol #149 of the Politburo")."""
        limit = b
        for k in _KW.finditer(self.m, a, b):
            if self.top(k.start()):
                limit = k.start()
                break
        number = _NUMBER.search(self.m, a, limit)
        if number and self.top(number.start()):
            self.doc_number = number.group(1).rstrip(".-/")
            return
        # a number clause later in the title: "Telegram from Bucharest to Beijing, No. 059.057", "(No. 12)"
        if number is None and not _NUMBER.search(self.m, limit, b):
            return
        for number in _NUMBER.finditer(self.m, a, b):
            before = self.m[a : number.start()].rstrip()
            if (before.endswith(",") and self.top(number.start())) or (
                before.endswith("(") and self.depth[number.start()] == 1
            ):
                self.doc_number = number.group(1).rstrip(".-/")
                return

    def prefix(self, a: int, b: int, conversation: bool, role) -> None:
        """Words before the type: "VKP(b) CC Decree" and "Tsedenbal's diary" name the author,
        "The Chancellor's [Helmut Kohl's] Conversation" a participant."""
        lead = _LEAD.match(self.m, a, b)
        pa, pb = self.strip(lead.end() if lead else a, b)
        if pa >= pb or _FILL in self.m[pa:pb]:
            return
        who = role("participant" if conversation else "sender")
        commas = self.commas(pa, b)
        if commas:
            # "Anatoly Chernyaev, Notes from ...", "Soviet Ambassador Puzanov, Memorandum of Conversation with Y":
            # a name or an office, then a comma, then the type, is the author.
            first = self.t[pa : commas[0]].strip()
            if not self.m[commas[-1] + 1 : b].strip() and (
                tx.is_person_shaped(first)
                or tx.starts_with_office(first.split())
                or (tx.is_org_like(first) and tx.has_word(first, tx.ORG_MARKERS))
            ):
                self.emit(pa, commas[0], role("sender"))
            return
        words = self.t[pa:pb]
        possessive = _POSSESSIVE_END.search(words)
        if possessive:
            self.emit(pa, pb if possessive.group(1) else pb - 2, who)
        elif tx.is_org_like(words) and tx.has_word(words, tx.ORG_MARKERS):
            self.emit(pa, pb, who)
        elif _AND.search(words) and all(tx.is_person_shaped(x) for x in _AND_SPLIT.split(words) if x.strip()):
            for sa, sb in self.split_and(pa, pb):  # "Ivanov and Prikhodov Report", "Bhabha and Nehru Correspondence"
                self.emit(sa, sb, who)

    def org_then_quote(self, a: int, b: int, role) -> None:
        """No type: "<Org>, '<title>'" (the organisation is the author)."""
        commas = self.commas(a, b)
        if not commas:
            return
        rest = self.m[commas[-1] + 1 : b].strip()
        if not rest or set(rest) - {_FILL}:
            return
        first = self.commas(a, b)[0]
        seg = self.t[a:first].strip()
        if tx.is_org_like(seg) and tx.has_word(seg, tx.ORG_MARKERS) and not _KW.search(self.m[a:first]):
            self.emit(a, first, role("sender"))

    def keywords(
        self, a: int, b: int, conversation: bool, topics: list[tuple[int, int]] | None = None
    ) -> list[tuple[str, int, int]]:
        found: list[tuple[str, int, int]] = []
        if topics is None:
            topics = self.topic_spans(a, b)
        for k in _KW.finditer(self.m, a, b):
            if not self.top(k.start()) or any(ta <= k.start() < tb for ta, tb in topics):
                continue
            kw = k.group(1).lower()
            nxt = self.word_after(k.end())
            prev = tx.bare(self.word_before(k.start()))
            if not nxt or _FILL in nxt:
                continue
            n0 = nxt.lstrip("[(")
            ok_next = bool(n0) and (n0[0].isupper() or n0.lower().rstrip(".") in _ARTICLES or nxt[0] in "[(")
            if not ok_next:
                continue
            if kw == "to" and (prev in _TO_NOT_AFTER or tx.bare(nxt) in _VERBS):
                continue
            if kw == "from" and _GENRE_WORD.match(n0):
                continue
            if kw in ("from", "to", "by", "for") and tx.in_lexicon(
                self._head_after(k.end()) if n0.lower() in _ARTICLES else n0, tx.EVENT_WORDS
            ):
                continue  # "Notes from a Meeting of the Politburo", "Delegation to the Conference"
            if kw == "with" and not (conversation or prev in _CONVO_NOUNS):
                continue
            if (
                kw == "for"
                and not self.m[: k.start()].rstrip().endswith(",")
                and (
                    tx.is_strippable(self.word_before(k.start()))
                    or prev in tx.CONNECTORS
                    or self.m[k.end() : k.end() + 10].lower().startswith("the period")
                )
            ):
                continue  # "Secretary of State for External Affairs", "Committee for State Security"
            if kw == "by" and prev in tx.BY_NOT_AUTHOR:
                kw = "by-host"  # "Dinner hosted by Zhou Enlai", "the delegation led by X": a participant
            found.append((kw, k.start(), k.end()))
            if kw in ("between", "with"):  # they take the rest of the clause
                break
        return found

    def topic_spans(self, a: int, b: int) -> list[tuple[int, int]]:
        spans = []
        for t in _TOPIC.finditer(self.m, a, b):
            if not self.top(t.start()):
                continue
            end = next((c for c in self.commas(t.end(), b)), b)
            spans.append((t.start(), end))
        return spans

    def slots(self, a: int, b: int, kind: str | None, conversation: bool, role) -> None:
        start = a
        a, b = self.strip(a, b)
        if a >= b:
            return
        separated = any(ch in ",:" for ch in self.m[start:a])
        topic_role = role("participant") if kind == "Journal" else "mentioned"
        topics = self.topic_spans(a, b)
        for ta, tb in topics:
            self.mentions(ta, tb, topic_role)
        kws = self.keywords(a, b, conversation, topics)
        kinds = [k for k, _, _ in kws]
        # the text before the first keyword
        pre_end = kws[0][1] if kws else b
        pre_a, pre_b = self.strip(a, pre_end)
        of_form = bool(_OF.match(self.m[pre_a:pre_b]))
        if of_form:
            pre_a += 3
        if pre_a < pre_b and _FILL not in self.m[pre_a:pre_b] and not _TOPIC.match(self.m, pre_a):
            first = kinds[0] if kinds else None
            if first == "to" and "from" not in kinds:
                self.slot(pre_a, pre_b, role("sender"))
            elif first == "with" or (
                first is None and conversation and (of_form or separated or self.dash_pair(pre_a, pre_b))
            ):
                self.slot(pre_a, pre_b, role("participant"))
            elif of_form and kind in _AUTHORED and first in (None, "via", "for"):
                self.slot(pre_a, pre_b, role("sender"))
        recipients: list[int] = []
        for i, (kw, ks, ke) in enumerate(kws):
            end = kws[i + 1][1] if i + 1 < len(kws) else b
            commas = self.commas(ke, end)
            last = bool(commas and i + 1 < len(kws) and self.m[commas[-1] + 1 : end].strip())
            if last:  # "to X, Request to Give ...": what follows the comma is the subject
                self.mentions(commas[0] + 1, b, "mentioned")
            if kw in ("from", "by"):
                self.slot(ke, end, role("sender"))
            elif kw == "to":
                before = len(self.parties)
                self.slot(ke, end, role("recipient"))
                recipients = list(range(before, len(self.parties)))
            elif kw == "via":
                self.slot(ke, end, role("via"))
            elif kw in ("between", "with", "by-host"):
                self.slot(ke, end, role("participant"))
            elif kw == "for":
                carrier = self.m[:ks].rstrip().endswith(",")
                if carrier and recipients and role("recipient") == "recipient":
                    for j in recipients:  # "A to B, for C": B carries it to C
                        off, written, _ = self.parties[j]
                        self.parties[j] = (off, written, "via")
                if carrier or "to" not in kinds:
                    self.slot(ke, end, role("recipient"))
            if last:
                break

    def slot(self, a: int, b: int, role: str, *, single: bool = False) -> None:
        """Trim a slot to the party text, split lists, emit each party (and its [via X] brackets)."""
        a, b = self.strip(a, b)
        if a >= b:
            return
        # a topic ends the slot; names in it are mentioned
        for t in _TOPIC.finditer(self.m, a, b):
            if self.top(t.start()) and t.start() > a:
                b = t.start()  # names in the topic are picked up by slots() as mentions
                break
        trail = _TRAIL.search(self.m, a, b)
        if trail and self.top(trail.start()):
            b = trail.start()
        poss = _POSSESSIVE_CUT.search(self.m, a, b)
        if poss and self.top(poss.end() - 1):
            cut = poss.start() + (2 + len(poss.group(1)) if poss.group(1) else 0)
            ofs = list(_OF_INSIDE.finditer(self.m[a:cut]))
            of = ofs[-1] if ofs else None
            if of and tx.is_name_like(self.t[a + of.end() : cut]):
                # "by the East German Embassy in Bucharest of Ceauşescu's Visit": the possessor is mentioned
                self.emit(a + of.end(), cut, "mentioned")
                cut = a + of.start()
            b = cut
        b = self.drop_markers(a, b)
        a, b = self.strip(a, b)
        if a >= b:
            return
        if single:
            for seg in self.choose(a, b):
                self.item(*seg, role)
            return
        for seg in self.items(a, b):
            self.item(*seg, role)

    def drop_markers(self, a: int, b: int) -> int:
        """Cut trailing "(excerpts)", "(1)", "(Including Discussion on China)" from a slot."""
        while True:
            a2, b2 = self.strip(a, b)
            if b2 <= a2 or self.m[b2 - 1] not in ")]":
                return b2
            depth, i = 0, b2 - 1
            while i >= a2:
                if self.m[i] in ")]":
                    depth += 1
                elif self.m[i] in "([":
                    depth -= 1
                    if depth == 0:
                        break
                i -= 1
            if i < a2 or i == a2:
                return b2
            content = self.t[i + 1 : b2 - 1].strip()
            if tx.is_marker(content):
                b = i
            else:
                return b2

    def items(self, a: int, b: int) -> list[tuple[int, int]]:
        """Split "A, B and C" into items; otherwise choose the one comma segment that names the party."""
        segs = self.segments(a, b)
        if segs and _DASH_CHARS.search(self.m, segs[0][0], segs[0][1]):
            pair = self.dash_pair(*segs[0])
            if pair:  # "Zhivkov – Chernenko, Moscow, 1984"
                return pair
        for k, (sa, sb) in enumerate(segs):
            seg = self.m[sa:sb]
            if _AND.search(self._top_only(sa, sb)) or _AND_START.match(seg):
                if all(_item_like(self.t[x:y]) for x, y in segs[: k + 1]) and k <= 8:
                    out = list(segs[:k])
                    out.extend(self.split_and(sa, sb))
                    if k + 1 < len(segs) and out and tx.is_descriptor(self.t[out[-1][0] : out[-1][1]]):
                        nxt = self.t[segs[k + 1][0] : segs[k + 1][1]]
                        if tx.is_person_shaped(nxt) and not tx.is_descriptor(nxt):
                            out[-1] = segs[k + 1]  # "... and the Soviet Ambassador to China, N. V. Roshchin"
                    return out
                break
        return self.choose(a, b)

    def dash_pair(self, a: int, b: int) -> list[tuple[int, int]]:
        """ "Zhivkov – Chernenko", "Brezhnev - Nixon": two names joined by a spaced or long dash."""
        seg = self.m[a:b]
        if " -" not in seg and "–" not in seg and "—" not in seg:
            return []
        match = _DASH.search(self.m, a, b)
        if not match:
            return []
        left, right = self.strip(a, match.start()), self.strip(match.end(), b)
        if tx.is_person_shaped(self.t[left[0] : left[1]]) and tx.is_person_shaped(self.t[right[0] : right[1]]):
            return [left, right]
        return []

    def _top_only(self, a: int, b: int) -> str:
        if self.flat:
            return self.m[a:b]
        return "".join(ch if self.depth[i] == 0 else "\x01" for i, ch in enumerate(self.m[a:b], start=a))

    def split_and(self, a: int, b: int) -> list[tuple[int, int]]:
        out = []
        start = a
        for match in _AND_SPLIT.finditer(self._top_only(a, b)):
            out.append((start, a + match.start()))
            start = a + match.end()
        out.append((start, b))
        return [s for s in out if s[1] > s[0]]

    def segments(self, a: int, b: int) -> list[tuple[int, int]]:
        cuts = [a - 1, *self.commas(a, b), b]
        segs = []
        for x, y in pairwise(cuts):
            sa, sb = self.strip(x + 1, y)
            if sa < sb:
                segs.append((sa, sb))
        return segs

    def choose(self, a: int, b: int) -> list[tuple[int, int]]:
        """One party written with commas: "the Secretary of State ..., W.L. Mackenzie King" (appositive),
        "L.D. Wilgress, Canadian Embassy, Moscow" (name then descriptors), "Mao Zedong, 31 March 1956"."""
        segs = self.segments(a, b)
        if not segs:
            return []
        first = self.t[segs[0][0] : segs[0][1]]
        if len(segs) > 1 and tx.is_descriptor(first):
            for sa, sb in segs[1:]:
                seg = self.t[sa:sb]
                if tx.is_name_like(seg) and not tx.is_descriptor(seg):
                    return [(sa, sb)]
        return [segs[0]]

    def item(self, a: int, b: int, role: str) -> None:
        """Emit one party; "[via X]" / "(via X)" inside it become via parties."""
        if self.flat or not _BRACKET.search(self.m, a, b):
            self.emit(a, b, role)  # no bracket in it: no "[via X]" to cut
            return
        cut = b
        i = a
        while i < b:
            if self.m[i] in "([" and self.depth[i] == 1:
                close = i
                while close < b and not (self.m[close] in ")]" and self.depth[close] == 1):
                    close += 1
                content = self.t[i + 1 : close]
                via = _VIA.match(content)
                if via:
                    cut = min(cut, i)
                    vrole = "mentioned" if role == "mentioned" else "via"
                    for sa, sb in self.split_and(i + 1 + via.end(), close):
                        self.emit(sa, sb, vrole)
                i = close + 1
            else:
                i += 1
        self.emit(a, cut, role)

    def mentions(self, a: int, b: int, role: str = "mentioned") -> None:
        """Names in a topic or a quoted subject: "Meetings with Kim Il Sung", "Ambassador Sadchikov's
        Conversation", "Cde. Sadchikov"."""
        for match in _MENTION_CONV.finditer(self.m, a, b):
            end = b
            for t in _TOPIC.finditer(self.m, match.end(), b):
                end = t.start()
                break
            end = self.clause_end(match.end(), end)
            for sa, sb in self.items(match.end(), end) if end > match.end() else []:
                sb = self.drop_markers(sa, sb)
                sa += len(_WITH.match(self.m[sa:sb]).group(0))
                self.item(sa, sb, role)
        for match in _MENTION_POSSESSIVE.finditer(self.t, a, b):
            if _FILL not in self.m[match.start(1) : match.end(1)]:
                for sa, sb in self.split_and(match.start(1), match.end(1)):  # "Khrushchev and Bulganin's trip"
                    self.emit(sa, sb, "mentioned")
        offices = any(w.lower() in tx.OFFICES for w in _CAPITALISED.findall(self.t, a, b))
        for match in _MENTION_OFFICE.finditer(self.t, a, b) if offices else ():
            before = self.t[a : match.start()].split()
            if before and (before[-1].isdigit() or before[-1].lower() in _COUNT_WORDS):
                continue  # "the Ten Major Relationships": a counted noun phrase, not an office and a name
            end = match.end(1)
            for word in reversed(self.t[match.start(1) : end].split()):
                if not (tx.bare(word) in _STOP_WORDS or tx.in_lexicon(word, tx.COMMON_WORDS | tx.EVENT_WORDS)):
                    break
                end = self.t.rfind(word, match.start(1), end)
            if _FILL not in self.m[match.start(1) : end] and tx.is_person_shaped(self.t[match.start(1) : end]):
                self.emit(match.start(1), end, "mentioned")
        for match in _MENTION_CDE.finditer(self.t, a, b):
            end = match.end()
            for word in _WORD.finditer(self.t[match.end() : b]):
                w = word.group(0)
                if not tx.is_name_word(w) or tx.bare(w) in _STOP_WORDS or tx.is_strippable(w):
                    break
                end = match.end() + word.end()
                if w.endswith((",", ";")):
                    break
            if end > match.end():
                self.emit(match.start(), end, "mentioned")

    def unquoted(self, span: tuple[int, int], *, mention_all: bool, depth: int, conversation_only: bool) -> None:
        """A quoted subject: a conversation record gives participants; otherwise only mentions."""
        qa, qb = span
        ia, ib = qa + 1, qb
        if ib > ia and self.t[ib - 1] in "'\"’”»":
            ib -= 1
        if ia >= ib:
            return
        sub = _Parser(self.t[ia:ib])
        if _CONV_START.match(sub.t) or not conversation_only:
            sub.region(0, len(sub.t), outer=False, mention_all=mention_all, depth=depth + 1)
        else:
            sub.mentions(0, len(sub.t))
        for off, written, r in sub.parties:
            self.parties.append((ia + off, written, r))


@lru_cache(maxsize=1 << 14)
def _event_headed(written: str) -> bool:
    words = [w for w in written.split() if w.lower() not in ("the", "a", "an")]
    return bool(words) and tx.in_lexicon(tx.head_word(words), tx.EVENT_WORDS)


def _item_like(seg: str) -> bool:
    s = seg.strip()
    if not s:
        return False
    first = s.split()[0]
    if first.lower() in ("and", "the", "cde.", "cdes.", "comrade", "comrades"):
        return True
    return first[0].isupper() or first[0] in "[(" or tx.is_initial(first)
