"""Operations: what keeps the pipeline running every day for years (docs/operations.md).

The audit trail (:mod:`pipelines.ops.audit`), and beside it crash recovery, retention, key rotation, alerts and
progress. Nothing here reads identifiable values except where a module says so.
"""
