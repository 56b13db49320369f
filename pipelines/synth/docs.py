"""Documentation rendered from the specs and the generator's dials, so docs/feeds.md never drifts."""

from __future__ import annotations

from pipelines.feeds import CODE_LABELS, FEED_SPECS
from pipelines.feeds.base import DType, FeedSpec
from pipelines.settings import FEEDS
from pipelines.synth import config


def render_truth_readme(faults: bool) -> str:
    """synth_truth/README.md: what each ground-truth file holds, so a tester need not read the generator."""
    lines = [
        "# Ground truth of the synthetic county",
        "",
        "Written by `hfc synth`. The pipeline never reads this folder; tests and evaluations do. It holds the",
        "planted identifiers, so it is treated as identifiable (it sits beside `landing/`).",
        "",
        "| file | one row per | what it says |",
        "| --- | --- | --- |",
        "| `people.csv` | person | true identity (names, DOB, NHS and NI numbers, phone, email, home and any move), "
        "age, sex, ONS 2021 ethnic group (5 groups and 19 detailed), disability and neurodiversity flags, home LSOA "
        "and IMD decile, locality (`locality_code`, and `locality_code_after_move`), latent need (`log_need`), crisis "
        "contacts in the period, and the intervention and month of any step up |",
        "| `records.csv` | record in a clean delivery | the feed, record id, the true person behind it, the true event "
        "time (ISO), the file, whether the contact was truly mental-health related (police, ambulance, ED; 1 for MH "
        "trust), and the identity errors the agency made in it (`;`-separated: nickname, name_typo, swapped_names, "
        "dob_day_month_swapped, dob_missing, stale_address, postcode_missing, nhs_number_missing, "
        "nhs_number_invalid; `fault_copy` marks rows copied into a fault file) |",
        "| `planted_identifiers.csv` | identifier value in a record | feed, record id, file, column, entity type "
        "(PERSON, NHS_NUMBER, DATE_OF_BIRTH, PHONE_NUMBER, EMAIL_ADDRESS, STREET_ADDRESS, UK_POSTCODE, NI_NUMBER), "
        "the value as written and, for free text, its start and end character offsets (Python string indices, "
        "end exclusive) |",
        "| `messiness.csv` | planted data-quality problem | feed, file, record id, kind (duplicate_row, "
        "missing_required, unknown_code, out_of_range_date, and crisis_plan_misrecorded: an mh_contacts row whose "
        "Crisis_Plan_Recorded contradicts the plan in `crisis_plans.csv`) and column |",
        "| `feedback_themes.csv` | theme of a feedback comment | `feedback_id` (the ResponseId), `theme` (one of the "
        "ten ids in docs/feeds.md), `polarity` (positive/negative), the `start` and `end` character offsets of the "
        "sentence that expresses it in the comment and that `phrase`; every true theme of every comment (a comment "
        "with no theme has no row) |",
        "| `feedback_theme_decoys.csv` | planted look-alike of a theme | `feedback_id`, the `theme` it resembles, "
        "`kind` (negated: 'didn't have to wait long'; near_miss: the words in another sense), offsets and phrase; "
        "not a theme of the comment |",
        "| `mh_signals.csv` | police, ambulance or ED record | `is_mental_health_related` (the truth, as in "
        "records.csv), `signal_in_codes` (the delivered codes say MH: see docs/feeds.md), `signal_in_text` (the "
        "narrative carries a planted cue), `confounder` (negated / other_sense: a non-MH record whose narrative "
        "has MH words) |",
        "| `mh_text.csv` | planted mental-health sentence | feed, record id, column, `kind` (cue, neutral, negated, "
        "other_sense), its character offsets in the narrative and the sentence as written |",
        "| `effects.csv` | intervention x outcome | the true effect, what a naive before/after comparison shows, and "
        "(for contacts and S136) the ratio expected with no programme at all: regression to the mean; `n` people. "
        "Outcomes: crisis_contacts (all contacts with the five agencies), police_contacts, ambulance_contacts, "
        "emergency_department_contacts, mental_health_trust_contacts, council_contacts, s136_detentions (rate "
        f"ratios over the {config.ENROL_WINDOW} months after the step-up month against the {config.ENROL_WINDOW} "
        "before it, for people stepped up with both windows in the period; the true effect is the ATT rate ratio "
        "of expected counts with over without the intervention in the months after, from the same latent rates, "
        "so the agencies' effects add up into crisis_contacts) and the questionnaire outcomes (reqol10_total, "
        "swemwbs_total, core10_total, dialog_quality_of_life_mean, dialog_treatment_satisfaction_mean, "
        "honos_total: mean differences scored by the published rules, as in `questionnaires.csv`). The effects "
        "themselves are set by `hfc synth --effects` |",
        "| `enrolment.csv` | eligible or referred person-month | person_id, `month` (YYYY-MM) and `month_index` "
        f"(0 = the first month) whose {config.ENROL_WINDOW}-month window of `recorded_contacts` ends there, "
        "`eligible` (1: the threshold reached; 0: referred below it), `referred`, `referred_to` (the service the "
        "referral was made to), `intervention` (the one the person was stepped up into, the month after; blank: "
        "not enrolled) and `reason`: enrolled, not_referred, team_not_live (the team was not live in the person's "
        "locality), team_full, triage_full (no room: usual care or not enrolled). A person enrolled leaves the "
        "file; one eligible and not enrolled appears every month they stay eligible |",
        "| `area_effects.csv` | locality x contact outcome | the high intensity team's true level effect on the "
        "locality's monthly contacts from its go-live: the mean, over the months from the go-live month to the end, "
        "of the team's clients' expected contacts with minus without the team (clients counted where they live "
        "that month), beside the locality's expected contacts with the team and without it and their ratio; "
        "go_live_date blank and no effect where the team is not live in the period |",
        "| `questionnaires.csv` | questionnaire (assessment) | assessment_id (the feed's Assessment_ID), person_id, "
        "measure_code, assessment_date (ISO), timepoint_code, items_answered (items with a usable response: not "
        "blank, and for HoNOS not 9), total_score and secondary_score by the published scoring rules from the "
        "responses as generated (4 decimal places, trailing zeros dropped; blank where the rule gives no score). "
        "total_score is the ReQoL-10 total, SWEMWBS raw total, CORE-10 clinical score (prorated with one item "
        "blank), DIALOG subjective quality of life (mean of items 1-8) or HoNOS total; secondary_score is the "
        "DIALOG treatment satisfaction (mean of items 9-11), blank for the other measures. Planted messiness on an "
        "item row (`messiness.csv`) is not reflected |",
        "| `crisis_plans.csv` | person with a crisis plan | person_id, plan_start and plan_end (ISO dates; the plan "
        "is in force on days from plan_start until the day before plan_end; plan_end blank: still in force), "
        "coproduced_from (the date from which it was written or reviewed with the person; blank: never), origin "
        "(before_period, mh_trust, high_intensity_team) |",
        "| `crisis_care_gaps.csv` | crisis contact that ended without assessment or treatment | feed, record_id, "
        "person_id, plan_in_force (1 if the person's crisis plan was in force at the contact, else 0), column and "
        "code that say so in the feed (ed_attendances EC_Discharge_Status LBA or LBT; ambulance_calls Outcome "
        "closed_without_assessment; mh_contacts Attendance CANC_TR on a CRISIS_ASSESS contact). Every such row of "
        "the clean deliveries is listed, except where messiness replaced the code; fault-file copies are not |",
    ]
    if faults:
        lines.append(
            "| `faults.csv` | malformed delivery | feed, file, fault kind, expected outcome and reason, rows affected; "
            "faults arrive as deliveries for periods after the clean window, except `_copy` and `_resend` files |"
        )
    lines += [
        "",
        "Control totals: feeds that send them have `<file>.ctl` beside each delivery, holding the number of data rows "
        "(duplicates included) followed by a newline.",
        "",
        "Rates used are in `pipelines/synth/config.py` and documented in `docs/feeds.md` (The programme). People are "
        f"eligible when their recorded contacts over {config.ENROL_WINDOW} months reach {config.ENROL_THRESHOLD}: at "
        "a peak; who is referred and enrolled depends only on what services record, so an evaluation can adjust "
        "for it. The reference files `landing/reference/lsoa_locality.csv` and `programme_rollout.csv` say where "
        "and when the team is live.",
        "",
    ]
    return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def _booleans(spec: FeedSpec) -> str:
    if not any(c.dtype is DType.BOOLEAN for c in spec.columns):
        return "none"
    return f"{'/'.join(spec.true_values)} vs {'/'.join(spec.false_values)}"


