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
{{- $v := .v -}}
{{- $addon := .addon -}}
{{- $dir := .dir -}}
{{- range (concat (default list $v.valueFiles) (default list $addon.valueFiles)) }}
- '$values/{{ $v.repoURLGitBasePath }}/{{ $dir }}/{{ default . $addon.valuesFileName }}'
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

{{/* Whether this render is a workload cluster's stages Application (stages.yaml): "true" or empty. */}}
{{- define "appset.stagedCluster" -}}
{{- if and (kindIs "map" .Values.stages) .Values.stages.cluster -}}true{{- end -}}
{{- end -}}

{{/*
Each enabled addon's dependency level as JSON: 0 without dependsOn, else one
more than its deepest dependency (fleetup's install levels). Dependencies on
addons the catalog does not enable are ignored, as fleetup ignores them.
*/}}
{{- define "appset.levels" -}}
{{- $cat := . -}}
{{- $names := list -}}
{{- range $name, $a := $cat -}}
{{- if include "appset.isAddon" $a -}}{{- $names = append $names $name -}}{{- end -}}
{{- end -}}
{{- $levels := dict -}}
{{- /* One pass per addon settles the longest path through an acyclic graph. */ -}}
{{- range $pass := until (len $names) -}}
{{- range $name := $names -}}
{{- $level := 0 -}}
{{- range $dep := default list (index $cat $name).dependsOn -}}
{{- if hasKey $levels $dep -}}{{- $level = max $level (add1 (index $levels $dep)) -}}{{- end -}}
{{- end -}}
{{- $_ := set $levels $name $level -}}
{{- end -}}
{{- end -}}
{{- toJson $levels -}}
{{- end -}}

{{/*
Whether a cluster's labels select an addon, as the addon's ApplicationSet
would for a workload cluster: enable_<addon> "true", every selector label
(the catalog's globalSelectors, the addon's selectorMatchLabels and CNOE
selector) and every CNOE matchExpression. Input: dict "labels", "v", "a",
"name", "useSelectors". Output: "true" or empty.
*/}}
{{- define "appset.selects" -}}
{{- $labels := .labels -}}
{{- $want := dict (include "appset.enableLabel" .name) "true" -}}
{{- with .v.globalSelectors }}{{- $want = merge $want . -}}{{- end -}}
{{- with .a.selectorMatchLabels }}{{- $want = merge $want . -}}{{- end -}}
{{- $exprs := list -}}
{{- if and .useSelectors .a.selector -}}
{{- with .a.selector.matchLabels }}{{- $want = merge $want . -}}{{- end -}}
{{- with .a.selector.matchExpressions }}{{- $exprs = . -}}{{- end -}}
{{- end -}}
{{- $ok := true -}}
{{- range $k, $val := $want -}}
{{- if not (and (hasKey $labels $k) (eq (toString (index $labels $k)) (toString $val))) -}}{{- $ok = false -}}{{- end -}}
{{- end -}}
{{- range $e := $exprs -}}
{{- $has := hasKey $labels $e.key -}}
{{- $in := and $has (has (toString (index $labels $e.key)) (toStrings (default list $e.values))) -}}
{{- $op := toString $e.operator -}}
{{- if or (and (eq $op "In") (not $in)) (and (eq $op "NotIn") $in) (and (eq $op "Exists") (not $has)) (and (eq $op "DoesNotExist") $has) -}}{{- $ok = false -}}{{- end -}}
{{- end -}}
{{- if $ok -}}true{{- end -}}
{{- end -}}
