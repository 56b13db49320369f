{{ config(schema='restricted') }}

-- De-identified free text, kept out of the published warehouse: see the macro and docs/disclosure.md.
{{ restricted_narratives('council_contacts', 'council_contact_key', 'case_note') }}
