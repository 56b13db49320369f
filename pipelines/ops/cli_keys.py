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
        "--no-rebuild", action="store_true", help="re-key the files only; run the command again later to rebuild"
    )
    parser.set_defaults(func=main)


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")


def main(args: argparse.Namespace) -> int:
    import os

    from pipelines.ops.rotate import RotationError, journal_path, rotate_key
    from pipelines.privacy.keys import (
        ENV_KEY_FILE,
        ENV_MODE,
        KeyConfigurationError,
        ZoneKey,
        load_key,
        production_preflight,
        read_zone_key,
    )
    from pipelines.settings import zones

    try:
        production_preflight()
        new = load_key({ENV_KEY_FILE: str(args.new_key_file), ENV_MODE: os.environ.get(ENV_MODE, "demo")})
        zone = zones()
        record = read_zone_key(zone.pseudonymised)
        if record == ZoneKey(new.key_id) and not journal_path(zone).exists():
            # already re-keyed (say with --no-rebuild): only the rebuild is left, whichever key is configured now
            _out(f"hfc rotate-key: the pseudonymised zone is already keyed with key id {new.key_id}.")
            return 0 if args.dry_run or args.no_rebuild else _rebuild(new.key_id, args.new_key_file)
        old = load_key()
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
        _out(
            "  The warehouse still holds the old tokens: rebuild it by running this command again (it only rebuilds "
            "now), or by materialising the dbt assets in `make ui`."
        )
        _switch(args.new_key_file)
        return 0
    return _rebuild(result.new_key_id, args.new_key_file)


def _switch(new_key_file: Path) -> None:
    _out(
        f"  Now point HFC_PSEUDONYMISATION_KEY_FILE at the new key ({new_key_file}); runs with the old key are "
        "refused from now on. Retire the old key (docs/operations.md, 'Keys')."
    )


def _rebuild(key_id: str, new_key_file: Path) -> int:
    from pipelines.ops.rotate import verify_warehouse
    from pipelines.settings import warehouse_path

    _out("  Rebuilding the warehouse (dbt build, release)...")
    if not rebuild_warehouse():
        sys.stderr.write("hfc rotate-key: the warehouse rebuild failed; see the run in `make ui`, then run again\n")
        return 1
    stale = verify_warehouse(warehouse_path(), key_id)
    if stale:
        sys.stderr.write(f"hfc rotate-key: the warehouse still holds other key ids in {', '.join(stale)}\n")
        return 1
    _out(f"  Warehouse rebuilt: every key id in it is {key_id}.")
    _switch(new_key_file)
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
