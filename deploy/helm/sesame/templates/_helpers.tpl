{{- define "sesame.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "sesame.fullname" -}}
{{- if contains .Chart.Name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "sesame.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sesame.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "sesame.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "sesame.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "sesame.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "sesame.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "sesame.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/* The Secret holding the master key and the database URL. */}}
{{- define "sesame.secretName" -}}
{{- .Values.existingSecret | default (include "sesame.fullname" .) }}
{{- end }}

{{/* Stops rendering with a clear message when a required value is missing. */}}
{{- define "sesame.validate" -}}
{{- if not .Values.url }}
{{- fail "url is required: the public URL of Sesame, e.g. --set url=https://idp.example.com" }}
{{- end }}
{{- if not (regexMatch "^https?://[^/]+$" .Values.url) }}
{{- fail (printf "url %q: want scheme and host only, e.g. https://idp.example.com" .Values.url) }}
{{- end }}
{{- if not .Values.existingSecret }}
{{- if not .Values.masterKey }}
{{- fail "masterKey is required (openssl rand -base64 32), or existingSecret naming a Secret that holds it" }}
{{- end }}
{{- if not (regexMatch "^postgres(ql)?://" .Values.databaseURL) }}
{{- fail "databaseURL is required, a postgres:// URL (replicas need PostgreSQL), or existingSecret naming a Secret that holds it" }}
{{- end }}
{{- end }}
{{- if and .Values.migrations.job.enabled (not .Values.existingSecret) }}
{{- fail "migrations.job.enabled needs existingSecret: Helm runs the migration Job before it creates the chart's own Secret" }}
{{- end }}
{{- if and .Values.metrics.serviceMonitor.enabled (not .Values.metrics.enabled) }}
{{- fail "metrics.serviceMonitor.enabled needs metrics.enabled" }}
{{- end }}
{{- end }}

{{/* The environment every Sesame container of the chart gets. */}}
{{- define "sesame.env" -}}
- name: SESAME_URL
  value: {{ .Values.url | quote }}
{{- with .Values.urlAliases }}
- name: SESAME_URL_ALIASES
  value: {{ join "," . | quote }}
{{- end }}
- name: SESAME_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "sesame.secretName" . }}
      key: {{ .Values.secretKeys.databaseURL }}
{{- /* An environment variable, not a mounted file: a Secret volume's files
  belong to root, and with fsGroup they become group-readable, which Sesame
  refuses for a key file. */}}
- name: SESAME_MASTER_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "sesame.secretName" . }}
      key: {{ .Values.secretKeys.masterKey }}
{{- end }}
