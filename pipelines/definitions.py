"""The one Dagster code location: every stage's definitions, merged, plus global policy.

``dagster dev -m pipelines.definitions`` (``make ui``) loads it; ``hfc demo`` runs it. Stages are
imported as modules: Dagster refuses a code location with more than one Definitions at module scope.
"""

import dagster as dg

from pipelines.defs import alerts, automation
from pipelines.defs.ingest import assets as ingest
from pipelines.defs.linkage import assets as linkage
from pipelines.defs.monitoring import assets as monitoring
from pipelines.defs.pseudonymise import assets as pseudonymise
from pipelines.defs.pseudonymise import truth_labels
from pipelines.defs.release import assets as release
from pipelines.defs.resources import DeidentifierResource, PseudonymisationKeyResource, ZonesResource
from pipelines.defs.transform import assets as transform

defs = dg.Definitions.merge(
    ingest.defs,
    linkage.defs,
    pseudonymise.defs,
    truth_labels.defs,
    transform.defs,
    release.defs,
    monitoring.defs,
    automation.defs,
    alerts.defs,
    dg.Definitions(
        resources={
            "zones": ZonesResource(),
            "pseudonymisation_key": PseudonymisationKeyResource(),
            "deidentifier": DeidentifierResource(),
        }
    ),
)
