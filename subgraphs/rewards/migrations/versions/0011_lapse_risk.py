"""lapse risk: the engine's copy of profile's churn scores

Revision ID: 3b8e4d2a6c10
Revises: a134a48a02b1
Create Date: 2026-11-30 23:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '3b8e4d2a6c10'
down_revision = 'a134a48a02b1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('member_lapse_risk',
    sa.Column('member_id', sa.String(length=40), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('model', sa.String(length=64), nullable=False),
    sa.Column('horizon_days', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('member_id')
    )


def downgrade() -> None:
    op.drop_table('member_lapse_risk')
