"""The one Dagster code location: every stage's definitions, merged, plus global policy.

``dagster dev -m pipelines.definitions`` (``make ui``) loads it; ``hfc demo`` runs it.
"""

import dagster as dg

from pipelines.defs.automation import defs as automation_defs
from pipelines.defs.ingest.assets import defs as ingest_defs
from pipelines.defs.linkage.assets import defs as linkage_defs
from pipelines.defs.pseudonymise.assets import defs as pseudonymise_defs
from pipelines.defs.resources import DeidentifierResource, PseudonymisationKeyResource, ZonesResource
from pipelines.defs.transform.assets import defs as transform_defs

defs = dg.Definitions.merge(
    ingest_defs,
    linkage_defs,
    pseudonymise_defs,
    transform_defs,
    automation_defs,
    dg.Definitions(
        resources={
            "zones": ZonesResource(),
            "pseudonymisation_key": PseudonymisationKeyResource(),
            "deidentifier": DeidentifierResource(),
        }
    ),
)
