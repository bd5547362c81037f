"""The ways to audit many sites of a stored run: `local` (a process per site), `in_process` (many sites in one
reactor), `scrapyd` (jobs on Scrapyd nodes, configured by `node`), each site as a `site_job` or a `site_process`;
`store_run` holds what they share (opening the store, queueing a registry, filing, the summary)."""
