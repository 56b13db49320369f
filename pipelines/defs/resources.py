"""Resources shared by the asset definitions. Secrets are read from the environment at run time
inside the resource, so neither the key nor its source ever appears in run config or the UI."""

import functools

import dagster as dg

from pipelines.privacy.keys import PseudonymisationKey, load_key, production_preflight
from pipelines.settings import Zones, zones


class ZonesResource(dg.ConfigurableResource):
    """Where data rests. ``data_dir`` empty means ``HFC_DATA_DIR`` (default ./data)."""

    data_dir: str = ""

    def get(self) -> Zones:
        from pathlib import Path

        production_preflight(
            data_dir=self.data_dir or None
        )  # production mode: a missing or unsafe key, an unprotected data dir stop every asset
        return Zones(Path(self.data_dir).resolve()) if self.data_dir else zones()


class PseudonymisationKeyResource(dg.ConfigurableResource):
    """The keyed-HMAC key, from ``HFC_PSEUDONYMISATION_KEY`` or ``HFC_PSEUDONYMISATION_KEY_FILE``."""

    def get(self) -> PseudonymisationKey:
        return load_key()


class DeidentifierResource(dg.ConfigurableResource):
    """Presidio-based free-text de-identification (UK recognizers, small spaCy model), one per process.

    ``processes`` workers are forked for large batches; the model loads on first use, so runs that
    touch no free text never pay for it.
    """

    processes: int = 2

    def get(self):
        return _deidentifier(self.processes)


@functools.cache
def _deidentifier(processes: int):
    from pipelines.privacy.deid import Deidentifier

    return Deidentifier(n_process=processes)
