"""Role grants outlive their user and organization; granted_by/revoked_by hold user ids.

The grants are the audit trail of who held an SDI role: purging a user or an
organization must not delete them, so the two ON DELETE CASCADE foreign keys
go (as ``satudata_dataset_event`` has none to ``package``). ``granted_by`` and
``revoked_by`` held the acting user's *name*; they now hold the user's *id*,
like ``user_id`` and the history tables. Names of existing users are
converted; a value that names no user is kept as it is (still readable).

Revision ID: 3c7e91a4d2b5
Revises: 6a1f0c2d9b10
Create Date: 2026-12-01 18:50:00

"""
from alembic import op

revision = "3c7e91a4d2b5"
down_revision = "6a1f0c2d9b10"
branch_labels = None
depends_on = None

_TABLE = "satudata_role_grant"


def upgrade():
    op.drop_constraint("satudata_role_grant_user_id_fkey", _TABLE, type_="foreignkey")
    op.drop_constraint("satudata_role_grant_organization_id_fkey", _TABLE, type_="foreignkey")
    for column in ("granted_by", "revoked_by"):
        op.execute(f'UPDATE {_TABLE} AS g SET {column} = u.id FROM "user" AS u '
                   f"WHERE g.{column} = u.name AND g.{column} <> u.id")


def downgrade():
    for column in ("granted_by", "revoked_by"):
        op.execute(f'UPDATE {_TABLE} AS g SET {column} = u.name FROM "user" AS u WHERE g.{column} = u.id')
    # NOT VALID: rows of purged users or organizations stay (the old schema would have deleted them).
    op.execute(f'ALTER TABLE {_TABLE} ADD CONSTRAINT satudata_role_grant_user_id_fkey FOREIGN KEY (user_id) '
               f'REFERENCES "user" (id) ON DELETE CASCADE NOT VALID')
    op.execute(f'ALTER TABLE {_TABLE} ADD CONSTRAINT satudata_role_grant_organization_id_fkey '
               f'FOREIGN KEY (organization_id) REFERENCES "group" (id) ON DELETE CASCADE NOT VALID')
