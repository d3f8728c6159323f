{{/* An addon entry is a mapping with `enabled`; everything else is a setting. */}}
{{- define "appset.isAddon" -}}
{{- if and (kindIs "map" .) (hasKey . "enabled") (eq (toString .enabled) "true") -}}true{{- end -}}
{{- end -}}

{{/* The cluster secret label that switches an addon on: enable_<name> with '-' as '_'. */}}
{{- define "appset.enableLabel" -}}
{{- printf "enable_%s" (. | replace "-" "_") -}}
{{- end -}}

{{/* Chart repository as Argo CD wants it: OCI registries without the scheme. */}}
{{- define "appset.chartRepo" -}}
{{- $repo := .chartRepository | trimSuffix "/" -}}
{{- if hasPrefix "oci://" $repo -}}
{{- trimPrefix "oci://" $repo -}}
{{- else if or (hasPrefix "https://" $repo) (hasPrefix "http://" $repo) -}}
{{- $repo -}}
{{- else -}}
{{- $repo -}}{{- with .chartNamespace -}}/{{ . }}{{- end -}}
{{- end -}}
{{- end -}}

{{/* Value files of an addon: packages/<chartName>/<file> for the catalog-wide and the addon's own files. */}}
{{- define "appset.valueFiles" -}}
{{- $root := .root -}}
{{- $addon := .addon -}}
{{- $dir := .dir -}}
{{- range (concat (default list $root.Values.valueFiles) (default list $addon.valueFiles)) }}
- '$values/{{ $root.Values.repoURLGitBasePath }}/{{ $dir }}/{{ default . $addon.valuesFileName }}'
{{- end }}
{{- end -}}

{{/* Extra matchLabels of an addon's cluster selector: the catalog-wide, the addon's own and its CNOE `selector`. */}}
{{- define "appset.selectorLabels" -}}
{{- with .v.globalSelectors }}
{{ toYaml . }}
{{- end }}
{{- with .a.selectorMatchLabels }}
{{ toYaml . }}
{{- end }}
{{- if and .useSelectors .a.selector .a.selector.matchLabels }}
{{ toYaml .a.selector.matchLabels }}
{{- end }}
{{- end -}}

{{/* Extra matchExpressions of an addon's cluster selector (CNOE's `selector`). */}}
{{- define "appset.selectorExpressions" -}}
{{- if and .useSelectors .a.selector .a.selector.matchExpressions }}
{{ toYaml .a.selector.matchExpressions }}
{{- end }}
{{- end -}}
