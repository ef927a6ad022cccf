"""Item pipelines, in the order a record passes them (see ``ITEM_PIPELINES`` in ``harvester.settings``):

1. :class:`~harvester.pipelines.normalize.NormalizePipeline` — raw block → record (dates, title, names).
2. :class:`~harvester.pipelines.dedupe.DedupePipeline` — a document seen twice in one crawl is emitted once.
3. :class:`~harvester.pipelines.validate.ValidatePipeline` — the contract; invalid records are quarantined.
4. :class:`~harvester.pipelines.output.JsonlWriterPipeline` — the run: journal, run file, state, dataset.
"""
