"""Every error the harvester reports to a person: one base class that carries its exit code.

The CLI catches :class:`HarvesterError` once, prints its message on one line and exits with its
``exit_code``; a spider, a pipeline or a parser raises the subclass that says what went wrong. Exit codes:
0 success, 1 a run that failed (decided by :mod:`harvester.crawl.outcome`, or a :class:`StorageError`: the run's
files cannot be written), 2 bad usage or bad input (everything that raises one happens before any record is
written, or for input that cannot be read at all), 75 (``EX_TEMPFAIL`` of sysexits.h) for a crawl whose host
another crawl holds (its lease, ``docs/state.md``: nothing was written, try again later), 130 interrupted
(Ctrl-C, SIGTERM: see :mod:`harvester.crawl.interrupts`).
"""

from __future__ import annotations

OK, FAILED, USAGE, INTERRUPTED = 0, 1, 2, 130
RETRY_LATER = 75  # the host is leased by another crawl: resumable, nothing written; a scheduler retries


class HarvesterError(Exception):
    """Something a person must fix: a bad argument, file, profile, registry or state store."""

    exit_code: int = USAGE


class UsageError(HarvesterError):
    """Bad command-line arguments or input files."""


class PageError(HarvesterError):
    """A page that cannot be read as a listing. The message says what it is instead."""


class ChallengePageError(PageError):
    """A bot-protection challenge or block page (e.g. Cloudflare's "Just a moment...")."""


class NotAListingError(PageError):
    """A page that is not a search-result listing (a document page, an error page, anything else)."""


class CaptureError(HarvesterError):
    """A file that is not a readable harvester capture (WARC), or captures that do not belong together."""


class NotADocumentError(PageError):
    """A page fetched as a result's document page that is not one (a listing, a challenge, a block page)."""


class ProfileError(HarvesterError, ValueError):
    """A site profile that cannot be used: the message names the file and the key."""


class DraftError(HarvesterError, ValueError):
    """A page from which no profile can be drafted."""


class SpiderArgumentError(HarvesterError, ValueError):
    """A spider argument that cannot be used."""


class RunSetupError(HarvesterError):
    """A run that cannot start: bad name, damaged state or job dir, a job that is already running."""


class StateError(HarvesterError):
    """A state store that is damaged, foreign or of another version."""


class StorageError(HarvesterError):
    """A file or store the run cannot write (the disk is full, a file size limit, permission denied): the run
    fails (exit 1) and what was written before is left as it was. The message says which (see
    :mod:`harvester.storage.failures`)."""

    exit_code: int = FAILED


class RegistryError(HarvesterError, ValueError):
    """A person or organisation registry file that cannot be loaded."""


class SiteError(HarvesterError, ValueError):
    """A fixture site folder that cannot be served."""


class FaultPlanError(HarvesterError, ValueError):
    """A fault plan for the test servers that cannot be used."""


class JobListError(HarvesterError, ValueError):
    """A job list (``harvester jobs`` / ``schedule`` FILE.toml) that cannot be used: the message names the job."""


class NodeError(HarvesterError):
    """A scrapyd node that cannot be reached or refuses a call: the scheduler says which and exits 1."""

    exit_code: int = FAILED
