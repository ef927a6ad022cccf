"""Word lists and small text helpers shared by the title grammar and the name resolver.

Everything here is lexical: which words are offices, honorifics, nationality adjectives, organisation
words or places, and how a name is reduced to a lookup key. Nothing here knows any particular person.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Punctuation variants folded before any matching (the archive mixes curly and straight forms).
_PUNCT = str.maketrans(
    {
        "\u2019": "'",
        "\u2018": "'",
        "\u02bc": "'",
        "\u02b9": "'",
        "`": "'",
        "\u00b4": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
        "\u2013": "-",
        "\u2014": "-",
        "\u2010": "-",
        "\u2011": "-",
    }
)
# Letters that NFKD does not decompose into ASCII plus a combining mark.
_LETTERS = str.maketrans(
    {
        "ł": "l",
        "Ł": "l",
        "ø": "o",
        "Ø": "o",
        "đ": "d",
        "Đ": "d",
        "ß": "ss",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "ı": "i",
        "ð": "d",
        "þ": "th",
    }
)
_TOKEN = re.compile(r"[a-z0-9]+")


def words(text: str) -> frozenset[str]:
    """A word list written as one whitespace-separated string."""
    return frozenset(text.split())


def tidy(text: str) -> str:
    """Fold quote/dash/space variants and collapse whitespace; keeps letters and diacritics as written."""
    return " ".join(text.translate(_PUNCT).split())


def ascii_tokens(text: str) -> list[str]:
    """Lower-case ASCII word pieces: diacritics folded, punctuation (apostrophes, hyphens, dots) dropped."""
    if text.isascii():
        return _TOKEN.findall(text.lower())
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return _TOKEN.findall(folded)


@lru_cache(maxsize=1 << 16)
def strict_key(text: str) -> str:
    """The exact-match key: case, diacritics, punctuation and spacing ignored.

    Joining the pieces makes "Kim Il Sung", "Kim Il-sung" and "Kim Ilsung" one key, and "I.V. Stalin",
    "I. V. Stalin" another; letters are never changed, so "Chen Yi" and "Chen Yun" stay apart.
    """
    return "".join(ascii_tokens(text))


# Russian transliteration variants, applied per word piece in this order (see loose_key).
_LOOSE_STEPS = (
    (re.compile(r"shch"), "sch"),
    (re.compile(r"x"), "ks"),
    (re.compile(r"kh"), "h"),
    (re.compile(r"(?<=[aeiou])ye|^ye"), "e"),
    (re.compile(r"yo"), "e"),
    (re.compile(r"iev"), "ev"),
    (re.compile(r"yev"), "ev"),
    (re.compile(r"yu"), "iu"),
    (re.compile(r"ya"), "ia"),
    (re.compile(r"(?:skii|skiy|skij|sky)$"), "ski"),
    (re.compile(r"(?:ii|iy|ij)$"), "i"),
    (re.compile(r"ey$"), "ei"),
    (re.compile(r"(?<=[^aeiouy])y$"), "i"),
)


@lru_cache(maxsize=1 << 14)
def _loose_piece(piece: str) -> str:
    for pattern, repl in _LOOSE_STEPS:
        piece = pattern.sub(repl, piece)
    return piece


@lru_cache(maxsize=1 << 16)
def loose_key(text: str) -> str:
    """The key with Russian transliteration variants folded (shch/sch, -sky/-skii/-skiy, ye/e, yu/iu, iy/y,
    x/ks, kh/h). Used only for names the registry marks as given-name-first (never Chinese, Korean or
    Vietnamese), so pinyin and Korean syllables are never altered."""
    return "".join(_loose_piece(p) for p in ascii_tokens(text))


# --- word lists -------------------------------------------------------------------------------------
# All lower case; compared against a word with surrounding punctuation and a possessive 's removed. The lists
# live in harvester/data/lexicons.toml (knowledge in data, not code).


def _load_lexicons() -> dict[str, frozenset[str]]:
    from importlib import resources

    from harvester.normalize import tomltext

    data = tomltext.loads(resources.files("harvester").joinpath("data", "lexicons.toml").read_text("utf-8"))
    return {key: words(value) for key, value in data.items()}


_LEX = _load_lexicons()
HONORIFICS = _LEX["honorifics"]
OFFICES = _LEX["offices"]
# Adjectives and nouns that qualify an office ("Deputy Foreign Minister", "First Secretary").
QUALIFIERS = _LEX["qualifiers"]
NATIONALITIES = _LEX["nationalities"]
ORG_WORDS = _LEX["organisation_words"]
PLACES = _LEX["places"] | _LEX["places_more"]
# Head nouns of meetings, events and topics: never a person, never an organisation.
EVENT_WORDS = _LEX["event_words"]
# Words of titles that are never part of a personal name.
COMMON_WORDS = _LEX["common_words"]
BY_NOT_AUTHOR = _LEX["by_not_author"]
POSSESSIVE_NOUNS = _LEX["possessive_nouns"]
# Words that join an office to what it is an office of ("Ambassador to China", "Chairman of the CC").
CONNECTORS = words("of the to in for at from on a an")
PARTICLES = _LEX["particles"]

STRIP_WORDS = HONORIFICS | OFFICES | QUALIFIERS | NATIONALITIES | ORG_WORDS | PLACES
# Words that make an unresolved phrase an organisation rather than a person.
ORG_MARKERS = ORG_WORDS
PERSON_MARKERS = HONORIFICS | OFFICES

_EDGE = " \t.,;:!?\"'()[]{}*"
_INITIAL = re.compile(r"^(?:[A-Z][a-z]?\.)+$|^[A-Z]\.?$")


@lru_cache(maxsize=1 << 16)
def bare(word: str) -> str:
    """A word as the lexicons list it: lower case, outer punctuation and a possessive 's removed."""
    w = word.translate(_PUNCT).strip(_EDGE).lower()
    if w.endswith("'s"):
        w = w[:-2]
    elif w.endswith("s'") and len(w) > 3:
        w = w[:-1]
    return w


