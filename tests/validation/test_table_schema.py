"""Tests of the Table Schema checks, check_table_schema (no CKAN needed).

Run: .venv/bin/python -m pytest -p no:ckan -p no:ckan_fixtures -o addopts='' \
     tests/validation/test_table_schema.py -q
All data files are generated in tmp_path.
"""
from __future__ import annotations

import json

import pytest

from ckanext.satudata.validation.table_schema import check_table_schema
from tests.validation.tables import SCHEMA


@pytest.fixture(autouse=True)
def _satudata_plugins():
    """No CKAN needed: override the package conftest's autouse plugin fixture
    so this module also runs with ``-p no:ckan``."""


def test_check_schema_valid():
    assert check_table_schema(SCHEMA) == {}
    assert check_table_schema(json.dumps(SCHEMA)) == {}
    assert check_table_schema({"fields": [{"name": "a"}], "primaryKey": "a"}) == {}


@pytest.mark.parametrize("bad", ["{not json", "[1, 2]", "42", None, 5, b"\xff\xfe", ["fields"]])
def test_check_schema_not_an_object(bad):
    problems = check_table_schema(bad)
    assert list(problems) == ["schema"]
    assert problems["schema"][0]


def test_check_schema_unknown_type():
    problems = check_table_schema({"fields": [{"name": "a"}, {"name": "b", "type": "integr"}]})
    assert list(problems) == ["fields[1].type"]
    assert "integr" in problems["fields[1].type"][0]


def test_check_schema_duplicate_names():
    problems = check_table_schema({"fields": [{"name": "a"}, {"name": "b"}, {"name": "a"}]})
    assert list(problems) == ["fields[2].name"]
    assert "Duplicate" in problems["fields[2].name"][0]


@pytest.mark.parametrize("schema", [{"fields": []}, {}, {"fields": "a,b"}])
def test_check_schema_empty_or_missing_fields(schema):
    assert list(check_table_schema(schema)) == ["fields"]


@pytest.mark.parametrize("pk", [["b"], "b", [1], {"a": 1}])
def test_check_schema_bad_primary_key(pk):
    problems = check_table_schema({"fields": [{"name": "a"}], "primaryKey": pk})
    assert list(problems) == ["primaryKey"]


@pytest.mark.parametrize("field, location", [
    ({"name": "a", "type": "integer", "constraints": {"minimum": "x"}}, "fields[0].constraints.minimum"),
    ({"name": "a", "type": "integer", "constraints": {"pattern": "[0-9]+"}}, "fields[0].constraints.pattern"),
    ({"name": "a", "type": "string", "constraints": {"pattern": "[a-"}}, "fields[0].constraints.pattern"),
    ({"name": "a", "type": "string", "constraints": {"enum": "x"}}, "fields[0].constraints.enum"),
    ({"name": "a", "type": "integer", "constraints": {"enum": [1, "dua"]}}, "fields[0].constraints.enum"),
    ({"name": "a", "type": "string", "constraints": {"required": "yes"}}, "fields[0].constraints.required"),
    ({"name": "a", "type": "string", "constraints": {"minLength": -1}}, "fields[0].constraints.minLength"),
    ({"name": "a", "type": "integer", "constraints": {"minimum": 5, "maximum": 1}}, "fields[0].constraints"),
    ({"name": "a", "type": "string", "format": "weird"}, "fields[0].format"),
    ({"name": "", "type": "string"}, "fields[0].name"),
    ({"type": "string"}, "fields[0].name"),
    ("a", "fields[0]"),
])
def test_check_schema_bad_field(field, location):
    problems = check_table_schema({"fields": [field]})
    assert location in problems, problems


def test_check_schema_bad_foreign_key():
    problems = check_table_schema({
        "fields": [{"name": "a"}],
        "foreignKeys": [{"fields": ["z"], "reference": {"resource": "other", "fields": ["a"]}}],
    })
    assert "foreignKeys[0].fields" in problems
    assert "foreignKeys[0].reference.resource" in problems
