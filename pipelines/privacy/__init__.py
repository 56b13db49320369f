"""Privacy: keyed pseudonymisation, identifier normalisation, generalisation, free-text de-identification, leak scans.

Plain Python with no Dagster decorators. Identifiable values pass through these functions but never reach a log line,
an exception message or a return value meant for metadata.
"""
