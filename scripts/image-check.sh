#!/usr/bin/env bash
# Build every agent image for real and ask the data agent in one (make image-check).
#
# Works without a container registry (see shared CONTAINERS.md in the design docs):
#   1. a Docker daemon: Debian's docker.io, started here with the vfs driver if none runs
#   2. a base image made locally: debootstrap bookworm (python3, python3-venv) imported as
#      local/python-base:bookworm, cached as a tarball under ~/.cache/agentbus/images
#   3. wheels built on this machine (scripts/wheels.sh), since `docker build` has no network
#   4. the four images from the one Dockerfile, one --target each
#   5. a local Kafka (agentbus.localkafka), the data-agent container on the host network
#      with the pod's restrictions (read-only root, tmpfs /tmp, no capabilities, uid 10001),
#      and `agentbus ask data "..."` from the host
# Everything it started is stopped at the end. Needs root (apt-get, dockerd) unless a
# Docker daemon already runs and the base image exists.
set -euo pipefail
cd "$(dirname "$0")/.."

BASE_IMAGE=local/python-base:bookworm
CACHE="${HOME}/.cache/agentbus/images"
BASE_TARBALL="${CACHE}/python-base-bookworm.tar"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
TAG=check
TARGETS=(data-agent cs-agent balance-agent gateway)
QUESTION="TvZ win rate on patch 5.0.13"
# BuildKit (built into dockerd >= 18.09, no buildx plugin needed): builds only the stages a
# target needs and makes no container for metadata instructions, which matters with vfs.
export DOCKER_BUILDKIT=1

started=$SECONDS
work=$(mktemp -d)
dockerd_pid=""
kafka_dir=""
container=""

say() { printf '[image-check %4ds] %s\n' $((SECONDS - started)) "$*"; }
die() {
  printf '[image-check] error: %s\n' "$*" >&2
  exit 1
}

cleanup() {
  local rc=$?
  set +e
  if [[ -n "${container}" ]]; then
    if ((rc != 0)); then
      echo "--- data-agent container log (last 40 lines) ---" >&2
      ${DOCKER} logs --tail 40 "${container}" >&2 2>&1
    fi
    ${DOCKER} rm -f "${container}" >/dev/null 2>&1
  fi
  if [[ -n "${kafka_dir}" ]]; then
    say "stopping the local Kafka"
    .venv/bin/python -m agentbus.localkafka stop --data-dir "${kafka_dir}" >/dev/null 2>&1
  fi
  if [[ -n "${dockerd_pid}" ]]; then
    say "stopping the Docker daemon this script started (pid ${dockerd_pid})"
    kill "${dockerd_pid}" 2>/dev/null
    for _ in $(seq 1 30); do kill -0 "${dockerd_pid}" 2>/dev/null || break; sleep 1; done
  fi
  rm -rf "${work}"
  exit "${rc}"
}
trap cleanup EXIT

free_port() {
  .venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

[[ -x .venv/bin/python ]] || die ".venv is missing; run 'make install' first"

# --- 1. Docker ------------------------------------------------------------------------
apt_install() {
  [[ $(id -u) -eq 0 ]] || die "$1 is missing and installing it needs root (apt-get install $1)"
  command -v apt-get >/dev/null || die "$1 is missing and this is not a Debian-like system: install it yourself"
  say "installing $1 with apt-get..."
  if [[ -z "${APT_UPDATED:-}" ]]; then
    apt-get update -qq || die "apt-get update failed: are Debian's package mirrors reachable?"
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get install -y -qq "$1" \
    >"${work}/apt.log" 2>&1 || { tail -20 "${work}/apt.log" >&2; die "apt-get install $1 failed (log above)"; }
}

# The docker.io client matches the daemon it ships with; prefer it over another client.
if [[ -x /usr/bin/docker ]]; then DOCKER=/usr/bin/docker; else DOCKER=docker; fi

if ! ${DOCKER} info >/dev/null 2>&1; then
  command -v dockerd >/dev/null || apt_install docker.io
  [[ -x /usr/bin/docker ]] && DOCKER=/usr/bin/docker
  [[ $(id -u) -eq 0 ]] || die "no Docker daemon answers and starting one needs root"
  say "starting dockerd (vfs storage, no iptables, no bridge; log: ${work}/dockerd.log)"
  dockerd --storage-driver=vfs --iptables=false --bridge=none >"${work}/dockerd.log" 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 1 60); do
    ${DOCKER} info >/dev/null 2>&1 && break
    kill -0 "${dockerd_pid}" 2>/dev/null || { tail -20 "${work}/dockerd.log" >&2; die "dockerd exited at start (log above)"; }
    sleep 1
  done
  ${DOCKER} info >/dev/null 2>&1 || { tail -20 "${work}/dockerd.log" >&2; die "dockerd did not answer within 60 s"; }
