"""Scrapy settings: polite defaults for the real site. Every one can be overridden with ``-s NAME=VALUE``.

Every ``HARVESTER_*`` setting is declared here, once, with its default; the code reads it with no fallback of
its own (``tests/test_settings.py`` checks both).
"""

from scrapy.settings import default_settings

from harvester import __version__

BOT_NAME = "harvester"
SPIDER_MODULES = ["harvester.crawl.spiders"]
NEWSPIDER_MODULE = "harvester.crawl.spiders"
# `scrapy crawl` (one line for a bad argument; a manifest for a scrapyd job), `parse` and `check` (no run files)
COMMANDS_MODULE = "harvester.crawl.commands"
# `scrapy check`: @replica serves the bundled replica on 127.0.0.1 for a contract (harvester/crawl/contracts.py)
SPIDER_CONTRACTS = {"harvester.crawl.contracts.ReplicaContract": 5}
# DOWNLOAD_DELAY=0 given by the operator also starts AutoThrottle at 0 (harvester/crawl/addons.py)
ADDONS = {"harvester.crawl.addons.OperatorDelay": 0}

# Who we are and how to reach the operator. Set HARVESTER_CONTACT_URL (a project page or mailto: address)
# for real crawls (`harvester crawl --contact URL`): it is appended to the user agent. The crawl warns when it
# is left unset against a non-local host.
HARVESTER_CONTACT_URL = ""
USER_AGENT = f"harvester/{__version__} (archive listing harvester; operator contact not configured)"

