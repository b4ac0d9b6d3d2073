"""satudata_* actions, one module per concept; registered by tk.blanket.actions.

The chained core actions (``package_create`` ...) close the other paths to
publication.
"""
from ckanext.satudata.logic.action.dataset import (
    bulk_update_private,
    bulk_update_public,
    package_create,
    package_search,
    package_update,
)
from ckanext.satudata.logic.action.roles import (
    satudata_role_grant,
    satudata_role_list,
    satudata_role_revoke,
)
from ckanext.satudata.logic.action.validation import (
    resource_validation_delete,
    resource_validation_run,
    resource_validation_show,
)
from ckanext.satudata.logic.action.workflow import (
    satudata_dataset_compliance,
    satudata_dataset_history,
    satudata_dataset_publish,
    satudata_dataset_reject,
    satudata_dataset_submit,
    satudata_dataset_unpublish,
    satudata_dataset_verify,
    satudata_task_list,
)

__all__ = [
    "package_create",
    "package_update",
    "package_search",
    "bulk_update_public",
    "bulk_update_private",
    "satudata_role_grant",
    "satudata_role_revoke",
    "satudata_role_list",
    "satudata_dataset_compliance",
    "satudata_dataset_submit",
    "satudata_dataset_verify",
    "satudata_dataset_reject",
    "satudata_dataset_publish",
    "satudata_dataset_unpublish",
    "satudata_dataset_history",
    "satudata_task_list",
    "resource_validation_run",
    "resource_validation_show",
    "resource_validation_delete",
]
