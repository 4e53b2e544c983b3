"""delivery queue

Every message the bot sends is a row until Telegram accepted it: `relay_due_at` (the relay queue's column,
now the queue of every outbound message) holds when its next attempt is due, `attempts` and
`delivery_error` its failures, `route` where it goes (the user's chat, or the ticket's topic), `reply_to`
the message it answers, `waiting_noted` that the agents or admins were told it still waits.

Replies left unsent by an earlier version fall due at once; the relay queue's rows go to their topics.

Revision ID: bot0006
Revises: bot0005
Create Date: 2026-12-08 03:10:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = 'bot0006'
down_revision: str | Sequence[str] | None = 'bot0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('route', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('reply_to', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('delivery_error', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('waiting_noted', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE messages SET route = 'topic' WHERE relay_due_at IS NOT NULL")
    op.execute("UPDATE messages SET relay_due_at = created_at WHERE direction = 'out' AND sent_at IS NULL "
               "AND internal = false AND relay_due_at IS NULL")


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('waiting_noted')
        batch_op.drop_column('delivery_error')
        batch_op.drop_column('attempts')
        batch_op.drop_column('reply_to')
        batch_op.drop_column('route')