fi
say "Docker daemon $(${DOCKER} version --format '{{.Server.Version}}') ready ($(${DOCKER} info --format '{{.Driver}}') storage)"

# --- 2. base image --------------------------------------------------------------------
if ! ${DOCKER} image inspect "${BASE_IMAGE}" >/dev/null 2>&1; then
  if [[ -f "${BASE_TARBALL}" ]]; then
    say "loading ${BASE_IMAGE} from ${BASE_TARBALL}"
    ${DOCKER} load -q -i "${BASE_TARBALL}" >/dev/null || die "docker load ${BASE_TARBALL} failed; delete it to rebuild"
  else
    command -v debootstrap >/dev/null || apt_install debootstrap
    say "making ${BASE_IMAGE} with debootstrap from ${DEBIAN_MIRROR} (once, about a minute)..."
    rootfs="${work}/rootfs"
    debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
      bookworm "${rootfs}" "${DEBIAN_MIRROR}" >"${work}/debootstrap.log" 2>&1 &
    bootstrap_pid=$!
    while kill -0 "${bootstrap_pid}" 2>/dev/null; do
      sleep 15
      say "  debootstrap: $(grep '^I: ' "${work}/debootstrap.log" | tail -1 | cut -c4-80)"
    done
    wait "${bootstrap_pid}" ||
      { tail -20 "${work}/debootstrap.log" >&2; die "debootstrap failed (log above); set DEBIAN_MIRROR to a reachable mirror"; }
    rm -rf "${rootfs}/var/cache/apt/archives/"*.deb "${rootfs}/var/lib/apt/lists/"*
    say "importing the root filesystem ($(du -sh "${rootfs}" | cut -f1))"
    tar -C "${rootfs}" -c . | ${DOCKER} import \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'ENV LANG=C.UTF-8' \
      --change 'CMD ["python3"]' - "${BASE_IMAGE}" >/dev/null || die "docker import failed"
    rm -rf "${rootfs}"
    mkdir -p "${CACHE}"
    ${DOCKER} save -o "${BASE_TARBALL}" "${BASE_IMAGE}" && say "cached as ${BASE_TARBALL}"
  fi
fi
say "base image: $(${DOCKER} run --rm --network host "${BASE_IMAGE}" python3 --version)"

# --- 3. wheels ------------------------------------------------------------------------
scripts/wheels.sh wheels

# --- 4. images ------------------------------------------------------------------------
for target in "${TARGETS[@]}"; do
  t0=$SECONDS
  say "building agentbus/${target}:${TAG} (--target ${target}, no network)..."
  log="${work}/build-${target}.log"
  ${DOCKER} build --progress plain --network none --build-arg "BASE_IMAGE=${BASE_IMAGE}" \
    --target "${target}" -t "agentbus/${target}:${TAG}" . >"${log}" 2>&1 &
  build_pid=$!
  ticks=0
  while kill -0 "${build_pid}" 2>/dev/null; do
    sleep 1
    if ((++ticks % 15 == 0)) && kill -0 "${build_pid}" 2>/dev/null; then
      say "  $(grep -E '^#[0-9]+ \[|^Step [0-9]+' "${log}" | tail -1 | cut -c1-90)"
    fi
  done
  wait "${build_pid}" || { tail -30 "${log}" >&2; die "docker build --target ${target} failed (log above)"; }
  say "built agentbus/${target}:${TAG} in $((SECONDS - t0)) s ($(${DOCKER} image inspect -f '{{.Size}}' "agentbus/${target}:${TAG}" | awk '{printf "%.0f MB", $1/1e6}'))"
done
# The RUN's own output line (BuildKit prefixes it with "#<step> <seconds> "), not its command.
if grep -Eq '^(#[0-9]+ [0-9.]+ )?installing from /wheels only' "${work}/build-data-agent.log"; then
  say "the dependencies were installed from wheels/ only (no package index)"
else
  say "the dependency layer came from the build cache"
