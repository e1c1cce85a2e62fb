# federator: the daemon (scheduler + HTTP server). Config and data are volumes.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    FEDERATOR_CONFIG=/config/federator.yaml

# Install the package from its sources, then drop them: the wheel carries the built-in
# mappings, shapes, vocabulary and organisation list as package data.
COPY pyproject.toml setup.py README.md /src/
COPY federator /src/federator
COPY mappings /src/mappings
RUN pip install --no-cache-dir /src \
    && rm -rf /src \
    && useradd --system --uid 10001 --home-dir /data federator \
    && mkdir -p /data /config && chown federator /data

COPY config/docker.yaml /config/federator.yaml
USER federator
WORKDIR /data
VOLUME ["/config", "/data"]
EXPOSE 8000
CMD ["federator", "daemon"]
