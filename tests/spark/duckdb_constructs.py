"""Count the DuckDB-only constructs left in the compiled dbt project (issue 22, the Spark port).

Give it a compiled folder (`dbt compile --target-path ...`). Each construct is a regular expression over the
compiled SQL of the models (macros expanded) and the tests (unit tests compile only in a build). On the DuckDB
target's compiled SQL it gives the inventory in docs/scale.md (the cross_db macros keep DuckDB's SQL as it was);
on the Spark target's (`dbt compile --target spark`) it lists what is left to port, which should reach zero.

    python tests/spark/duckdb_constructs.py dbt_project/target/compiled/hfc_outcomes
"""

import re
import sys
from collections import defaultdict
from pathlib import Path

# name -> pattern over compiled SQL (lower-cased, comments kept: a construct named only in a comment is rare and
# the compiled SQL of this project keeps few)
CONSTRUCTS: dict[str, str] = {
    "varchar type": r"\bas varchar\b|::varchar",
    ":: cast": r"::\s*[a-z]",
    "qualify": r"\bqualify\b",
    "unnest": r"\bunnest\s*\(",
    "generate_series": r"\bgenerate_series\s*\(",
    "list literal [..]": r"(?:\bunnest\s*\(\s*|\bin\s+|,\s*|\(\s*)\[\s*['\d]",
    "list functions (len, list_*, flatten(list()))": r"\blen\s*\(|\blist_[a-z_]+\s*\(|\blist\s*\(",
    "lambda": r"\blambda\b",
    "list slice [i:]": r"\)\s*\[\s*\d+\s*:",
    "string_split / regexp_split_to_array / string_split_regex": (
        r"\bstring_split(?:_regex)?\s*\(|\bregexp_split_to_array\s*\("
    ),
    "regexp_matches / regexp_full_match": r"\bregexp_(?:full_)?match(?:es)?\s*\(",
    "regexp_replace with 'g' flag": r"\bregexp_replace\s*\(",
    "regexp_extract_all": r"\bregexp_extract_all\s*\(",
    "regexp_escape": r"\bregexp_escape\s*\(",
    "string_agg(... order by ...)": r"\bstring_agg\s*\(",
    "integer division //": r"\)\s*//\s*\d",
    "datediff('unit', ...)": r"\bdatediff\s*\(\s*'",
    "to_months / to_days": r"\bto_(?:months|days)\s*\(",
    "strftime": r"\bstrftime\s*\(",
    "last_value(x ignore nulls)": r"\bignore nulls\s*\)",
    "struct literal {'k': v}": r"\{\s*'[a-z_]+'\s*:",
    "mode() (ties differ)": r"\bmode\s*\(",
    "read_parquet / glob": r"\bread_parquet\s*\(|\bglob\s*\(",
    "decimal literal in arithmetic (decimal, not double, on Spark)": r"\d\.\d+\s*[*/]|[*/]\s*\d+\.\d+",
}


def kind(path: Path) -> str:
    """A model, or a test (generic tests compile under their yml file's name, singular ones under tests/)."""
    text = str(path)
    return "model" if "/models/" in text and ".yml/" not in text else "test"


def main(compiled: Path) -> None:
    touched: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    nodes: dict[str, int] = defaultdict(int)
    for sql_file in sorted(compiled.rglob("*.sql")):
        node_kind = kind(sql_file)
        nodes[node_kind] += 1
        text = sql_file.read_text().lower()
        for name, pattern in CONSTRUCTS.items():
            if re.search(pattern, text):
                touched[name][node_kind].add(str(sql_file.relative_to(compiled)))
    print(f"compiled nodes: {dict(nodes)}")
    for name in CONSTRUCTS:
        counts = {k: len(v) for k, v in touched[name].items()}
        models = sorted(Path(p).stem for p in touched[name].get("model", ()))
        print(f"{name}\t{counts.get('model', 0)} models\t{counts.get('test', 0)} tests\t{' '.join(models)}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
