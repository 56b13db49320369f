"""Word lists behind the name recognizer: given names, family names, ordinary English words.

spaCy and Presidio ship no name lists, and the small spaCy model misses many names (lower-case names in feedback,
names it never saw in training). The lists here are files in ``wordlists/``, built once by :func:`build` from:

- the person-name providers of Faker (MIT licence; a locked dependency of the stack) for the locales that reflect the
  UK population — British, Irish, Indian, Pakistani, Nigerian, Ghanaian, Kenyan, South African, Polish, Romanian,
  Baltic, Czech, Slovak, Hungarian, Iberian, Italian, French, German, Turkish and US names;
- ``extra_given_names.txt`` / ``extra_family_names.txt``, written by hand for groups the locales under-represent
  (Bangladeshi, Somali, Arabic, Kurdish, Afghan, Chinese, Vietnamese, Caribbean, Albanian, Welsh, Scottish);
- the lower-case words of SCOWL's British English list (Debian ``wbritish``; permissive licence), so that a name
  which is also an everyday word ("Hope", "Will", "Grace", "Rose", "Brown") needs context before it is masked.

All entries are folded with :func:`pipelines.privacy.normalise.fold_name`. Nothing is downloaded at run time.
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from pipelines.privacy.normalise import fold_name


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


DATA_DIR = Path(__file__).with_name("wordlists")

#: Faker person locales used to build the name lists. Other Latin-script locales (Dutch, Nordic, Finnish,
#: Indonesian, Brazilian, Croatian, Slovene, Estonian, Vietnamese) are deliberately left out: the benchmark corpus
#: draws its held-out names from them, to measure how names outside the lists fare.
GAZETTEER_LOCALES: tuple[str, ...] = (
    "en_GB", "en_IE", "ga_IE", "en_IN", "en_PK", "en_NG", "yo_NG", "ig_NG", "ha_NG", "en_KE", "sw", "tw_GH",
    "zu_ZA", "pl_PL", "ro_RO", "lt_LT", "lv_LV", "cs_CZ", "sk_SK", "hu_HU", "pt_PT", "es_ES", "it_IT", "fr_FR",
    "de_DE", "tr_TR", "en_US",
)  # fmt: skip
HELD_OUT_LOCALES: tuple[str, ...] = (
    "nl_NL", "sv_SE", "da_DK", "no_NO", "fi_FI", "id_ID", "pt_BR", "hr_HR", "sl_SI", "et_EE", "vi_VN",
)  # fmt: skip

#: Names that are also dictionary words but are far more often names when written in a narrative, so they are
#: masked in any case ("john", "khan", "smith" in lower-case feedback).
NAMES_DESPITE_DICTIONARY = _words(
    """
    john jack harry jimmy mike tony peter maria martin terry sally josh billy bobby roger victor hector dieter
    brad chad colleen phoebe noel khan shah patty randy bonnie meg beryl ester smith lee dickie dickey tom ken
    rick raja sheikh
    """
)

#: Everyday words that the dictionary lacks but that crisis narratives use; never treated as names without context.
DOMAIN_WORDS = _words(
    """
    hx dx rx tx sx fx px ix od dsh etoh nad obs bp hr rr gcs sats ecg ct mri iv im po prn nbm tci mdt cmht ahp ot
    salt physio hca dna dnr resus majors minors rtc asb asbo cctv bwv nfa nfi rfa ir ic pnc pnd nb cc re fao
    nhs gp gps ae a&e ed ems cad pc pcs dc ds di sgt insp supt cllr dr mr mrs ms mx miss prof rn hca amhp amhps
    cpn cpns crhtt hti hiu mhst mht mha s136 s135 s2 s3 ctm cto dols dnacpr ssri ssris rmn rgn lsoa imd asb asbo
    dv dvla nok inc ref tel mob dob dod nino email mobile paramedic paramedics ambulance ambulances triage crisis
    police officer officers constable sergeant inspector detective custody safeguarding referral referrals
    hospital ward wards clinic clinician clinicians nurse nurses psychiatrist psychiatrists psychologist council
    housing tenancy landlord hostel shelter foodbank samaritans mind rethink helpline overdose ligature selfharm
    paracetamol sertraline citalopram fluoxetine mirtazapine olanzapine quetiapine risperidone aripiprazole
    diazepam lorazepam zopiclone pregabalin gabapentin methadone buprenorphine naloxone cocaine heroin cannabis
    spice ketamine mdma alcohol covid covid19 whatsapp facebook instagram tiktok snapchat uber tesco asda aldi
    lidl sainsburys morrisons greggs mcdonalds monday tuesday wednesday thursday friday saturday sunday january
    february march april may june july august september october november december mon tue tues wed thu thur thurs
    fri sat sun jan feb mar apr jun jul aug sep sept oct nov dec am pm ok okay hmm
    """
)


def _read_list(path: Path) -> set[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return {line.strip() for line in handle if line.strip() and not line.startswith("#")}


@cache
def given_names() -> frozenset[str]:
    """Folded given names."""
    return frozenset(_read_list(DATA_DIR / "given_names.txt"))


@cache
def family_names() -> frozenset[str]:
    """Folded family names."""
    return frozenset(_read_list(DATA_DIR / "family_names.txt"))


@cache
def all_names() -> frozenset[str]:
    return given_names() | family_names()


@cache
def english_words() -> frozenset[str]:
    """Folded ordinary words (dictionary lower-case entries plus :data:`DOMAIN_WORDS`)."""
    return frozenset(_read_list(DATA_DIR / "english_words.txt.gz")) | DOMAIN_WORDS


#: Names that are also everyday verbs, adjectives or common nouns, so a capital at the start of a sentence says
#: nothing ("Will you...", "Mark the...", "Grant funding..."). Other word-names ("Jasmine", "Blessing", "Patience")
#: starting a sentence in a narrative are taken as names.
WORDLIKE_NAMES = _words(
    """
    mark frank drew sue rob pat chase grant lance miles ray dean earl king duke prince baker cook bob bud chip
    gene rusty sandy penny sterling noble royal wade heath glen dale brook lane reed stone clay flint ash hunter
    archer fletcher mason carter cooper tyler parker porter taylor miller sawyer walker fisher bishop deacon max
    sky storm river rain star honey sugar angel lucky sunny misty will may june april august march can don rich
    art guy bill hope spring summer autumn winter young white green black brown long little short small strong
    good best early
    """
)


@cache
def common_words() -> frozenset[str]:
    """The most common English words (Faker's lorem list and spaCy's stop words) plus :data:`WORDLIKE_NAMES`."""
    return frozenset(_read_list(DATA_DIR / "common_words.txt")) | WORDLIKE_NAMES


@cache
def ambiguous_names() -> frozenset[str]:
    """Names that are also everyday words: masked only with context (capitals mid-sentence, a title, a cue, NER)."""
    short = {n for n in all_names() if len(n) <= 2}
    return frozenset(((all_names() & english_words()) - NAMES_DESPITE_DICTIONARY) | short)


@cache
def uk_places() -> frozenset[str]:
    """Folded names of UK cities, towns, counties, regions and a few countries (hand-written list)."""
    places: set[str] = set()
    for line in (DATA_DIR / "uk_places.txt").read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            places.update(w.lower() for w in line.split())
    return frozenset(places)


# --------------------------------------------------------------------------------------------------------------
# building the word-list files (run by a developer; needs Faker and a SCOWL word list, e.g. Debian's wbritish)

_NAME_PART = re.compile(r"[^\W\d_][\w'\u2019]*")


def _split_name(value: str) -> Iterable[str]:
    for part in re.split(r"[\s-]+", value):
        if _NAME_PART.fullmatch(part) and all(ord(c) < 0x250 or c in "'\u2019" for c in part):
            folded = fold_name(part)
            if folded and " " not in folded:
                yield folded


def faker_names(locales: Iterable[str]) -> tuple[set[str], set[str]]:
    """Given and family names (folded, Latin script only) from Faker's person providers of ``locales``."""
    given: set[str] = set()
    family: set[str] = set()
    for locale in locales:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for attribute in dir(provider):
            values = getattr(provider, attribute)
            if not isinstance(values, list | tuple | dict | set | frozenset):
                continue
            if attribute.startswith("first_names"):
                given.update(p for v in values for p in _split_name(str(v)))
            elif attribute.startswith("last_names"):
                family.update(p for v in values for p in _split_name(str(v)))
    return given, family


