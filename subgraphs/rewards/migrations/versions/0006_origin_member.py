"""rows that follow merges keep the member they were made for

Revision ID: ffffa0b753f9
Revises: ae4a10cb1176
Create Date: 2026-11-30 21:15:35.576977
"""
from alembic import op
import sqlalchemy as sa


revision = 'ffffa0b753f9'
down_revision = 'ae4a10cb1176'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows moved by a merge remember the member they were made for. Before this revision a moved
    # row kept the merge's id instead: its origin is that merge's absorbed member.
    for table in ('purchases', 'returns'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('origin_member_id', sa.String(length=40), nullable=True))
        op.execute(f"UPDATE {table} SET origin_member_id = coalesce((SELECT a.absorbed_id FROM member_aliases a "
                   f"WHERE a.merge_id = {table}.merge_id), member_id)")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('origin_member_id', existing_type=sa.String(length=40), nullable=False)
            batch_op.drop_index(f'ix_{table}_merge_id')
            batch_op.drop_column('merge_id')


def downgrade() -> None:
    for table in ('purchases', 'returns'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('merge_id', sa.String(length=40), nullable=True))
            batch_op.create_index(f'ix_{table}_merge_id', ['merge_id'], unique=False)
            batch_op.drop_column('origin_member_id')
