{{/*
The chart's name and version, for the helm.sh/chart label.
*/}}
{{- define "addon-appsets.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels of every ApplicationSet.
*/}}
{{- define "addon-appsets.labels" -}}
helm.sh/chart: {{ include "addon-appsets.chart" . }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- with .Chart.AppVersion }}
app.kubernetes.io/version: {{ . | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Value files of an addon's Helm source, from the "values" ref source: the
chart-wide valueFiles, then the entry's own, all under
<basepath>/<dir>/. Takes a dict: values (.Values), addon (the entry), dir.
*/}}
{{- define "addon-appsets.valueFiles" -}}
{{- $base := .values.repoURLGitBasePath -}}
{{- $dir := .dir -}}
{{- range concat (.values.valueFiles | default list) (.addon.valueFiles | default list) }}
- $values/{{ $base }}/{{ $dir }}/{{ . }}
{{- end }}
{{- end }}

{{/*
Extra sources of an addon's Application: a directory of manifests under
<basepath>/<dir>/ (type manifests), or any path of the repository. Takes a
dict: values (.Values), dir, resources (the entry's additionalResources).
*/}}
{{- define "addon-appsets.additionalResources" -}}
{{- $values := .values -}}
{{- $dir := .dir -}}
{{- range .resources }}
- repoURL: {{ $values.repoURLGit | squote }}
  targetRevision: {{ $values.repoURLGitRevision | squote }}
  {{- if eq (toString .type) "manifests" }}
  path: '{{ $values.repoURLGitBasePath }}/{{ $dir }}/{{ .manifestPath }}'
  {{- else }}
  path: {{ .path | squote }}
  {{- end }}
{{- end }}
{{- end }}
