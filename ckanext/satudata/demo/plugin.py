"""``satudata_demo``: adds the demo's command to a portal running ``satudata``
(listed after it in ckan.plugins, as demo.ini does)."""
from __future__ import annotations

import ckan.plugins as p

from ckanext.satudata.demo import cli


class SatudataDemoPlugin(p.SingletonPlugin):
    p.implements(p.IClick)

    # IClick
    def get_commands(self):
        return [cli.satudata_demo]
