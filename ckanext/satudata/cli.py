"""``ckan satudata ...`` commands; thin wrappers around actions and modules."""
from __future__ import annotations

import json

import click
import ckan.plugins.toolkit as tk

__all__ = ["satudata"]


def _site_user_context() -> dict:
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    return {"user": site_user["name"], "ignore_auth": True}


@click.group(short_help="Satu Data Indonesia portal commands")
def satudata():
    """Satu Data Indonesia: roles, demo data, reminders."""


@satudata.group()
def role():
    """Grant, revoke and list SDI roles."""


@role.command("grant")
@click.argument("user")
@click.argument("role_name", metavar="ROLE")
@click.option("--organization", "-o", help="The agency, for the ppid role")
@click.option("--institution", help="For pembina: BPS, BIG, ...")
def role_grant(user, role_name, organization, institution):
    """Grant ROLE (walidata, pembina, forum, ppid) to USER."""
    data = {"user": user, "role": role_name, "organization": organization, "institution": institution}
    try:
        grant = tk.get_action("satudata_role_grant")(_site_user_context(), {k: v for k, v in data.items() if v})
    except tk.ValidationError as e:
        raise click.ClickException(json.dumps(e.error_dict, ensure_ascii=False))
    click.echo(f"granted {grant['role']} to {grant['user_name']}"
               + (f" for {grant['organization_name']}" if grant.get("organization_name") else ""))


@role.command("revoke")
@click.argument("user")
@click.argument("role_name", metavar="ROLE")
@click.option("--organization", "-o")
def role_revoke(user, role_name, organization):
    """Revoke ROLE from USER."""
    data = {"user": user, "role": role_name, "organization": organization}
    try:
        tk.get_action("satudata_role_revoke")(_site_user_context(), {k: v for k, v in data.items() if v})
    except (tk.ValidationError, tk.ObjectNotFound) as e:
        raise click.ClickException(str(getattr(e, "error_dict", e)))
    click.echo(f"revoked {role_name} from {user}")


@role.command("list")
@click.option("--user")
@click.option("--role", "role_name")
@click.option("--organization", "-o")
def role_list(user, role_name, organization):
    """List active SDI role grants."""
    data = {"user": user, "role": role_name, "organization": organization}
    grants = tk.get_action("satudata_role_list")(_site_user_context(), {k: v for k, v in data.items() if v})
    for g in grants:
        click.echo(f"{g['user_name']}\t{g['role']}\t{g.get('organization_name') or '-'}\t{g['granted_at']}")


@satudata.command("remind")
def remind():
    """Email whoever owns an overdue data-request step; once per step and day (run daily from cron)."""
    from ckanext.satudata.datarequest import reminders

    sent = reminders.remind()
    for item in sent:
        click.echo(f"reminded {', '.join(item['to'])}: request {item['request']} step {item['step']}")
    click.echo(f"{len(sent)} reminders sent")


@satudata.command("demo-load")
def demo_load():
    """Load the Kabupaten Sumedang sample agencies, users and datasets (idempotent)."""
    from ckanext.satudata import demo

    for line in demo.load():
        click.echo(line)


@satudata.command("validation-requeue")
@click.option("--older-than", type=int, metavar="SECONDS",
              help="Age of a stuck validation (default: ckanext.satudata.validation.stale_after)")
def validation_requeue(older_than):
    """Re-queue validations left pending/running by a dead worker (run from cron)."""
    from ckanext.satudata import validation

    result = validation.mark_stale(older_than)
    for resource_id in result["requeued"]:
        click.echo(f"requeued {resource_id}")
    for resource_id in result["given_up"]:
        click.echo(f"gave up {resource_id} (error report)")
    click.echo(f"{len(result['requeued'])} requeued, {len(result['given_up'])} given up")
