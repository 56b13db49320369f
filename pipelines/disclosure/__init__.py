"""Disclosure control of everything that leaves the warehouse (docs/disclosure.md).

- ``check``: the rule's three properties over a schema of ``dash_*`` tables (no count from 1 to the threshold, every
  count a multiple of the rounding base, every statistic backed by a surviving count).
- ``relations``: the additive relations between published cells, read from each dash model's
  ``config.meta.disclosure`` declaration.
- ``audit``: the differencing audit: by linear programming, the range each suppressed cell can take given every
  published cell and every relation.
- ``secondary``: complementary suppression until the audit passes.
- ``release``: ``hfc release`` and ``hfc check-release``.
- ``acro_compare``: a second, independent checker (the SACRO project's ACRO) on a sample of tables.
- ``extracts``: person-level extracts for evaluators, measured and generalised for k-anonymity.
"""