def _delim(d: str) -> str:
    return {",": "comma", "|": "pipe", ";": "semicolon", "\t": "tab"}.get(d, repr(d))


def _care_section() -> list[str]:
    """Questionnaire completion, crisis plans and care not provided: the generator's rates."""
    plan = config.CRISIS_PLAN
    gap = config.CRISIS_CARE_GAP
    gap_meaning = {
        "ed_attendances": "`EC_Discharge_Status` `LBA` (left before assessment, "
        f"{config.ED_GAP_LEFT_BEFORE_ASSESSMENT:.0%}) or `LBT` (left before treatment completed)",
        "ambulance_calls": "`Outcome` `closed_without_assessment` (a crew arrived, so `ResponseSecs` is recorded, "
        f"on {config.AMBULANCE_GAP_RESOURCE_ARRIVED:.0%})",
        "mh_contacts": "`Attendance` `CANC_TR` on a `CRISIS_ASSESS` contact (rates are of crisis assessments)",
    }
    out = [
        "## Questionnaires (synthetic county)",
        "",
        "`mh_outcome_measures` carries the response position ticked on each item, numbered as the form numbers its "
        "options (the positions, item directions and scoring rules are in the feed's notes below), not a score. "
        "People stepped up to the programme complete every measure at step up (BASELINE), mid-episode (REVIEW) "
        "and the month after step down (FOLLOWUP); "
        f"{config.ROUTINE_PROM_PER_MH_MONTH:.0%} of months with an MH trust contact carry one routine questionnaire "
        "(ROUTINE) of a measure drawn at random. A person not (yet) stepped up whose recorded contacts over the last "
        "three months reach the threshold, with an MH trust contact in that window, gets, at "
        f"{config.POOL_ASSESSMENT:.0%}, a crisis-team assessment of every measure (ROUTINE) the next month (at most "
        f"one in any {config.POOL_ASSESSMENT_GAP} months), and a review set of every measure (ROUTINE) as many months "
        "later as an enrolled person's follow-up: the comparison pool has scores at the same point of a crisis as "
        "the people stepped up, scheduled whatever happens next. Self-reported "
        "items are left blank at "
        f"{config.PROM_ITEM_SKIPPED:.0%}; "
        f"HoNOS scales are rated 9 (not known) at {config.HONOS_NOT_KNOWN:.0%} and never left blank. The responses "
        "follow the person's latent wellbeing in each item's direction, with noise. Totals by the published rules "
        "are in `synth_truth/questionnaires.csv`.",
        "",
        "## Crisis plans and crisis care not provided (synthetic county rates)",
        "",
        "A crisis plan is a fact about a person, held by the MH trust: it is in force from the day it is written "
        "until it is closed, and every `mh_contacts` row in that time says `Crisis_Plan_Recorded` = Y "
        f"(`Crisis_Plan_Coproduced` Y from the day it was written or reviewed with the person). People with at "
        f"least {config.CRISIS_PLAN_MIN_MH_CONTACTS} MH trust contacts in the period hold a plan from before the "
        f"period at {plan['before_period']:.0%}; of the rest, {plan['written']:.0%} have one written in the month of "
        f"their second contact; {plan['coproduced']:.0%} of these trust plans are co-produced and "
        f"{plan['ends']:.0%} are closed during the period. High intensity team clients with no plan in force get "
        f"one on the step-up date at {plan['high_intensity_team']:.0%} ({plan['coproduced_high_intensity_team']:.0%} "
        "co-produced, and a plan already in force is reviewed with the person at that rate); the team keeps them "
        f"open. {plan['recording_error']:.0%} of `mh_contacts` rows record the flag wrongly (Y with no plan in "
        "force, N with one), listed in `messiness.csv` as `crisis_plan_misrecorded`. Truth: "
        "`synth_truth/crisis_plans.csv`.",
        "",
        "Some crisis contacts end without the person being assessed or treated, more often while a crisis plan is "
        "in force; every one is listed in `synth_truth/crisis_care_gaps.csv` with whether a plan was in force:",
        "",
        "| feed | how the feed records it | no plan in force | plan in force |",
        "| --- | --- | --- | --- |",
    ]
    out += [f"| `{feed}` | {gap_meaning[feed]} | {low:.0%} | {high:.0%} |" for feed, (low, high) in gap.items()]
    out.append("")
    return out