fi

say "checking the images: non-root user, entrypoints, no compilers or pip, modules import"
modules=()
for target in "${TARGETS[@]}"; do
  image="agentbus/${target}:${TAG}"
  user=$(${DOCKER} image inspect -f '{{.Config.User}}' "${image}")
  [[ "${user}" == "10001:10001" ]] || die "${image} runs as '${user}', not 10001:10001"
  module=$(${DOCKER} image inspect -f '{{index .Config.Entrypoint 2}}' "${image}")
  modules+=("${module}")
  printf '    %-28s user %s, runs python -m %s\n' "${image}" "${user}" "${module}"
done
# The four images share one runtime stage: one container checks all their modules (with
# vfs every container start copies the image, so one instead of four saves a minute).
${DOCKER} run --rm --network none --read-only --entrypoint python "agentbus/data-agent:${TAG}" -c "
import importlib, shutil, sys
for module in sys.argv[1:]:
    importlib.import_module(module + '.app')
tools = [t for t in ('gcc', 'cc', 'pip', 'pip3', 'make') if shutil.which(t)]
sys.exit(f'build tools in the image: {tools}' if tools else 0)
" "${modules[@]}" || die "an agent module does not import in the image, or it contains build tools"

# --- 5. a real request ----------------------------------------------------------------
kafka_port=$(free_port)
controller_port=$(free_port)
ops_port=$(free_port)
kafka_dir="${work}/kafka"
say "starting a local Kafka on 127.0.0.1:${kafka_port}..."
.venv/bin/python -m agentbus.localkafka start --data-dir "${kafka_dir}" --port "${kafka_port}" \
  --controller-port "${controller_port}" >"${work}/kafka.log" 2>&1 ||
  { tail -20 "${work}/kafka.log" >&2; kafka_dir=""; die "the local Kafka did not start (log above)"; }

say "running agentbus/data-agent:${TAG} (host network, read-only root, uid 10001, no capabilities)"
container=agentbus-image-check-$$
${DOCKER} run -d --name "${container}" --network host \
  --read-only --tmpfs /tmp:rw,size=64m --tmpfs /var/lib/agentbus:rw,uid=10001,gid=10001,size=256m \
  --cap-drop ALL --security-opt no-new-privileges \
  -e AGENTBUS_KAFKA__BOOTSTRAP_SERVERS="127.0.0.1:${kafka_port}" \
  -e AGENTBUS_OPS__HOST=127.0.0.1 -e AGENTBUS_OPS__PORT="${ops_port}" -e AGENTBUS_OPS__A2A_HTTP=false \
  -e OTEL_INSTRUMENTATION_A2A_SDK_ENABLED=false \
  "agentbus/data-agent:${TAG}" >/dev/null || die "docker run agentbus/data-agent:${TAG} failed"

for _ in $(seq 1 120); do
  status=$(.venv/bin/python -c "
import httpx
try:
    print(httpx.get('http://127.0.0.1:${ops_port}/readyz', timeout=2).status_code)
except httpx.HTTPError:
    print(0)")
  [[ "${status}" == 200 ]] && break
  [[ "$(${DOCKER} inspect -f '{{.State.Running}}' "${container}")" == true ]] || die "the data-agent container exited (log below)"
  sleep 1
done
[[ "${status}" == 200 ]] || die "the data agent was not ready within 120 s (/readyz: ${status})"
say "data agent ready: $(.venv/bin/python -c "import httpx; print(httpx.get('http://127.0.0.1:${ops_port}/readyz').text[:160])")"

say "asking from the host: agentbus ask data \"${QUESTION}\""
answer=$(AGENTBUS_KAFKA__BOOTSTRAP_SERVERS="127.0.0.1:${kafka_port}" timeout 120 \
  .venv/bin/agentbus ask data "${QUESTION}" --timeout 60 2>"${work}/ask.err") ||
  { cat "${work}/ask.err" >&2; die "agentbus ask failed (above)"; }
printf '%s\n' "${answer}" | sed 's/^/    | /'
sed 's/^/    /' "${work}/ask.err"
if ! grep -q 'TvZ' <<<"${answer}" || ! grep -Eq '[0-9]+(\.[0-9]+)?%' <<<"${answer}"; then
  die "the answer names no TvZ win rate"
fi

say "ok: built ${#TARGETS[@]} images; the data agent in its image answered over Kafka"
