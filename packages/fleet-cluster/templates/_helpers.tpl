{{/*
Helpers of the fleet-cluster chart. No template reads .Release: what a
cluster renders to depends on its values alone, whatever Application or
release name renders it.
*/}}

{{/*
A string value, "" when it or a mapping above it is missing or null:
(list $root "path" "to" "key"). Sprig's dig cannot take .Values (not a
plain map) and stops at a null mapping; this walks any value.
*/}}
{{- define "fleet-cluster.str" -}}
{{- $v := (index . 0).Values -}}
{{- range (slice . 1) -}}
{{- $v = and (kindIs "map" $v) (get $v .) -}}
{{- end -}}
{{- if and $v (not (kindIs "bool" $v)) -}}
{{- $v | toString -}}
{{- end -}}
{{- end -}}

{{/* A string value that must be set: (list $root "what it is" "path" "to" "key"). */}}
{{- define "fleet-cluster.required" -}}
{{- $v := include "fleet-cluster.str" (prepend (slice . 2) (index . 0)) -}}
{{- if not $v -}}
{{- fail (printf "%s is not set: %s" (join "." (slice . 2)) (index . 1)) -}}
{{- end -}}
{{- $v -}}
{{- end -}}

{{/* The cluster's name (cluster.name, from the cluster file): also its namespace. */}}
{{- define "fleet-cluster.name" -}}
{{- include "fleet-cluster.required" (list . "fleetup sets it from fleet/clusters/<cluster>.yaml" "cluster" "name") -}}
{{- end -}}

{{/* The flavour: eks, in-memory or existing. */}}
{{- define "fleet-cluster.flavour" -}}
{{- $f := include "fleet-cluster.str" (list . "provider" "flavour") -}}
{{- if not (has $f (list "eks" "in-memory" "existing")) -}}
{{- fail (printf "provider.flavour is %q: expected eks, in-memory or existing" $f) -}}
{{- end -}}
{{- $f -}}
{{- end -}}

{{/* Labels of every object. */}}
{{- define "fleet-cluster.labels" -}}
app.kubernetes.io/managed-by: fleetup
fleetup.dev/cluster: {{ include "fleet-cluster.name" . | quote }}
{{- end -}}

{{/* Labels of Cluster API objects: also Cluster API's own cluster label. */}}
{{- define "fleet-cluster.capiLabels" -}}
{{ include "fleet-cluster.labels" . }}
cluster.x-k8s.io/cluster-name: {{ include "fleet-cluster.name" . | quote }}
{{- end -}}

{{/*
Argo CD sync waves: the Cluster API objects first; then what registration
needs (ServiceAccount, RBAC, SecretStore); then the ExternalSecret that
makes the cluster secret. Argo CD starts a wave only once the one before is
healthy, so a cluster is registered once Cluster API has provisioned it.
*/}}
{{- define "fleet-cluster.waveCAPI" -}}
argocd.argoproj.io/sync-wave: "0"
{{- end -}}
{{/*
The Cluster API objects other than the Cluster: when the cluster's
Application is deleted, Argo CD leaves them (Delete=false) and deletes the
Cluster alone, as `kubectl delete cluster` does. Cluster API then takes the
cluster down in its order (workers, control plane, infrastructure) while
the kubeconfig still works, and Kubernetes' garbage collector removes what
the Cluster owns once it is gone. Deleted all at once, the workers wait
for a control plane and a kubeconfig that are already gone. Pruning (a
pool removed from Git) is not affected.
*/}}
{{- define "fleet-cluster.capiChild" -}}
{{ include "fleet-cluster.waveCAPI" . }}
argocd.argoproj.io/sync-options: Delete=false
{{- end -}}
{{- define "fleet-cluster.waveAccess" -}}
argocd.argoproj.io/sync-wave: "1"
{{- end -}}
{{- define "fleet-cluster.waveRegister" -}}
argocd.argoproj.io/sync-wave: "2"
{{- end -}}

{{/* The Kubernetes version with its leading "v", as Cluster API stores it. */}}
{{- define "fleet-cluster.version" -}}
{{- $v := include "fleet-cluster.required" (list . "the Kubernetes version (a profile sets it)" "kubernetesVersion") -}}
{{- ternary $v (printf "v%s" $v) (hasPrefix "v" $v) -}}
{{- end -}}

