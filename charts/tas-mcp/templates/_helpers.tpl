{{/* Names: the release "tas-mcp" gives tas-mcp-operator, as config/ names it. */}}
{{- define "tas-mcp.fullname" -}}
{{- printf "%s-operator" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Selector labels: stable across upgrades. */}}
{{- define "tas-mcp.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tas-mcp.fullname" . }}
{{- end -}}

{{/* Labels on every object: the selector labels, plus Helm's. */}}
{{- define "tas-mcp.labels" -}}
{{ include "tas-mcp.selectorLabels" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "tas-mcp.image" -}}
{{- printf "%s:%s" .repository (.tag | default $.appVersion) -}}
{{- end -}}

{{/*
What the operator may do, and no more (the same rules as config/rbac/cluster-role.yaml). It creates
each gateway's Role, so it must itself hold what that Role grants (events, reading configmaps,
getting mcpservers): Kubernetes refuses to let anyone grant permissions they do not have.
*/}}
{{- define "tas-mcp.operatorRules" -}}
- apiGroups: [mcp.tas.ai]
  resources: [mcpservers, mcproutes]
  verbs: [get, list, watch]
- apiGroups: [mcp.tas.ai]
  resources: [mcpservers/status, mcproutes/status]
  verbs: [get, patch, update]
- apiGroups: [apps]
  resources: [deployments]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [""]
  resources: [services, configmaps, serviceaccounts]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [rbac.authorization.k8s.io]
  resources: [roles, rolebindings]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [autoscaling]
  resources: [horizontalpodautoscalers]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [policy]
  resources: [poddisruptionbudgets]
  verbs: [get, list, watch, create, update, patch, delete]
# create/patch/update: the operator's own Events. list: the federation map shows an McpServer's
# recent Events (one list call when someone opens it; no watch, nothing cached).
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [create, patch, update, list]
# The Secrets an McpServer names (spec.security): read to see they exist and when they change.
# No list or watch: the operator does not cache the cluster's Secrets.
- apiGroups: [""]
  resources: [secrets]
  verbs: [get]
{{- end -}}
