{{ config(schema='restricted') }}

-- De-identified free text, kept out of the published warehouse: see the macro and docs/disclosure.md.
{{ restricted_narratives('programme_caseload', 'caseload_event_key', 'coordinator_note') }}