{{/*
The version kubeadm clusters need: a full semantic version. A profile's
"v1.34" (all EKS takes) becomes "v1.34.0".
*/}}
{{- define "fleet-cluster.kubeadmVersion" -}}
{{- $v := include "fleet-cluster.version" . -}}
{{- ternary (printf "%s.0" $v) $v (regexMatch "^v[0-9]+\\.[0-9]+$" $v) -}}
{{- end -}}

{{/*
The enabled node pools as a JSON object name -> pool: a pool is on unless
it is null (a layer removed it) or has enabled: false.
*/}}
{{- define "fleet-cluster.pools" -}}
{{- $out := dict -}}
{{- range $name, $pool := (.Values.nodePools | default dict) -}}
{{- if and (kindIs "map" $pool) (ne (toString (get $pool "enabled")) "false") -}}
{{- $_ := set $out $name $pool -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/* A map without its null entries (a layer removed them), as YAML; "{}" when empty. */}}
{{- define "fleet-cluster.stringMap" -}}
{{- $out := dict -}}
{{- range $k, $v := (. | default dict) -}}
{{- if not (kindIs "invalid" $v) -}}
{{- $_ := set $out $k (toString $v) -}}
{{- end -}}
{{- end -}}
{{- if $out -}}
{{- toYaml $out -}}
{{- else -}}
{}
{{- end -}}
{{- end -}}

{{/*
A replica count: the pool's replicas, else its minimum size, else 1 (what
Cluster API's defaulting would make of none).
*/}}
{{- define "fleet-cluster.replicas" -}}
{{- $numbers := list "float64" "int" "int64" -}}
{{- $r := get . "replicas" -}}
{{- $scaling := get . "scaling" -}}
{{- if and (not (has (kindOf $r) $numbers)) (kindIs "map" $scaling) -}}
{{- $r = get $scaling "minSize" -}}
{{- end -}}
{{- if has (kindOf $r) $numbers -}}
{{- int $r -}}
{{- else -}}
1
{{- end -}}
{{- end -}}

{{/*
A name of at most 63 characters (EKS node group names): a longer one is
cut and ends in a hash of the whole, so that it stays unique.
*/}}
{{- define "fleet-cluster.name63" -}}
{{- if le (len .) 63 -}}
{{- . -}}
{{- else -}}
{{- printf "%s-%s" (trunc 54 . | trimSuffix "-") (sha256sum . | trunc 8) -}}
{{- end -}}
{{- end -}}

{{/* The Secret holding the cluster's kubeconfig under key value, in the cluster's namespace. */}}
{{- define "fleet-cluster.kubeconfigSecret" -}}
{{- if eq (include "fleet-cluster.flavour" .) "existing" -}}
{{- include "fleet-cluster.required" (list . "the Secret holding the cluster's kubeconfig" "provider" "kubeconfigSecret") -}}
{{- else -}}
{{- include "fleet-cluster.name" . -}}-kubeconfig
{{- end -}}
{{- end -}}

{{/* The EKS cluster's name in AWS: always the cluster's own, never CAPA's derived one. */}}
{{- define "fleet-cluster.eksClusterName" -}}
{{- include "fleet-cluster.name" . -}}
{{- end -}}

{{/* Names of the registration objects in Argo CD's namespace. */}}
{{- define "fleet-cluster.registrationName" -}}
fleet-{{ include "fleet-cluster.name" . }}
{{- end -}}
{{- define "fleet-cluster.readerName" -}}
fleet-{{ include "fleet-cluster.name" . }}-kubeconfig-reader
{{- end -}}
{{- define "fleet-cluster.argocdNamespace" -}}
{{- include "fleet-cluster.required" (list . "Argo CD's namespace" "registration" "argocdNamespace") -}}
{{- end -}}

{{/*
The spec of an in-memory machine: how long the simulated VM, node, API
server and etcd take to come up (the upstream in-memory template's values).
*/}}
{{- define "fleet-cluster.inMemoryMachine" -}}
backend:
  inMemory:
    vm:
      provisioning:
        startupDuration: "10s"
        startupJitter: "0.2"
    node:
      provisioning:
        startupDuration: "2s"
        startupJitter: "0.2"
    apiServer:
      provisioning:
        startupDuration: "2s"
        startupJitter: "0.2"
    etcd:
      provisioning:
        startupDuration: "2s"
        startupJitter: "0.2"
{{- end -}}

