#!/usr/bin/env bash
# Offline proof of the Helm chart (make k8s-check): lint, unit tests, strict schema
# validation of every rendered scenario, and the contract test against the code.
#
#   0. hadolint on the Dockerfile, shellcheck on scripts/ (pip packages of the dev extra)
#   1. helm lint --strict with each values file
#   2. helm-unittest suites (charts/agentbus/tests/*_test.yaml)
#   3. helm template for each scenario (default, kind, MSK, MSK + KEDA, KEDA, monitoring,
#      kind + monitoring, external SCRAM), then strict validation: core kinds with
#      kubernetes-validate (its bundled Kubernetes schemas), custom resources with
#      kubeconform against k8s/schemas
#   4. pytest tests/chart (the chart against agentbus.names / provisioning / versions)
#
# Tools come from scripts/tools.sh (built from source once, cached). No cluster, no network
# beyond the first tool build.
set -euo pipefail
cd "$(dirname "$0")/.."

CHART=charts/agentbus
PYTHON=.venv/bin/python
# Kubernetes versions the rendered core objects are validated against: the oldest the
# chart supports in practice and the one helm v3.21 renders for.
KUBE_VERSIONS=(1.30.0 1.36.0)
# Custom resource APIs a cluster with the prerequisites has (the chart checks for Strimzi's).
API_VERSIONS=(--api-versions kafka.strimzi.io/v1 --api-versions keda.sh/v1alpha1 --api-versions monitoring.coreos.com/v1)
# Kinds the Kubernetes schemas cover; everything else must have a schema in k8s/schemas.
CORE_KINDS=Deployment,Service,ServiceAccount,PodDisruptionBudget,Pod,ConfigMap

step() { printf '\n== k8s-check: %s\n' "$*"; }
die() { printf 'k8s-check: error: %s\n' "$*" >&2; exit 1; }

[[ -x "${PYTHON}" ]] || die "${PYTHON} not found; run 'make install' first"
started=$SECONDS

step "tools (built from source on the first run, then cached)"
HELM=$(scripts/tools.sh helm)
KUBECONFORM=$(scripts/tools.sh kubeconform)
UNITTEST=$(scripts/tools.sh helm-unittest)
"${HELM}" version --short

# name|values arguments
SCENARIOS=(
  "default|"
  "kind|-f ${CHART}/values-kind.yaml"
  "msk|-f ${CHART}/values-msk.yaml"
  "msk-keda|-f ${CHART}/values-msk.yaml -f ${CHART}/ci/msk-keda-values.yaml"
  "keda|-f ${CHART}/ci/keda-values.yaml"
  "monitoring|-f ${CHART}/ci/monitoring-values.yaml"
  "kind-monitoring|-f ${CHART}/values-kind.yaml -f k8s/monitoring/agentbus-values.yaml"
  "external-scram|-f ${CHART}/ci/external-scram-values.yaml"
)

step "hadolint Dockerfile, shellcheck scripts (both from the dev dependencies)"
.venv/bin/hadolint Dockerfile || die "hadolint found problems in the Dockerfile (above)"
.venv/bin/shellcheck scripts/*.sh .ci/run || die "shellcheck found problems in the scripts (above)"

step "helm lint --strict with each values file"
for scenario in "${SCENARIOS[@]}"; do
  name=${scenario%%|*}
  read -r -a args <<<"${scenario#*|}"
  printf -- '-- %s\n' "${name}"
  # helm lint cannot be told which APIs the cluster has: skip the Strimzi CRD check here
  # (helm-unittest covers it); the template step below renders with --api-versions.
  "${HELM}" lint --strict --quiet "${CHART}" "${args[@]}" --set strimzi.checkCrds=false ||
    die "helm lint failed for scenario ${name} (values: ${scenario#*|})"
done

step "helm-unittest"
"${UNITTEST}" --color=false "${CHART}" || die "helm-unittest suites failed (${CHART}/tests)"

step "render and validate every scenario strictly"
out=$(mktemp -d)
trap 'rm -rf "${out}"' EXIT
schemas=$("${PYTHON}" -c 'import kubernetes_validate, os; print(os.path.dirname(kubernetes_validate.__file__))') ||
  die "kubernetes-validate is not installed in .venv; run 'make install'"
[[ -d "${schemas}/kubernetes-json-schema" ]] || die "kubernetes-validate has no bundled schemas at ${schemas}"
for scenario in "${SCENARIOS[@]}"; do
  name=${scenario%%|*}
  read -r -a args <<<"${scenario#*|}"
  file="${out}/${name}.yaml"
  "${HELM}" template agentbus "${CHART}" --namespace agentbus "${API_VERSIONS[@]}" "${args[@]}" >"${file}" ||
    die "helm template failed for scenario ${name}"
  kinds=$(grep -c '^kind:' "${file}" || true)
  printf -- '-- %s: %s objects\n' "${name}" "${kinds}"
  for version in "${KUBE_VERSIONS[@]}"; do
    # Custom resources only warn here ("Couldn't find schema"); kubeconform checks them.
    .venv/bin/kubernetes-validate --strict --quiet --no-warn -k "${version}" "${file}" ||
      die "scenario ${name}: a Kubernetes object is invalid for Kubernetes ${version} (above)"
  done
  "${KUBECONFORM}" -strict -summary -skip "${CORE_KINDS}" \
    -schema-location 'k8s/schemas/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json' \
    "${file}" || die "scenario ${name}: a custom resource is invalid or has no schema in k8s/schemas (above)"
done

step "contract test (pytest tests/chart)"
.venv/bin/pytest -q -p no:cacheprovider tests/chart ||
  die "the chart's contract with the code is broken (tests/chart)"

printf '\nk8s-check: lint, unit tests, schema validation and contract test passed in %d s\n' \
  $((SECONDS - started))
