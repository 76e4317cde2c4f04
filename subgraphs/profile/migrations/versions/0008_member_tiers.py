"""member tiers (the churn model's tier feature)

Revision ID: 7c1d2e3f4a5b
Revises: 12b1769e57bb
Create Date: 2026-11-30 23:20:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '7c1d2e3f4a5b'
down_revision = '12b1769e57bb'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('member_tiers',
    sa.Column('member_id', sa.String(length=40), nullable=False),
    sa.Column('tier_id', sa.String(length=40), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('member_id')
    )


def downgrade() -> None:
    op.drop_table('member_tiers')
