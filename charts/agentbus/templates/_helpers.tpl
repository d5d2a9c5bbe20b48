{{/*
Names and labels.
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "agentbus.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The base name of shared resources: fullnameOverride, or <release>-<chart> (just the
release when it already contains the chart name), at most 63 characters. */}}
{{- define "agentbus.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* chart: name-version for the helm.sh/chart label. */}}
{{- define "agentbus.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every resource. */}}
{{- define "agentbus.labels" -}}
helm.sh/chart: {{ include "agentbus.chart" . }}
{{ include "agentbus.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: agentbus
{{- end }}

{{/* Selector labels of the release (never the chart version: selectors are immutable). */}}
{{- define "agentbus.selectorLabels" -}}
app.kubernetes.io/name: {{ include "agentbus.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels of one agent's resources; call with (dict "root" $ "name" $name). */}}
{{- define "agentbus.agentLabels" -}}
{{ include "agentbus.labels" .root }}
app.kubernetes.io/component: {{ .name }}-agent
{{- end }}

{{/* Selector labels of one agent's pods; call with (dict "root" $ "name" $name). */}}
{{- define "agentbus.agentSelectorLabels" -}}
{{ include "agentbus.selectorLabels" .root }}
app.kubernetes.io/component: {{ .name }}-agent
{{- end }}

{{/*
Agents: agentDefaults merged under each agents.<name>.
*/}}

{{/* Deep-merge .src into .dst in place: maps merge key by key, anything else (false and
empty values included, which sprig's mergeOverwrite would skip) replaces. */}}
{{- define "agentbus.merge" -}}
{{- range $key, $value := .src }}
{{- $current := get $.dst $key }}
{{- if and (kindIs "map" $value) (kindIs "map" $current) }}
{{- include "agentbus.merge" (dict "dst" $current "src" $value) }}
{{- else }}
{{- $_ := set $.dst $key $value }}
{{- end }}
{{- end }}
{{- end }}

{{/* The merged settings of every enabled agent, as YAML of a map name -> settings (use
with fromYaml). Fails with a clear message on a bad agent name or kind. */}}
{{- define "agentbus.agents" -}}
{{- $agents := dict }}
{{- range $name, $own := .Values.agents }}
{{- $agent := deepCopy $.Values.agentDefaults }}
{{- include "agentbus.merge" (dict "dst" $agent "src" (default dict $own)) }}
{{- if $agent.enabled }}
{{- if not (regexMatch "^[a-z](?:[a-z0-9-]{0,38}[a-z0-9])?$" $name) }}
{{- fail (printf "agents.%s: an agent name must be 1-40 lowercase letters, digits and '-', starting with a letter and not ending with '-' (it becomes the consumer group, topic names and the Deployment %s-agent)" $name $name) }}
{{- end }}
{{- $kind := default $name $agent.kind }}
{{- if not (has $kind (list "data" "cs" "balance" "gateway")) }}
{{- fail (printf "agents.%s.kind is %q: set it to data, cs, balance or gateway (the program the agent runs)" $name $kind) }}
{{- end }}
{{- $_ := set $agent "kind" $kind }}
{{- $_ := set $agents $name $agent }}
{{- end }}
{{- end }}
{{- toYaml $agents }}
{{- end }}

{{/*
Kafka.
*/}}

{{/* Name of the Strimzi Kafka cluster. */}}
{{- define "agentbus.kafkaCluster" -}}
{{- default (include "agentbus.fullname" .) .Values.strimzi.clusterName | trunc 40 | trimSuffix "-" }}
{{- end }}

{{/* host:port list the agents connect to. */}}
{{- define "agentbus.bootstrapServers" -}}
{{- if .Values.strimzi.enabled }}
{{- printf "%s-kafka-bootstrap.%s.svc:%d" (include "agentbus.kafkaCluster" .) .Release.Namespace (int .Values.strimzi.listener.port) }}
{{- else if .Values.kafka.bootstrapServers }}
{{- .Values.kafka.bootstrapServers }}
{{- else }}
{{- fail "kafka.bootstrapServers is empty: set it to the brokers of your Kafka cluster (host:port,host:port), or set strimzi.enabled=true to run Kafka in-cluster with the Strimzi operator" }}
{{- end }}
{{- end }}

{{/* The security mode the agents use: scram with Strimzi, else kafka.security.mode. */}}
{{- define "agentbus.securityMode" -}}
{{- if .Values.strimzi.enabled }}scram{{ else }}{{ .Values.kafka.security.mode }}{{ end }}
{{- end }}

{{/* Kafka user (SCRAM user name, Secret name) of an agent or caller; (dict "root" $ "name" $name). */}}
{{- define "agentbus.kafkaUser" -}}
{{- printf "%s-%s" (include "agentbus.fullname" .root) .name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Whether topics are provisioned by the agents ("true"/"false"). */}}
{{- define "agentbus.provisionTopics" -}}
{{- if .Values.strimzi.enabled }}false{{ else }}{{ .Values.topics.provision }}{{ end }}
{{- end }}

{{/* Fail when Strimzi is wanted but its API is missing, with how to install it. */}}
{{- define "agentbus.checkStrimzi" -}}
{{- if and .Values.strimzi.enabled .Values.strimzi.checkCrds (not (.Capabilities.APIVersions.Has "kafka.strimzi.io/v1")) }}
{{- fail "strimzi.enabled=true but this cluster has no kafka.strimzi.io/v1 API: install the Strimzi operator 1.2.0 first (k8s/README.md: helm install strimzi oci://quay.io/strimzi-helm/strimzi-kafka-operator --version 1.2.0 -n strimzi --create-namespace --set watchAnyNamespace=true), or set strimzi.checkCrds=false to render without it (helm template: pass --api-versions kafka.strimzi.io/v1)" }}
{{- end }}
{{- end }}

{{/*
Images and environment.
*/}}

{{/* Image reference of an agent; (dict "root" $ "agent" $agent). */}}
{{- define "agentbus.image" -}}
{{- $root := .root }}
{{- $repo := required "every agent needs image.repository" .agent.image.repository }}
{{- if $root.Values.image.registry }}
{{- $repo = printf "%s/%s" (trimSuffix "/" $root.Values.image.registry) $repo }}
{{- end }}
{{- $tag := .agent.image.tag | default $root.Values.image.tag | default $root.Chart.AppVersion }}
{{- if hasPrefix "sha256:" $tag }}
{{- printf "%s@%s" $repo $tag }}
{{- else }}
{{- printf "%s:%s" $repo $tag }}
{{- end }}
{{- end }}

{{/* The Kafka, topic and ops environment every agentbus process gets;
(dict "root" $ "name" $name "kind" $kind "publicUrl" $url). */}}
{{- define "agentbus.kafkaEnv" -}}
{{- $root := .root }}
{{- $mode := include "agentbus.securityMode" $root }}
- name: AGENTBUS_TRANSPORT
  value: kafka
- name: AGENTBUS_KAFKA__BOOTSTRAP_SERVERS
  value: {{ include "agentbus.bootstrapServers" $root | quote }}
- name: AGENTBUS_KAFKA__MAX_REQUEST_BYTES
  value: {{ $root.Values.kafka.maxRequestBytes | int64 | quote }}
- name: AGENTBUS_KAFKA__SECURITY__MODE
  value: {{ $mode | quote }}
{{- if ne $mode "plaintext" }}
- name: AGENTBUS_KAFKA__SECURITY__CHECK_HOSTNAME
  value: {{ $root.Values.kafka.security.checkHostname | quote }}
{{- end }}
{{- if or $root.Values.strimzi.enabled (and (has $mode (list "tls" "scram")) $root.Values.kafka.security.caSecret.name) }}
- name: AGENTBUS_KAFKA__SECURITY__CA_FILE
  value: /etc/agentbus/kafka-ca/ca.crt
{{- end }}
{{- if eq $mode "scram" }}
- name: AGENTBUS_KAFKA__SECURITY__USERNAME
  value: {{ include "agentbus.kafkaUser" (dict "root" $root "name" .name) | quote }}
- name: AGENTBUS_KAFKA__SECURITY__PASSWORD_FILE
  value: /etc/agentbus/kafka-user/password
{{- end }}
{{- if eq $mode "msk-iam" }}
- name: AGENTBUS_KAFKA__SECURITY__AWS_REGION
  value: {{ required "kafka.security.awsRegion is empty: msk-iam needs the AWS region of the MSK cluster, e.g. eu-west-1" $root.Values.kafka.security.awsRegion | quote }}
- name: AWS_REGION
  value: {{ $root.Values.kafka.security.awsRegion | quote }}
{{- end }}
- name: AGENTBUS_TOPICS__PREFIX
  value: {{ $root.Values.topics.prefix | quote }}
- name: AGENTBUS_TOPICS__PROVISION
  value: {{ include "agentbus.provisionTopics" $root | quote }}
- name: AGENTBUS_TOPICS__REQUEST_PARTITIONS
  value: {{ $root.Values.topics.requestPartitions | int | quote }}
- name: AGENTBUS_TOPICS__RESPONSE_PARTITIONS
  value: {{ $root.Values.topics.responsePartitions | int | quote }}
- name: AGENTBUS_TOPICS__SHARED_PARTITIONS
  value: {{ $root.Values.topics.sharedPartitions | int | quote }}
- name: AGENTBUS_TOPICS__REPLICATION_FACTOR
  value: {{ $root.Values.topics.replicationFactor | int | quote }}
- name: AGENTBUS_TOPICS__MIN_INSYNC_REPLICAS
  value: {{ $root.Values.topics.minInsyncReplicas | int | quote }}
- name: AGENTBUS_TOPICS__REQUEST_RETENTION_MS
  value: {{ $root.Values.topics.requestRetentionMs | int64 | quote }}
- name: AGENTBUS_TOPICS__RESPONSE_RETENTION_MS
  value: {{ $root.Values.topics.responseRetentionMs | int64 | quote }}
{{- end }}

{{/* Volumes with the Kafka credentials; (dict "root" $ "name" $name). */}}
{{- define "agentbus.kafkaVolumes" -}}
{{- $root := .root }}
{{- $mode := include "agentbus.securityMode" $root }}
{{- if $root.Values.strimzi.enabled }}
- name: kafka-ca
  secret:
    secretName: {{ include "agentbus.kafkaCluster" $root }}-cluster-ca-cert
    items:
      - key: ca.crt
        path: ca.crt
{{- else if and (has $mode (list "tls" "scram")) $root.Values.kafka.security.caSecret.name }}
- name: kafka-ca
  secret:
    secretName: {{ $root.Values.kafka.security.caSecret.name }}
    items:
      - key: {{ $root.Values.kafka.security.caSecret.key }}
        path: ca.crt
{{- end }}
{{- if eq $mode "scram" }}
- name: kafka-user
  secret:
    secretName: {{ include "agentbus.kafkaUser" (dict "root" $root "name" .name) }}
    items:
      - key: {{ ternary "password" $root.Values.kafka.security.passwordKey $root.Values.strimzi.enabled }}
        path: password
{{- end }}
{{- end }}

{{/* Mounts of the Kafka credential volumes; (dict "root" $). */}}
{{- define "agentbus.kafkaVolumeMounts" -}}
{{- $root := .root }}
{{- $mode := include "agentbus.securityMode" $root }}
{{- if or $root.Values.strimzi.enabled (and (has $mode (list "tls" "scram")) $root.Values.kafka.security.caSecret.name) }}
- name: kafka-ca
  mountPath: /etc/agentbus/kafka-ca
  readOnly: true
{{- end }}
{{- if eq $mode "scram" }}
- name: kafka-user
  mountPath: /etc/agentbus/kafka-user
  readOnly: true
{{- end }}
{{- end }}

{{/* OpenTelemetry environment of a process; (dict "root" $ "service" $serviceName). */}}
{{- define "agentbus.otelEnv" -}}
{{- $otel := .root.Values.otel }}
- name: OTEL_SERVICE_NAME
  value: {{ .service | quote }}
- name: OTEL_INSTRUMENTATION_A2A_SDK_ENABLED
  value: {{ $otel.a2aSdkInstrumentation | quote }}
{{- if $otel.endpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ $otel.endpoint | quote }}
- name: OTEL_EXPORTER_OTLP_PROTOCOL
  value: http/protobuf
{{- end }}
{{- $attrs := list (printf "k8s.namespace.name=%s" .root.Release.Namespace) }}
{{- range $k, $v := $otel.resourceAttributes }}
{{- $attrs = append $attrs (printf "%s=%s" $k $v) }}
{{- end }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ join "," $attrs | quote }}
{{- end }}
