{{/* The chart name, at most 63 characters. */}}
{{- define "kube-ecs.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The prefix of every object name: the release name, or <release>-kube-ecs when the release
name does not contain the chart name. Components append -manager, -agent... so it stops at 50.
*/}}
{{- define "kube-ecs.fullname" -}}
{{- if contains .Chart.Name .Release.Name }}
{{- .Release.Name | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/* Labels of every object; include with (dict "ctx" $ "component" "manager"). */}}
{{- define "kube-ecs.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .ctx.Chart.Name .ctx.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "kube-ecs.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: kube-ecs
{{- end }}

{{/* Labels that select a component's pods; never change them (selectors are immutable). */}}
{{- define "kube-ecs.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kube-ecs.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end }}

{{/* The image of a component: include with (dict "ctx" $ "repository" .Values.manager.image.repository). */}}
{{- define "kube-ecs.image" -}}
{{- $v := .ctx.Values.image }}
{{- $tag := $v.tag | default .ctx.Chart.AppVersion }}
{{- if $v.registry }}
{{- printf "%s/%s:%s" (trimSuffix "/" $v.registry) .repository $tag }}
{{- else }}
{{- printf "%s:%s" .repository $tag }}
{{- end }}
{{- end }}

{{/* The securityContext of every container. */}}
{{- define "kube-ecs.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Pod spec fields shared by every pod: service account, pull secrets, security context. */}}
{{- define "kube-ecs.podCommon" -}}
serviceAccountName: {{ include "kube-ecs.fullname" .ctx }}-{{ .component }}
{{- with .ctx.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .ctx.Values.podSecurityContext }}
securityContext:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
The cert-manager issuer of service certificates as the manager's flag reads it:
<kind>/<name>, or <kind>.<group>/<name> outside cert-manager.io; empty without an issuer.
*/}}
{{- define "kube-ecs.certManagerIssuer" -}}
{{- with .Values.activator.tls.certManager.issuerRef -}}
{{- if .name -}}
{{- $kind := default "ClusterIssuer" .kind -}}
{{- $group := default "cert-manager.io" .group -}}
{{- if eq $group "cert-manager.io" -}}
{{ $kind }}/{{ .name }}
{{- else -}}
{{ $kind }}.{{ $group }}/{{ .name }}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
