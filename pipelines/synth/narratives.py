"""Free text as agencies and people write it, with every planted identifier's offsets recorded.

A narrative is built from sentence templates: some carry identifiers (the person's name in one of
several forms, relatives and staff by name, phones, addresses, postcodes, NHS and NI numbers, dates
of birth, emails), most carry the operational and clinical words a de-identifier must leave alone.
Each ``{slot}`` is filled by ``Filler``; slots that identify someone are typed with the entity types
the de-identification team scores against.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

PERSON = "PERSON"
NHS_NUMBER = "NHS_NUMBER"
DATE_OF_BIRTH = "DATE_OF_BIRTH"
PHONE_NUMBER = "PHONE_NUMBER"
EMAIL_ADDRESS = "EMAIL_ADDRESS"
STREET_ADDRESS = "STREET_ADDRESS"
UK_POSTCODE = "UK_POSTCODE"
NI_NUMBER = "NI_NUMBER"
ENTITY_TYPES = (PERSON, NHS_NUMBER, DATE_OF_BIRTH, PHONE_NUMBER, EMAIL_ADDRESS, STREET_ADDRESS, UK_POSTCODE, NI_NUMBER)

SLOT = re.compile(r"\{(\w+)\}")

# Slots that identify: slot name -> entity type.
IDENTIFYING_SLOTS = {
    "name": PERSON,
    "given": PERSON,
    "family": PERSON,
    "relname": PERSON,
    "staffname": PERSON,
    "phone": PHONE_NUMBER,
    "address": STREET_ADDRESS,
    "postcode": UK_POSTCODE,
    "nhs": NHS_NUMBER,
    "dob": DATE_OF_BIRTH,
    "email": EMAIL_ADDRESS,
    "ni": NI_NUMBER,
}

DRUGS = (
    "paracetamol", "sertraline", "diazepam", "zopiclone", "quetiapine", "co-codamol", "mirtazapine",
    "olanzapine", "ibuprofen", "citalopram", "pregabalin", "methadone", "lithium", "fluoxetine",
)  # fmt: skip
PLACES = (
    "the railway bridge", "the multi-storey car park", "the canal towpath", "the town centre", "the bus station",
    "a petrol station forecourt", "the park", "the river footbridge", "the supermarket car park", "the A-road layby",
    "the seafront", "the churchyard", "the train station platform", "the underpass",
)  # fmt: skip
HOSPITALS = ("County General", "Northtown Hospital", "the UTC", "the County General ED")
# where a person detained under s136 is taken: a mental-health cue in itself, so only in sentences that are cues
HEIGHTS = (
    "the railway bridge", "the multi-storey car park", "the river footbridge", "the motorway bridge",
    "the top floor of the car park", "the cliff path",
)  # fmt: skip
PLACES_OF_SAFETY = ("the Riverside unit", "the place of safety", "the s136 suite", "the Riverside place of safety")
FEELINGS = ("low", "anxious", "agitated", "tearful", "withdrawn", "paranoid", "distressed", "hopeless")

POLICE_IDENT = (
    "INFORMANT {relname} ({relation}) STATES {name} HAS LEFT THE ADDRESS AND IS NOT ANSWERING THE PHONE.",
    "Subject {name} known to police, DOB {dob}, resides {address}.",
    "Caller gives number {phone} for call back.",
    "Officers {staffname} and {staffname} attended {address}, {postcode}.",
    "{relation} {relname} called again from {phone} worried about {given}.",
    "PNC check on {family}, {given} - dob {dob}, no warnings of note.",
    "Subject gave name as {name} and date of birth {dob}.",
    "Home address confirmed as {address} {postcode}.",
    "NHS no {nhs} obtained from ambulance crew on scene.",
    "Referral to be sent to the high intensity team for {name}, contact via {phone}.",
    "Nat Ins {ni} recorded from benefits letter found on subject.",
    "{given} was found at {place} by {staffname}.",
    "Email from {relname} ({email}) forwarded to the log.",
)
POLICE_PLAIN = (
    "Log created from 999 call.",
    "Informant not wishing to leave details.",
    "Units assigned, ETA {n} minutes.",
    "Officers on scene at {time}.",
    "Third call today regarding the same subject.",
    "Intel checks complete, nothing further of note.",
    "Supervisor informed and log reviewed.",
    "BWV activated throughout.",
)
AMB_IDENT = (
    "Pt {name} known to service, frequent caller.",
    "Pt states DOB {dob}. NHS {nhs}.",
    "Call back number {phone}.",
    "Attended {address}, {postcode}, pt found sitting on the floor.",
    "{relation} {relname} on scene, gave collateral history.",
    "Handed over to {staffname} at {hosp}.",
    "Pt asked us to contact {relname} on {phone}.",
    "Crew {staffname} and {staffname}.",
    "Pt {given} refused to give surname initially, later confirmed as {name}.",
    "Pt's email {email} given for the self-care leaflet.",
)
AMB_PLAIN = (
    "Obs: RR {rr}, SpO2 {spo2}% on air, HR {hr}, BP {bp}, GCS 15.",
    "Pt calm and cooperative throughout.",
    "Pt known to the service, frequent caller flag on the system.",
    "Police on scene on arrival.",
    "No known allergies.",
    "PMH: asthma, hypertension.",
    "Pt ambulatory at scene.",
)
ED_IDENT = (
    "{name} brought in by ambulance, NHS no {nhs}.",
    "Collateral from {relation} {relname} ({phone}).",
    "Lives at {address} with {relation}.",
    "Seen by {staffname} (ED registrar).",
    "GP letter confirms DOB {dob}, postcode {postcode}.",
    "Pt {given} asked that we contact {relname}.",
    "Discussed with {staffname}, plan agreed.",
    "Pt gave email {email} for follow-up letters.",
)
ED_PLAIN = (
    "Bloods sent, ECG unremarkable, obs stable.",
    "Triaged at {time}.",
    "Alert, orientated, GCS 15.",
    "Waiting time {n} hours at the point of review.",
    "NEWS2 {news}.",
    "Reattender this month.",
    "No safeguarding concerns identified.",
)
MH_IDENT = (
    "Telephone contact with {name} on {phone}.",
    "Home visit to {address} ({postcode}), {given} answered the door.",
    "Spoke with {relation} {relname} who shares care.",
    "Care coordinator {staffname} to follow up.",
    "Discussed in MDT with {staffname} and {staffname}.",
    "Pt's DOB {dob} confirmed, NHS {nhs}.",
    "{given} emailed from {email} asking to rearrange.",
    "Letter sent to {address}, {postcode}.",
)
MH_PLAIN = (
    "Medication: {drug}, adherence variable.",
    "Sleep poor, appetite reduced, no psychotic features.",
    "Risk assessment updated: risk to self moderate.",
    "Mood {feeling}, denies current intent, protective factors discussed.",
    "Physical health check due.",
    "Next review in two weeks.",
    "Hearing voices telling them to harm themselves, increased monitoring.",
)
COUNCIL_IDENT = (
    "Client {name} attended the housing options desk.",
    "Tel {phone}. Email {email}.",
    "Current address {address}, {postcode}; notice served by landlord {relname}.",
    "{relation} {relname} called on behalf of {given}.",
    "Case allocated to {staffname}.",
    "DOB {dob}; NI {ni}.",
    "Visit to {address} by {staffname}.",
)
COUNCIL_PLAIN = (
    "Client declined support at this time.",
    "Documents requested: ID and proof of income.",
    "Benefits check completed.",
    "Case to be reviewed in {n} days.",
    "Interpreter not required.",
    "Previous contact with the service noted.",
)
CASELOAD_IDENT = (
    "Coordinator {staffname} allocated; first meeting with {given} at {place}.",
    "Contact {given} on {phone} before visits.",
    "{relation} {relname} involved in plan.",
    "Joint visit with {staffname} to {address}.",
    "Met {name} with {relation} {relname}, agreed to weekly contact.",
    "GP surgery confirmed DOB {dob} and NHS {nhs}.",
)
CASELOAD_PLAIN = (
    "Multi-agency plan agreed, single point of contact in place.",
    "Plan shared with police, ambulance, ED and the crisis team.",
    "Discussed at the monthly multi-agency panel.",
    "Risk summary updated for partner agencies.",
    "Housing and benefits support in progress.",
)
# Feedback filler carries no theme: every theme a comment has is planted from FEEDBACK_THEMES below, so the
# truth (synth_truth/feedback_themes.csv) is complete. The identifying sentences keep the shapes the
# de-identification bench was built on.
FEEDBACK_IDENT = (
    "My name is {name} and I was seen by {staffname}.",
    "Please ring me on {phone}.",
    "The nurse I saw was {staffname}.",
    "You can email me at {email} if you want to talk about it.",
    "I live at {address}, {postcode}.",
    "My {relation} {relname} was with me that night.",
    "My NHS number is {nhs} so you can look it up.",
    "I'm {given}, born {dob}, and this is the third time I've written in.",
    "Please pass this on to {staffname}.",
    "My {relation} is {relname} if you need to speak to them.",
)
FEEDBACK_PLAIN = (
    "Service was OK, nothing special.",
    "I\u2019m writing this for my daughter \u2013 she can\u2019t face doing it herself.",  # curly quote, en dash
    "Not sure anyone reads these.",
    "This was on the Saturday night.",
    "It's the second time this year I've used the service.",
    "Overall it was alright.",
    "Mixed experience really.",
    "I\u2019ve filled one of these in before.",
    "Just wanted to put this on record.",
    "Thanks for asking for feedback.",
    "I was in a bad way that night.",
    "It was my first time using the service.",
    "Hard to put into words.",
)

# Sentences that fit what the record says happened, keyed "<feed>:<context>"; a record's builder names its contexts.
CONTEXT: dict[str, tuple[str, ...]] = {
    "police_incidents:other": (
        "Reports of shouting from the property, neighbours concerned.",
        "Suspect left prior to police arrival.",
        "Shoplifting reported by store security, suspect detained by staff.",
        "Verbal argument only, no offences disclosed.",
        "Two vehicles involved, no injuries reported.",
        "Youths causing annoyance outside the shop.",
        # also written about incidents that are truly mental-health related (MH_TEXT neutral): the text cannot tell
        "Concern for welfare reported by a member of the public.",
        "Informant concerned as subject has not been seen for two days.",
        "Subject located safe and well.",
    ),
    "police_incidents:S136": ("Subject detained under s136 MHA and conveyed to {pos}.",),
    "police_incidents:ARREST": ("Subject aggressive towards officers, arrested to prevent a breach of the peace.",),
    "police_incidents:CUSTODY": ("Taken to custody, FME to assess fitness for interview.",),
    "police_incidents:CONVEY_HOSP": ("Conveyed to {hosp} by police vehicle, no ambulance available.",),
    "police_incidents:AMB_HANDOVER": ("Handed over to ambulance crew at {time}.",),
    "police_incidents:MH_REFERRAL": ("Referral made to the mental health crisis team.",),
    "police_incidents:ADVICE": ("No offences disclosed. Words of advice given.",),
    "police_incidents:NFA": ("Log closed, no further police action required.",),
    "police_incidents:NO_TRACE": ("Area search conducted with negative result.",),
    "police_incidents:PARTNER_REF": ("Adult at risk referral submitted to the council.",),
    "ambulance_calls:other": (
        "Chest pain on and off for {n} days, ECG NSR.",
        "Fall at home, no head injury, no loss of consciousness.",
        "SOB on exertion, wheeze on auscultation.",
        "Witnessed seizure lasting approx {n} minutes, post-ictal on arrival.",
        "Generally unwell for {n} days, pyrexial.",
        "ETOH on board, pt unsteady on feet.",
        "Pt reluctant to engage with crew initially.",
    ),
    "ambulance_calls:hear_and_treat": ("Clinical advisor hear and treat, safety netting advice given.",),
    "ambulance_calls:see_and_treat": ("Pt has capacity and declined conveyance, worsening advice given.",),
    "ambulance_calls:see_and_convey": ("Pt conveyed to {hosp} for further assessment.",),
    "ed_attendances:other": (
        "Presenting with chest pain, troponin negative.",
        "Fall at home, X-ray of wrist shows no fracture.",
        "Abdominal pain, bloods and urine sent.",
        "Headache for {n} days, neuro exam normal.",
        "Intoxicated, found by a member of the public.",
        "Wound to forearm cleaned and dressed.",
    ),
    "ed_attendances:liaison": ("Referred to liaison psychiatry for risk assessment.",),
    "ed_attendances:LBT": ("Left the department before treatment was completed.",),
    "ed_attendances:LBA": ("Not answering when called for assessment, presumed left.",),
    "ed_attendances:TREATED": ("Medically fit for discharge.",),
    "mh_contacts:REFERRAL": ("Referral accepted, triaged as urgent.", "Referral received, screening booked."),
    "mh_contacts:CRISIS_ASSESS": ("Crisis assessment completed with the person.",),
    "mh_contacts:CRISIS_FOLLOWUP": ("Follow-up after crisis, safety plan checked.",),
    "mh_contacts:HOME_TREATMENT": ("Plan: home treatment team daily visits for one week.",),
    "mh_contacts:OUTPATIENT": ("Reviewed in clinic.", "Engaged well, goals for the week agreed."),
    "mh_contacts:MHA_ASSESS": ("MHA assessment completed with AMHP and two doctors.",),
    "mh_contacts:ADMISSION": ("Admitted to the ward, bed found in county.",),
    "mh_contacts:DISCHARGE": ("Discharged to GP care, relapse signature shared.",),
    "mh_contacts:DNA": ("DNA, no answer at the door, card left.", "Did not attend, two calls unanswered."),
    "mh_contacts:detained": ("Detained under section, rights read and leaflet given.",),
    "mh_contacts:coproduced": ("Crisis plan reviewed and updated with the service user.",),
    "council_contacts:HOMELESS": ("Presenting as homeless following relationship breakdown.",),
    "council_contacts:TENANCY_RISK": ("Section 21 notice received, tenancy at risk.",),
    "council_contacts:ARREARS": ("Rent arrears of approx \u00a3{n}00, payment plan discussed.",),
    "council_contacts:ASB_COMPLAINT": ("Neighbour complaints about noise and visitors late at night.",),
    "council_contacts:REPAIRS": ("Property in disrepair, damp and mould reported.",),
    "council_contacts:SAFEGUARDING": ("Safeguarding concern raised by a partner agency.",),
    "council_contacts:CARE_ASSESS": ("Care and support needs assessment requested.",),
    "council_contacts:CARER_SUPPORT": ("Carer struggling to cope, carer's assessment offered.",),
    "council_contacts:WELFARE_CHECK": ("Welfare check requested by police after a concern call.",),
    "council_contacts:TEMP_ACCOM": ("Temporary accommodation offered at a B&B.",),
    "council_contacts:S42_ENQUIRY": ("Enquiry opened under s42 Care Act.",),
    "programme_caseload:STEP_UP": ("Stepped up after {n} crisis contacts in three months.",),
    "programme_caseload:MANAGED": (
        "Engagement good this month, no crisis contacts.",
        "Disengaged, two missed appointments.",
        "Goals reviewed, housing now stable.",
    ),
    "programme_caseload:STEP_DOWN": ("Stepped down, relapse plan shared with agencies.",),
    "programme_caseload:usual_care": ("Usual care: eligible but not allocated to a team.",),
}

# Mental-health content of police, ambulance and ED narratives, by kind:
#   cue          the text says the contact is mental-health related, in the agency's own registers: plain words,
#                abbreviations (SI, DSH, OD, CMHT, EUPD), misspellings and implicit descriptions (railings, ligature)
#   neutral      fits a mental-health contact but says nothing a reader could tell it by; shared with the feed's
#                other contacts ("<feed>:other" in CONTEXT), so a record with only these is a realistic ceiling
#   negated      a non-MH record's negation of mental-health involvement (a term list's false positive)
#   other_sense  the words in another sense: "jumped the fence", "cost of living crisis", "mental arithmetic"
MH_TEXT: dict[str, dict[str, tuple[str, ...]]] = {
    "police_incidents": {
        "cue": (
            "Male seen on the wrong side of the railings at {height}, officers deployed.",
            "Subject stating they want to end their life, threatening to jump.",
            "Advised by MH triage that subject is open to the crisis team.",
            "Subject tearful and {feeling}, disclosed taking {drug} earlier.",
            "Mental health nurse on the street triage car ({staffname}) spoke to {given} at scene.",
            "MH crisis, subject known to CMHT.",
            "Subject states he is hearing voices telling him to hurt himself.",
            "Caller states her partner is suicidal and has left the house with a rope.",
            "Subject sucidal, threatening to take an overdose.",
            "Threating to jump from {height}.",
            "Informant reports subject has been self harming again.",
            "Hx of OD and self harm, open to CRHT.",
            "Subject paranoid, believes neighbours are watching her through the TV.",
            "Subject presenting as psychotic, responding to unseen stimuli.",
            "S136 considered, subject agreed to attend {pos} voluntarily.",
            "Street triage consulted: known MH history, diagnosed EUPD.",
            "SUBJECT HAS TAKEN AN UNKNOWN QUANTITY OF TABLETS.",
            "Ligature found in the bedroom, removed by officers.",
            "Subject says there is no point going on and wants to die.",
            "Subject holding a blade to own wrist, negotiator requested.",
            "Concern for MH, subject not making sense and very agitated.",
            "Subject has scitzophrenia and has stopped taking meds.",
            "Referral to MH services to follow, subject in crisis.",
            "Subject disclosed suicidal thoughts to officers, MH triage contacted.",
            "Subject stood on the bridge parapet, talked down by officers.",
            "DEPRESSED AND LOW, SAYS CANNOT COPE ANY MORE.",
        ),
        "neutral": (
            "Concern for welfare reported by a member of the public.",
            "Subject engaged in conversation and moved away from {place}.",
            "Informant concerned as subject has not been seen for two days.",
            "Female located at {place} and taken home by officers.",
            "Male reported shouting in the street, no offences disclosed.",
            "Subject walking in the road, moved to the pavement by officers.",
            "Subject located safe and well.",
        ),
        "negated": (
            "No MH concerns.",
            "Subject denies any mental health issues.",
            "Not known to mental health services.",
            "NO MENTAL HEALTH ISSUES DISCLOSED.",
            "No concerns re self harm or suicide.",
            "Street triage not required, no MH involvement.",
            "Subject calm and rational, no signs of MH crisis.",
            "Subject denies SI, nothing on the MH flag.",
        ),
        "other_sense": (
            "Suspect jumped the fence and made off towards {place}.",
            "Shop manager blames the cost of living crisis for the rise in thefts.",
            "Victim says the incident has been mentally exhausting.",
            "Suspect jumped from a first floor window to evade officers.",
            "Section 59 warning issued for the vehicle.",
            "Staffing crisis in the control room, call held for {n} minutes.",
            "Caller describes the neighbours' party as 'mental'.",
            "Section 35 dispersal order in force in the town centre.",
        ),
    },
    "ambulance_calls": {
        "cue": (
            "Pt reports taking approx {n} tablets of {drug} {n} hours ago.",
            "Superficial lacerations to left forearm, cleaned and dressed.",
            "Pt expressing suicidal ideation with a plan, not safe to leave.",
            "ETOH on board, pt unsteady on feet, low in mood.",
            "Pt {feeling}, says they cannot keep themselves safe tonight.",
            "PMH: depression, anxiety, previous ODs.",
            "Pt expressing SI, no plan, known to CRHT.",
            "DSH to L forearm, bleeding controlled.",
            "OD of {drug} x{n}, pt alert and talking.",
            "?psychosis, pt responding to voices.",
            "Hx EUPD, frequent caller, low mood tonight.",
            "Pt states wants to die, tearful.",
            "pt sucidial, says has written a note.",
            "Mental health crisis, pt paranoid and frightened.",
            "Pt self harming with a razor blade, partner on scene.",
            "Known to CMHT, care coordinator informed.",
            "Pt has taken an OD of {drug}, states intentional.",
            "MH triage line consulted, advice to convey for psych assessment.",
            "Pt hearing voices, unable to give a history.",
            "ODed on {drug} after an argument, says wanted to end it.",
            "Pt threatening to jump from {height}, police on scene.",
        ),
        "neutral": (
            "ETOH on board, pt unsteady on feet.",
            "Pt found by a member of the public sitting alone at {place}.",
            "Pt reluctant to engage with crew initially.",
            "Police requested crew attendance for a concern for welfare.",
        ),
        "negated": (
            "No MH history.",
            "Denies SI/SH.",
            "No thoughts of self harm.",
            "Not known to MH services.",
            "Mental state: alert, appropriate, no concerns.",
            "Pt denies taking anything, no signs of overdose.",
        ),
        "other_sense": (
            "Pt jumped off a wall and injured left ankle.",
            "Accidental double dose of blood pressure tablets, no symptoms.",
            "Cut to hand on broken glass while washing up.",
            "Wife says pt struggled with mental arithmetic this morning, FAST negative.",
            "Pt says the cost of living crisis means the heating is off, house cold.",
            "Long handover, bed crisis at {hosp}.",
        ),
    },
    "ed_attendances": {
        "cue": (
            "Presents after deliberate overdose of {drug}, approx {n} tablets.",
            "Self-harm, superficial cuts to forearm, wound glued.",
            "Paracetamol level taken at 4 hours, below treatment line.",
            "Pt states feeling {feeling} for several weeks.",
            "Intoxicated, awaiting sobriety before MH assessment.",
            "Safety plan discussed, crisis line number given.",
            "Seen by {staffname} (liaison psychiatry).",
            "DSH, lacerations to both forearms, steristrips applied.",
            "MSE: low mood, poor eye contact, passive SI.",
            "Known EUPD, under CMHT, frequent attender.",
            "Brought in by police on s136.",
            "Awaiting psych r/v, pt wants to leave.",
            "Hx bipolar, stopped lithium, elevated mood.",
            "Pt reports auditory halucinations, command type.",
            "OD of {drug}, staggered, toxbase consulted.",
            "Pt tearful, says suicidal thoughts are getting worse.",
            "CRHT informed, pt open to home treatment.",
            "Ligature mark to neck, pt disclosed an attempt last night.",
            "Pt paranoid and guarded, believes staff are poisoning him.",
            "Anxiety attack, hyperventilating, hx of panic disorder.",
            "Deliberate self harm by cutting, known to MH services.",
            "Liaison to review once medically fit.",
        ),
        "neutral": (
            "Intoxicated, found by a member of the public.",
            "Wound to forearm cleaned and dressed.",
            "Pt brought in by friends, reluctant to give a history.",
            "Pt left the cubicle and was found in the car park.",
        ),
        "negated": (
            "No thoughts of self harm or suicide.",
            "MH: nil.",
            "No psychiatric history.",
            "Denies low mood.",
            "Mental state normal, no concerns.",
            "No evidence of self harm.",
        ),
        "other_sense": (
            "Laceration to hand from a kitchen knife while cooking.",
            "Accidental ingestion of an extra dose of warfarin.",
            "Fell while jumping on a trampoline, wrist pain.",
            "Pt says the cost of living crisis means she has been skipping meals.",
            "AMT (abbreviated mental test) 10/10, no confusion.",
            "Sickle cell crisis, analgesia given.",
        ),
    },
}
# Context sentences that are themselves mental-health cues (they follow a code that is a signal too).
MH_CUE_CONTEXTS = frozenset({"police_incidents:S136", "police_incidents:MH_REFERRAL", "ed_attendances:liaison"})

# The feedback themes: id -> what a comment says when it carries the theme (the contract with the codebook).
THEME_DESCRIPTIONS: dict[str, str] = {
    "waiting": "waiting and delays: the person waited, or help was slow to come",
    "kindness_and_respect": "staff were kind, caring, respectful",
    "dismissed_or_judged": "felt dismissed, judged, not believed, talked over, treated as a nuisance or time-waster",
    "listened_to_and_involved": "felt heard, involved in decisions, a plan made with them",
    "access_in_crisis": "could not get help in a crisis: lines engaged, no one available, turned away, out of hours",
    "continuity": "the same worker who knows them, or being passed between services and retelling the story",
    "police_and_restraint": "police involvement: police attending, vans, handcuffs, cells, restraint, treated as a "
    "criminal",
    "follow_up": "followed up, or not, after a crisis or discharge",
    "environment": "the place: waiting room, corridor, noise, privacy, the place of safety",
    "practical_help": "help, or none, with housing, benefits, money",
}

# Feedback themes: theme -> polarity -> phrasings. The ids are the contract with the codebook (docs/feeds.md);
# each phrasing expresses its theme and no other. Registers vary on purpose: plain, informal, SMS-style,
# misspelt, first and third person, and implicit ("Sat there 6 hours.").
FEEDBACK_THEMES: dict[str, dict[str, tuple[str, ...]]] = {
    "waiting": {
        "negative": (
            "Waited {n} hours in A&E.",
            "Sat there 6 hours.",
            "The wait was ridiculous.",
            "It took far too long to be seen.",
            "ambulance took 3 hrs to come",
            "waited ages 4 the ambulance",
            "My son waited {n} hours on a trolley.",
            "Kept being told it would be another hour.",
            "we were there all night before anyone saw her",
            "Far too long to wait when you're in that state.",
            "The delays were unbelievable.",
            "4 hrs b4 any1 saw me",
            "Waitied over five hours to see a doctor.",
            "By the time they saw me it was morning.",
            "I\u2019d been there since teatime \u2013 it was gone midnight when I was seen.",
            "Still waiting on the referral after 3 months.",
        ),
    },
    "kindness_and_respect": {
        "positive": (
            "Staff were really kind.",
            "The nurse {staffname} treated me like a human being.",
            "Everyone was so caring.",
            "the paramedics were lovely with me",
            "They treated my mum with real respect.",
            "So kind, honestly couldn't fault them.",
            "staff were amazin x",
            "The crew were gentle and respectful with me.",
            "Thank you {staffname}, you were so kind that night.",
            "they were v kind 2 me",
            "Treated with dignity the whole time.",
            "Nurses were compasionate and patient.",
            "She held my hand while I was scared.",
            "They never made me feel like a burden, they were warm and friendly.",
            "The receptionist was lovely.",
        ),
    },
    "dismissed_or_judged": {
        "negative": (
            "Felt like I was wasting their time.",
            "They made me feel like an attention seeker.",
            "Nobody believed me.",
            "treated like a nuisance",
            "The doctor basically told me to pull myself together.",
            "felt judged the minute I walked in",
            "they think im just a time waster",
            "My daughter was spoken to like she was a nuisance.",
            "Rude and dismissive.",
            "was told i was 'just attention seeking' again",
            "fobbed off as usual",
            "Got the eye roll as soon as they saw my name on the screen.",
            "Made to feel like a frequent flyer, not a person.",
            "didnt take me seriously at all",
            "Nobody asked what I wanted, they just talked over me.",
            "Felt judgd because of my drinking.",
        ),
    },
    "listened_to_and_involved": {
        "positive": (
            "I felt listened to for the first time in years.",
            "The plan we wrote together actually helped me this time.",
            "They asked me what I wanted to happen.",
            "Felt heard.",
            "My views were taken into account.",
            "they actually listened 2 me",
            "I was involved in every decision.",
            "She really listened and didn't rush me.",
            "We made a plan together that I can actually use.",
            "They listened to my mum as well, which meant a lot.",
            "Someone finally took the time to hear me out.",
            "Listend to me properly.",
            "They explained everything and asked if I agreed.",
            "My nurse {staffname} let me have a say in my own care plan.",
        ),
    },
    "access_in_crisis": {
        "negative": (
            "I don't want to keep ringing 999 but there is nobody else at 3am.",
            "The crisis line was engaged all night.",
            "Rang the crisis team {n} times and nobody answered.",
            "They just kept sending me home.",
            "Turned away because I'd been drinking.",
            "There was nobody available out of hours.",
            "cant get thru 2 any1 when im in crisis",
            "The number on my plan just rings out at weekends.",
            "Told to go to A&E because there was no one else.",
            "no help at all when i needed it most",
            "My husband spent hours trying to get someone to come out to me.",
            "Tried 111, then the crisis line, then gave up.",
            "The crisis cafe was shut and there was nowhere else to go.",
            "Crisis line always engauged.",
        ),
    },
    "continuity": {
        "positive": (
            "Having the same worker every time made all the difference.",
            "She knew my history so I didn't have to explain everything again.",
            "Same nurse as last time, which really helped.",
            "Good to have one person who knows me.",
            "my worker has stuck with me for a year now",
            "I've had the same care coordinator since the spring and she gets it.",
        ),
        "negative": (
            "Passed from pillar to post.",
            "Had to tell my story four times to four different people.",
            "Every time it's someone new.",
            "bounced between services, nobody owns my care",
            "new worker every few weeks, sick of repeating myself",
            "I\u2019ve had five care coordinators in two years.",
            "They kept referring me back and forth between the GP and the mental health team.",
            "Nobody reads the notes so I have to start from scratch.",
            "keep havin 2 explain evrything again",
        ),
    },
    "police_and_restraint": {
        "negative": (
            "Being put in the back of a police van when I was unwell was humiliating.",
            "I was handcuffed even though I hadn't done anything wrong.",
            "Spent the night in a cell when I needed a hospital.",
            "Treated like a criminal.",
            "They restrained me on the floor.",
            "four officers held me down",
            "The police came instead of a nurse.",
            "police turned up and it scared my kids",
            "My son was taken to the station in handcuffs.",
            "Held in custody until someone from mental health came.",
            "cuffs were too tight, my wrists were bruised",
            "The police were called on me again.",
            "Sectioned by the police in the street, in front of everyone.",
            "The polise were really heavy handed.",
        ),
        "positive": (
            "the coppers were alright to be fair, stayed with me till the ambulance came",
            "The officers who brought me in were calm with me and kept the cuffs off.",
        ),
    },
    "follow_up": {
        "positive": (
            "They rang me the next day to check I was okay.",
            "Someone called the day after to see how I was doing.",
            "Really appreciated the follow up call after I was discharged.",
            "The crisis team came out the next morning like they said.",
            "got a txt next day checking in on me",
            "My GP got a letter and rang me within the week.",
        ),
        "negative": (
            "The crisis team never called back when they said they would.",
            "Nobody followed up after I left hospital.",
            "Discharged with nothing, no follow up at all.",
            "Was promised a call back that never came.",
            "no 1 checked on me after",
            "Heard nothing for weeks after I was discharged.",
            "Still no follow-up apointment.",
            "My mum was sent home and that was the last we heard from anyone.",
        ),
    },
    "environment": {
        "negative": (
            "The waiting room was noisy and chaotic.",
            "No privacy, everyone could hear me talking about it.",
            "The place of safety was freezing and smelled.",
            "Sitting in a bright, noisy corridor made everything worse.",
            "there was a drunk man shouting next to me the whole time",
            "The room they put me in had nothing in it but a plastic chair.",
            "had to explain why I was there at the front desk with people behind me",
            "The cubicle curtain doesn't stop anyone hearing.",
            "A&E is the worst place to be when your head is like that.",
            "Too loud, too bright, too many people.",
            "Was put in a room with no windows.",
            "The waitin room was filthy.",
        ),
        "positive": (
            "The quiet room at the crisis cafe was a godsend.",
            "It was a calm space, which helped.",
            "They found me a private room so I could talk.",
        ),
    },
    "practical_help": {
        "positive": (
            "They helped me sort out my benefits.",
            "My worker helped me get my housing sorted.",
            "Finally got help with my rent arrears.",
            "Helped me fill in the PIP forms.",
            "got me a food bank voucher n sorted my gas",
            "They rang the council with me about my flat.",
            "Got my universal credit sorted, which took so much stress off.",
        ),
        "negative": (
            "Nobody could help with the housing problem, which is the main thing.",
            "I'm about to be evicted and no one could help with that.",
            "No help with money, which is the reason I'm in this state.",
            "They said benefits weren't their department.",
            "still no help with my housing",
            "Debt is the root of it and nobody would touch it.",
            "Was told to ring the council myself about being homeless.",
            "Benifits still not sorted.",
        ),
    },
}
# Sentences that look like a theme and are not: negations ("didn't have to wait long") and near misses (the
# theme's words in another sense). Planted to test a codebook's precision; listed in feedback_theme_decoys.csv.
FEEDBACK_DECOYS: dict[str, dict[str, tuple[str, ...]]] = {
    "waiting": {
        "negated": ("Didn't have to wait long.", "I was seen pretty quickly to be fair.", "no waiting around"),
        "near_miss": (
            "Can't wait to get back to work.",
            "I waited until my partner got home before I rang.",
        ),
    },
    "kindness_and_respect": {
        "near_miss": (
            "It was kind of a blur.",
            "I'm kind of embarrassed about the whole thing.",
            "With respect, this form is too long.",
        ),
    },
    "dismissed_or_judged": {
        "near_miss": (
            "My court case was dismissed last month, which has helped.",
            "I don't want this dismissed as just another form.",
        ),
    },
    "listened_to_and_involved": {
        "near_miss": (
            "I listen to music to calm myself down.",
            "I was involved in a car crash a few years ago.",
            "The plan for the weekend is to see my nan.",
        ),
    },
    "access_in_crisis": {
        "negated": ("Someone picked up the phone straight away.", "Got through to someone first time."),
        "near_miss": ("The cost of living crisis isn't helping anyone.",),
    },
    "continuity": {
        "near_miss": ("I will continue to use the service.", "Same as my friend said in hers."),
    },
    "police_and_restraint": {
        "negated": ("No police involved, thankfully.", "I didn't need the police."),
        "near_miss": ("My dad used to be in the police.",),
    },
    "follow_up": {
        "near_miss": ("I'm following up on the form I sent in May.", "This is a follow up to my last message."),
    },
    "environment": {
        "near_miss": ("I'm in a better place now.", "My home environment is more settled at the moment."),
    },
    "practical_help": {
        "negated": ("I didn't need any help with money or housing.", "My benefits are fine, that wasn't the issue."),
    },
}

POOLS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "police_incidents": (POLICE_IDENT, POLICE_PLAIN),
    "ambulance_calls": (AMB_IDENT, AMB_PLAIN),
    "ed_attendances": (ED_IDENT, ED_PLAIN),
    "mh_contacts": (MH_IDENT, MH_PLAIN),
    "council_contacts": (COUNCIL_IDENT, COUNCIL_PLAIN),
    "programme_caseload": (CASELOAD_IDENT, CASELOAD_PLAIN),
    "feedback": (FEEDBACK_IDENT, FEEDBACK_PLAIN),
}
# Mean identifying sentences per narrative, per feed (Poisson); plain sentences are 1-3.
IDENT_SENTENCES_MEAN = {
    "police_incidents": 1.6,
    "ambulance_calls": 1.2,
    "ed_attendances": 1.0,
    "mh_contacts": 1.0,
    "council_contacts": 1.3,
    "programme_caseload": 0.8,
    "feedback": 0.6,
}


@dataclass(frozen=True)
class Span:
    entity_type: str
    value: str
    start: int
    end: int


@dataclass(frozen=True)
class Mark:
    """Where a sentence the builder asked for landed in a narrative."""

    tag: str
    template: str
    start: int
    end: int
    text: str


Filler = Callable[[str], str]  # a slot's value; "title\x00name" marks a prefix that does not identify


def render(template: str, fill: Filler) -> tuple[str, list[Span]]:
    """Fill a template's slots; return the text and the spans of identifying values in it."""
    out: list[str] = []
    spans: list[Span] = []
    pos = 0
    last = 0
    for match in SLOT.finditer(template):
        literal = template[last : match.start()]
        out.append(literal)
        pos += len(literal)
        slot = match.group(1)
        value = fill(slot)
        if "\x00" in value:  # "title\x00name": only the name identifies
            prefix, value = value.split("\x00", 1)
            out.append(prefix + " ")
            pos += len(prefix) + 1
        etype = IDENTIFYING_SLOTS.get(slot)
        if etype is not None and value:
            spans.append(Span(etype, value, pos, pos + len(value)))
        out.append(value)
        pos += len(value)
        last = match.end()
    out.append(template[last:])
    return "".join(out), spans


