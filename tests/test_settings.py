"""Every HARVESTER_* setting the code reads is declared once in harvester/settings.py, and read without a
literal fallback (so the default in settings.py is the one in force)."""

from __future__ import annotations

import re

from harvester import settings
from tests.support.paths import REPO

READ = re.compile(
    r"""settings\.(?:get|getint|getfloat|getbool|getdict|getlist)\(\s*["'](HARVESTER_[A-Z_]+)["']\s*(,)?"""
)


def _reads() -> list[tuple[str, str, bool]]:
    out = []
    for path in (REPO / "harvester").rglob("*.py"):
        for match in READ.finditer(path.read_text(encoding="utf-8")):
            out.append((str(path.relative_to(REPO)), match.group(1), bool(match.group(2))))
    return out


def test_every_setting_read_is_declared():
    undeclared = sorted({(where, name) for where, name, _ in _reads() if not hasattr(settings, name)})
    assert undeclared == []


def test_no_setting_is_read_with_a_literal_fallback():
    assert sorted((where, name) for where, name, fallback in _reads() if fallback) == []


def test_the_reads_are_found():
    names = {name for _, name, _ in _reads()}
    assert {"HARVESTER_RETRY_BACKOFF", "HARVESTER_SCHEDULE_AHEAD", "HARVESTER_OUTPUT_DIR"} <= names


def test_scrapy_base_extensions_are_kept_except_the_two_switched_off():
    """The two left out are off in these settings anyway; every other base extension Scrapy lists stays."""
    from scrapy.settings import default_settings

    left_out = set(default_settings.EXTENSIONS_BASE) - set(settings.EXTENSIONS_BASE)
    assert left_out == {"scrapy.extensions.remote_control.RemoteControl", "scrapy.extensions.telnet.TelnetConsole"}
    assert settings.REMOTE_CONTROL_ENABLED is False
    assert settings.TELNETCONSOLE_ENABLED is False
    assert {k: v for k, v in default_settings.EXTENSIONS_BASE.items() if k not in left_out} == settings.EXTENSIONS_BASE


def test_a_crawl_loads_neither_extension_nor_what_they_import():
    """Scrapy imports every extension its settings list, switched off or not (then its ``from_crawler`` says
    NotConfigured): in a fresh process, importing the harvester's list brings in neither aiohttp nor conch."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from scrapy.settings import Settings\n"
        "from scrapy.utils.conf import build_component_list\n"
        "from scrapy.utils.misc import load_object\n"
        "s = Settings(); s.setmodule('harvester.settings', priority='project')\n"
        "names = build_component_list(s.getwithbase('EXTENSIONS'))\n"
        "assert 'harvester.crawl.run_keeper.RunKeeper' in names and 'scrapy.extensions.logstats.LogStats' in names\n"
        "[load_object(name) for name in names]\n"
        "gone = ('aiohttp', 'twisted.conch', 'scrapy.extensions.remote_control')\n"
        "print(sorted(m for m in gone if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.strip() == "[]"
