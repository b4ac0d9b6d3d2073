"""SDI metadata: the controlled vocabularies, the fields' labels (from the
scheming schema), kode wilayah, the reference-code formats, derived fields,
the search index hooks and the SDI compliance checks."""
