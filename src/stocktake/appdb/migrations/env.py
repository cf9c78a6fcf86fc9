"""Alembic's entry point: runs migrations on the URL ``appdb.database`` passes in."""

from alembic import context
from sqlalchemy import create_engine

from stocktake.appdb.models import Base

config = context.config
engine = create_engine(config.get_main_option("sqlalchemy.url"))
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
