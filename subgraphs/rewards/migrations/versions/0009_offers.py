"""offers

Revision ID: 5509f9746fb1
Revises: f2eea7679332
Create Date: 2026-11-30 21:37:36.918734
"""
from alembic import op
import sqlalchemy as sa


revision = '5509f9746fb1'
down_revision = 'f2eea7679332'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('offers',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('member_id', sa.String(length=40), nullable=False),
    sa.Column('origin_member_id', sa.String(length=40), nullable=False),
    sa.Column('campaign_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('message', sa.String(length=300), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=True),
    sa.Column('size', sa.String(length=16), nullable=True),
    sa.Column('store_id', sa.String(length=40), nullable=True),
    sa.Column('hold_hours', sa.Integer(), nullable=False),
    sa.Column('basket_effects', sa.JSON(), nullable=False),
    sa.Column('coupon_amount', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('coupon_percent', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('expected_value', sa.Float(), nullable=True),
    sa.Column('reservation_id', sa.String(length=40), nullable=True),
    sa.Column('coupon_code', sa.String(length=16), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('issued_for', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('issued_for')
    )
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.create_index('ix_offers_member', ['member_id', 'campaign_id', 'status'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.drop_index('ix_offers_member')

    op.drop_table('offers')