# Politeness: the Wilson site sat behind Cloudflare and every public scraper waited seconds between pages.
ROBOTSTXT_OBEY = True
DOWNLOAD_DELAY = 5.0
DOWNLOAD_DELAY_JITTER = 0.5  # ±50% around DOWNLOAD_DELAY
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 1
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 5.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 60
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# Retries wait: the server's Retry-After up to HARVESTER_MAX_RETRY_AFTER seconds (longer: the page fails, not
# retried), else backoff HARVESTER_RETRY_BACKOFF * 2^(n-1) s up to HARVESTER_RETRY_BACKOFF_MAX. The whole host
# waits, not just the one page. See harvester/middlewares.py and docs/reliability.md.
HARVESTER_MAX_RETRY_AFTER = 300.0
HARVESTER_RETRY_BACKOFF = 5.0
HARVESTER_RETRY_BACKOFF_MAX = 120.0
# Scrapy's downloader overruns CONCURRENT_REQUESTS_PER_DOMAIN under asyncio when the delay is 0; this one does
# not, and can hold a host for Retry-After.
DOWNLOADER = "harvester.crawl.downloader.SlotLimitedDownloader"
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "harvester.crawl.retry.RetryAfterMiddleware": 550,
    # no such host / connection refused before the host ever answered: not retried, the run stops at once
    "harvester.crawl.first_contact.FirstContactMiddleware": 560,
    # the host's lease (HARVESTER_HOST_LEASE_SECONDS) is held before its first request, robots.txt included
    "harvester.crawl.leases.HostLeaseMiddleware": 50,
    "harvester.crawl.charset.CharsetMiddleware": 575,  # after decompression (590), before the spider
}
# Memory: a listing page is ~20-200 kB (100 rows); anything this big is not one. A page over the maximum is
# cancelled and named as a failed page.
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Scrapy 2.19 starts a "remote control" HTTP server by default that runs Python code sent to it (token in a job
# file under the user's profile): no code execution endpoint in a harvester.
REMOTE_CONTROL_ENABLED = False
HTTPCACHE_ENABLED = False

# Throughput (docs/performance.md). Scrapy starts CONCURRENT_ITEMS item tasks for every response however few
# rows it has (default 100): a listing page has 10 (at most 100), so 16 do the same work for a sixth of the cost.
CONCURRENT_ITEMS = 16
# Scrapy re-reads and re-parses a callback's source on every response to warn about `return value` in a
# generator (its cache misses on bound methods): a measurable share of a page's cost. Our callbacks return None.
WARN_ON_GENERATOR_RETURN_VALUE = False
# Records are normalised in a worker pool once a crawl has done this many itself (harvester/crawl/workers.py);
# 0 workers: always in the crawl's process.
HARVESTER_NORMALIZE_WORKERS = 1
HARVESTER_NORMALIZE_WORKER_AFTER = 100
# The garbage collector's youngest-generation threshold while a crawl runs (harvester/crawl/memory.py: crawl_collector;
# Python's default is 700 allocations). The objects a crawl keeps for a while (queued requests, records on their
# way through the pipelines) were walked again every tenth young collection: 13 % of the crawl's CPU on the
# benchmark site, 1 % with this (docs/performance.md, eighth pass). 0: Python's own.
HARVESTER_GC_THRESHOLD = 50_000
# Pages known from a count header are requested this many at a time (the next as each comes back): memory stays
# flat however many pages a search has.
HARVESTER_SCHEDULE_AHEAD = 256

ITEM_PIPELINES = {
    "harvester.pipelines.normalize.NormalizePipeline": 100,
    "harvester.pipelines.dedupe.DedupePipeline": 200,
    "harvester.pipelines.validate.ValidatePipeline": 300,
    "harvester.pipelines.output.JsonlWriterPipeline": 900,
}
# Scrapy's base extensions without the two this project switches off (REMOTE_CONTROL_ENABLED,
# TELNETCONSOLE_ENABLED): Scrapy imports every listed extension, even one set to None in EXTENSIONS, and these
# two bring aiohttp's web server and Twisted's conch with them (0.15 s of CPU at every crawl's start).
_not_loaded = ("scrapy.extensions.remote_control.RemoteControl", "scrapy.extensions.telnet.TelnetConsole")
EXTENSIONS_BASE = {k: v for k, v in default_settings.EXTENSIONS_BASE.items() if k not in _not_loaded}
EXTENSIONS = {
    "harvester.crawl.redact.RedactSecrets": 0,  # before anything logs: no credentials in the log
    "harvester.crawl.run_keeper.RunKeeper": 400,  # the run's one owner: opens, journals, decides, finishes
    "harvester.crawl.workers.Workers": 450,  # the process pool for parsing and normalising
    "harvester.crawl.contact.ContactCheck": 500,
    "harvester.crawl.progress.Progress": 510,
    "harvester.crawl.memory.PeakMemory": 520,  # the crawl's own peak RSS (Scrapy's memusage inherits a parent's)
    "harvester.crawl.capture.WarcCapture": 530,  # every response into the run's WARC file (HARVESTER_CAPTURE)
}

# Where datasets land. HARVESTER_OUTPUT_PATH (a one-off harvest into one file) replaces the run layout below.
HARVESTER_OUTPUT_DIR = "output"
HARVESTER_OUTPUT_PATH = ""
# Runs (docs/scheduling.md): without HARVESTER_OUTPUT_PATH a run writes output/<source>/runs/<run id>.jsonl, a
# manifest, and updates output/<source>/state.sqlite and dataset.jsonl. Incremental by default (only new and
# changed records in the run file); HARVESTER_FULL puts every record there. HARVESTER_RESUME continues an
# interrupted run of the same job. HARVESTER_RUN_ID fixes the run id (a file-safe name).
HARVESTER_FULL = False
# False: the crawl writes no run files at all (`scrapy parse`, `scrapy check` set it through their commands).
HARVESTER_RUN_FILES = True
# Raw capture (docs/capture.md): every fetched response, with its request, into a WARC file per run session
# (output/<source>/pages/<run id>.warc.gz; <out>.warc.gz for a one-off run), so `harvester reparse` can rebuild
# the records with later parsers and registries without the site. None: on for tracked runs, off for one-off
# runs; True / False: always / never (`harvester crawl --capture / --no-capture`).
HARVESTER_CAPTURE = None
HARVESTER_RESUME = False
HARVESTER_RUN_ID = ""
HARVESTER_PROGRESS_INTERVAL = 30.0  # seconds between progress log lines when stderr is not a terminal
HARVESTER_PROGRESS_TTY = None  # None: redraw one line in place when stderr is a terminal; True/False force it
# Where the state lives (docs/state.md): "" or "sqlite:" for the SQLite files under HARVESTER_OUTPUT_DIR (one
# machine; never on NFS); "postgresql://user@host:port/database" for one PostgreSQL database shared by every node
# (records, run journals keyed by job key so a run resumes on any node, job locks, host leases). Needs the
# `postgres` extra (psycopg 3). Run files, manifests and dataset.jsonl are written to this node's output folder.
HARVESTER_STATE_URL = ""
# Politeness across crawls and nodes: a crawl holds a lease on each host before it requests it (a row in the
# state: holder, expiry), renews it every third of HARVESTER_HOST_LEASE_SECONDS while it runs and gives it back at
# the end; a crawl that dies loses it when it expires. 0 disables leases. A crawl that finds its host leased by
# another waits up to HARVESTER_HOST_LEASE_WAIT seconds, then stops with exit code 75 ("host busy: retry later"),
# resumable, nothing written; see harvester/crawl/leases.py.
HARVESTER_HOST_LEASE_SECONDS = 60.0
HARVESTER_HOST_LEASE_WAIT = 0.0
# A run fails (exit 1) when more than this share of its listing pages failed; any failed page is reported.
HARVESTER_MAX_FAILED_PAGE_RATIO = 0.0
# --details: a run fails (exit 1) when more than this share of the document pages it tried failed (a site that
# blocks them, a profile whose [details] no longer match); below it, each failed page is named (log, manifest's
# failed_details) and its record kept with details null, and the run succeeds: one missing document page must
# not hold back the state (its record is followed again by the next run, as its stored details are null).
HARVESTER_MAX_FAILED_DETAIL_RATIO = 0.05

# The person registry (docs/names.md): "" for the packaged one, or a TOML file of the same format.
HARVESTER_PERSON_REGISTRY = ""

WILSON_BASE_URL = "https://digitalarchive.wilsoncenter.org"

FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