def compose(
    feed: str,
    fill: Filler,
    rng: random.Random,
    uppercase: bool = False,
    context: tuple[str, ...] = (),
    tagged: Sequence[tuple[str, str]] = (),
    marks: list[Mark] | None = None,
) -> tuple[str, list[Span]]:
    """A narrative of a few sentences for one record of a feed, with its identifier spans.

    ``context`` names what the record says happened (``"mh"``, a closing code, ...): one fitting sentence
    is drawn for each, so the text agrees with the codes beside it. ``tagged`` are (tag, template) sentences
    the builder chose itself (a feedback theme, a mental-health cue). When ``marks`` is given, it receives a
    :class:`Mark` for every context and tagged sentence: its tag (``"<feed>:<context>"`` for context
    sentences), where it is in the text and the text as written.
    """
    ident_pool, plain_pool = POOLS[feed]
    n_ident = _poisson(IDENT_SENTENCES_MEAN[feed], rng)
    n_plain = rng.randrange(3)
    fitting: list[tuple[str | None, str]] = [
        (f"{feed}:{c}", rng.choice(CONTEXT[f"{feed}:{c}"])) for c in context if f"{feed}:{c}" in CONTEXT
    ]
    fitting += list(tagged)
    templates: list[tuple[str | None, str]] = (
        fitting
        + [(None, t) for t in rng.sample(plain_pool, min(n_plain, len(plain_pool)))]
        + [(None, t) for t in rng.sample(ident_pool, min(n_ident, len(ident_pool)))]
    )
    if not templates:
        templates = [(None, rng.choice(plain_pool))]
    rng.shuffle(templates)
    separator = "\n" if feed == "feedback" and rng.random() < 0.2 else " "
    text_parts: list[str] = []
    spans: list[Span] = []
    pos = 0
    for i, (tag, template) in enumerate(templates):
        if i:
            text_parts.append(separator)
            pos += len(separator)
        text, local = render(template, fill)
        if uppercase:
            text = text.upper()
            local = [Span(s.entity_type, s.value.upper(), s.start, s.end) for s in local]
        text_parts.append(text)
        spans.extend(Span(s.entity_type, s.value, s.start + pos, s.end + pos) for s in local)
        if tag is not None and marks is not None:
            marks.append(Mark(tag, template, pos, pos + len(text), text))
        pos += len(text)
    return "".join(text_parts), spans


