# One multi-stage build, one image per agent:
#
#   docker build --target data-agent    -t agentbus/data-agent .
#   docker build --target cs-agent      -t agentbus/cs-agent .
#   docker build --target balance-agent -t agentbus/balance-agent .
#   docker build --target gateway       -t agentbus/gateway .
#
# All four share the `build` and `runtime` stages; an agent's own stage only says which
# module it runs, so building the four costs one build plus metadata.
#
# Without network inside `docker build` (a TLS proxy the container does not trust, an
# air-gapped builder), build the wheels on the host first; they are then used instead of
# the package index:
#
#   scripts/wheels.sh        # = pip wheel -c constraints.txt -w wheels <runtime deps> setuptools wheel
#   docker build --network none --build-arg BASE_IMAGE=local/python-base:bookworm --target data-agent .
#
# When `wheels/` holds wheels, pip installs with `--no-index --find-links /wheels` only;
# when it is absent, from the package index; pinned by constraints.txt either way.
# The wheels must match the image's Python (3.11, glibc Linux on the same CPU).

ARG BASE_IMAGE=python:3.11-slim-bookworm

# --- requirements: the runtime dependencies listed in pyproject.toml ----------------------
# Only this list feeds the dependency layer, so edits elsewhere in pyproject.toml (tool
# settings, the version) leave the installed dependencies cached.
FROM ${BASE_IMAGE} AS requirements
COPY pyproject.toml /src/
RUN python3 -c "import tomllib; print('\n'.join(tomllib.load(open('/src/pyproject.toml', 'rb'))['project']['dependencies']))" >/requirements.txt

# --- build: a virtualenv with the pinned dependencies, then the project -------------------
FROM ${BASE_IMAGE} AS build
# Dependencies first, in a layer of their own: it is rebuilt only when the pins change,
# not when the code does. `wheel[s]` copies the wheel directory when there is one.
COPY --from=requirements /requirements.txt /wheels/
COPY constraints.txt wheel[s] /wheels/
RUN set -eu; \
    export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1; \
    if ls /wheels/*.whl >/dev/null 2>&1; then \
        echo "installing from /wheels only (no package index)"; \
        export PIP_NO_INDEX=1 PIP_FIND_LINKS=/wheels; \
    else \
        echo "no wheels in the build context: installing from the package index"; \
    fi; \
    python3 -m venv /opt/venv; \
    /opt/venv/bin/pip install --quiet -c /wheels/constraints.txt -r /wheels/requirements.txt
# Then the project itself, built into a wheel (setuptools lives only in pip's temporary
# build environment) and installed without touching the dependencies; pip itself goes.
COPY README.md pyproject.toml /src/
COPY services/ /src/services/
RUN set -eu; \
    export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1; \
    if ls /wheels/*.whl >/dev/null 2>&1; then export PIP_NO_INDEX=1 PIP_FIND_LINKS=/wheels; fi; \
    /opt/venv/bin/pip wheel --quiet --no-deps -w /tmp/dist /src; \
    /opt/venv/bin/pip install --quiet --no-deps /tmp/dist/agentbus-*.whl; \
    /opt/venv/bin/pip uninstall --quiet --yes pip setuptools wheel 2>/dev/null || true; \
    mkdir -p /rootfs/var/lib/agentbus

# --- runtime: the base image, the virtualenv, a non-root user; no compilers, no pip -------
# Metadata first, the large copies last: fewer layers to copy with slow storage drivers.
FROM ${BASE_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    AGENTBUS_OPS__HOST=0.0.0.0 \
    AGENTBUS_OPS__PORT=8080 \
    AGENTBUS_DATA_DB_PATH=/var/lib/agentbus/matches.sqlite
# A numeric user, so Kubernetes can check runAsNonRoot without reading /etc/passwd.
USER 10001:10001
EXPOSE 8080
# A writable place for the data agent's database (an emptyDir on Kubernetes).
COPY --from=build --chown=10001:10001 /rootfs/var/lib/agentbus /var/lib/agentbus
COPY --from=build /opt/venv /opt/venv

# --- one target per agent ------------------------------------------------------------------
FROM runtime AS data-agent
ENTRYPOINT ["python", "-m", "data_agent"]

FROM runtime AS cs-agent
ENTRYPOINT ["python", "-m", "cs_agent"]

FROM runtime AS balance-agent
ENTRYPOINT ["python", "-m", "balance_agent"]

FROM runtime AS gateway
ENTRYPOINT ["python", "-m", "gateway"]
