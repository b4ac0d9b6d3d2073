"""``ckan satudata ...`` commands; thin wrappers around actions and modules."""
from __future__ import annotations

import click
import ckan.plugins.toolkit as tk

from ckanext.satudata.workflow import roles

__all__ = ["satudata"]


def _site_user_context() -> dict:
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    return {"user": site_user["name"], "ignore_auth": True}


@click.group(short_help="Satu Data Indonesia portal commands")
def satudata():
    """Satu Data Indonesia: roles, reminders, re-queueing."""


@satudata.group()
def role():
    """Grant, revoke and list SDI roles."""


def _role_call(action: str, data: dict):
    """Call a role action as the site user; bad input ends the command with its messages."""
    try:
        return tk.get_action(action)(_site_user_context(), {k: v for k, v in data.items() if v})
    except tk.ValidationError as error:
        lines = [f"{field}: {'; '.join(msgs) if isinstance(msgs, list) else msgs}"
                 for field, msgs in (error.error_dict or {}).items()]
        raise click.ClickException("\n".join(lines) or str(error))
    except tk.ObjectNotFound as error:
        raise click.ClickException(str(error) or "not found")


_ROLE_CHOICE = click.Choice(roles.ROLES)


@role.command("grant")
@click.argument("user")
@click.argument("role_name", metavar="ROLE", type=_ROLE_CHOICE)
@click.option("--organization", "-o", help="The agency, for the ppid role")
@click.option("--institution", help="Required for pembina: BPS, BIG, ...")
def role_grant(user, role_name, organization, institution):
    """Grant ROLE (walidata, pembina, forum, ppid) to USER."""
    grant = _role_call("satudata_role_grant", {"user": user, "role": role_name, "organization": organization,
                                               "institution": institution})
    click.echo(f"granted {grant['role']} to {grant['user_name']}"
               + (f" for {grant['organization_name']}" if grant.get("organization_name") else "")
               + (f" ({grant['institution']})" if grant.get("institution") else ""))


@role.command("revoke")
@click.argument("user")
@click.argument("role_name", metavar="ROLE", type=_ROLE_CHOICE)
@click.option("--organization", "-o", help="The agency, for the ppid role")
def role_revoke(user, role_name, organization):
    """Revoke ROLE from USER."""
    _role_call("satudata_role_revoke", {"user": user, "role": role_name, "organization": organization})
    click.echo(f"revoked {role_name} from {user}" + (f" for {organization}" if organization else ""))


@role.command("list")
@click.option("--user")
@click.option("--role", "role_name", type=_ROLE_CHOICE)
@click.option("--organization", "-o")
def role_list(user, role_name, organization):
    """List active SDI role grants: user, role, organization, institution, granted at."""
    grants = _role_call("satudata_role_list", {"user": user, "role": role_name, "organization": organization})
    for g in grants:
        click.echo("\t".join([g["user_name"], g["role"], g.get("organization_name") or "-",
                              g.get("institution") or "-", g["granted_at"]]))


@satudata.command("remind")
def remind():
    """Email whoever owns an overdue data-request step (once per step and day) and the
    producers of published datasets late for their update (once a week); run daily from cron."""
    from ckanext.satudata.datarequest import reminders
    from ckanext.satudata.workflow import schedule

    try:
        sent, failed = reminders.remind(), []
    except reminders.ReminderError as e:
        sent, failed = e.sent, e.failed
    for item in sent:
        click.echo(f"reminded {', '.join(item['to'])}: request {item['request']} step {item['step']}")
    late_sent, late_failed = schedule.remind_late()
    for item in late_sent:
        click.echo(f"reminded {', '.join(item['to'])}: dataset {item['dataset']} late for its update "
                   f"(due {item['due']})")
    failed += late_failed
    click.echo(f"{len(sent)} reminders sent")
    click.echo(f"{len(late_sent)} late-update reminders sent")
    if failed:
        raise click.ClickException(f"{len(failed)} reminders failed (see the log); they are retried on the next run")


@satudata.command("validation-requeue")
@click.option("--older-than", type=int, metavar="SECONDS",
              help="Age of a stuck validation (default: ckanext.satudata.validation.stale_after)")
def validation_requeue(older_than):
    """Re-queue validations left pending/running by a dead worker (run from cron)."""
    from ckanext.satudata.validation import service

    _echo_requeued(service.mark_stale(older_than), given_up_note=" (error report)")


@satudata.command("notice-requeue")
@click.option("--older-than", type=int, metavar="SECONDS",
              help="Age of a waiting notice (default: ckanext.satudata.notice.stale_after)")
def notice_requeue(older_than):
    """Queue again the notices that Redis, SMTP or a dead worker kept from being sent (run from cron)."""
    from ckanext.satudata import outbox

    _echo_requeued(outbox.requeue(older_than))


def _echo_requeued(result: dict[str, list[str]], given_up_note: str = "") -> None:
    """What a requeue command did: each item, then the counts."""
    for item in result["requeued"]:
        click.echo(f"requeued {item}")
    for item in result["given_up"]:
        click.echo(f"gave up {item}{given_up_note}")
    click.echo(f"{len(result['requeued'])} requeued, {len(result['given_up'])} given up")
