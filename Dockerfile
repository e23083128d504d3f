# Pepptalk's container image. Build it from the repository's root:
#
#   docker build -t pepptalk .
#
# docs/operators/container.md says how to run it (compose.yaml: PostgreSQL and two replicas).

# ---- build: Pepptalk and its dependencies, as wheels, into a virtual environment -------------
FROM python:3.11.13-slim-bookworm AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/pepptalk

WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY pepptalk ./pepptalk
# Pepptalk is built as a wheel and installed into the venv with its dependencies, wheels only:
# every one ships wheels for CPython 3.11 on Linux (amd64 and arm64), so nothing is compiled
# and no compiler is needed, here or later. The venv is all the runtime stage takes.
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels . \
    && /opt/pepptalk/bin/pip install --no-cache-dir --only-binary=:all: /wheels/pepptalk-*.whl \
    && /opt/pepptalk/bin/pepptalk --version

# ---- runtime: the venv on the same Python, as user pepptalk (UID and GID 10001) -------------
FROM python:3.11.13-slim-bookworm AS runtime

# The data directory is the SQLite default's home (and the working directory, so a relative
# path in DATABASE_URL lands there too). With PostgreSQL nothing is written to it.
RUN groupadd --gid 10001 pepptalk \
    && useradd --uid 10001 --gid pepptalk \
        --home-dir /var/lib/pepptalk --no-create-home --shell /usr/sbin/nologin pepptalk \
    && install -d -o pepptalk -g pepptalk -m 0750 /var/lib/pepptalk

COPY --from=build /opt/pepptalk /opt/pepptalk

ENV PATH="/opt/pepptalk/bin:${PATH}" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MPLCONFIGDIR=/tmp/matplotlib \
    PORT=3000 \
    HOST=0.0.0.0 \
    LOG_FORMAT=json \
    LOG_LEVEL=info \
    DATABASE_URL=sqlite:////var/lib/pepptalk/pepptalk.db \
    PLAYGROUND_DATABASE_URL=sqlite:////var/lib/pepptalk/pepptalk-demo.db

WORKDIR /var/lib/pepptalk
VOLUME ["/var/lib/pepptalk"]
USER 10001:10001

EXPOSE 3000

# 200 from /healthz (the database answers and takes a write) or the container is unhealthy.
# The image has no curl: Python's urllib, which fails on any answer but 2xx and on no answer.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request\ntry:\n    urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '3000') + '/healthz', timeout=5)\nexcept Exception as error:\n    sys.exit(f'unhealthy: {error}')"]

CMD ["pepptalk", "run"]
