"""index messages by update id

Handling an update looks up its message row by update id; without an index that is a scan of the
whole transcript table, slower with every message stored.

Revision ID: bot0003
Revises: bot0002
Create Date: 2026-11-25 00:45:00

"""
from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = 'bot0003'
down_revision: str | Sequence[str] | None = 'bot0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_update', ['update_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_update')
