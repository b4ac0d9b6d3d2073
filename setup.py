# Only Babel's message extractors live here (see ckan/ckan#8382); all other
# metadata is in pyproject.toml.
from setuptools import setup

setup(
    message_extractors={
        "ckanext": [
            ("**.py", "python", None),
            ("**.js", "javascript", None),
            ("**/templates/**.html", "ckan", None),
        ],
    },
)
