"""ticket topic claim

Several instances may open the topic of one ticket at the same moment (a publish in one, the user's
message in another). The instance that opens it claims the ticket's row first (a conditional update of
`topic_claim`), keeps `topic_claimed_at` fresh while it works, and the others wait for its topic; a claim
left by an instance that died expires.

Revision ID: bot0004
Revises: bot0003
Create Date: 2026-11-26 00:10:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = 'bot0004'
down_revision: str | Sequence[str] | None = 'bot0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('topic_claim', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('topic_claimed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('topic_claimed_at')
        batch_op.drop_column('topic_claim')