def _pct(v: float) -> str:
    return f"{v:.1%}" if abs(round(v * 100) - v * 100) > 1e-9 else f"{v:.0%}"


def _mh_signal_section() -> list[str]:
    feeds = list(config.MH_CODE_SIGNALS)
    out = [
        "",
        "## Mental-health signals in police, ambulance and ED records (synthetic county rates)",
        "",
        "Whether a record is truly mental-health related is in `synth_truth/records.csv`; `synth_truth/mh_signals.csv` "
        "says, per record, whether its delivered codes and its narrative signal it, and `synth_truth/mh_text.csv` "
        "where each planted sentence is. Codes that signal a mental-health contact:",
        "",
        "| feed | codes |",
        "| --- | --- |",
    ]
    for feed in feeds:
        codes = "; ".join(
            f"`{col}` {', '.join(f'`{c}`' for c in values)}" for col, values in config.MH_CODE_SIGNALS[feed].items()
        )
        out.append(f"| `{feed}` | {codes} |")
    out += [
        "",
        "Narratives carry cues in each agency's registers: plain words ('suicidal', 'hearing voices', 'self "
        "harming'), abbreviations (MH, SI, DSH, OD, CMHT, CRHT, EUPD, s136), misspellings ('sucidal', 'threating "
        "to jump', 'halucinations') and implicit descriptions (on the wrong side of the railings, a ligature, "
        "taking tablets). A truly MH record whose codes carry no signal always has a cue in its narrative, except "
        "the silent records, whose codes are drawn from the non-signal codes and whose narrative holds only "
        "sentences that other contacts share ('Concern for welfare reported by a member of the public'): no "
        "classifier can find them. Silent records never carry `MH_FLAG` Y, `MHRelated` Yes, a place of safety or "
        "a liaison referral; the other MH records carry them a little more often, so the rates above (and the "
        "true s136 rate) hold over all MH records. Non-MH records sometimes carry a confounder: a negation ('No MH "
        "concerns', 'denies any mental health issues', 'not known to mental health services') or the words in "
        "another sense ('jumped the fence', 'cost of living crisis', 'abbreviated mental test').",
        "",
        "| feed | MH records with no signal (silent) | other MH records with a narrative cue | second cue | "
        "non-MH records with a confounder | of which negations |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for feed in feeds:
        out.append(
            f"| `{feed}` | {_pct(config.MH_SIGNAL_ABSENT[feed])} | {_pct(config.MH_TEXT_CUE[feed])} (always when "
            f"its codes carry none) | {_pct(config.MH_TEXT_SECOND_CUE)} | {_pct(config.MH_CONFOUNDER[feed])} | "
            f"{_pct(config.MH_CONFOUNDER_NEGATED)} |"
        )
    out += [
        "",
        "Context sentences that follow a signal code are cues too (closing `S136` or `MH_REFERRAL`, a liaison "
        "psychiatry referral), so the share of MH records whose narrative carries a cue is measured, not set: "
        "see `tests/unit/synth/test_voices.py`. Non-MH ED records with a liaison referral carry its cue.",
    ]
    return out


def _feedback_theme_section() -> list[str]:
    from pipelines.synth.narratives import FEEDBACK_DECOYS, FEEDBACK_THEMES, THEME_DESCRIPTIONS

    out = [
        "",
        "## Feedback themes (synthetic county)",
        "",
        "Each `feedback` comment carries 0-3 of ten themes, each expressed by one sentence among the filler "
        "sentences (which carry no theme) and the identifying ones. Every theme of every comment, with its "
        "polarity and offsets, is in `synth_truth/feedback_themes.csv`. Phrasings vary: plain, informal, "
        "SMS-style, misspelt, first and third person, implicit ('Sat there 6 hours.').",
        "",
        "| theme | what the comment says | polarities (base weight) | phrasings |",
        "| --- | --- | --- | --- |",
    ]
    for theme, desc in THEME_DESCRIPTIONS.items():
        pol = ", ".join(f"{k} ({v:g})" for k, v in config.FEEDBACK_THEME_BASE[theme].items())
        n = sum(len(v) for v in FEEDBACK_THEMES[theme].values())
        out.append(f"| `{theme}` | {_md(desc)} | {pol} | {n} |")
    count = ", ".join(f"{k}: {v:.0%}" for k, v in config.FEEDBACK_THEME_COUNT.items())
    rating = "; ".join(
        f"{pol}: " + ", ".join(f"rating {r} x{m:g}" for r, m in mult.items())
        for pol, mult in config.FEEDBACK_THEME_RATING.items()
    )
    services = "; ".join(
        f"`{svc}` " + ", ".join(f"{t} x{m:g}" for t, m in mult.items())
        for svc, mult in config.FEEDBACK_THEME_SERVICE.items()
    )
    hit = ", ".join(f"{t} x{m:g}" for t, m in config.FEEDBACK_THEME_HIT.items())
    decoys = sum(len(v) for kinds in FEEDBACK_DECOYS.values() for v in kinds.values())
    out += [
        "",
        f"Themes per comment: {count}. Themes are drawn one at a time without replacement, each (theme, polarity) "
        "weighted by its base weight, times the rating multiplier of its polarity (by the rating the person gave, "
        f"also where the platform lost it: {rating}), times the service multiplier ({services}; 1 otherwise).",
        "",
        "People under the high intensity team (from the month after their step up, whichever service the comment "
        f"is about) write more about continuity and being involved: {hit}, on top of the `HIT` service's own.",
        "",
        f"{config.FEEDBACK_DECOY:.0%} of comments carry one decoy of a theme they do not have ({decoys} phrasings): "
        "a negation ('Didn't have to wait long.', 'No police involved, thankfully.') or a near miss ('It was kind "
        "of a blur.', 'The cost of living crisis isn't helping anyone.'), listed in "
        "`synth_truth/feedback_theme_decoys.csv`. `waiting` and `access_in_crisis` are negative themes: being "
        "seen quickly or getting through is a decoy, not the theme; rudeness is `dismissed_or_judged`; 'waiting "
        "room' is `environment`, not `waiting`.",
    ]
    return out


def _equality_section() -> list[str]:
    out = [
        "",
        "## Equality data as services record it (synthetic county rates)",
        "",
        f"`ed_attendances` records the NHS ethnic category per attendance (`Z` not stated on "
        f"{_pct(config.ED_ETHNICITY_NOT_STATED)}, `99` not known on {_pct(config.ED_ETHNICITY_NOT_KNOWN)}). "
        "`mh_contacts` (`Ethnic_Category`, `Disability`, `Autism_LD_Flag`) and the adult social care rows of "
        "`council_contacts` (`Ethnicity`, `Disability`, `Primary_Support_Reason`) hold one value per person, from "
        "the person's truth in `synth_truth/people.csv` (`nhs_ethnic_category`, `ethnicity_group`, "
        "`ethnicity_detail`, `has_disability`, `is_neurodivergent`), with these gaps and errors (share of people):",
        "",
        "| feed | ethnicity not stated | not known | wrong code | disability blank | disability Y recorded N | "
        "disability N recorded Y | autism/LD blank | autism/LD Y recorded N | autism/LD N recorded Y |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for feed, eth in config.ETHNICITY_RECORDING.items():
        dis = config.DISABILITY_RECORDING[feed]
        nd = config.NEURODIVERGENCE_RECORDING.get(feed)
        nd_cells = f"{_pct(nd['blank'])} | {_pct(nd['missed'])} | {_pct(nd['false'])}" if nd else "not held | | "
        out.append(
            f"| `{feed}` | {_pct(eth['not_stated'])} | {_pct(eth['not_known'])} | {_pct(eth['wrong'])} | "
            f"{_pct(dis['blank'])} | {_pct(dis['missed'])} | {_pct(dis['false'])} | {nd_cells} |"
        )
    psr = config.PRIMARY_SUPPORT_REASON

    def dist(key: str) -> str:
        return ", ".join(f"`{k}` {v:.0%}" for k, v in psr[key].items())

    out += [
        "",
        "Not stated is `Z` (trust) or `REF` (council); not known `99` or `NK`. The rates of errors are of the "
        "people whose value is recorded. A wrong ethnicity code is in the person's ONS 2021 group "
        f"{config.ETHNICITY_WRONG_SAME_GROUP:.0%} of the time (White British recorded as any other White "
        "background), else any code of another group.",
        "",
        f"The primary support reason comes from the person's truth: `LD` for {config.PRIMARY_SUPPORT_REASON_LD:.0%} "
        f"of neurodivergent people; otherwise, for disabled people aged 65 or more {dist('disabled_65_plus')}; "
        f"disabled under 65 {dist('disabled_under_65')}; not disabled {dist('not_disabled')}. It is blank for "
        f"{config.PRIMARY_SUPPORT_REASON_BLANK:.0%} of people and on every carer-support contact (the client is "
        "the carer). So `LD` is recorded only for neurodivergent people, `PHYS`, `SENS` and `MEM_COG` only for "
        "disabled people, `MEM_COG` only from 65 (age at the start of the period).",
    ]
    return out


def _programme_section() -> list[str]:
    """How people are enrolled in the synthetic county and what the interventions truly do."""
    r, c = config.REFERRAL, config.SERVICE_CHOICE
    fractions = ", ".join("not in the period" if f is None else f"{f:g}" for f in config.TEAM_ROLLOUT_FRACTIONS)
    rows = []
    names = (
        "police_contacts",
        "ambulance_contacts",
        "emergency_department_contacts",
        "mental_health_trust_contacts",
        "council_contacts",
        "s136_detentions",
        "wellbeing_shift",
    )
    for arm, eff in config.DEFAULT_EFFECTS.items():
        cells = " | ".join(
            "" if k == "crisis_contacts" else f"{eff.get(k, 0.0 if k == 'wellbeing_shift' else 1.0):g}" for k in names
        )
        rows.append(f"| `{arm}` | {cells} |")
    return [
        "",
        "## The programme: enrolment and true effects (synthetic county)",
        "",
        "Enrolment happens as it does in services, and depends only on what they record: a person's recorded contacts "
        f"over the last {config.ENROL_WINDOW} months, by agency, their age, sex, the IMD decile and locality of the "
        "home they step up from, the calendar month (through the rollout), the "
        "services' capacity and independent chance; never on the latent need or the current spell, nor on any "
        "contact after the decision month (`pipelines/synth/enrolment.py`). So an evaluation that adjusts for these "
        "can remove the selection; "
        "a before/after comparison cannot remove regression to the mean.",
        "",
        f"- Eligibility: each month from month {config.ENROL_FIRST_MONTH - 1} (0 = the first month), a person not yet "
        f"enrolled whose recorded contacts over the last {config.ENROL_WINDOW} months reach "
        f"{config.ENROL_THRESHOLD} is eligible. Enrolled people step up the next month, so no one steps up before "
        f"month {config.ENROL_FIRST_MONTH}, and each person steps up at most once.",
        "- Referral: an eligible person is referred that month with probability logistic("
        f"{r['intercept']:g} + {r['per_contact_above']:g} x contacts above the threshold (at most 10) "
        f"{r['age_under_25']:+g} if under 25 {r['age_65_plus']:+g} if 65 or over {r['female']:+g} if female "
        f"{r['per_imd_decile_more_deprived']:+g} per IMD decile more deprived than 10). People with "
        f"{config.REFERRAL_BELOW_MIN} to {config.ENROL_THRESHOLD - 1} recorded contacts are referred at "
        f"{config.REFERRAL_BELOW_THRESHOLD:.0%} a month (enrolled below the threshold). Someone eligible and not "
        "referred can be referred in a later month while still eligible; many eligible people are never enrolled "
        "(the comparison pool).",
        "- Where a referral goes: street triage with probability logistic("
        f"{c['triage_intercept']:g} + {c['triage_per_police_share']:g} x the police share of the recorded "
        f"contacts); otherwise the high intensity team with probability logistic({c['team_intercept']:g}, "
        f"{c['team_age_65_plus']:+g} if 65 or over), else usual care. Referrals are taken in order of recorded "
        "contacts, most first.",
        "- Staggered adoption: the high intensity team goes live locality by locality, at these fractions of the "
        f"period ({fractions}; never before month {config.ENROL_FIRST_MONTH}), the localities taking them in a "
        "seeded order; street triage and usual care are county-wide from the first enrolment month "
        "(`programme_rollout.csv`).",
        f"- Capacity: the team holds at most {config.TEAM_CAPACITY_PER_1000:.1f} open episodes per 1,000 people in "
        f"the county in each live locality (at least {config.TEAM_CAPACITY_MIN}); street triage "
        f"{config.TRIAGE_CAPACITY_PER_1000:.1f} per 1,000 county-wide (at least {config.TRIAGE_CAPACITY_MIN}). "
        "An episode is open from its step-up month until the month before step down, in the locality the person "
        f"stepped up from. A referral to the team where it is not live, or to a full service, goes to usual care "
        f"at {config.FALLBACK_TO_USUAL_CARE:.0%}, else is not enrolled.",
        f"- Episodes last {config.EPISODE_MONTHS[0]} to {config.EPISODE_MONTHS[1]} months. Every decision is in "
        "`synth_truth/enrolment.csv`.",
        "",
        "True effects, from the month after step up and for the rest of the period: rate ratios on each agency's "
        "contact rate and on the S136 rate (a police mental-health incident's chance of closing S136, "
        f"{config.S136_PER_MH_INCIDENT:.0%} untreated, is multiplied by the S136 ratio over the police ratio), and a "
        "shift of the latent wellbeing behind every questionnaire. They are set by `hfc synth --effects FILE.json` "
        '(`{"high_intensity_team": {"police_contacts": 0.8, "wellbeing_shift": 0.35}, ...}`, names as in '
        "`effects.csv`; `crisis_contacts` sets every agency at once; a missing key is no effect) or `--effects none` "
        "(no intervention has any effect). Contacts are drawn at the untreated rate and thinned (or topped up) for "
        "treated person-months from a separate random stream, so the same seed gives the same people, enrolment and "
        "contacts before step up whatever the effects. The default:",
        "",
        "| intervention | " + " | ".join(names) + " |",
        "| --- |" + " --- |" * len(names),
        *rows,
        "",
        "The realised effects (ATT rate ratios of expected counts with over without the intervention; score "
        "differences of the same questionnaire with and without the shift) are in `synth_truth/effects.csv`, and "
        "the team's effect on each locality's monthly contacts from its go-live in `synth_truth/area_effects.csv`.",
    ]


def _reader_promises_section() -> list[str]:
    return [
        "",
        "## What a reader promises",
        "",
        "Whatever bytes arrive as a delivery file of any feed, the reader and the load (`pipelines/ingest/`: "
        "`reader.py`, `encoding.py`, `dates.py`, `load.py`):",
        "",
        "1. **load it or quarantine it with a reason**: whole (`quarantine/<feed>/<file>` and `<file>.reason.json`) "
        "or row by row (`<file>.rows.csv`), each with a reason code; no other exception escapes;",
        "2. **lose no row**: every row received is loaded or quarantined exactly once, and every row a damaged file "
        'still holds intact is among them. A quote that opens a field and never closes (a stray `"`, a cut '
        "mid-field) would make a CSV parser read every later line into that one field; so rows are read strictly, "
        "the row where the quoting breaks is quarantined as `broken_quoting` (the line it starts on), and reading "
        "resumes on the next line;",
        "3. **reconcile**: rows received = loaded + quarantined + excluded, in the load result, the load audit and "
        "the files written to the zones; a file held whole counts the rows it holds;",
        "4. **never quote the input**: reasons, messages, notes and alerts name feed, file, row, column and rule, "
        "never a value: none holds eight consecutive characters of a cell that are not the feed's, the file's or "
        "the code's own text.",
        "",
        "`tests/unit/ingest/test_fuzz_readers.py` checks the four as Hypothesis properties, over random bytes; a "
        "feed's header followed by random bytes; valid deliveries (rows from `tests/feed_rows.py` and the synthetic "
        "county's own files, clean and `--faults`) with some rows damaged (a byte flipped, characters inserted or "
        "deleted, a stray quote, a delimiter added or removed, NUL bytes, a field of 100,000 characters, a cut "
        "mid-row); valid deliveries reshaped whole (columns reordered, renamed, dropped or added; cells of quotes, "
        "delimiters, line breaks and formulas; any date the feed's format can write, years 1 to 9999; integers of "
        "any size; CR, LF and CRLF mixed; blank lines; byte-order marks; cp1252, latin-1, cp850, UTF-16 and UTF-32; "
        "one line in another encoding; another delimiter; a duplicated header; header only; duplicated rows); and "
        "valid deliveries compressed or archived (gzip, bzip2, xz, zip, a password-protected zip), some with bytes "
        "flipped. Each is loaded alone too, with a `.ctl` of random content, and through the Great Expectations "
        "gate. `make test` runs tens of examples per property; `HYPOTHESIS_PROFILE=long` runs thousands, and "
        "`HYPOTHESIS_PROFILE=examples` only the explicit examples, one per fault the properties found:",
        "",
        "| found | was | now |",
        "| --- | --- | --- |",
        "| a stray quote opening a field | every later row read into that field (lost; loaded, when the field is "
        "a narrative) | that row quarantined, `broken_quoting`; the rest read |",
        "| a file of nothing but a byte-order mark | IndexError | held whole, `empty_file` |",
        "| a date before 1678 or after 2261 (pandas' range) | OutOfBoundsDatetime, whose message quotes the date | "
        "the row quarantined, `unrepresentable_date` / `unrepresentable_datetime` |",
        "| an integer beyond 64 bits | OverflowError | the row quarantined, `invalid_integer` (as are `1_0` and "
        "digits of other scripts, which `int()` reads) |",
        "| a password-protected zip | RuntimeError naming the member | held whole, `zip_file` |",
        "| a `.ctl` holding a digit that is not ASCII (`²`) | ValueError: the load stopped | read as its ASCII "
        "digits |",
        "| a bare CR in a quarantined row | `<file>.rows.csv` read back held more rows than were quarantined | every "
        "text field of `rows.csv` quoted |",
    ]


def render_feeds_md() -> str:
    """docs/feeds.md: every feed's columns, codes, conventions, error rates and fault kinds."""
    from pipelines.synth.faults import FAULT_KINDS

    out = [
        "# Feeds",
        "",
        "<!-- Generated by pipelines.synth.docs.render_feeds_md(): edit the specs in pipelines/feeds/ and the rates in",
        "pipelines/synth/config.py, then run `python -m pipelines.synth.docs`. A test fails if this file drifts. -->",
        "",
        "Eight agency feeds arrive as monthly files in `data/landing/<feed>/`. Each keeps its agency's own shape:",
        "column names, code lists, date formats, delimiter and encoding. Every column is declared once in",
        "`pipelines/feeds/<feed>.py` with its privacy role, which decides what pseudonymisation does with it:",
        "",
        "| role | meaning | pseudonymisation |",
        "| --- | --- | --- |",
        "| record_id | the agency's own record reference | replaced by a keyed token |",
        "| identifier | name, NHS number, date of birth, address, postcode, phone, email | used for linkage, "
        "then dropped (postcode and DOB generalised first) |",
        "| quasi_identifier | LSOA | generalised to IMD decile |",
        "| free_text | narrative | de-identified by Presidio |",
        "| plain | codes, event dates, flags, scores | kept |",
        "",
        "A reference file `landing/reference/lsoa_imd.csv` (`lsoa_code,imd_decile`) maps the county's synthetic",
        "LSOAs (E019xxxxx) to IMD deciles, and `landing/reference/postcode_lsoa.csv` (`postcode,lsoa_code`) maps",
        "its synthetic postcodes (area HF) to LSOAs. `landing/reference/lsoa_locality.csv` (`lsoa_code,locality_code`) "
        f"groups the LSOAs into {config.N_LOCALITIES} programme localities (`LOC1`..), and "
        "`landing/reference/programme_rollout.csv` (`locality_code,intervention,go_live_date`) says when each "
        "intervention went live in each locality (`YYYY-MM-DD`; blank: not live in the period).",
        "",
        "## Summary",
        "",
        "| feed | agency | file | delimiter | encoding | date | date-time | booleans | control totals |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for feed in FEEDS:
        s = FEED_SPECS[feed]
        out.append(
            f"| `{feed}` | {_md(s.agency)} | `{s.file_pattern.replace('*', 'YYYY-MM')}` | {_delim(s.delimiter)} | "
            f"{s.encoding} | `{s.date_formats[0]}` | `{s.datetime_formats[0]}` | "
            f"{_booleans(s)} | {'yes' if s.has_control_totals else 'no'} |"
        )
    out += [
        "",
        "One file per feed per month, named by the pattern with `*` = `YYYY-MM`, holding the records dated in that "
        "month (event column in the spec). Feeds with control totals send `<file>.ctl` beside each file: the number "
        "of data rows (header excluded, duplicates included) and a newline. A month with no records is a "
        "header-only file. Fields are quoted as CSV where they contain the delimiter, quotes or line breaks.",
        "",
        "## Identifiers as agencies hold them (synthetic county rates)",
        "",
        "Share of records carrying an NHS number:",
        "",
        "| feed | NHS number present |",
        "| --- | --- |",
    ]
    out += [f"| `{k}` | {v:.0%} |" for k, v in config.NHS_NUMBER_PRESENT.items()]
    out += [
        "",
        f"Of the NHS numbers present, {config.NHS_NUMBER_INVALID:.1%} have one digit mistyped, so they fail the "
        "modulus-11 check. `council_contacts` carries NHS numbers on adult social care rows only.",
        "",
        "Errors per record, in every feed that carries the field:",
        "",
        "| error | rate | what happens |",
        "| --- | --- | --- |",
    ]
    meaning = {
        "name_typo": "one character substituted, dropped, doubled or transposed in the given or family name",
        "nickname": "given name recorded as a nickname (Bob for Robert), where the name has one",
        "swapped_names": "given and family names swapped",
        "dob_day_month_swapped": "day and month of birth transposed (only possible when the day is 12 or less)",
        "dob_missing": "date of birth blank",
        "stale_address": "after the person moved, the agency still holds the old address (share of post-move records)",
        "postcode_missing": "postcode blank",
    }
    out += [f"| {k} | {v:.0%} | {meaning[k]} |" for k, v in config.IDENTIFIER_ERRORS.items()]
    out += [
        "",
        f"{config.MOVE_RATE:.0%} of people move house once during the period. Sex is recorded as unknown on 2% of "
        "records. Postcodes appear in any case and spacing; phones with +44, brackets and spaces; NHS numbers with "
        "and without spaces or dashes.",
        "",
        "Police mental-health tagging (`MH_FLAG`), against the truth of each incident:",
        "",
        "| incident truly mental-health related | Y | N | blank |",
        "| --- | --- | --- | --- |",
        "| yes | {Y:.0%} | {N:.0%} | {b:.0%} |".format(
            Y=config.MH_FLAG_GIVEN_MH["Y"], N=config.MH_FLAG_GIVEN_MH["N"], b=config.MH_FLAG_GIVEN_MH[""]
        ),
        "| no | {Y:.0%} | {N:.0%} | {b:.0%} |".format(
            Y=config.MH_FLAG_GIVEN_NOT_MH["Y"], N=config.MH_FLAG_GIVEN_NOT_MH["N"], b=config.MH_FLAG_GIVEN_NOT_MH[""]
        ),
        "",
        f"Ambulance crews record `MHRelated` = Yes on {config.AMBULANCE_MH_FLAG_SENSITIVITY:.0%} of truly "
        f"mental-health-related calls and {config.AMBULANCE_MH_FLAG_FALSE_POSITIVE:.0%} of others.",
    ]
    out += _mh_signal_section() + _feedback_theme_section() + _equality_section() + _programme_section()
    out += [
        "",
        *_care_section(),
        "## Messiness",
        "",
        "Rates per record in every clean delivery; each case is listed in `synth_truth/messiness.csv`.",
        "",
        "| kind | rate | what happens |",
        "| --- | --- | --- |",
    ]
    mess_meaning = {
        "duplicate_row": "the same row, same record id, appears twice in the delivery",
        "missing_required": "a required column other than the record id and the event date is blank",
        "unknown_code": "a code column holds a value outside its code list (UNK, XX, ?, 99X, OTHER1, N/K)",
        "out_of_range_date": "the event date is moved to 1900 or 2099 (1970 or 2068 where years have two digits)",
    }
    out += [f"| {k} | {v:.1%} | {mess_meaning[k]} |" for k, v in config.MESSINESS.items()]
    out += [
        "",
        "Free text (police logs, ambulance and ED notes, MH trust notes, council case notes, coordinator notes and "
        "feedback) carries names of the person, family and staff, phone numbers, addresses (including flats), "
        "postcodes, NHS and NI numbers, dates of birth and emails, among operational and clinical words. Every "
        "planted value and its character offsets are in `synth_truth/planted_identifiers.csv`.",
        "",
        "## Malformed deliveries (`hfc synth --faults`)",
        "",
        "Written beside the clean deliveries with names that match the feed's file pattern (`misfiled_by_name` "
        "carries another feed's), and listed in `synth_truth/faults.csv` with the outcome and reason ingest is "
        "expected to give (reason codes as in `pipelines/ingest/`; a file held whole counts the rows it holds, "
        "`rows_affected`). Ingest loads the newest file of each period, so every fault arrives as a "
        "delivery for a period after the clean window (one period per fault within a feed), except the duplicate "
        "(`_copy`) and the corrected re-delivery (`_resend`), which concern a clean month. Rows in fault files are "
        "copies of clean rows with new record ids (suffix `S<nn>`) and dates moved into the fault's period; "
        "`records.csv` lists them with identity errors `fault_copy`.",
        "",
        "| fault kind | expected outcome | expected reason | what the file holds |",
        "| --- | --- | --- | --- |",
    ]
    out += [f"| {k.kind} | {k.outcome} | `{k.reason}` | {_md(k.description)} |" for k in FAULT_KINDS]
    out += _reader_promises_section()
    for feed in FEEDS:
        s = FEED_SPECS[feed]
        labels = CODE_LABELS[feed]
        out += [
            "",
            f"## `{feed}`",
            "",
            _md(s.description),
            "",
            f"Agency: {_md(s.agency)}. File: `{s.file_pattern}` ({_delim(s.delimiter)}, {s.encoding}). "
            f"Record id: `{s.record_id}`. Dated by: `{s.event_at}`.",
            "",
            "| column | canonical | type | role | person field | required | description |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for c in s.columns:
            out.append(
                f"| `{c.name}` | `{c.output_name}` | {c.dtype.value} | {c.role.value} | {c.person_field or ''} | "
                f"{'yes' if c.required else ''} | {_md(c.description)} |"
            )
        code_cols = [c for c in s.columns if c.dtype is DType.CODE]
        if code_cols:
            out += ["", "Codes:", ""]
            for c in code_cols:
                items = "; ".join(f"`{code}` {_md(label)}" for code, label in labels[c.name].items())
                out.append(f"- `{c.name}`: {items}")
        if s.notes:
            out += ["", "Notes:", ""]
            out += [f"- {_md(n)}" for n in s.notes]
    out.append("")
    return "\n".join(out)


def write_feeds_md() -> None:
    """Regenerate docs/feeds.md in the repository."""
    from pipelines.settings import REPO_ROOT

    (REPO_ROOT / "docs" / "feeds.md").write_text(render_feeds_md(), encoding="utf-8")


if __name__ == "__main__":
    write_feeds_md()
