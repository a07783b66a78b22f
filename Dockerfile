# Baton in a container: a slim Python base, dependencies from the hashed lock file, a non-root user,
# and a health check on /readyz (database reachable, schema current, platform connections up).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    BATON_HTTP_HOST=0.0.0.0 \
    BATON_HTTP_PORT=3000

WORKDIR /app
COPY requirements.lock ./
RUN pip install --require-hashes --no-deps -r requirements.lock
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY commands ./commands
COPY storage ./storage
RUN pip install --no-deps . \
    && useradd --create-home --uid 10001 baton
USER baton
WORKDIR /home/baton

EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ['BATON_HTTP_PORT']}/readyz\", timeout=4)"]
CMD ["baton", "run"]
