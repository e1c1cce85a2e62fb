# federator: the daemon (scheduler + HTTP server). Config and data are volumes.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    FEDERATOR_CONFIG=/config/federator.yaml FEDERATOR_MAPPINGS=/app/mappings
WORKDIR /app

# Install the package (with its built-in mappings) first, for layer caching.
COPY pyproject.toml README.md ./
COPY federator ./federator
COPY mappings ./mappings
RUN pip install --no-cache-dir . \
    && useradd --system --uid 10001 --home-dir /data federator \
    && mkdir -p /data /config && chown federator /data

COPY config/docker.yaml /config/federator.yaml
USER federator
VOLUME ["/config", "/data"]
EXPOSE 8000
CMD ["federator", "daemon"]
