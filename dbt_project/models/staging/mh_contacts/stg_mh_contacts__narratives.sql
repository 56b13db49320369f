{{ config(schema='restricted') }}

-- De-identified free text, kept out of the published warehouse: see the macro and docs/disclosure.md.
{{ restricted_narratives('mh_contacts', 'contact_key', 'clinical_notes') }}
