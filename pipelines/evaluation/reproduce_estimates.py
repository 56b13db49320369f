"""Re-create an evaluation pack's published estimates from the pack's own files alone.

Copied into every pack as ``reproduce.py``. Run it with ``python reproduce.py`` from anywhere: it puts the pack's
``code/`` first on the import path (and refuses to run if ``pipelines`` would come from anywhere else), reads only
the pack's ``analysis/`` files and ``manifest.json``, runs the estimates with the matches as published, and compares
every row with ``tables/estimates.parquet``. It writes ``reproduction.json`` beside itself and exits 0 when every
published estimate was re-created, except subgroup rows on a dimension the pack had to generalise for k-anonymity
(listed, with the reason), and 1 otherwise.

Before use, check the files against ``manifest.json`` (``python reproduce.py --verify`` does it first).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from pathlib import Path

KEYS = ("linkage", "intervention", "outcome", "window_months", "method", "subgroup")
VALUES = ("estimate", "ci_low", "ci_high", "n_treated", "n_comparison", "treated_change", "comparison_change", "mde")
TOLERANCE = 1e-9


def verify(pack: Path) -> list[str]:
    """Files whose SHA-256 differs from the manifest's (or that are missing)."""
    manifest = json.loads((pack / "manifest.json").read_text())
    problems = []
    for name, meta in manifest["files"].items():
        path = pack / name
        if not path.is_file():
            problems.append(f"{name}: missing")
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != meta["sha256"]:
            problems.append(f"{name}: SHA-256 differs from the manifest")
    return problems


def _same(a: object, b: object) -> bool:
    missing_a = a is None or (isinstance(a, float) and math.isnan(a))
    missing_b = b is None or (isinstance(b, float) and math.isnan(b))
    if missing_a or missing_b:
        return missing_a and missing_b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(float(a) - float(b)) <= TOLERANCE * max(1.0, abs(float(a)), abs(float(b)))
    return a == b


def _plain(value: object) -> object:
    """A pandas/numpy scalar as a plain Python value (pd.NA and NaN as None)."""
    if value is None:
        return None
    try:
        import pandas as pd

        if pd.isna(value):  # type: ignore[call-overload]
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):
        return value.item()  # type: ignore[union-attr]
    return value


def reproduce(pack: Path) -> dict[str, object]:
    """Re-run the estimates on the pack's files and compare them with the published table."""
    code = pack / "code"
    sys.path.insert(0, str(code))
    for name in [m for m in sys.modules if m == "pipelines" or m.startswith("pipelines.")]:
        del sys.modules[name]
    import pipelines

    origin = Path(pipelines.__file__).resolve()
    if code.resolve() not in origin.parents:
        raise RuntimeError(f"pipelines would be imported from {origin}, not from the pack's code/")
    import pandas as pd

    from pipelines.evaluation.estimates import estimates_table

    manifest = json.loads((pack / "manifest.json").read_text())
    analysis = {t: pd.read_parquet(pack / "analysis" / f"{t}.parquet") for t in ("person_months", "episodes", "scores")}
    matches = pd.read_parquet(pack / "analysis" / "comparison_matches.parquet")
    published = pd.read_parquet(pack / "tables" / "estimates.parquet")
    published = published[published["method"].isin(["naive_before_after", "did_matched"])]
    again = estimates_table(
        analysis["person_months"],
        analysis["episodes"],
        analysis["scores"],
        matches,
        threshold=int(manifest["disclosure_threshold"]),
    )
    generalised = set(manifest.get("risk", {}).get("generalised", {}))
    locally_suppressed = "local suppression" in generalised
    index = {tuple(_plain(r[k]) for k in KEYS): r for r in again.to_dict("records")}
    reproduced, excused, failed = 0, [], []
    for row in published.to_dict("records"):
        key = tuple(_plain(row[k]) for k in KEYS)
        mine = index.get(key)
        ok = mine is not None and all(_same(_plain(row[v]), _plain(mine[v])) for v in VALUES)
        if ok:
            reproduced += 1
            continue
        subgroup = str(row["subgroup"])
        dimension = subgroup.split(":", 1)[0]
        label = "/".join(str(k) for k in key)
        if subgroup != "all" and (dimension in generalised or locally_suppressed):
            excused.append(f"{label}: its dimension was generalised in the pack for k-anonymity")
        else:
            failed.append(f"{label}: {'not re-created' if mine is None else 'differs'}")
    result = {
        "published_rows": len(published),
        "reproduced_exactly": reproduced,
        "not_reproducible_generalised": excused,
        "failed": failed,
        "passed": not failed,
    }
    (pack / "reproduction.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Re-create this evaluation pack's estimates from its own files.")
    parser.add_argument("--pack", type=Path, default=Path(__file__).resolve().parent, help="the pack folder")
    parser.add_argument("--verify", action="store_true", help="check every file against manifest.json first")
    args = parser.parse_args(argv)
    if args.verify:
        problems = verify(args.pack)
        if problems:
            sys.stderr.write("the pack does not match its manifest:\n" + "".join(f"  {p}\n" for p in problems))
            return 1
    result = reproduce(args.pack)
    sys.stdout.write(
        f"{result['reproduced_exactly']} of {result['published_rows']} published estimates re-created exactly; "
        f"{len(result['not_reproducible_generalised'])} on generalised dimensions; "  # type: ignore[arg-type]
        f"{len(result['failed'])} failed\n"  # type: ignore[arg-type]
    )
    for line in result["failed"]:  # type: ignore[attr-defined]
        sys.stdout.write(f"  FAILED {line}\n")
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
