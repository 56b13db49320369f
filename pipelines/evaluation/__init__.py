"""Evaluation of the interventions: comparison cohorts, estimates, area-level demand."""
