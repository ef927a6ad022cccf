"""The words and patterns auto mode reads pages with (tags, furniture words, document labels, headers)."""

from __future__ import annotations

import re

_SKIP_TAGS = frozenset(
    {"script", "style", "noscript", "template", "svg", "head", "iframe", "select", "option", "object",
     "canvas", "textarea", "input", "math"}
)  # fmt: skip
_BLOCK_TAGS = frozenset(
    {"address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details", "dialog",
     "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
     "h6", "header", "hgroup", "hr", "html", "li", "main", "menu", "nav", "ol", "p", "pre", "section",
     "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"}
)  # fmt: skip
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_BOILER_TAGS = frozenset({"nav", "footer", "aside"})
_BOILER_WORDS = frozenset(
    {"nav", "navbar", "navigation", "menu", "menus", "submenu", "megamenu", "dropdown", "footer", "sidebar",
     "breadcrumb", "breadcrumbs", "pagination", "pager", "masthead", "topbar", "toolbar", "skip", "social",
     "share", "sharing", "cookie", "cookies", "banner", "offcanvas"}
)  # fmt: skip
_NEGATIONS = frozenset({"not", "no", "non", "without", "has", "with", "hide", "hidden", "show"})
_TITLE_WORDS = frozenset({"title", "name", "heading", "headline", "subject"})
_STATE_CLASS = re.compile(r"^(?:odd|even|first|last|active|current|selected|alt|alternate|clearfix|is-.*|has-.*)$")
_CLASS_SPLIT = re.compile(r"[-_\s]+|(?<=[a-z])(?=[A-Z])")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_GENERIC = frozenset(
    {"agenda", "agendas", "minutes", "minute", "mins", "notice", "notices", "public", "video", "videos",
     "audio", "pdf", "doc", "docx", "download", "downloads", "view", "more", "read", "learn", "details",
     "detail", "click", "here", "presentation", "presentations", "summary", "transcript", "transcripts",
     "packet", "packets", "material", "materials", "attachment", "attachments", "document", "documents",
     "file", "files", "recording", "recordings", "livestream", "live", "stream", "watch", "listen",
     "podcast", "map", "directions", "get", "register", "rsvp", "calendar", "add", "ical", "ics", "google",
     "outlook", "share", "print", "revised", "amended", "draft", "approved", "final", "meeting", "board",
     "and", "the", "of", "a", "to", "for", "in", "on", "at", "with", "kb", "mb", "size", "link", "open",
     "new", "window", "opens", "tab", "see", "full", "report", "x", "icon", "image", "photo", "s"}
)  # fmt: skip
_DOC_WORDS = frozenset(
    {"agenda", "agendas", "minutes", "notice", "notices", "video", "audio", "pdf", "download", "presentation",
     "presentations", "transcript", "packet", "materials", "attachments", "documents", "recording", "podcast"}
)  # fmt: skip
#: Table headers naming the result's name column (a few languages); "description" only when no better one.
_NAME_HEADER = re.compile(
    r"\b(?:name|title|caption|meeting|event|subject|committee|hearing|body|case name|parties"
    r"|titel|título|titulo|titre|nombre|nom|asunto|objet|betreff|başlık|konu|název|tytuł)\b",
    re.I,
)
_WEAK_NAME_HEADER = re.compile(r"\b(?:description|descripción|beschreibung|açıklama)\b", re.I)
_NOT_NAME_HEADER = re.compile(
    r"\b(?:date|time|when|location|where|place|attach\w*|document\w*|agenda|minutes|video|file\w*|type|categor\w*)\b",
    re.I,
)
_META_LABEL = re.compile(
    r"(?:posted|updated|modified|published|created|printed|retrieved|accessed|copyright|©)\W{0,3}(?:\w+\W+){0,2}$",
    re.I,
)
_MONTH_ONLY = re.compile(
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?(?:\s+[\w.()'-]+){0,3}",
    re.I,
)
_YEAR_ONLY = re.compile(r"(?:(?:ca?|circa)\.?\s*)?\[?(1[5-9]\d\d|20\d\d)\]?\??", re.I)
_EDGE_JUNK = re.compile(r"^[\s\-–—|:;,.@/·•*]+|[\s\-–—|:;,@/·•*]+$")
_LEADING_CONNECTOR = re.compile(r"^(?:(?:at|on|@|from|-)\s+)+", re.I)
_CHALLENGE_TITLES = ("just a moment", "attention required", "access denied", "please verify you are a human")

_HEADING, _STRONG = 1, 2
#: Not titles: an e-mail address, a status line, a room or place inside a building.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_STATUS = re.compile(
    r"(?:status:?\s*)?(?:cancel+ed|postponed|rescheduled|canceled|closed|open|upcoming|completed|pending|"
    r"tentative|confirmed|in progress|past|new|updated|live|archived|suspendu|annulé|cancelado|abgesagt)\W*",
    re.I,
)
_ROOM = re.compile(
    r"(?:(?:conference|meeting|board|community|council|hearing|committee)\s+)?(?:room|rm\.?|suite|floor|hall|"
    r"chambers?|auditorium)\s*[\w-]{0,6}(?:\s*,?\s*[\w .-]{0,30})?",
    re.I,
)
#: What a search shows in place of its results when it found none (a few languages).
_NO_RESULTS = re.compile(
    r"\b(?:no\s+(?:results?|records?|documents?|items?|matches|entries|meetings|events|data)\b(?:\s+\w+){0,3}\s+"
    r"(?:found|returned|available|match\w*)|no\s+(?:matching\s+)?(?:results?|records?)\b|nothing\s+found"
    r"|keine\s+(?:ergebnisse|treffer|einträge)|aucun\s+(?:résultat|document)|sin\s+resultados|ningún\s+resultado)",
    re.I,
)