def is_initial(word: str) -> bool:
    """ "I.", "V.", "Yu.", "I.V.", "N.S." (a Russian initial may have two letters: Yu., Ya., Ye., Zh.)."""
    return bool(_INITIAL.match(word.strip(",;:")))


@lru_cache(maxsize=1 << 16)
def in_lexicon(word: str, lexicon: frozenset[str]) -> bool:
    w = bare(word)
    if w in lexicon:
        return True
    if "-" in w:  # "Vice-President", "Japan-USSR", "Commander-in-Chief"
        parts = [p for p in w.split("-") if p]
        return bool(parts) and all(p in lexicon or p in CONNECTORS for p in parts)
    return False


def is_strippable(word: str) -> bool:
    """Can this word be dropped from in front of a name (honorific, office, qualifier, nationality,
    organisation or place word)? Connectors are handled by the caller (they need a following word)."""
    return in_lexicon(word, STRIP_WORDS)


def is_connector(word: str) -> bool:
    # Case matters: "An" and "To" are Korean and Vietnamese family names; "the" may be capitalised.
    return word in CONNECTORS or word == "The"


def is_name_word(word: str) -> bool:
    """A word that can be part of a personal name as titles write it."""
    if not word or any(ch.isdigit() for ch in word):
        return False
    if is_initial(word):
        return True
    if word.lower() in PARTICLES:
        return True
    core = word.translate(_PUNCT).strip(_EDGE)
    return bool(core) and core[0].isalpha() and core[0].isupper()


@lru_cache(maxsize=1 << 14)
def is_name_like(text: str) -> bool:
    """Looks like a personal name: 1-7 capitalised words or initials, not all of them office,
    organisation or place words."""
    words = text.split()
    if not 1 <= len(words) <= 7:
        return False
    if not all(is_name_word(w) for w in words):
        return False
    return not all(is_strippable(w) or is_connector(w) for w in words)


