{{/*
The Application an addon's ApplicationSet makes for one cluster: metadata
and spec, with the cluster generator's parameters ({{ .name }}, {{ .server }},
{{ .metadata.labels.x }}, ...) left as templates. The ApplicationSet
controller resolves them for the hub; for a workload cluster the stages chart
(stages.yaml) resolves the same text with tpl, so both render one template.
Input: dict "v" (the catalog values), "name" (the addon), "a" (its entry).
*/}}
{{- define "appset.application" -}}
{{- $v := .v -}}
{{- $name := .name -}}
{{- $a := .a -}}
{{- $chart := default $name $a.chartName -}}
{{- $ns := default $name $a.namespace -}}
metadata:
  name: {{ printf "%s-{{ .name }}" $name | squote }}
  labels:
    fleetup.dev/managed: "true"
    fleetup.dev/addon: {{ $name | quote }}
    {{- if and $a.path (not $a.gitRepository) }}
    addonVersion: {{ $v.repoURLGitRevision | squote }}
    {{- else }}
    addonVersion: {{ $a.defaultVersion | quote }}
    {{- end }}
  {{- /* fleetup: an Application that syncs by server-side apply is compared
  the same way, so fields its CRDs or webhooks default do not keep it
  OutOfSync (Argo CD's client-side diff cannot see them; with client-side
  apply, server-side diff would miss removed fields: left as it is). */}}
  {{- $sync := default $v.syncPolicy $a.syncPolicy }}
  {{- $ssd := and (has "ServerSideApply=true" (default list $sync.syncOptions)) (not (hasKey (default dict $a.annotationsApp) "argocd.argoproj.io/compare-options")) }}
  {{- if or $a.annotationsApp $ssd }}
  annotations:
    {{- with $a.annotationsApp }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
    {{- if $ssd }}
    argocd.argoproj.io/compare-options: ServerSideDiff=true
    {{- end }}
  {{- end }}
spec:
  project: {{ $v.project | quote }}
  destination:
    server: '{{ "{{ .server }}" }}'
    namespace: {{ $ns | quote }}
  sources:
    - repoURL: {{ $v.repoURLGit | squote }}
      targetRevision: {{ $v.repoURLGitRevision | squote }}
      ref: values
    {{- if $a.gitRepository }}
    {{- /* fleetup: a Git repository of the addon's own, at its tag. */}}
    - repoURL: {{ $a.gitRepository | squote }}
      targetRevision: {{ $a.defaultVersion | quote }}
      path: {{ default "." $a.path | squote }}
    {{- else if $a.path }}
    - repoURL: {{ $v.repoURLGit | squote }}
      targetRevision: {{ $v.repoURLGitRevision | squote }}
      path: {{ $a.path | squote }}
    {{- else }}
    - repoURL: {{ include "appset.chartRepo" $a | squote }}
      chart: {{ $chart | quote }}
      targetRevision: {{ $a.defaultVersion | quote }}
    {{- end }}
      {{- /* Helm renders it unless a directory says manifests or kustomize. */}}
      {{- if not (and (or $a.path $a.gitRepository) (or (hasPrefix "manifest" (toString $a.type)) (eq (toString $a.type) "kustomize"))) }}
      helm:
        releaseName: {{ default $chart $a.releaseName | quote }}
        ignoreMissingValueFiles: true
        {{- $valueFiles := include "appset.valueFiles" (dict "v" $v "addon" $a "dir" $chart) }}
        {{- if trim $valueFiles }}
        valueFiles:
          {{- $valueFiles | nindent 10 }}
        {{- end }}
        {{- with $a.valuesObject }}
        valuesObject:
          {{- toYaml . | nindent 10 }}
        {{- end }}
      {{- end }}
    {{- range $r := $a.additionalResources }}
    {{- if eq (toString $r.type) "manifests" }}
    - repoURL: {{ $v.repoURLGit | squote }}
      targetRevision: {{ $v.repoURLGitRevision | squote }}
      path: '{{ $v.repoURLGitBasePath }}/{{ $chart }}/{{ $r.manifestPath }}'
    {{- else if and (kindIs "string" $r.path) $r.path }}
    {{- /* CNOE's other kind: a chart directory of the repository, with
    its own Helm settings (release <cluster>-<helm.releaseName>). */}}
    - repoURL: {{ $v.repoURLGit | squote }}
      targetRevision: {{ $v.repoURLGitRevision | squote }}
      path: {{ $r.path | squote }}
      {{- with $r.helm }}
      helm:
        {{- with .releaseName }}
        releaseName: {{ printf "{{ .name }}-%s" . | squote }}
        {{- end }}
        ignoreMissingValueFiles: true
        {{- with .valuesObject }}
        valuesObject:
          {{- toYaml . | nindent 10 }}
        {{- end }}
      {{- end }}
    {{- end }}
    {{- end }}
  syncPolicy:
    {{- toYaml (default $v.syncPolicy $a.syncPolicy) | nindent 4 }}
  {{- with $a.ignoreDifferences }}
  ignoreDifferences:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
