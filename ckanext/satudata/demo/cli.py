"""``ckan satudata-demo ...``: registered only by the ``satudata_demo`` plugin."""
from __future__ import annotations

import click

__all__ = ["satudata_demo"]


@click.group("satudata-demo", short_help="Satu Data Indonesia demo portal commands")
def satudata_demo():
    """The demo portal's sample data (never on a production portal)."""


@satudata_demo.command("load")
def load():
    """Load the Kabupaten Sumedang sample agencies, users and datasets (idempotent)."""
    from ckanext.satudata.demo import data  # imported when run, so loading the plugin stays light

    for line in data.load():
        click.echo(line)
