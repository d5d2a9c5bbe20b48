#!/usr/bin/env bash
# Build the chart tools from source with the machine's Go, once, and print where they are.
#
#   scripts/tools.sh helm            path of the helm binary (v3, built from helm.sh/helm/v3)
#   scripts/tools.sh kubeconform     path of the kubeconform binary
#   scripts/tools.sh helm-unittest   path of the helm-unittest binary (run it directly:
#                                    `untt [flags] CHART`, or as the helm plugin dir beside it)
#   scripts/tools.sh all             build all three, print nothing but progress
#
# Every tool is cached under ${AGENTBUS_TOOLS_DIR:-~/.cache/agentbus/tools}/<name>-<version>/,
# so only the first run compiles (a few minutes for helm on 2 cores); later runs are instant.
# Progress goes to stderr, the path to stdout.
set -euo pipefail

HELM_VERSION=v3.21.4
HELM_K8S_MINOR=36 # helm v3.21.4 is built on client-go v0.36
KUBECONFORM_VERSION=v0.8.0
HELM_UNITTEST_VERSION=v1.1.2

TOOLS_DIR="${AGENTBUS_TOOLS_DIR:-${HOME}/.cache/agentbus/tools}"

say() { printf 'tools: %s\n' "$*" >&2; }
die() { printf 'tools: error: %s\n' "$*" >&2; exit 1; }

need_go() {
  command -v go >/dev/null 2>&1 || die "Go is not on PATH; install Go >= 1.24 (https://go.dev/dl/) to build $1 from source"
}

build() {
  # build NAME VERSION BINARY -- go command...
  local name=$1 version=$2 binary=$3
  shift 4
  local dir="${TOOLS_DIR}/${name}-${version}"
  if [[ -x "${dir}/${binary}" ]]; then
    return 0
  fi
  need_go "${name}"
  mkdir -p "${dir}"
  local log="${dir}.build.log" start=$SECONDS
  say "building ${name} ${version} from source into ${dir} (first run only)..."
  (
    cd "${dir}"
    export GOBIN="${dir}" GOFLAGS="${GOFLAGS:-} -buildvcs=false" CGO_ENABLED=0
    "$@"
  ) >"${log}" 2>&1 &
  local pid=$! last=0 count
  while kill -0 "${pid}" 2>/dev/null; do
    sleep 10
    count=$(wc -l <"${log}")
    if ((count != last)); then
      say "  ${name}: ${count} packages compiled so far ($((SECONDS - start)) s)"
      last=${count}
    fi
  done
  wait "${pid}" || true
  if [[ ! -x "${dir}/${binary}" ]]; then
    tail -n 30 "${log}" >&2 || true
    die "building ${name} ${version} failed (full log: ${log}); check that the Go module proxy is reachable (GOPROXY=$(go env GOPROXY))"
  fi
  say "${name} ${version} ready in $((SECONDS - start)) s"
}

build_helm() {
  # The ldflags are those of helm's own Makefile: its version, and the Kubernetes version
  # that `helm template` and `helm lint` assume (that of its client-go, v0.36 = 1.36);
  # without them helm would assume Kubernetes 1.20 and refuse the chart's kubeVersion.
  local ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}"
  local pkg
  for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
    ldflags+=" -X ${pkg}.k8sVersionMajor=1 -X ${pkg}.k8sVersionMinor=${HELM_K8S_MINOR}"
  done
  build helm "${HELM_VERSION}" helm -- go install -v -trimpath -ldflags "${ldflags}" \
    "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}"
}

build_kubeconform() {
  build kubeconform "${KUBECONFORM_VERSION}" kubeconform -- \
    go install -v "github.com/yannh/kubeconform/cmd/kubeconform@${KUBECONFORM_VERSION}"
}

# helm-unittest has `replace` directives in its go.mod, which `go install pkg@version`
# refuses: download the module and build inside its (read-only) directory instead.
unittest_build() {
  local src
  src=$(go mod download -json "github.com/helm-unittest/helm-unittest@${HELM_UNITTEST_VERSION}" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
  [[ -n "${src}" && -d "${src}" ]] || { echo "go mod download gave no module directory"; return 1; }
  local out=$PWD
  (cd "${src}" && go build -v -o "${out}/untt" \
    -ldflags "-X github.com/helm-unittest/helm-unittest/internal/build.version=${HELM_UNITTEST_VERSION#v}" \
    ./cmd/helm-unittest)
  # Also lay it out as a helm plugin directory (HELM_PLUGINS=<dir>/plugins; `helm unittest`).
  mkdir -p plugins/unittest
  # shellcheck disable=SC2016 # $HELM_PLUGIN_DIR is helm's variable, not the shell's
  sed -e '/^platformHooks:/,$d' -e 's#\$HELM_PLUGIN_DIR/untt-linux-[a-z0-9]*#$HELM_PLUGIN_DIR/../../untt#' \
    "${src}/plugin.yaml" >plugins/unittest/plugin.yaml
}

build_unittest() {
  build helm-unittest "${HELM_UNITTEST_VERSION}" untt -- unittest_build
}


case "${1:-}" in
  helm) build_helm; echo "${TOOLS_DIR}/helm-${HELM_VERSION}/helm" ;;
  kubeconform) build_kubeconform; echo "${TOOLS_DIR}/kubeconform-${KUBECONFORM_VERSION}/kubeconform" ;;
  helm-unittest) build_unittest; echo "${TOOLS_DIR}/helm-unittest-${HELM_UNITTEST_VERSION}/untt" ;;
  all) build_helm; build_kubeconform; build_unittest ;;
  *) die "usage: $0 helm|kubeconform|helm-unittest|all" ;;
esac
