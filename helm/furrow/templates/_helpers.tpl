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