def strip_leading(words: list[str]) -> list[str]:
    """Drop honorifics, offices and what they are offices of from the front of a name.

    "Soviet Ambassador to China N.V. Roshchin" -> "N.V. Roshchin"; "Chairman of the CC CPC Mao Zedong"
    -> "Mao Zedong". Stops at the first word that is none of these; returns [] if nothing is left.
    """
    i = 0
    n = len(words)
    while i < n:
        w = words[i]
        if is_strippable(w) or (is_connector(w) and i + 1 < n):
            i += 1
            continue
        break
    return words[i:]


def has_word(text: str, lexicon: frozenset[str]) -> bool:
    return any(in_lexicon(w, lexicon) for w in text.split())


def starts_with_office(words: list[str]) -> bool:
    """Is the phrase headed by an office? The head is the last word of the leading run of office,
    qualifier, nationality, organisation and place words: "Foreign Affairs Secretary" and "Head of
    Delegation of ..." are offices (people); "Council of Ministers" and "Polish Embassy" are not."""
    head = None
    for w in words:
        if w in ("the", "The", "a", "an"):
            continue
        if w in CONNECTORS or not is_strippable(w):
            break
        head = w
    return head is not None and in_lexicon(head, OFFICES | HONORIFICS)


@lru_cache(maxsize=1 << 14)
def is_descriptor(text: str) -> bool:
    """An appositive that describes rather than names: "the Secretary of State for External Affairs",
    "Prime Minister of the Mongolian People's Republic", "an Iranian", "Political Émigré"."""
    words = text.split()
    if not words or strip_leading(words):
        return False
    return has_word(text, OFFICES | HONORIFICS) or all(
        is_connector(w) or in_lexicon(w, NATIONALITIES | QUALIFIERS) for w in words
    )


@lru_cache(maxsize=1 << 14)
def is_org_like(text: str) -> bool:
    """An organisation rather than a person: an organisation word before any "of"/"in" ("Polish Embassy in
    Bucharest", "Delegation of ..."), or only places ("Guangdong"); never when an office leads ("Head of
    Delegation of ...") or a name does ("Khrushchev in the CC")."""
    words = text.split()
    while words and words[0] in ("the", "The", "a", "an"):
        words = words[1:]
    if not words or starts_with_office(words):
        return False
    cut = next((k for k in range(1, len(words)) if words[k] in CONNECTORS), len(words))
    head = words[:cut]
    if any(in_lexicon(w, ORG_MARKERS) for w in head):
        return True
    return all(in_lexicon(w, PLACES | NATIONALITIES) for w in head)


MARKER_WORDS = _LEX["marker_words"]


def is_marker(content: str) -> bool:
    """Bracket content that is an editorial marker, not a name: "(1)", "(excerpt)", "[sic]", "(Attachment)",
    "(Including Discussion on China)", "(Peking, 15-22 April 1980)". "[via X]" is not a marker."""
    c = content.strip()
    if re.match(r"via\s", c, re.IGNORECASE):
        return False
    if not c or c[0].islower() or any(ch.isdigit() for ch in c):
        return True
    return bare(c) in MARKER_WORDS or c.split()[0].lower() in ("including", "incl.")


# --- what a party is ----------------------------------------------------------------------------------
_NOT_NAME = STRIP_WORDS | EVENT_WORDS | COMMON_WORDS