{{/*
kubeadm's nodeRegistration of an in-memory machine: (dict "labels" list
"taints" list), both optional. The eviction thresholds are the upstream
template's (a simulated node has no disk to watch).
*/}}
{{- define "fleet-cluster.inMemoryNodeRegistration" -}}
criSocket: unix:///var/run/containerd/containerd.sock
kubeletExtraArgs:
  - name: eviction-hard
    value: nodefs.available<0%,nodefs.inodesFree<0%,imagefs.available<0%
  {{- with .labels }}
  - name: node-labels
    value: {{ join "," . | quote }}
  {{- end }}
{{- with .taints }}
taints:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
The cluster secret's labels: Argo CD's secret type, the gitops-bridge
clusterName and environment, fleetup's own (cluster, profile, each
inventory layer, wave) and one enable_<addon> switch per addon of the
bundle ("-" in the name as "_", as the catalog's ApplicationSets select).
A cluster being deleted (cluster.decommission, which `fleetup cluster
delete` commits before removing the file) has every switch "false" and
the label fleetup.dev/decommission, which the catalog's stages
ApplicationSet leaves out: its stages Application goes, and with it its
addons, while the cluster is still registered and reachable.
*/}}
{{- define "fleet-cluster.secretLabels" -}}
{{- $name := include "fleet-cluster.name" . -}}
{{- $cluster := .Values.cluster -}}
{{- $labels := dict "argocd.argoproj.io/secret-type" "cluster" "clusterName" $name "app.kubernetes.io/managed-by" "fleetup" "fleetup.dev/cluster" $name -}}
{{- with include "fleet-cluster.str" (list . "cluster" "profile") -}}
{{- $_ := set $labels "fleetup.dev/profile" . -}}
{{- end -}}
{{- range $layer, $value := (get $cluster "layers" | default dict) -}}
{{- if not (kindIs "invalid" $value) -}}
{{- $_ := set $labels (printf "fleetup.dev/%s" $layer) (toString $value) -}}
{{- end -}}
{{- end -}}
{{- with include "fleet-cluster.str" (list . "cluster" "layers" "environment") -}}
{{- $_ := set $labels "environment" . -}}
{{- end -}}
{{- $wave := get $cluster "wave" -}}
{{- if has (kindOf $wave) (list "float64" "int" "int64") -}}
{{- $_ := set $labels "fleetup.dev/wave" (toString (int $wave)) -}}
{{- end -}}
{{- $leaving := eq (toString (get $cluster "decommission")) "true" -}}
{{- if $leaving -}}
{{- $_ := set $labels "fleetup.dev/decommission" "true" -}}
{{- end -}}
{{- range $addon, $a := (.Values.addons | default dict) -}}
{{- if kindIs "map" $a -}}
{{- $on := and (not $leaving) (ne (toString (get $a "enabled")) "false") -}}
{{- $_ := set $labels (printf "enable_%s" ($addon | replace "-" "_")) (toString $on) -}}
{{- end -}}
{{- end -}}
{{- /* registration.labels add to these, never change them. */ -}}
{{- $extra := get (.Values.registration | default dict) "labels" | default dict -}}
{{- $labels = merge $labels $extra -}}
{{- toYaml $labels -}}
{{- end -}}

{{/*
The cluster secret's annotations, as the hub's: where the catalog comes
from, and the AWS region and cluster name the addons' values read.
*/}}
{{- define "fleet-cluster.secretAnnotations" -}}
addons_repo_url: {{ include "fleet-cluster.str" (list . "platform" "repoURL") | quote }}
addons_repo_revision: {{ include "fleet-cluster.str" (list . "platform" "revision") | quote }}
addons_repo_basepath: {{ include "fleet-cluster.str" (list . "platform" "basepath") | quote }}
aws_cluster_name: {{ include "fleet-cluster.eksClusterName" . | quote }}
{{- with include "fleet-cluster.str" (list . "provider" "region") }}
aws_region: {{ . | quote }}
{{- end }}
{{- end -}}
