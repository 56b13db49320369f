"""``hfc rotate-key --new-key-file PATH [--dry-run] [--no-rebuild]``: re-key every token (docs/operations.md, "Keys").

The old key is the usual one (``HFC_PSEUDONYMISATION_KEY`` or ``HFC_PSEUDONYMISATION_KEY_FILE``); the new key is read
from its file with the same production-mode refusals. Output names key ids, file counts and timings, never a key.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "rotate-key",
        help="re-key every token from the configured key to a new one, then rebuild the warehouse",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    parser.add_argument("--new-key-file", required=True, type=Path, help="file holding the new key (chmod 600)")
    parser.add_argument("--dry-run", action="store_true", help="check everything and count, change nothing")
    parser.add_argument(
        "--no-rebuild", action="store_true", help="re-key the files only; rebuild later with `hfc backfill`"
    )
    parser.set_defaults(func=main)


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")


def main(args: argparse.Namespace) -> int:
    import os

    from pipelines.ops.rotate import RotationError, rotate_key, verify_warehouse
    from pipelines.privacy.keys import ENV_KEY_FILE, ENV_MODE, KeyConfigurationError, load_key, production_preflight
    from pipelines.settings import warehouse_path, zones

    try:
        production_preflight()
        old = load_key()
        new = load_key({ENV_KEY_FILE: str(args.new_key_file), ENV_MODE: os.environ.get(ENV_MODE, "demo")})
        zone = zones()
        result = rotate_key(zone, old, new, dry_run=args.dry_run)
    except (KeyConfigurationError, RotationError) as exc:
        sys.stderr.write(f"hfc rotate-key: {exc}\n")
        return 2
    if args.dry_run:
        _out(
            f"hfc rotate-key (dry run): {result.files} files would be re-keyed from key id {result.old_key_id} to "
            f"{result.new_key_id} ({result.files_resumed} already done by an interrupted rotation); every token has "
            f"its value in the identity zone. Nothing was changed."
        )
        return 0
    _out(
        f"hfc rotate-key: {result.files} files re-keyed from key id {result.old_key_id} to {result.new_key_id} "
        f"({result.files_resumed} done by an earlier, interrupted run) in "
        f"{result.seconds_maps + result.seconds_rewrite:.1f}s; audit entry key.rotate written."
    )
    if args.no_rebuild:
        _out("  The warehouse still holds the old tokens: rebuild it with `hfc backfill` (new key configured).")
    else:
        _out("  Rebuilding the warehouse (dbt build, release)...")
        if not rebuild_warehouse():
            sys.stderr.write("hfc rotate-key: the warehouse rebuild failed; run `hfc backfill` with the new key\n")
            return 1
        stale = verify_warehouse(warehouse_path(), result.new_key_id)
        if stale:
            sys.stderr.write(f"hfc rotate-key: the warehouse still holds other key ids in {', '.join(stale)}\n")
            return 1
        _out(f"  Warehouse rebuilt: every key id in it is {result.new_key_id}.")
    _out(
        f"  Now point HFC_PSEUDONYMISATION_KEY_FILE at the new key ({args.new_key_file}); runs with the old key are "
        "refused from now on. Retire the old key (docs/operations.md, 'Keys')."
    )
    return 0


def rebuild_warehouse() -> bool:
    """Materialise the dbt project and the release through the usual Dagster instance (as ``hfc demo`` does)."""
    import dagster as dg

    from pipelines.definitions import defs
    from pipelines.defs.transform.assets import warehouse_dbt_assets
    from pipelines.demo import QUIET, prepare_dagster_home
    from pipelines.settings import zones

    prepare_dagster_home(zones())
    instance = dg.DagsterInstance.get()
    assets, resources = list(defs.assets or []), dict(defs.resources or {})
    for selection in ([k.to_user_string() for k in warehouse_dbt_assets.keys], ["release/dashboards"]):
        result = dg.materialize(
            assets, instance=instance, resources=resources, selection=selection, run_config=QUIET, raise_on_error=False
        )
        if not result.success:
            return False
    return True
