#!/usr/bin/env bash
# Build the wheels the Dockerfile installs from when `docker build` has no network.
#
#   scripts/wheels.sh [DIR]     (default: wheels/ at the repository root)
#
# Runs `pip wheel -c constraints.txt -w DIR` on the runtime dependencies listed in
# pyproject.toml, plus setuptools and wheel (the project's build backend, which pip needs
# to build the project inside the image). The project itself is left out on purpose: it
# is built from source in the image, so a code change does not invalidate the cached
# dependency layer. Wheels must match the image's Python: run this with CPython 3.11 on
# glibc Linux of the image's CPU (the .venv of `make install` on such a machine is).
set -euo pipefail
cd "$(dirname "$0")/.."

DIR="${1:-wheels}"
if [[ "$(uname -s)" != Linux ]]; then
  # Wheels built here would not install in a Linux image; with no wheels/ the build
  # installs from the package index instead (it then needs network).
  echo "wheels: $(uname -s) is not Linux: no wheels built; docker build will use the package index"
  exit 0
fi
PYTHON="${PYTHON:-.venv/bin/python}"
[[ -x "${PYTHON}" ]] || { echo "wheels: ${PYTHON} not found; run 'make install' first" >&2; exit 1; }

version=$("${PYTHON}" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [[ "${version}" != "3.11" ]]; then
  echo "wheels: ${PYTHON} is Python ${version}; the images run 3.11, so the wheels would not install" >&2
  exit 1
fi

start=$SECONDS
requirements=$(mktemp)
trap 'rm -f "${requirements}"' EXIT
"${PYTHON}" - "${requirements}" <<'EOF'
import sys
import tomllib

with open("pyproject.toml", "rb") as f:
    deps = tomllib.load(f)["project"]["dependencies"]
with open(sys.argv[1], "w", encoding="utf-8") as out:
    out.write("\n".join([*deps, "setuptools>=75", "wheel"]) + "\n")
EOF

mkdir -p "${DIR}"
echo "wheels: building the runtime dependencies into ${DIR}/ (pinned by constraints.txt)..."
# --find-links: wheels already in DIR are reused instead of downloaded again.
"${PYTHON}" -m pip wheel --quiet --disable-pip-version-check \
  -c constraints.txt --find-links "${DIR}" -w "${DIR}" -r "${requirements}"
echo "wheels: $(find "${DIR}" -name '*.whl' | wc -l) wheels in ${DIR}/ ($((SECONDS - start)) s)"