@lru_cache(maxsize=1 << 14)
def is_person_shaped(text: str) -> bool:
    """Could this be a personal name, with offices or honorifics in front ("Soviet Ambassador Puzanov",
    "N.M. Taraki", "Adalberto Pereira dos Santos")? 1-8 name words (capitalised, initials, particles), no
    meeting, topic or common title word, and at least one word that is no office, organisation or place
    word. "Meeting", "Talks", "Hangzhou", "Foreign Minister", "Regarding Pham Van Dong" are not."""
    ws = [w for w in tidy(text).split() if w not in ("the", "The")]
    if not 1 <= len(ws) <= 8 or not all(is_name_word(w) for w in ws):
        return False
    caps = [w for w in ws if len(w.strip(_EDGE)) >= 2 and w.strip(_EDGE).isupper()]
    if (caps and len(caps) < len(ws)) or (len(ws) == 1 and caps):
        return False  # an acronym ("BCP", "HSWP"), unless the whole title is written in capitals
    if any(in_lexicon(w, EVENT_WORDS | COMMON_WORDS) for w in ws) or in_lexicon(ws[-1], OFFICES | ORG_WORDS):
        return False  # a name never ends with an office or organisation word ("Provincial Premiers")
    return any(not in_lexicon(w, STRIP_WORDS) and bare(w) not in CONNECTORS and not is_initial(w) for w in ws)


def head_word(words: list[str]) -> str:
    """The head noun of a phrase: its last word before the first connector ("Meeting of the Politburo" ->
    "Meeting", "Delegation of the Soviet Academy" -> "Delegation")."""
    head = ""
    for w in words:
        if bare(w) in CONNECTORS and head:
            break
        head = w
    return head


def name_tail(words: list[str]) -> list[str]:
    """The personal name at the end of a fragment: "Leaders of the Polish Socialist Party E. Osubka-Morawski"
    -> ["E.", "Osubka-Morawski"], "Regarding Pham Van Dong" -> ["Pham", "Van", "Dong"]; [] if none."""
    out: list[str] = []
    for w in reversed(words):
        if not is_name_word(w) or in_lexicon(w, _NOT_NAME) or bare(w) in CONNECTORS:
            break
        out.insert(0, w)
    if out and all(is_initial(w) for w in out):
        return []
    return out


@lru_cache(maxsize=1 << 14)
def party_kind(text: str) -> str:
    """What an unresolved party written ``text`` is: "person" (a name, possibly behind an office), "office"
    (an office without a name: "President of Brazil", "1st Secretary of the Soviet Embassy"),
    "organisation", "place" (only places or nationalities), or "none" (a meeting, topic or fragment with no
    name in it: "Meeting", "Talks", "Others")."""
    t = tidy(text)
    ws = [_possessive_free(w) for w in t.split()]
    ws = [w for w in ws if w]
    while ws and bare(ws[0]) in _DETERMINERS:
        ws = ws[1:]
    if not ws:
        return "none"
    if all(in_lexicon(w, PLACES | NATIONALITIES) or bare(w) in CONNECTORS for w in ws):
        return "place"
    if is_person_shaped(" ".join(ws)):
        return "person"
    head = head_word(ws)
    if in_lexicon(head, EVENT_WORDS | COMMON_WORDS) or not any(ch.isupper() for ch in t):
        return "none"
    if (
        starts_with_office(ws)
        or starts_with_office([w for w in ws if not _ORDINAL.match(w)])
        or in_lexicon(head, OFFICES)  # "All Provincial Premiers", "East European Party Leaders"
    ):
        return "office"
    if is_org_like(" ".join(ws)) or has_word(" ".join(ws), ORG_MARKERS):
        return "organisation"
    if all(in_lexicon(w, STRIP_WORDS) or bare(w) in CONNECTORS for w in ws):
        return "office" if has_word(" ".join(ws), OFFICES | HONORIFICS) else "organisation"
    return "none"


_DETERMINERS = frozenset({"the", "a", "an", "all", "both", "other", "several", "some", "two", "three", "various"})
_ORDINAL = re.compile(r"^\d+(?:st|nd|rd|th)$", re.IGNORECASE)


def _possessive_free(word: str) -> str:
    w = word.translate(_PUNCT)
    if w.endswith("'s"):
        return w[:-2]
    return w
