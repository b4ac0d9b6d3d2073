"""Frictionless validation of resources against the request's Table Schema:
the schema checks and engine (tabular), the job and its service, the report."""
