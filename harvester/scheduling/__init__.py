"""Many jobs on many scrapyd nodes: the job list (``harvester jobs FILE.toml``) and the scheduler client
(``harvester schedule FILE.toml --scrapyd URL,...``), docs/scaling.md.

``jobs.py`` loads and checks a job list (sources x searches, each with a schedule) and gives every job the job key
its crawl will compute; ``due.py`` says when a job is due; ``scrapyd.py`` speaks scrapyd's HTTP API; ``decide.py``
is the submit decision, a pure function over the jobs, what the shared state says of them and the nodes' loads;
``standing.py`` reads that state; ``commands.py`` is the CLI side of both commands.
"""
