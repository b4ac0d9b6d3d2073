"""Frictionless validation of resources against the request's Table Schema:
the Table Schema checks (table_schema), the engine (engine), the SSRF-safe
fetcher (fetch), the job (job), what actions and hooks call (service), the
validation record (record), the report for pages (report)."""
