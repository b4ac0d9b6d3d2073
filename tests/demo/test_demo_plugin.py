"""The demo's sample data and fixed password come only with the ``satudata_demo``
plugin (demo.ini): a portal with test.ini's plugins, as in production, has no
demo command."""
import configparser
import pathlib

import pytest
from ckan.cli.cli import ckan

ROOT = pathlib.Path(__file__).resolve().parents[2]
PLUGINS = "activity scheming_datasets scheming_organizations satudata"


def _plugins(ini: str) -> str:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / ini)
    return parser["app:main"]["ckan.plugins"]


def test_only_demo_ini_loads_the_demo_plugin():
    assert _plugins("test.ini") == PLUGINS
    assert _plugins("demo.ini") == PLUGINS + " satudata_demo"
    readme = (ROOT / "README.md").read_text()
    assert f"ckan.plugins = {PLUGINS}\n" in readme and "demo-load" not in readme


@pytest.mark.usefixtures("with_extended_cli")
def test_the_production_plugins_have_no_demo_command(cli):
    group = cli.invoke(ckan, ["satudata", "--help"])
    assert group.exit_code == 0, group.output
    assert "remind" in group.output and "demo" not in group.output
    demo = cli.invoke(ckan, ["satudata-demo", "--help"])
    assert demo.exit_code != 0 and "No such command" in demo.output


@pytest.mark.ckan_config("ckan.plugins", PLUGINS + " satudata_demo")
@pytest.mark.usefixtures("with_extended_cli")
def test_the_demo_plugin_brings_the_demo_command(cli):
    group = cli.invoke(ckan, ["satudata", "--help"])
    assert group.exit_code == 0 and "demo" not in group.output, group.output
    demo = cli.invoke(ckan, ["satudata-demo", "--help"])
    assert demo.exit_code == 0, demo.output
    assert "load" in demo.output
