"""Plain-Python ingest: read an agency delivery by its feed spec, type it, and split it into
accepted rows and quarantined rows, each with a reason. No Dagster here; the ingest defs call it."""
