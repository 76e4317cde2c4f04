"""reservations, stock movements, product interest

Revision ID: 2630300f52d9
Revises: ca7a54ba2978
Create Date: 2026-11-30 20:57:52.126432
"""
from alembic import op
import sqlalchemy as sa


revision = '2630300f52d9'
down_revision = 'ca7a54ba2978'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('members',
    sa.Column('member_id', sa.String(length=40), nullable=False),
    sa.Column('home_store_id', sa.String(length=40), nullable=True),
    sa.Column('facts_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('member_id')
    )
    op.create_table('product_views',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('member_id', sa.String(length=40), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('size', sa.String(length=16), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('origin_member_id', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('product_views', schema=None) as batch_op:
        batch_op.create_index('ix_product_views_at', ['at'], unique=False)
        batch_op.create_index('ix_product_views_member', ['member_id', 'sku', 'at'], unique=False)

    op.create_table('reservations',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('member_id', sa.String(length=40), nullable=False),
    sa.Column('store_id', sa.String(length=40), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('size', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('hold_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('idempotency_key', sa.String(length=128), nullable=False),
    sa.Column('offer_id', sa.String(length=40), nullable=True),
    sa.Column('closed_by', sa.String(length=160), nullable=True),
    sa.Column('origin_member_id', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key')
    )
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.create_index('ix_reservations_expiry', ['hold_until'], unique=False, sqlite_where=sa.text("status = 'HELD'"), postgresql_where=sa.text("status = 'HELD'"))
        batch_op.create_index('ix_reservations_member', ['member_id', 'status'], unique=False)

    op.create_table('sales',
    sa.Column('purchase_external_id', sa.String(length=128), nullable=False),
    sa.Column('line_id', sa.String(length=64), nullable=False),
    sa.Column('member_id', sa.String(length=40), nullable=True),
    sa.Column('store_id', sa.String(length=40), nullable=True),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('size', sa.String(length=16), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('origin_member_id', sa.String(length=40), nullable=True),
    sa.PrimaryKeyConstraint('purchase_external_id', 'line_id')
    )
    with op.batch_alter_table('sales', schema=None) as batch_op:
        batch_op.create_index('ix_sales_member', ['member_id', 'sku', 'at'], unique=False)

    op.create_table('stock_movements',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('store_id', sa.String(length=40), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('size', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('on_hand_change', sa.Integer(), nullable=False),
    sa.Column('held_change', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=128), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('stock_movements', schema=None) as batch_op:
        batch_op.create_index('ix_stock_movements_item', ['store_id', 'sku', 'size'], unique=False)

    # Stock becomes units on hand and units held (available = on_hand - held). Before this
    # revision nothing could be held, so every counted unit was on hand: on_hand takes the
    # old available plus reserved, held starts at 0 (no reservation rows exist to back it).
    with op.batch_alter_table('stock', schema=None) as batch_op:
        batch_op.add_column(sa.Column('on_hand', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('held', sa.Integer(), server_default='0', nullable=False))
    op.execute("UPDATE stock SET on_hand = available + reserved, held = 0")
    with op.batch_alter_table('stock', schema=None) as batch_op:
        batch_op.drop_constraint('ck_stock_available', type_='check')
        batch_op.drop_constraint('ck_stock_reserved', type_='check')
        batch_op.drop_column('reserved')
        batch_op.drop_column('available')
        batch_op.alter_column('on_hand', server_default=None)
        batch_op.create_check_constraint('ck_stock_held', 'held >= 0 AND held <= on_hand')



def downgrade() -> None:
        # Back to free and reserved units: what was held counts as reserved.
    with op.batch_alter_table('stock', schema=None) as batch_op:
        batch_op.add_column(sa.Column('available', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('reserved', sa.Integer(), server_default='0', nullable=False))
    op.execute("UPDATE stock SET available = on_hand - held, reserved = held")
    with op.batch_alter_table('stock', schema=None) as batch_op:
        batch_op.drop_constraint('ck_stock_held', type_='check')
        batch_op.drop_column('held')
        batch_op.drop_column('on_hand')
        batch_op.alter_column('available', server_default=None)
        batch_op.create_check_constraint('ck_stock_available', 'available >= 0')
        batch_op.create_check_constraint('ck_stock_reserved', 'reserved >= 0')

    with op.batch_alter_table('stock_movements', schema=None) as batch_op:
        batch_op.drop_index('ix_stock_movements_item')

    op.drop_table('stock_movements')
    with op.batch_alter_table('sales', schema=None) as batch_op:
        batch_op.drop_index('ix_sales_member')

    op.drop_table('sales')
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.drop_index('ix_reservations_member')
        batch_op.drop_index('ix_reservations_expiry', sqlite_where=sa.text("status = 'HELD'"), postgresql_where=sa.text("status = 'HELD'"))

    op.drop_table('reservations')
    with op.batch_alter_table('product_views', schema=None) as batch_op:
        batch_op.drop_index('ix_product_views_member')
        batch_op.drop_index('ix_product_views_at')

    op.drop_table('product_views')
    op.drop_table('members')
