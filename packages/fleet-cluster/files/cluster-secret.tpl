{{- /*
  fleet-cluster: the Argo CD cluster secret's name, server and config, from
  the kubeconfig in .kubeconfig (External Secrets template engine v2). An
  eks cluster's credentials are never copied: Argo CD signs in itself
  through awsAuthConfig. See packages/fleet-cluster/README.md.
*/ -}}
{{- $kc := fromYaml .kubeconfig -}}
{{- if hasKey $kc "Error" -}}
{{- fail (printf "%s: key value is not a kubeconfig (not YAML)" $source) -}}
{{- end -}}
{{- $contexts := get $kc "contexts" | default list -}}
{{- $current := get $kc "current-context" | toString -}}
{{- $ctx := dict -}}
{{- range $contexts -}}
{{- if eq (get . "name" | toString) $current -}}
{{- $ctx = get . "context" -}}
{{- end -}}
{{- end -}}
{{- if and (not $ctx) (eq (len $contexts) 1) -}}
{{- $ctx = get (first $contexts) "context" -}}
{{- end -}}
{{- if or (not (kindIs "map" $ctx)) (empty $ctx) -}}
{{- fail (printf "%s: the kubeconfig has no current-context, and not exactly one context" $source) -}}
{{- end -}}
{{- $clusterRef := get $ctx "cluster" | toString -}}
{{- $userRef := get $ctx "user" | toString -}}
{{- $cluster := dict -}}
{{- range (get $kc "clusters" | default list) -}}
{{- if eq (get . "name" | toString) $clusterRef -}}
{{- $cluster = get . "cluster" -}}
{{- end -}}
{{- end -}}
{{- if not (kindIs "map" $cluster) -}}
{{- $cluster = dict -}}
{{- end -}}
{{- $server := get $cluster "server" | toString -}}
{{- if not $server -}}
{{- fail (printf "%s: the kubeconfig's cluster %q has no server" $source $clusterRef) -}}
{{- end -}}
{{- $ca := get $cluster "certificate-authority-data" | toString -}}
{{- if and (not $ca) (get $cluster "certificate-authority") -}}
{{- fail (printf "%s: the kubeconfig's cluster %q names a CA file; embed it as certificate-authority-data" $source $clusterRef) -}}
{{- end -}}
{{- $tls := dict -}}
{{- if $ca -}}
{{- $_ := set $tls "caData" $ca -}}
{{- end -}}
{{- if eq (get $cluster "insecure-skip-tls-verify" | toString) "true" -}}
{{- $_ := set $tls "insecure" true -}}
{{- end -}}
{{- $config := dict "tlsClientConfig" $tls -}}
{{- if eq $flavour "eks" -}}
{{- $_ := set $config "awsAuthConfig" (dict "clusterName" $eksClusterName "roleARN" $roleARN) -}}
{{- else -}}
{{- $user := dict -}}
{{- range (get $kc "users" | default list) -}}
{{- if eq (get . "name" | toString) $userRef -}}
{{- $user = get . "user" -}}
{{- end -}}
{{- end -}}
{{- if not (kindIs "map" $user) -}}
{{- $user = dict -}}
{{- end -}}
{{- $cert := get $user "client-certificate-data" | toString -}}
{{- $key := get $user "client-key-data" | toString -}}
{{- $token := get $user "token" | toString -}}
{{- if and $cert $key -}}
{{- $_ := set $tls "certData" $cert -}}
{{- $_ := set $tls "keyData" $key -}}
{{- else if and $token (eq $flavour "existing") -}}
{{- $_ := set $config "bearerToken" $token -}}
{{- else -}}
{{- fail (printf "%s: the kubeconfig's user %q has no client-certificate-data and client-key-data%s" $source $userRef (ternary " nor token" "" (eq $flavour "existing"))) -}}
{{- end -}}
{{- end -}}
name: {{ $name | toJson }}
server: {{ $server | toJson }}
config: {{ $config | toJson | toJson }}
