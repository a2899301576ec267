# One image for every plm-sync process: worker, beat, migrate, sandbox.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md LICENSE ./
COPY src ./src
COPY tasks ./tasks
COPY mappings ./mappings
RUN pip install --no-cache-dir '.[notify,flower]' && useradd --create-home plm
USER plm
ENV PLM_SYNC_MAPPINGS=/app/mappings
