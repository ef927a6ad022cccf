"""Declarative site profiles: a listing site in a small TOML file instead of a new spider.

``load_profile("wilson")`` (a packaged profile, ``harvester/data/profiles/wilson.toml``) or
``load_profile("path/to/site.toml")`` reads a profile with :mod:`tomllib`, validates it against
``harvester/schema/profile.schema.json`` and then semantically (selectors and regexes compile, URL templates
use declared parameters only, defaults are valid), and returns a frozen :class:`Profile` whose selectors are
compiled once (lxml ``XPath`` objects; CSS is translated to XPath by parsel's translator, so ``::text`` and
``::attr(name)`` work). Every problem is reported as ``<file>: <key path>: <what is wrong>``.

The format is described in ``docs/profiles.md``; :func:`harvester.parsing.profile.parse_with_profile` reads a
page with a profile and :class:`harvester.crawl.spiders.profile.ProfileSpider` crawls with one.
"""

from harvester.errors import ProfileError
from harvester.profiles.load import (
    find_profile,
    load_profile,
    load_profile_key,
    packaged_profiles,
    profile_from_data,
    profile_key,
    schema_problems,
)
from harvester.profiles.model import Extractor, Field, Param, Profile

__all__ = [
    "Extractor",
    "Field",
    "Param",
    "Profile",
    "ProfileError",
    "find_profile",
    "load_profile",
    "load_profile_key",
    "packaged_profiles",
    "profile_from_data",
    "profile_key",
    "schema_problems",
]
