{{/* The chart's name, or nameOverride. */}}
{{- define "furrow.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name of the release's objects: fullnameOverride, or the release name when it already
contains the chart name, or release-chart. At most 63 characters (a label value).
*/}}
{{- define "furrow.fullname" -}}
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

{{/* name-version, the helm.sh/chart label. */}}
{{- define "furrow.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object the chart creates. */}}
{{- define "furrow.labels" -}}
helm.sh/chart: {{ include "furrow.chart" . }}
{{ include "furrow.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: furrow
{{- end }}

{{/* Labels that select the operator pods (immutable in a Deployment: never add to these). */}}
{{- define "furrow.selectorLabels" -}}
app.kubernetes.io/name: {{ include "furrow.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The operator's ServiceAccount. */}}
{{- define "furrow.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "furrow.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name must name an existing ServiceAccount when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
"true" when the operator elects a leader: leaderElection.enabled, or when that is null, more
than one replica. Two replicas without leader election would both reconcile: refused.
*/}}
{{- define "furrow.leaderElection" -}}
{{- $enabled := .Values.leaderElection.enabled }}
{{- if kindIs "invalid" $enabled }}
{{- gt (int .Values.replicas) 1 }}
{{- else if and (not $enabled) (gt (int .Values.replicas) 1) }}
{{- fail (printf "leaderElection.enabled=false with replicas=%d: every replica would reconcile the same runs; leave leaderElection.enabled unset (null) or use one replica" (int .Values.replicas)) }}
{{- else }}
{{- $enabled }}
{{- end }}
{{- end }}

{{/* The leader election Lease's name. */}}
{{- define "furrow.leaseName" -}}
{{- default (include "furrow.fullname" .) .Values.leaderElection.leaseName }}
{{- end }}

{{/* The operator image reference: repository@digest, or repository:tag (tag defaults to appVersion). */}}
{{- define "furrow.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* furrow-api's objects: <fullname>-api. */}}
{{- define "furrow.apiName" -}}
{{- printf "%s-api" (include "furrow.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels that select furrow-api pods: a name of their own, so the operator's never match. */}}
{{- define "furrow.apiSelectorLabels" -}}
app.kubernetes.io/name: {{ include "furrow.name" . }}-api
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
furrow-api's serving certificate, CA and key, as a dict: the values' when given; else the
Secret an earlier install generated (lookup), so upgrades keep the APIService's caBundle valid;
else a new self-signed CA and a certificate for the Service's DNS names. Evaluated once per
render (the Secret and the APIService both include it) through a cache in .Values.
*/}}
{{- define "furrow.apiTls" -}}
{{- if not (hasKey .Values.api "_tls") }}
{{- $name := include "furrow.apiName" . }}
{{- $tls := dict }}
{{- if and .Values.api.tls.cert .Values.api.tls.key }}
{{- $_ := set $tls "cert" .Values.api.tls.cert }}
{{- $_ := set $tls "key" .Values.api.tls.key }}
{{- $_ := set $tls "ca" (required "api.tls.caBundle: the CA that signed api.tls.cert, for the APIService" .Values.api.tls.caBundle) }}
{{- else }}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (printf "%s-tls" $name) }}
{{- if and $existing $existing.data (index $existing.data "ca.crt") }}
{{- $_ := set $tls "cert" (index $existing.data "tls.crt" | b64dec) }}
{{- $_ := set $tls "key" (index $existing.data "tls.key" | b64dec) }}
{{- $_ := set $tls "ca" (index $existing.data "ca.crt" | b64dec) }}
{{- else }}
{{- $ca := genCA (printf "%s-ca" $name) 3650 }}
{{- $svc := printf "%s.%s.svc" $name .Release.Namespace }}
{{- $cert := genSignedCert $name nil (list $svc (printf "%s.cluster.local" $svc)) 3650 $ca }}
{{- $_ := set $tls "cert" $cert.Cert }}
{{- $_ := set $tls "key" $cert.Key }}
{{- $_ := set $tls "ca" $ca.Cert }}
{{- end }}
{{- end }}
{{- $_ := set .Values.api "_tls" $tls }}
{{- end }}
{{- toYaml .Values.api._tls }}
{{- end }}

{{/* Labels of furrow-api's objects: its own name, so the operator's selectors never match. */}}
{{- define "furrow.apiLabels" -}}
helm.sh/chart: {{ include "furrow.chart" . }}
{{ include "furrow.apiSelectorLabels" . }}
app.kubernetes.io/component: api
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: furrow
{{- end }}

{{/*
The object store's settings and keys as environment variables: the operator archives logs
there, furrow-api reads them back (the same names for both; ADR 10, ADR 12).
*/}}
{{- define "furrow.objectStoreEnv" -}}
{{- with .Values.objectStore }}
{{- if .bucket }}
{{- with .endpoint }}
- name: FURROW_OBJECT_STORE_ENDPOINT
  value: {{ . | quote }}
{{- end }}
- name: FURROW_OBJECT_STORE_BUCKET
  value: {{ .bucket | quote }}
- name: FURROW_OBJECT_STORE_REGION
  value: {{ .region | quote }}
- name: FURROW_OBJECT_STORE_PATH_STYLE
  value: {{ .pathStyle | quote }}
{{- with .credentialsSecret }}
{{- if .name }}
{{- /* The AWS SDK's own variables; without a Secret, its default chain (IRSA). */}}
- name: AWS_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ .name | quote }}
      key: {{ .accessKeyIdKey | quote }}
- name: AWS_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .name | quote }}
      key: {{ .secretAccessKeyKey | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/* A map as comma-separated key=value pairs, sorted by key (an operator list option). */}}
{{- define "furrow.keyValues" -}}
{{- $pairs := list -}}
{{- range $k, $v := . }}{{ $pairs = append $pairs (printf "%s=%s" $k $v) }}{{ end -}}
{{- join "," $pairs -}}
{{- end }}
