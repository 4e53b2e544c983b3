"""message relay queue

A user's message into an open ticket is acknowledged at once and copied to the ticket's topic in the
background, behind Telegram's per-group rate: `relay_due_at` marks a message waiting for its copy, so a
stop or a crash in between loses nothing (the next tick, in whichever instance ticks, copies it).

Revision ID: bot0005
Revises: bot0004
Create Date: 2026-11-27 00:10:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = 'bot0005'
down_revision: str | Sequence[str] | None = 'bot0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('relay_due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_messages_relay', ['relay_due_at'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_relay')
        batch_op.drop_column('relay_due_at')
