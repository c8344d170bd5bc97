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
{{- if and (gt (int .Values.shards) 1) (not .Values.config) -}}
{{- fail "shards splits the targets of config: set config (several Jamf servers), or shards: 1" -}}
{{- end -}}
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

{{/* The pod of the Deployment (one replica) and of the StatefulSet (`shards` replicas). */}}
{{- define "jamf-exporter.podTemplate" -}}
{{- $secretKeys := include "jamf-exporter.secretKeys" . | fromJsonArray -}}
template:
  metadata:
    labels:
      {{- include "jamf-exporter.selectorLabels" . | nindent 6 }}
    {{- if .Values.config }}
    annotations:
      # A changed multi-target file rolls the pod.
      checksum/config: {{ include "jamf-exporter.configFile" . | sha256sum }}
    {{- end }}
  spec:
    # The exporter never calls the Kubernetes API.
    automountServiceAccountToken: false
    securityContext:
      runAsNonRoot: true
      runAsUser: 65534
      runAsGroup: 65534
      # The mounted secret files are group-readable by 65534.
      fsGroup: 65534
      seccompProfile:
        type: RuntimeDefault
    containers:
      - name: jamf-exporter
        image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
        imagePullPolicy: {{ .Values.image.pullPolicy }}
        args:
          {{- if .Values.config }}
          - --config.file=/etc/jamf_exporter/config.yml
          {{- if gt (int .Values.shards) 1 }}
          - --shard.total={{ .Values.shards }}
          # Kubernetes expands $(VAR) from the container's environment (below).
          - --shard.index=$(SHARD_INDEX)
          - --web.sd-address=$(POD_NAME).{{ include "jamf-exporter.fullname" . }}.{{ .Release.Namespace }}.svc:10052
          {{- else }}
          - --web.sd-address={{ include "jamf-exporter.fullname" . }}.{{ .Release.Namespace }}.svc:10052
          {{- end }}
          {{- else }}
          - --jamf.url={{ .Values.jamf.url }}
          {{- if .Values.jamf.clientId }}
          - --jamf.client-id={{ .Values.jamf.clientId }}
          - --jamf.client-secret-file=/etc/jamf_exporter/secrets/client-secret
          {{- else }}
          - --jamf.username={{ .Values.jamf.username }}
          - --jamf.password-file=/etc/jamf_exporter/secrets/password
          {{- end }}
          {{- end }}
          - --web.listen-address=:10052
          {{- range .Values.extraArgs }}
          - {{ . | quote }}
          {{- end }}
        {{- if gt (int .Values.shards) 1 }}
        env:
          # The pod's StatefulSet ordinal: Kubernetes 1.28 and later label every pod with it.
          - name: SHARD_INDEX
            valueFrom:
              fieldRef:
                fieldPath: metadata.labels['apps.kubernetes.io/pod-index']
          - name: POD_NAME
            valueFrom:
              fieldRef:
                fieldPath: metadata.name
        {{- end }}
        ports:
          - name: http
            containerPort: 10052
            protocol: TCP
        livenessProbe:
          httpGet:
            path: /-/healthy
            port: http
        readinessProbe:
          httpGet:
            path: /-/ready
            port: http
        securityContext:
          runAsNonRoot: true
          runAsUser: 65534
          runAsGroup: 65534
          readOnlyRootFilesystem: true
          allowPrivilegeEscalation: false
          capabilities:
            drop:
              - ALL
        {{- with .Values.resources }}
        resources:
          {{- toYaml . | nindent 10 }}
        {{- end }}
        volumeMounts:
          {{- if $secretKeys }}
          - name: secrets
            mountPath: /etc/jamf_exporter/secrets
            readOnly: true
          {{- end }}
          {{- if .Values.config }}
          - name: config
            mountPath: /etc/jamf_exporter/config.yml
            subPath: config.yml
            readOnly: true
          {{- end }}
    volumes:
      {{- if $secretKeys }}
      - name: secrets
        secret:
          secretName: {{ .Values.jamf.existingSecret }}
          defaultMode: 0440
          items:
            {{- range $secretKeys }}
            - key: {{ . }}
              path: {{ . }}
            {{- end }}
      {{- end }}
      {{- if .Values.config }}
      - name: config
        configMap:
          name: {{ include "jamf-exporter.fullname" . }}
      {{- end }}
{{- end -}}