def _extra(path: Path) -> set[str]:
    names: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        for word in line.split():
            names.update(_split_name(word))
    return names


def build(dictionary: Path, out_dir: Path = DATA_DIR) -> dict[str, int]:
    """Write ``given_names.txt``, ``family_names.txt`` and ``english_words.txt.gz``; return their sizes."""
    given, family = faker_names(GAZETTEER_LOCALES)
    given |= _extra(out_dir / "extra_given_names.txt")
    family |= _extra(out_dir / "extra_family_names.txt")
    words = {
        w.strip() for w in dictionary.read_text(encoding="utf-8").splitlines() if re.fullmatch(r"[a-z]+", w.strip())
    }
    from faker.providers.lorem.en_US import Provider as Lorem
    from spacy.lang.en.stop_words import STOP_WORDS

    header = "# generated by pipelines.privacy.lexicons.build: do not edit by hand\n"
    common = {w.lower() for w in set(Lorem.word_list) | set(STOP_WORDS) if w.isalpha()}
    (out_dir / "common_words.txt").write_text(header + "\n".join(sorted(common)) + "\n", encoding="utf-8")
    (out_dir / "given_names.txt").write_text(header + "\n".join(sorted(given)) + "\n", encoding="utf-8")
    (out_dir / "family_names.txt").write_text(header + "\n".join(sorted(family)) + "\n", encoding="utf-8")
    with gzip.open(out_dir / "english_words.txt.gz", "wt", encoding="utf-8", compresslevel=9) as handle:
        handle.write("\n".join(sorted(words)) + "\n")
    return {"given": len(given), "family": len(family), "words": len(words)}


if __name__ == "__main__":  # pragma: no cover - developer tool
    parser = argparse.ArgumentParser(description="Rebuild the name and word lists in pipelines/privacy/wordlists/")
    parser.add_argument("--dictionary", type=Path, default=Path("/usr/share/dict/british-english"))
    sizes = build(parser.parse_args().dictionary)
    import sys

    sys.stdout.write(f"{sizes}\n")
