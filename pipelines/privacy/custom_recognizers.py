"""Recognizers a trust adds without code: Presidio's own recognizer YAML, read by Presidio's own loader.

A trust has identifiers of its own — a local patient-number format ("MH0012345"), ward names, the names of its staff
— that no general recognizer knows. ``HFC_RECOGNIZERS_FILE`` names a YAML file in the format Presidio's
``RecognizerRegistryProvider`` reads (``recognizers:`` with ``patterns`` (regex, score), ``context`` words and
``deny_list``; see ``config/recognizers.example.yaml``). ``hfc deid`` and the pipeline's de-identification load it
with that provider and run its recognizers **beside** our UK recognizers, never instead of them.

How a finding counts, the Presidio way: each recognizer's regexes and deny list are matched; only in a text where
one matched is Presidio's ``AnalyzerEngine`` run (with Presidio's slim NLP engine on the small spaCy model already
installed, for the lemmas its context enhancer compares), so context words raise a score exactly as Presidio does
(+0.35, to at least 0.4, from the five words before). A finding is masked when its score reaches the recognizer's
own ``score_thresholds`` if it sets them, else :data:`MIN_SCORE`: a pattern scored below 0.4 counts only beside one
of its context words.

Loading stays offline: only pattern recognizers are accepted (custom ones, or Presidio's predefined pattern
recognizers); anything that would load or download a model (``SpacyRecognizer``, ``GLiNERRecognizer``, transformers)
is refused before it is built, and the NLP engine never downloads. A file that is missing or malformed stops the
run with an error that names the file and the problem, never the file's contents (a deny list of staff names is
itself identifying).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.privacy.recognizers import Span

logger = logging.getLogger(__name__)

ENV_FILE = "HFC_RECOGNIZERS_FILE"
#: Presidio's ``min_score_with_context_similarity``: what a context word lifts a weak pattern to.
MIN_SCORE = 0.4
LANGUAGE = "en"


class RecognizerConfigError(ValueError):
    """The configured recognizer file cannot be used. The message names the file and the problem, not its values."""


def configured_file(env: Mapping[str, str] | None = None) -> Path | None:
    """The file named by ``HFC_RECOGNIZERS_FILE`` (relative paths from the working directory), or ``None``."""
    value = (os.environ if env is None else env).get(ENV_FILE, "").strip()
    return Path(value).expanduser() if value else None


@dataclass
class CustomRecognizers:
    """The recognizers of one YAML file, ready to run over texts (build once; safe to fork)."""

    path: Path
    recognizers: list[Any]  # presidio_analyzer.PatternRecognizer
    model: str
    _analyzer: Any = None

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.recognizers]

    @property
    def entities(self) -> list[str]:
        return sorted({e for r in self.recognizers for e in r.supported_entities})

    @property
    def needs_nlp(self) -> bool:
        """Only context words need lemmas; a file of plain patterns and deny lists never loads a model."""
        return any(r.context for r in self.recognizers)

    def analyzer(self) -> Any:
        """Presidio's AnalyzerEngine over these recognizers only, on the slim (lemmas, no NER) engine; lazy."""
        if self._analyzer is None:
            from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
            from presidio_analyzer.nlp_engine import SlimSpacyNlpEngine

            engine = SlimSpacyNlpEngine(models=[{"lang_code": LANGUAGE, "model_name": self.model}], auto_download=False)
            engine.load()
            registry = RecognizerRegistry(recognizers=list(self.recognizers), supported_languages=[LANGUAGE])
            self._analyzer = AnalyzerEngine(
                registry=registry,
                nlp_engine=engine,
                supported_languages=[LANGUAGE],
                default_score_threshold=MIN_SCORE,
            )
        return self._analyzer

    def needs_analyzer(self, text: str) -> bool:
        """Would :meth:`find` ask Presidio's analyzer about this text? (So that a batch can load it beforehand.)"""
        return self._scan(text)[1]

    def find(self, text: str) -> list[Span]:
        """Findings of every custom recognizer in ``text``, as spans typed by the recognizer's entity.

        Presidio's analyzer (and its NLP pass) runs only where context could decide: a match scored below its
        threshold, of a recognizer with context words, with one of those words written in the text before it. A
        context word can only raise a score, so a match already above its threshold is kept as it is, and one with
        none of its words before it stays below; either way the answer is Presidio's.
        """
        spans, needs_context = self._scan(text)
        if not needs_context:
            return spans
        results = self.analyzer().analyze(text=text, language=LANGUAGE, entities=self.entities)
        return [Span(r.start, r.end, r.entity_type, float(r.score), "yaml") for r in results]

    def _scan(self, text: str) -> tuple[list[Span], bool]:
        spans: list[Span] = []
        needs_context = False
        lower: str | None = None
        for recognizer in self.recognizers:
            results = recognizer.analyze(text, recognizer.supported_entities, None)
            for r in results:
                if r.score >= _threshold(recognizer, r.entity_type):
                    spans.append(Span(r.start, r.end, r.entity_type, float(r.score), "yaml"))
                elif recognizer.context and not needs_context:
                    lower = text.lower() if lower is None else lower
                    window = lower[max(0, r.start - _CONTEXT_REACH) : r.start]
                    needs_context = any(word.lower() in window for word in recognizer.context)
        return spans, needs_context


