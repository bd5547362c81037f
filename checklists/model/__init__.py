"""The typed data every stage shares (snapshots, the crawl, control results, findings, the assessment).

Plain dataclasses with their (de)serialisation; nothing here imports another part of nok-audit."""