def _poisson(mean: float, rng: random.Random) -> int:
    # Knuth's method: small means only, deterministic for the rng
    limit = pow(2.718281828459045, -mean)
    k = 0
    p = rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def plain_filler(rng: random.Random) -> Callable[[str], str | None]:
    """Values for the non-identifying slots."""

    def fill(slot: str) -> str | None:
        if slot == "drug":
            return rng.choice(DRUGS)
        if slot == "place":
            return rng.choice(PLACES)
        if slot == "hosp":
            return rng.choice(HOSPITALS)
        if slot == "height":
            return rng.choice(HEIGHTS)
        if slot == "pos":
            return rng.choice(PLACES_OF_SAFETY)
        if slot == "feeling":
            return rng.choice(FEELINGS)
        if slot == "n":
            return str(rng.randrange(2, 30))
        if slot == "time":
            return f"{rng.randrange(24):02d}:{rng.randrange(60):02d}"
        if slot == "news":
            return str(rng.randrange(0, 13))
        if slot == "rr":
            return str(rng.randrange(12, 30))
        if slot == "spo2":
            return str(rng.randrange(90, 100))
        if slot == "hr":
            return str(rng.randrange(55, 140))
        if slot == "bp":
            return f"{rng.randrange(95, 170)}/{rng.randrange(55, 100)}"
        return None

    return fill
