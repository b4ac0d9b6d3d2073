# Only Babel's message extractors and the catalogue build live here (see
# ckan/ckan#8382); all other metadata is in pyproject.toml.
from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithCatalogs(build_py):
    """Compile the .po catalogues to .mo before the package is built, so a
    wheel or sdist built from a clean checkout is translated."""

    def run(self):
        self.run_command("compile_catalog")
        super().run()


setup(
    message_extractors={
        "ckanext": [
            ("**/tests/**", "ignore", None),
            ("**.py", "python", None),
            ("**.js", "javascript", None),
            ("**/templates/**.html", "ckan", None),
        ],
    },
    cmdclass={"build_py": BuildPyWithCatalogs},
)
