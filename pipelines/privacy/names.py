"""Names in free text without a neural model where the evidence is already plain, and a gate for where it is not.

The small spaCy model misses lower-case names, names it never saw and names that are also words, and running it on
every text is the slow part of de-identification. So names are found in passes:

1. a token pass over name lists (:mod:`pipelines.privacy.lexicons`): a listed name that is not an everyday word is
   a name in any case ("spoke to sarah"); a name that is also a word ("Hope", "Will", "Grace") is a name when the
   context says so — a capital letter mid-sentence, a title ("Mr", "PC", "Dr", "Nurse"), a relation or a verb cue
   ("my son", "called", "spoke to"), a neighbouring name or a list ("Kwame and Grace"); unknown capitalised words
   next to a name, or after a title or cue, join it ("PC Okonkwo-Beattie", "John Wiśniewski");
2. the record's own structured names (``known``), masked wherever they appear, in any case;
3. a gate: sentences that still hold a capitalised word nobody has explained (neither a dictionary word, nor a name,
   nor an acronym) go to spaCy's NER, which both finds names and *clears* words it knows to be places or
   organisations; an unexplained capitalised word the NER does not clear is masked (recall first).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from pipelines.privacy import lexicons
from pipelines.privacy.recognizers import PERSON, STREET_TYPES, Span

_APOSTROPHES = "'\u2019\u2018\u02bb\u02bc`"
_LETTERS = r"(?:[^\W\d_]|[\u0300-\u036f])+"  # letters and combining accents (Turkish dotted I, lower-cased)
# a "?" or U+FFFD between letters is a letter an encoding lost ("WI?NIEWSKI" for "WIŚNIEWSKI"): still one word
_TOKEN = re.compile(rf"{_LETTERS}(?:(?:[{_APOSTROPHES}]|[?\ufffd]+){_LETTERS})*")
_SENTENCE_BREAK = re.compile(r"[.!?\n;:|\u2022]")
_POSSESSIVE = ("'s", "\u2019s")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Titles and roles written before a person's name: the next capitalised or unknown word is a name.
TITLES = _words(
    """
    mr mrs ms miss mx dr doctor pc ps dc ds di dci dsu sgt sergeant insp inspector nurse officer constable cllr
    councillor prof professor rev reverend sir dame lady lord sister brother father auntie aunty aunt uncle nan
    nana nanna gran granny grandma grandad granddad grandpa cousin mum mam mom mummy dad daddy pcso psco cpn amhp
    paramedic medic technician emt matron detective superintendent supt chief imam pastor rabbi vicar revd det dcs
    dsgt sw ot hca rmn rgn hcsw slt physio
    """
)
#: Honorifics and ranks: whatever word follows one is read as a surname ("PC Field", "Mrs Wood", "SGT SPARROW"),
#: unless it is a function word or a verb ("PC attended", "MR AND MRS"). Written in capitals too.
STRONG_TITLES = _words(
    """
    mr mrs ms miss mx dr pc ps dc ds di dci dcs dsu sgt insp supt rev revd prof cllr pcso det dsgt
    """
)
#: Roles a police or health record writes before a name: "CALLER SHAHRIYOR BELL", "NOK Sælaug Şahbuzlu".
ROLE_CUES = _words(
    """
    caller informant nok complainant victim suspect subject patient pt client male female pp ip mop
    reporter witness applicant tenant resident defendant offender detainee prisoner
    """
)
#: Relations and roles: "her son Will", "my worker hope" — the next listed name is a name even if it is a word.
RELATIONS = _words(
    """
    son daughter partner husband wife boyfriend girlfriend fiance fiancee friend neighbour neighbor carer worker
    keyworker manager coordinator therapist psychiatrist psychologist paramedic consultant practitioner clinician
    child children kid kids baby grandson granddaughter nephew niece stepson stepdaughter stepdad stepmum mother
    sibling ex colleague flatmate housemate landlord landlady advocate support counsellor counselor gp called
    """
)
#: Plural ranks and crews before the names of the people in them: "OFFICERS JADE AND COLIN", "PCs Bell and Wood".
#: Weaker than a title: a listed or unknown word after one is a name, an everyday word is not ("Officers attended").
PLURAL_CUES = _words("officers pcs constables crew crews paramedics nurses doctors drs sgts witnesses")
#: After "from", a name is expected when what came was a message: "CALL FROM MARK", "EMAIL FROM GRACE WOOD".
MESSAGES = _words(
    """
    call calls phonecall email emails e-mail text texts sms message messages letter letters voicemail referral
    referrals information info report complaint contact statement note card request update concerns allegation
    disclosure visit visits
    """
)
#: Past participles without "-ed" after which "by" names the one who did it: "SEEN ON THE BRIDGE BY PC WOOD".
IRREGULAR_PARTICIPLES = _words(
    """
    seen found taken given spoken done made brought driven known told met left caught held kept shown written sent
    rung woken beaten bitten hit hurt shot stolen struck led
    """
)
#: Record labels a name follows after a colon ("Name: Grace Wood"); roles and relations count too ("NOK: ...")
_LABELS = _words("name names surname forename forenames aka alias contact")
#: Verbs that report what someone said: the clause after one starts like a sentence ("STATES MARK HAS LEFT").
SPEECH_VERBS = _words(
    "states stated says said reports reported explains explained advises advised confirms confirmed believes thinks"
)
_LEFT_OR_GONE = _words("gone been left run absconded returned arrived attended self-harmed taken overdosed")
#: What is given or said to a person: "WORDS OF ADVICE GIVEN TO DEAN", "PASSED TO PC WOOD"
_GIVEN_TO = _words(
    "given handed passed offered provided explained shown read spoken spoke speaking talked chatted advice apologised"
)
#: What is done for a person: "APPOINTMENT BOOKED FOR GRACE", "PRESCRIPTION FOR DEAN"
_FOR_SOMEONE = _words("appointment appointments prescription bed plan assessment review concern concerns welfare")
#: Words that are never a surname, even after a title: "PC AND PCSO", "DR SAID", "MR AND MRS".
_NEVER_AFTER_TITLE = _words(
    """
    and or to on at in of the a an for with from by is was were are be been has had have will would can could shall
    should may might must who which that this these those he she they we it his her their our your its as so not no
    also then than said says say stated states told asks asked gave gives took takes came comes went goes saw sees
    found left rang spoke got put sent felt kept heard met made advised attended arrived informed called present
    unaware aware upset concerned worried here there now today tonight resides lives stays reports attends remains
    appears presents refuses declines denies admits agrees wants needs feels knows thinks seems looks works uses
    takes gets goes comes calls rings asks tells alone advice
    """
)
#: Verbs and phrases after which a name is expected ("called Grace", "spoke to will", "thanks to hope").
CUES_ONE = _words("called named calling nicknamed aka alias thank thanks met asked told ask")
CUES_TWO = frozenset(
    tuple(pair.split("_")[-2:])
    for pair in _words(
        """
        spoke_to spoke_with speak_to speaking_to talked_to talk_to talking_to thanks_to thank_you known_as name_is
        name_was names_are goes_by seen_by assessed_by visited_by supported_by helped_by asked_for ask_for
        grateful_to thankful_to shout_out out_to praise_for introduced_as identified_as calls_himself calls_herself
        call_me called_me called_by referred_by reported_by worried_about worried_for concerned_about concerned_for
        concerns_about concerns_for concern_for check_on checks_on looking_for searching_for
        contacted_by phoned_by rang_by accompanied_by collected_by picked_up_by seen_with behalf_of name_as
        named_as confirmed_as recorded_as given_as welfare_of
        """
    )
)
#: Verbs a person does, written right after a sentence-initial word-name: "Will emailed", "Sue phoned". "Will"
#: the modal is followed by a bare verb, never by these, so a word-name before them is a name.
PERSON_VERBS = _words(
    """
    emailed phoned rang texted messaged called said says stated reported disclosed told asked attended arrived
    answered agreed declined refused returned presented denied explained became came went wants wanted feels felt
    admitted confirmed mentioned complained requested spoke self-presented walked ran tried
    """
)
#: Pronouns that the name lists also hold as names ("He" is a Chinese family name): never a name before a verb.
PRONOUNS = _words("he she it we they you i me him her his hers them us")
#: After "was"/"is": states and events that happen to a person: "Sue was found", "Hope was tearful".
PERSON_STATES = _words(
    """
    found seen located arrested taken conveyed admitted discharged spoken assessed detained missing upset tearful
    distressed calm intoxicated agitated angry settled located reviewed visited sectioned brought
    """
)
#: Words after a name in feedback: "joy from the team was lovely".
_AFTER_FROM = _words("the team ward crisis cmht hti police ambulance council hospital unit service services line")
#: Words after a capitalised word that make it part of an institution's name, not a person's ("Royal Infirmary").
INSTITUTIONS = _words(
    """
    hospital infirmary centre center unit ward clinic surgery practice court station school college university
    academy church chapel mosque temple house hall hotel hostel trust council police service services team
    foundation society association charity pharmacy park road street lane avenue way
    """
)
#: Lower-case particles inside family names: "Jan de Vries", "Ludwig van Beethoven", "Ahmed bin Salem".
PARTICLES = _words("van de der den ter ten te la le da das do dos di del della von zu bin bint ibn al el ap ni mac mc")
_STREET_TYPES = frozenset(STREET_TYPES)
_AND = _words("and or to")
_SLANG = _words(
    """
    gonna wanna gotta dunno innit ur u im ive id dont cant wont didnt doesnt isnt wasnt ok okay lol thx txt pls plz
    tbh idk omg ya yeah yep nope hun luv mate mins hrs tho cuz cos bc w wk wks yr yrs yo bf gf
    """
)
_NAME_SPECIAL = str.maketrans(
    {"\u0131": "i", "ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ß": "ss"}
)

_CLASS_CACHE: dict[str, tuple[str, int]] = {}

# token classes
NAME = 1  # listed name, not an everyday word
AMBIGUOUS = 2  # listed name that is also an everyday word
WORD = 3  # everyday word
UNKNOWN = 4  # neither


def fold_token(token: str) -> str:
    """Lower case, accents and apostrophes removed: the key name lists are stored under."""
    text = token.lower()
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.translate(_NAME_SPECIAL))
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    for ch in _APOSTROPHES:
        if ch in text:
            text = text.replace(ch, "")
    return text


_fold = fold_token


@dataclass(slots=True)
class Token:
    start: int
    end: int  # end of the name part (a possessive 's is left outside)
    text: str
    folded: str
    kind: int
    capitalised: bool
    initial: bool  # first word of a sentence
    sentence: int
    person: bool = False
    caps: bool = False  # its sentence is written in capitals, so a capital letter is no evidence


@dataclass
class NameScan:
    """The name pass over one text: PERSON spans, sentence ranges that need NER, and the words NER must judge."""

    spans: list[Span]
    ner_segments: list[tuple[int, int]]
    unexplained: list[tuple[int, int]] = field(default_factory=list)  # capitalised unknown words: masked unless cleared
    triggers: list[tuple[int, int]] = field(default_factory=list)  # every word that sent its sentence to NER
    caps_mode: bool = False
    lower_mode: bool = False


class NameFinder:
    """The name pass (lists, context, the record's own names) and the NER gate. Stateless after construction."""

    def __init__(self) -> None:
        self.names = lexicons.all_names()
        self.given = lexicons.given_names()
        self.family = lexicons.family_names()
        self.ambiguous = lexicons.ambiguous_names()
        self.common = lexicons.common_words()
        self.words = lexicons.english_words()
        self.places = lexicons.uk_places()
        self._cache = _CLASS_CACHE  # shared by every finder in the process: the lists are the same

    def classify(self, token: str) -> tuple[str, int]:
        """(folded form, class) of one word; possessives are looked up without their 's."""
        hit = self._cache.get(token)
        if hit is not None:
            return hit
        folded = fold_token(token)
        base = folded
        if token.endswith(_POSSESSIVE) and folded.endswith("s") and folded[:-1] in self.names:
            base = folded[:-1]
        if base in self.names:
            kind = AMBIGUOUS if base in self.ambiguous else NAME
        elif (
            base in self.words
            or base in _SLANG
            or (base.endswith("s") and (base[:-1] in self.words or (base.endswith("es") and base[:-2] in self.words)))
        ):
            kind = WORD
        else:
            kind = UNKNOWN
        if len(self._cache) < 200_000:
            self._cache[token] = (base, kind)
        return base, kind

    def tokenise(self, text: str) -> list[Token]:
        tokens: list[Token] = []
        sentence = 0
        prev_end = 0
        prev_folded = ""
        for m in _TOKEN.finditer(text):
            raw = m.group()
            folded, kind = self.classify(raw)
            gap = text[prev_end : m.start()]
            initial = not tokens
            if tokens and _SENTENCE_BREAK.search(gap):
                # "Dr. Smith", "St. Mary's", "J. Smith": a dot after a title or an initial does not end a sentence
                after_digit = tokens[-1].start > 0 and text[tokens[-1].start - 1].isdigit()  # "sp1 1sw. Advice"
                dotted = (
                    gap.strip() == "."
                    and not after_digit
                    and (
                        (len(prev_folded) <= 4 and (prev_folded in TITLES or prev_folded in {"st", "no"}))
                        or len(prev_folded) == 1
                    )
                )
                if not dotted:
                    initial = True
                    sentence += 1
            if gap.endswith(('"', "\u201c", "(")) and tokens and _SENTENCE_BREAK.search(gap):
                initial = True
            end = m.end()
            if kind in (NAME, AMBIGUOUS) and raw.endswith(_POSSESSIVE) and len(raw) > 2:
                end -= 2
            tokens.append(Token(m.start(), end, raw, folded, kind, raw[0].isupper(), initial, sentence))
            prev_end = m.end()
            prev_folded = folded
        return tokens

    def scan(self, text: str, known_names: Iterable[str] = ()) -> NameScan:
        tokens = self.tokenise(text)
        if not tokens:
            return NameScan([], [])
        # written in capitals (police logs): most words of two letters or more are all upper case
        long_words = [t for t in tokens if len(t.text) > 1]
        caps_mode = bool(long_words) and sum(t.text.isupper() for t in long_words) / len(long_words) > 0.6
        # ... and sentence by sentence, for a log that mixes a capitals header with ordinary sentences
        per_sentence: dict[int, list[int]] = {}
        for t in long_words:
            counts = per_sentence.setdefault(t.sentence, [0, 0])
            counts[0] += t.text.isupper()
            counts[1] += 1
        sentence_caps = {k: (up / n > 0.6 if n >= 3 else caps_mode) for k, (up, n) in per_sentence.items()}
        for t in tokens:
            t.caps = sentence_caps.get(t.sentence, caps_mode)
        capitalised = sum(t.capitalised for t in tokens)
        lower_mode = len(tokens) >= 4 and capitalised <= max(1, len(tokens) // 25)
        known = {k for k in known_names if k}
        n = len(tokens)
        # sentences written without capitals (feedback): an unknown lower-case word there is likely a name
        # lower-case context: from a sentence that starts in lower case up to the first capitalised word. Feedback
        # is often written without capitals or full stops, so a whole sentence cannot be required to be lower case.
        lower_context: list[bool] = []
        state = False
        for t in tokens:
            if t.initial:
                before = text[: t.start].rstrip()
                state = not caps_mode and not t.capitalised and (not before or before[-1] in ".!?\n")
            elif t.capitalised:
                state = False
            lower_context.append(state or lower_mode)

        for i, tok in enumerate(tokens):
            if tok.folded in known:
                tok.person = True
                continue
            cap_evidence = tok.capitalised and not tok.caps
            prev = tokens[i - 1].folded if i > 0 and not tok.initial else ""
            prev2 = tokens[i - 2].folded if i > 1 and not tok.initial and not tokens[i - 1].initial else ""
            if tok.initial and i > 0 and text[tokens[i - 1].end : tok.start].strip() == ":":
                # "NOK: MARK STONE", "Name: Grace Wood": a label and a colon introduce a name as a title does
                label = tokens[i - 1].folded
                prev = label if label in ROLE_CUES or label in RELATIONS or label in _LABELS else ""
            after_title = prev in TITLES or prev in ROLE_CUES
            after_relation = prev in RELATIONS
            after_cue = prev in CUES_ONE or (prev2, prev) in CUES_TWO
            # an honorific or rank, perhaps with an initial between: "Mr J Field", "PC Field"
            title_before = prev in STRONG_TITLES or (
                len(prev) == 1 and tokens[i - 1].text.isupper() and prev2 in STRONG_TITLES
            )
            # "EMAIL FROM GRACE", "SEEN ON THE BRIDGE BY AVA": who sent it, who did it
            weak_cue = (
                (prev in ("from", "with") and self._message_before(tokens, i, 5))
                or (prev == "by" and self._participle_before(tokens, i))
                or (prev == "for" and self._message_before(tokens, i))
                or (prev == "to" and self._words_before(tokens, i, _GIVEN_TO, 4))
                or prev in PLURAL_CUES
            )
            if weak_cue and tok.folded in lexicons.DOMAIN_WORDS:
                weak_cue = False  # "FROM MAY", "BY MONDAY"
            # an everyday word is a name only after a title, a role, a relation or a naming verb; after a weak cue
            # only a listed name or an unknown word is
            expected_word = after_title or after_relation or after_cue or title_before
            expected = expected_word or weak_cue
            nxt = tokens[i + 1].folded if i + 1 < n and not tokens[i + 1].initial else ""
            from_team = nxt == "from" and i + 2 < n and tokens[i + 2].folded in _AFTER_FROM  # "joy from the team"
            nxt2 = tokens[i + 2].folded if nxt and i + 2 < n and not tokens[i + 2].initial else ""
            acts = (
                nxt in PERSON_VERBS
                or (nxt in ("was", "is") and nxt2 in PERSON_STATES)
                or (nxt in ("has", "had") and (nxt2 in IRREGULAR_PARTICIPLES or nxt2 in _LEFT_OR_GONE))
            ) and not (
                tok.folded in PRONOUNS or tok.folded in TITLES or tok.folded in RELATIONS or tok.folded in ROLE_CUES
            )
            # the subject of a reported clause starts it as a sentence would: "INFORMANT STATES MARK HAS LEFT"
            clause_start = tok.initial or prev in SPEECH_VERBS or (prev == "that" and prev2 in SPEECH_VERBS)
            if clause_start and not acts and tok.kind == AMBIGUOUS:
                # "STATES MARK KNIGHT HAS LEFT": the verb comes after the whole name
                k = i + 1
                while k < n and k <= i + 2 and not tokens[k].initial and tokens[k].kind in (NAME, AMBIGUOUS):
                    k += 1
                if k > i + 1 and k < n and not tokens[k].initial:
                    after, after2 = tokens[k].folded, tokens[k + 1].folded if k + 1 < n else ""
                    acts = (
                        after in PERSON_VERBS
                        or (after in ("was", "is") and after2 in PERSON_STATES)
                        or (after in ("has", "had") and (after2 in IRREGULAR_PARTICIPLES or after2 in _LEFT_OR_GONE))
                    ) and tok.folded not in PRONOUNS
            if tok.kind == NAME:
                tok.person = True
            elif tok.kind == AMBIGUOUS:
                if title_before and tok.folded in _NEVER_AFTER_TITLE and (tok.caps or not tok.capitalised):
                    pass  # "DR SAID", "DR WILL SEE HIM": a verb after a title, not the name "Said" or "Will"
                elif expected or from_team or (clause_start and acts and (tok.capitalised or tok.caps)):
                    tok.person = True
                elif cap_evidence and nxt not in INSTITUTIONS and prev != "the":
                    # mid-sentence capital; or a sentence-initial word-name that is not a common word ("Jasmine")
                    tok.person = not tok.initial or tok.folded not in self.common
            elif tok.kind == UNKNOWN:
                if len(tok.folded) < 2:
                    continue
                acronym = tok.text.isupper() and len(tok.text) <= 5 and not tok.caps
                lower_unknown = lower_context[i] and not tok.capitalised and len(tok.folded) >= 3
                if (expected and not acronym) or lower_unknown or from_team:
                    tok.person = True
            elif tok.kind == WORD and title_before and self._surname_word(tok, tok.caps or lower_context[i]):
                tok.person = True  # "PC Field", "Mrs Wood", "SGT SPARROW": any word may be a surname after a rank
            elif (
                tok.kind == WORD
                and (after_title or after_relation)
                and not tok.initial
                and (
                    (tok.capitalised and not tok.caps and self._word_after_role(tok))
                    or (tok.caps and self._plain_surname(tok))
                )
            ):
                tok.person = True  # "her mother Tower", "SW Head", "SPOKE TO LANDLORD SEED"
            elif (
                tok.kind == WORD
                and not tok.caps
                and self._rare_word(tok)
                and expected_word
                and not tok.initial
                and not _verb_like(tok.folded)
                and (lower_context[i] or tok.capitalised)
            ):
                tok.person = True  # "my son sander", "Wife Eddy": a rarer word where a name is expected

        self._parenthesised(text, tokens)

        self._neighbours(text, tokens)
        self._ethnicity_in_brackets(text, tokens)
        for k, t in enumerate(tokens[:-1]):
            if not t.person or t.folded in known:
                continue
            if t.folded in TITLES or t.folded in ROLE_CUES or t.folded in RELATIONS:
                following = tokens[k + 1]
                if following.person and not following.initial:
                    # "DI Duke", "SPOKE TO KEYWORKER CHAPEL": the title introduces the name and is not part of it
                    # (a surname that is a title word, "Jacob Lord", "Insp Cousin", stays a name)
                    t.person = False
        spans = [Span(t.start, t.end, PERSON, 0.8, "names") for t in tokens if t.person]

        # the gate: sentences still holding an unexplained capitalised word or a sentence-initial word-name
        need: set[int] = set()
        unexplained: list[tuple[int, int]] = []
        triggers: list[tuple[int, int]] = []
        for tok in tokens:
            if tok.person or not tok.capitalised:
                continue
            if tok.kind == WORD:
                # a capitalised everyday word mid-sentence ("with Jasper") is not sent to NER: measured on the dev
                # and probe splits, the small model almost never calls such a word a person, so it only cost time
                continue
            if tok.kind == AMBIGUOUS:
                if tok.initial and not tok.caps:
                    need.add(tok.sentence)
                    triggers.append((tok.start, tok.end))
                continue
            if tok.kind == NAME or tok.folded in self.places or len(tok.folded) <= 2:
                continue
            if tok.folded in TITLES or tok.folded in ROLE_CUES or tok.folded in RELATIONS:
                continue  # "KEYWORKER": a role word the dictionary lacks explains itself
            if tok.text.isupper() and len(tok.text) <= 5 and not tok.caps:
                continue  # acronym: CAD, MHA, ASB
            need.add(tok.sentence)
            unexplained.append((tok.start, tok.end))
            triggers.append((tok.start, tok.end))
        segments = _sentence_ranges(text, tokens, need) if need else []
        return NameScan(spans, segments, unexplained, triggers, caps_mode, lower_mode)

    def _participle_before(self, tokens: list[Token], i: int) -> bool:
        """A past participle earlier in the clause, so that "by" names an agent: "FOUND AT THE PARK BY AVA"."""
        sentence = tokens[i].sentence
        for j in range(i - 2, max(-1, i - 9), -1):
            t = tokens[j]
            if t.sentence != sentence or t.folded == "by":
                return False
            f = t.folded
            if f in IRREGULAR_PARTICIPLES or (len(f) > 4 and f.endswith("ed") and t.kind == WORD):
                return True
        return False

    def _message_before(self, tokens: list[Token], i: int, reach: int = 10) -> bool:
        """A message, referral or concern earlier in the clause, so that "from", "with" and "for" name a person:
        "STATEMENT OBTAINED FROM ROSE", "CONTACT MADE WITH GRACE", "REFERRAL SENT TO THE TEAM FOR DEAN" (but
        "sent to the team for review" names no one)."""
        return self._words_before(tokens, i, MESSAGES | _FOR_SOMEONE, reach)

    def _words_before(self, tokens: list[Token], i: int, words: frozenset[str], reach: int) -> bool:
        sentence = tokens[i].sentence
        cue = tokens[i - 1].folded
        for j in range(i - 2, max(-1, i - 1 - reach), -1):
            t = tokens[j]
            if t.sentence != sentence or t.folded == cue:
                return False
            if t.folded in words:
                return True
        return False

    def _surname_word(self, tok: Token, any_case: bool) -> bool:
        """An everyday word that can stand as a surname after a title: not a function word, a verb or a role."""
        f = tok.folded
        if not (any_case or tok.capitalised) or len(f) < 2:
            return False
        return not (
            f in _NEVER_AFTER_TITLE
            or f in _STOP_WORDS
            or f in IRREGULAR_PARTICIPLES
            or _verb_like(f)
            or f in TITLES
            or f in ROLE_CUES
            or f in RELATIONS
            or f in lexicons.DOMAIN_WORDS
        )

    def _plain_surname(self, tok: Token) -> bool:
        """An everyday word that may be a surname where nothing but its position says so (capitals, brackets):
        not among the commonest words, nor a service, place, function or verb word ("PIKE", "TOWER", "CHAPEL")."""
        f = tok.folded
        return len(f) >= 3 and f not in self.common and f not in _SERVICE_WORDS and self._surname_word(tok, True)

    def can_extend_name(self, word: str) -> bool:
        """May an everyday word written beside a name be part of it? Not a verb, a function word or a role; in
        capitals (where a capital is no evidence), only a rarer word ("JANET PIKE", not "AUTUMN REPORTING")."""
        folded, kind = self.classify(word)
        token = Token(0, len(word), word, folded, kind, word[:1].isupper(), False, 0)
        if word.isupper() and len(word) > 1:
            return self._plain_surname(token)
        return self._surname_word(token, False) and self._rare_word_text(folded)

    def _word_after_role(self, tok: Token) -> bool:
        """A capitalised everyday word after a role or relation, that is no service or role word ("GP Surgery")."""
        f = tok.folded
        return self._surname_word(tok, False) and f not in _SERVICE_WORDS

    def _parenthesised(self, text: str, tokens: list[Token]) -> None:
        """A name alone in brackets: "NURSE ON THE TRIAGE CAR (CAROL)", "WITNESS (MATT BARLEY)", "(PC WOOD)".

        Every word inside must be name-like (a listed name, an unknown word, a title first) and at least one a
        listed name; "(MUM)", "(EX-PARTNER)", "(WHITE BRITISH)", "(S136)" are left alone.
        """
        if "(" not in text:
            return
        by_start = {t.start: k for k, t in enumerate(tokens)}
        for m in _BRACKETED.finditer(text):
            k = by_start.get(m.start(1))
            if k is None:
                continue
            group: list[Token] = []
            while k < len(tokens) and tokens[k].start < m.end(1):
                group.append(tokens[k])
                k += 1
            if not group or len(group) > 4:
                continue
            if group[0].folded in STRONG_TITLES:
                group = group[1:]
            if not group or not any(t.kind in (NAME, AMBIGUOUS) for t in group):
                continue
            if any(t.kind in (WORD, UNKNOWN) and _NATIONALITY.search(t.folded) for t in group):
                continue  # "(WHITE BRITISH)", "(BLACK CARIBBEAN)": an ethnicity, not a name
            if all(self._bracket_name_word(t, group) for t in group):
                for t in group:
                    t.person = True

    def _ethnicity_in_brackets(self, text: str, tokens: list[Token]) -> None:
        """ "MALE (WHITE BRITISH)", "(BLACK CARIBBEAN)": a bracketed ethnicity is no name, whatever cue came before."""
        if "(" not in text:
            return
        by_start = {t.start: k for k, t in enumerate(tokens)}
        for m in _BRACKETED.finditer(text):
            k = by_start.get(m.start(1))
            if k is None:
                continue
            group = []
            while k < len(tokens) and tokens[k].start < m.end(1):
                group.append(tokens[k])
                k += 1
            if len(group) <= 3 and any(t.kind in (WORD, UNKNOWN) and _NATIONALITY.search(t.folded) for t in group):
                for t in group:
                    if t.kind != NAME:
                        t.person = False

    def _bracket_name_word(self, t: Token, group: list[Token]) -> bool:
        f = t.folded
        if f in TITLES or f in ROLE_CUES or f in RELATIONS or f in lexicons.DOMAIN_WORDS:
            return False
        if t.kind == WORD:
            # after a given name in brackets, the next word is the surname, whatever it looks like:
            # "(LINDSEY STREET)", "(JOY DARLING)"
            return self._plain_surname(t) or (
                t is not group[0] and group[0].folded in self.given and self._bracket_surname(t)
            )
        return not (t.kind == UNKNOWN and len(f) < 2)

    def _bracket_surname(self, tok: Token) -> bool:
        f = tok.folded
        return len(f) >= 2 and not (
            f in _NEVER_AFTER_TITLE or f in _STOP_WORDS or f in lexicons.DOMAIN_WORDS or f in _SERVICE_WORDS
        )

    def _rare_word(self, tok: Token) -> bool:
        """An everyday word that is not among the commonest, nor a service, place or street word."""
        return self._rare_word_text(tok.folded)

    def _rare_word_text(self, f: str) -> bool:
        return (
            len(f) >= 3
            and f not in self.common
            and f not in lexicons.DOMAIN_WORDS
            and f not in INSTITUTIONS
            and f not in _STREET_TYPES
            and f not in self.places
            and f not in TITLES
            and f not in ROLE_CUES
            and f not in RELATIONS
        )

    def _neighbours(self, text: str, tokens: list[Token]) -> None:
        """Grow names over adjacent words (surnames, initials, unknown capitalised words) and lists of names."""
        n = len(tokens)
        # two capitalised words, one a listed name and the other unknown, are a name: "Peace Wocial", "Ola Nordmann"
        for i in range(n - 1):
            a, b = tokens[i], tokens[i + 1]
            if b.initial or not (a.capitalised and b.capitalised) or not _joinable(text[a.end : b.start]):
                continue
            kinds = {a.kind, b.kind}
            if a.caps or b.caps:
                if kinds in ({AMBIGUOUS, UNKNOWN}, {WORD, UNKNOWN}) and min(len(a.folded), len(b.folded)) >= 3:
                    unknown, other = (a, b) if a.kind == UNKNOWN else (b, a)
                    if other.kind == WORD and not self._rare_word(other):
                        continue
                    if unknown.folded not in self.places:
                        a.person = b.person = True
                continue
            if kinds == {AMBIGUOUS, UNKNOWN} or kinds == {AMBIGUOUS}:
                if any(t.text.isupper() and len(t.text) <= 5 and t.kind == UNKNOWN for t in (a, b)):
                    continue
                if b.folded in INSTITUTIONS or a.folded in INSTITUTIONS:
                    continue
                if kinds == {AMBIGUOUS} and a.folded in self.common and b.folded in self.common:
                    continue
                a.person = b.person = True
        # "PNC check on Thompson, Dick - dob": a family name, a comma, then the given name alone before a dash
        for i in range(n - 1):
            a, b = tokens[i], tokens[i + 1]
            if not a.person or b.person or a.folded not in self.family or text[a.end : b.start] != ", ":
                continue
            if b.kind in (AMBIGUOUS, UNKNOWN) and (b.capitalised or b.caps) and _GIVEN_ALONE.match(text, b.end):
                b.person = True
        changed = True
        while changed:
            changed = False
            for i in range(n - 1):
                a, b = tokens[i], tokens[i + 1]
                if a.person == b.person or b.initial:
                    continue
                if a.person and a.text.endswith(_POSSESSIVE):
                    continue
                if not _joinable(text[a.end : b.start]):
                    continue
                other, anchor = (b, a) if a.person else (a, b)
                if other is b and other.kind == WORD and other.caps and i > 0 and tokens[i - 1].person:
                    continue  # in capitals an everyday word joins a given name once: "JANET PIKE", not "... ADVICE"
                if self._joins(other, anchor):
                    other.person = True
                    changed = True
            # a capitalised word between two parts of a name: "Nguyễn Văn An", "Mary Rose Green"
            for i in range(1, n - 1):
                a, b, c = tokens[i - 1], tokens[i], tokens[i + 1]
                if b.person or not (a.person and c.person and b.capitalised) or b.initial or c.initial:
                    continue
                if _joinable(text[a.end : b.start]) and _joinable(text[b.end : c.start]):
                    b.person = True
                    changed = True
            # particles: "Jan de Vries", "van der Berg" (a particle before a capitalised name joins it)
            for i in range(n - 1):
                p, b = tokens[i], tokens[i + 1]
                if p.person or p.folded not in PARTICLES:
                    continue
                if b.initial or not _joinable(text[p.end : b.start]):
                    continue
                if p.capitalised and not p.caps:
                    # "Laçın De Cock": a capitalised particle only inside a name already found
                    if i > 0 and tokens[i - 1].person and b.capitalised and not b.initial:
                        p.person = b.person = True
                        changed = True
                    continue
                if b.person or (b.capitalised and b.kind in (NAME, AMBIGUOUS, UNKNOWN)):
                    prev_ok = (
                        (i > 0 and tokens[i - 1].person) or b.person or (i > 0 and tokens[i - 1].folded in PARTICLES)
                    )
                    if prev_ok or b.kind == UNKNOWN:
                        p.person = True
                        b.person = True
                        changed = True
            # lists: "thanks to Will and grace", "Kwame, Hope and Rose"
            for i in range(2, n):
                b = tokens[i]
                if b.person or b.initial:
                    continue
                if b.kind not in (NAME, AMBIGUOUS) and not (b.kind == UNKNOWN and b.capitalised and not b.caps):
                    continue
                k = i - 1
                while k > 0 and tokens[k].folded in _AND and i - k < 3:
                    k -= 1
                a = tokens[k]
                gap = text[a.end : b.start].strip().lower()
                if b.folded in _STOP_WORDS and b.kind != NAME:
                    continue  # "PC Bell and a colleague", "Kwame and I"
                if b.kind == UNKNOWN and b.text.isupper() and len(b.text) <= 5 and not b.caps:
                    continue  # "Bluebell Ward, MRN 0012345": an acronym after a name is no name
                if a.person and gap in ("and", "&", "or", ",", ", and", "and to", ", and to", ", to", "to", "too"):
                    b.person = True
                    changed = True

    def _joins(self, other: Token, anchor: Token) -> bool:
        if other.kind == NAME:
            return True
        if len(other.folded) == 1 and other.text.isupper():
            return True  # an initial: "J Smith", "John A Smith"
        if other.folded in TITLES or other.folded in ROLE_CUES or other.folded in RELATIONS:
            return False  # "SPOKE TO KEYWORKER CHAPEL": the role is not part of the name
        if other.caps:
            if other.kind == WORD:
                # "JANET PIKE", "MERCY TOWER": a rarer word after a given name, not a verb or a function word
                return other.start > anchor.start and anchor.folded in self.given and self._plain_surname(other)
            return other.kind in (AMBIGUOUS, UNKNOWN) and len(other.folded) >= 2
        if not other.capitalised or other.folded in INSTITUTIONS:
            return False
        if other.kind in (AMBIGUOUS, UNKNOWN):
            return not (
                other.kind == UNKNOWN and other.text.isupper() and len(other.text) <= 3 and not anchor.text.isupper()
            )
        # an everyday word written with a capital after a given name: "Sarah Fish"
        return (
            other.kind == WORD
            and other.start > anchor.start
            and not other.initial
            and anchor.folded in self.given
            and other.folded not in _STREET_TYPES
            and other.folded not in lexicons.DOMAIN_WORDS
        )


def _verb_like(folded: str) -> bool:
    """ "-ed", "-ing" and "-ly" words are verbs and adverbs far more often than surnames."""
    return len(folded) > 4 and folded.endswith(("ed", "ing", "ly"))


_NATIONALITY = re.compile(r"(?:ish|ian|an|ese|ic|i|ean)$")
_GIVEN_ALONE = re.compile(r"[ \t]*(?:[-\u2013(]|,|$)")
_BRACKETED = re.compile(r"\(\s*([^()\d@/:;,]{2,40}?)\s*\)")
#: Service and role words that follow a role label without being a name: "GP Surgery", "Support Worker".
_SERVICE_WORDS = _words(
    """
    hospital infirmary centre center unit ward clinic surgery practice station school college university academy
    trust council police service services team foundation society association charity pharmacy hostel hotel agency
    agencies organisation worker workers coordinator practitioner manager lead assistant specialist consultant
    officer staff member members support network group panel
    """
)


def _stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS  # a plain word list: no model is loaded

    return frozenset(STOP_WORDS)


_STOP_WORDS = _stop_words()


def _joinable(gap: str) -> bool:
    if gap in (" ", "-", "\u2011", "'", "", ". ", "."):
        return True  # ". " only matters after an initial or title; sentence starts are excluded by the callers
    return gap.strip() == "" and "\n" not in gap and len(gap) <= 3


def _sentence_ranges(text: str, tokens: list[Token], wanted: set[int]) -> list[tuple[int, int]]:
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for tok in tokens:
        if tok.sentence in wanted:
            first.setdefault(tok.sentence, tok.start)
            last[tok.sentence] = tok.start + len(tok.text)
    ranges = []
    for sentence in sorted(wanted):
        start, end = first[sentence], last[sentence]
        # take the sentence's closing punctuation too; NER reads a sentence better with it
        while end < len(text) and text[end] in ".!?\"')":
            end += 1
        ranges.append((start, end))
    return ranges
