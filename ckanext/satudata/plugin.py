"""ckanext-satudata: the plugin registers; the work lives in the modules."""
from __future__ import annotations

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib.plugins import DefaultTranslation

from ckanext.satudata import subscriptions, uploads
from ckanext.satudata.datarequest import due
from ckanext.satudata.metadata import derived, indexing
from ckanext.satudata.views import workflow as workflow_views
from ckanext.satudata.workflow import transitions
from ckanext.satudata.workflow.permissions import SatudataPermissionLabels


@tk.blanket.actions
@tk.blanket.auth_functions
@tk.blanket.validators
@tk.blanket.helpers
@tk.blanket.blueprints
@tk.blanket.cli
@tk.blanket.config_declarations
class SatudataPlugin(p.SingletonPlugin, DefaultTranslation):
    p.implements(p.IConfigurer)
    p.implements(p.IConfigurable)
    p.implements(p.ITranslation)
    p.implements(p.IPermissionLabels)
    p.implements(p.IPackageController, inherit=True)
    p.implements(p.IResourceController, inherit=True)
    p.implements(p.IFacets, inherit=True)
    p.implements(p.ISignal)

    _labels = SatudataPermissionLabels()

    # IConfigurer
    def update_config(self, config):
        tk.add_template_directory(config, "templates")
        tk.add_resource("assets", "satudata")
        workflow_views.land_on_tasks(config)  # login lands on "Tugas saya"

    # IConfigurable
    def configure(self, config):
        due.check_config(config)

    # ISignal
    def get_signal_subscriptions(self):
        return subscriptions.get_signal_subscriptions()

    # IPermissionLabels
    def get_dataset_labels(self, dataset_obj):
        return self._labels.get_dataset_labels(dataset_obj)

    def get_user_dataset_labels(self, user_obj):
        return self._labels.get_user_dataset_labels(user_obj)

    # IPackageController
    def before_dataset_index(self, pkg_dict):
        return indexing.before_dataset_index(pkg_dict)

    def after_dataset_update(self, context, pkg_dict):
        transitions.back_to_draft_on_edit(context, pkg_dict)

    def after_dataset_show(self, context, pkg_dict):
        derived.after_dataset_show(pkg_dict)

    # IResourceController
    def before_resource_create(self, context, resource):
        uploads.check_resource(resource)

    def before_resource_update(self, context, current, resource):
        uploads.check_resource(resource)

    # IFacets
    def dataset_facets(self, facets_dict, package_type):
        return indexing.dataset_facets(facets_dict)

    def organization_facets(self, facets_dict, organization_type, package_type):
        return indexing.dataset_facets(facets_dict)