#: how far before a weak match its context words are looked for before Presidio's analyzer is asked (its own
#: window is the five words before the match: a hundred and fifty characters holds them)
_CONTEXT_REACH = 150


def _threshold(recognizer: Any, entity: str) -> float:
    own = getattr(recognizer, "score_thresholds", {}) or {}
    return float(own.get(entity, own.get("default", MIN_SCORE)))


def load(path: Path, model: str) -> CustomRecognizers:
    """Read ``path`` with Presidio's ``RecognizerRegistryProvider``; refuse what is not a pattern recognizer."""
    import yaml
    from presidio_analyzer import PatternRecognizer
    from presidio_analyzer.recognizer_registry import RecognizerRegistryProvider
    from presidio_analyzer.recognizer_registry.recognizers_loader_utils import (
        PredefinedRecognizerNotFoundError,
        RecognizerListLoader,
    )

    from pipelines.privacy.recognizers import make_presidio_offline

    path = Path(path)
    if not path.is_file():
        # Presidio's loader would fall back to its default recognizers without a word: a trust's own identifiers
        # would then go unmasked. Refuse instead.
        raise RecognizerConfigError(f"{ENV_FILE}: no such file: {path}")
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RecognizerConfigError(f"{path}: not readable as YAML ({type(exc).__name__})") from None
    if not isinstance(config, dict) or not isinstance(config.get("recognizers"), list) or not config["recognizers"]:
        raise RecognizerConfigError(f"{path}: needs a non-empty 'recognizers:' list (Presidio recognizer format)")
    for i, entry in enumerate(config["recognizers"]):
        if not isinstance(entry, dict) or not entry.get("name"):
            raise RecognizerConfigError(f"{path}: recognizer {i + 1} needs a name")
        if entry.get("type", "custom") == "custom":
            continue
        if entry.get("enabled", True) is False:
            continue
        class_name = entry.get("class_name") or entry["name"]
        try:
            cls = RecognizerListLoader.get_existing_recognizer_cls(class_name)
        except PredefinedRecognizerNotFoundError:
            raise RecognizerConfigError(f"{path}: recognizer {i + 1}: no predefined recognizer {class_name}") from None
        if not issubclass(cls, PatternRecognizer):
            raise RecognizerConfigError(
                f"{path}: recognizer {i + 1} ({class_name}) is not a pattern recognizer; only pattern recognizers "
                "(regexes, context words, deny lists) can be added, so that de-identification stays offline"
            )
    make_presidio_offline()
    # the two keys Presidio's loader needs beside the recognizers, with Presidio's own defaults (English;
    # DOTALL | MULTILINE | IGNORECASE, as its default_recognizers.yaml has it)
    config = {"supported_languages": [LANGUAGE], "global_regex_flags": 26, **config}
    try:
        registry = RecognizerRegistryProvider(registry_configuration=config).create_recognizer_registry()
    except Exception as exc:  # Presidio's validation errors quote the offending values: name the places only
        raise RecognizerConfigError(f"{path}: not a valid Presidio recognizer file ({_where(exc)})") from None
    recognizers = [r for r in registry.recognizers if isinstance(r, PatternRecognizer)]
    recognizers = [r for r in recognizers if r.supported_language == LANGUAGE]
    if not recognizers:
        raise RecognizerConfigError(f"{path}: no pattern recognizer for language '{LANGUAGE}'")
    logger.info("loaded %d recognizers from %s", len(recognizers), path)
    return CustomRecognizers(path, recognizers, model)


def _where(exc: BaseException) -> str:
    """The kind of problem and where it is (field paths from pydantic), without the input values."""
    cause = exc.__cause__ or exc
    errors = getattr(cause, "errors", None)
    if callable(errors):
        try:
            places = [".".join(str(p) for p in e.get("loc", ())) + f": {e.get('type', '')}" for e in errors()]
            return f"{type(cause).__name__}: " + "; ".join(places[:5])
        except Exception:
            pass
    return type(cause).__name__


def load_configured(model: str, env: Mapping[str, str] | None = None) -> CustomRecognizers | None:
    path = configured_file(env)
    return load(path, model) if path is not None else None
