"""Scrapy settings: polite defaults for the real site. Every one can be overridden with ``-s NAME=VALUE``."""

from harvester import __version__

BOT_NAME = "harvester"
SPIDER_MODULES = ["harvester.spiders"]
NEWSPIDER_MODULE = "harvester.spiders"

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
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
HTTPCACHE_ENABLED = False

ITEM_PIPELINES = {
    "harvester.pipelines.normalize.NormalizePipeline": 100,
    "harvester.pipelines.dedupe.DedupePipeline": 200,
    "harvester.pipelines.output.JsonlWriterPipeline": 900,
}
EXTENSIONS = {
    "harvester.extensions.RunReport": 500,
    "harvester.extensions.Progress": 510,
}

# Where datasets land. HARVESTER_OUTPUT_PATH (one file) wins over the default output/<source>/<UTC time>.jsonl.
HARVESTER_OUTPUT_DIR = "output"
HARVESTER_OUTPUT_PATH = ""
HARVESTER_PROGRESS_INTERVAL = 30.0  # seconds between progress log lines when stderr is not a terminal
# A run fails (exit 1) when more than this share of its listing pages failed; any failed page is reported.
HARVESTER_MAX_FAILED_PAGE_RATIO = 0.0

WILSON_BASE_URL = "https://digitalarchive.wilsoncenter.org"

FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
