"""The SQL store: SQLAlchemy models, Alembic migrations, the unit of work and repositories."""
