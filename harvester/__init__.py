"""harvester: archive search-result listings in, validated JSONL datasets out."""

# The one place the version is written: pyproject.toml reads it from here (tool.setuptools.dynamic), so every
# process (the crawl's worker among them) has it without importing importlib.metadata (40 ms) to look it up.
__version__ = "0.1.0"
