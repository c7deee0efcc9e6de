"""Add the custom sender's keys and its check history

The sender identity gains its ownership token, DKIM key pair and state
reason; new tables keep every check run, record result and transition.

Revision ID: 0002_sender
Revises: 0001_initial
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_sender"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sendercheckrun",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=False),
        sa.Column("state_before", sa.String(length=20), nullable=False),
        sa.Column("state_after", sa.String(length=20), nullable=False),
        sa.Column("self_test", sa.String(length=500), nullable=True),
        sa.Column("summary", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sendercheckrun", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sendercheckrun_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "senderrecordcheck",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("rtype", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("expected", sa.String(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("found", sa.JSON(), nullable=True),
        sa.Column("found_name", sa.String(length=300), nullable=True),
        sa.Column("server", sa.String(length=200), nullable=False),
        sa.Column("ttl", sa.Integer(), nullable=True),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.Column("message", sa.String(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["sendercheckrun.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("senderrecordcheck", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_senderrecordcheck_run_id"), ["run_id"], unique=False
        )

    op.create_table(
        "sendertransition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=True),
        sa.Column("address", sa.String(length=320), nullable=True),
        sa.Column("from_state", sa.String(length=20), nullable=False),
        sa.Column("to_state", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["sendercheckrun.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sendertransition", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sendertransition_tenant_id"), ["tenant_id"], unique=False
        )

    with op.batch_alter_table("senderidentity", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "state_reason",
                sa.String(length=500),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column(
                "ownership_token",
                sa.String(length=64),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column(
                "dkim_selector",
                sa.String(length=63),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column(
                "dkim_public_key",
                sa.String(length=1024),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("dkim_private_key", sa.String(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "last_check_run_id",
                sa.String(length=32),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("senderidentity", schema=None) as batch_op:
        batch_op.drop_column("last_check_run_id")
        batch_op.drop_column("dkim_private_key")
        batch_op.drop_column("dkim_public_key")
        batch_op.drop_column("dkim_selector")
        batch_op.drop_column("ownership_token")
        batch_op.drop_column("state_reason")

    with op.batch_alter_table("sendertransition", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sendertransition_tenant_id"))

    op.drop_table("sendertransition")
    with op.batch_alter_table("senderrecordcheck", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_senderrecordcheck_run_id"))

    op.drop_table("senderrecordcheck")
    with op.batch_alter_table("sendercheckrun", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sendercheckrun_tenant_id"))

    op.drop_table("sendercheckrun")
