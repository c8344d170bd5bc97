{{/* The name of every object, and so of the scrape job the ServiceMonitor produces. */}}
{{- define "jamf-exporter.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "jamf-exporter.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "jamf-exporter.labels" -}}
{{ include "jamf-exporter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "jamf-exporter.multiTarget" -}}
{{- if .Values.config }}true{{ end -}}
{{- end -}}

{{/*
The Secret keys to mount: client-secret or password for one server; every `*_file` value of
the multi-target file (its defaults and its targets) otherwise.
*/}}
{{- define "jamf-exporter.secretKeys" -}}
{{- $keys := list -}}
{{- if .Values.config -}}
{{- $sections := list (.Values.config.defaults | default dict) -}}
{{- range (.Values.config.targets | default list) }}{{ $sections = append $sections . }}{{ end -}}
{{- range $section := $sections -}}
{{- range $key, $value := $section -}}
{{- if hasSuffix "_file" $key }}{{ $keys = append $keys $value }}{{ end -}}
{{- end -}}
{{- end -}}
{{- else if .Values.jamf.clientId -}}
{{- $keys = list "client-secret" -}}
{{- else if .Values.jamf.username -}}
{{- $keys = list "password" -}}
{{- end -}}
{{- $keys | uniq | sortAlpha | toJson -}}
{{- end -}}

{{/* The multi-target file with each `*_file` key name replaced by its mounted path. */}}
{{- define "jamf-exporter.configFile" -}}
{{- $config := deepCopy .Values.config -}}
{{- $sections := list -}}
{{- if $config.defaults }}{{ $sections = append $sections $config.defaults }}{{ end -}}
{{- range ($config.targets | default list) }}{{ $sections = append $sections . }}{{ end -}}
{{- range $section := $sections -}}
{{- range $key, $value := $section -}}
{{- if hasSuffix "_file" $key }}{{ $_ := set $section $key (printf "/etc/jamf_exporter/secrets/%s" $value) }}{{ end -}}
{{- end -}}
{{- end -}}
{{- toYaml $config -}}
{{- end -}}

{{/* Refuses value combinations the exporter would refuse at start-up, before anything is deployed. */}}
{{- define "jamf-exporter.validate" -}}
{{- if .Values.config -}}
{{- if or .Values.jamf.url .Values.jamf.clientId .Values.jamf.username -}}
{{- fail "config (several Jamf servers) excludes jamf.url, jamf.clientId and jamf.username" -}}
{{- end -}}
{{- if not .Values.config.targets -}}
{{- fail "config.targets must list at least one Jamf server" -}}
{{- end -}}
{{- if and (ne (include "jamf-exporter.secretKeys" .) "[]") (not .Values.jamf.existingSecret) -}}
{{- fail "config names secret files: set jamf.existingSecret to the Secret holding those keys" -}}
{{- end -}}
{{- else -}}
{{- if not .Values.jamf.url -}}
{{- fail "set jamf.url (one Jamf server) or config (several)" -}}
{{- end -}}
{{- if and .Values.jamf.clientId .Values.jamf.username -}}
{{- fail "set exactly one of jamf.clientId and jamf.username" -}}
{{- end -}}
{{- if not (or .Values.jamf.clientId .Values.jamf.username) -}}
{{- fail "set jamf.clientId (API client) or jamf.username (local account)" -}}
{{- end -}}
{{- if not .Values.jamf.existingSecret -}}
{{- fail "set jamf.existingSecret to the Secret holding client-secret or password" -}}
{{- end -}}
{{- end -}}
{{- end -}}
