"""SDI metadata: the controlled vocabularies, kode wilayah, derived fields,
the search index hooks and the SDI compliance checks."""
