// Package catalog loads the addon catalog, packages/addons/values.yaml in the
// CNOE layout, applies config.yaml's per-addon overrides, and validates it:
// chart sources, paths in the packages tree, dependencies and cycles.
package catalog

import (
	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/decode"
	"gopkg.in/yaml.v3"
)

// Addon is one catalog entry. The CNOE keys keep their names so existing
// forks load unchanged; fleetup adds dependsOn and healthTimeout.
type Addon struct {
	Enabled              decode.Bool        `yaml:"enabled" doc:"Whether the addon is installed."`
	Namespace            string             `yaml:"namespace" doc:"Namespace the addon is installed into."`
	ChartName            string             `yaml:"chartName" doc:"Chart name in the repository; the entry's key when empty."`
	ChartRepository      string             `yaml:"chartRepository" doc:"Helm repository URL (https://, http:// on a private network) or OCI registry (oci://, or a bare registry host with chartNamespace)."`
	ChartNamespace       string             `yaml:"chartNamespace" doc:"Path inside an OCI registry, e.g. aws-controllers-k8s."`
	DefaultVersion       string             `yaml:"defaultVersion" doc:"Pinned chart version."`
	ReleaseName          string             `yaml:"releaseName" doc:"Helm release name; the chart name when empty."`
	ValuesObject         map[string]any     `yaml:"valuesObject" doc:"Helm values, may use the cluster generator's Go templates."`
	AdditionalResources  []Resource         `yaml:"additionalResources" doc:"Extra sources of the addon's Application, e.g. its manifests/ directory."`
	Selector             *LabelSelector     `yaml:"selector" doc:"Which clusters get the addon, by the labels of their Argo CD cluster secret."`
	SelectorMatchLabels  map[string]string  `yaml:"selectorMatchLabels" doc:"Extra matchLabels for the cluster generator."`
	IgnoreDifferences    []map[string]any   `yaml:"ignoreDifferences" doc:"Argo CD ignoreDifferences for the Application."`
	SyncPolicy           map[string]any     `yaml:"syncPolicy" doc:"Argo CD syncPolicy for the Application, replacing the catalog-wide one."`
	SyncPolicyAppSet     map[string]any     `yaml:"syncPolicyAppSet" doc:"syncPolicy of the ApplicationSet itself."`
	GitRepository        string             `yaml:"gitRepository" doc:"fleetup: a Git repository of its own holding the addon (an operator's manifests at a release tag), instead of a chart repository; path is then a directory in it and defaultVersion the tag or commit."`
	Path                 string             `yaml:"path" doc:"A directory in the Git repository, relative to its root, holding a Helm chart or plain manifests, instead of a chart repository; with gitRepository, a directory in that repository."`
	Type                 string             `yaml:"type" enum:"chart|manifest|manifests|kustomize" doc:"With path: chart (a Helm chart directory), manifest(s) (plain YAML) or kustomize (a kustomization)."`
	ValueFiles           []string           `yaml:"valueFiles" doc:"Extra value files under packages/<addon>/."`
	ValuesFileName       string             `yaml:"valuesFileName" doc:"Name of the addon's values file instead of values.yaml."`
	EnableAckPodIdentity decode.Bool        `yaml:"enableAckPodIdentity" doc:"CNOE: an EKS Pod Identity association through ACK; fleetup's AppSet chart does not create one, so only false is accepted."`
	AnnotationsApp       map[string]string  `yaml:"annotationsApp" doc:"Annotations on the generated Applications."`
	AnnotationsAppSet    map[string]string  `yaml:"annotationsAppSet" doc:"Annotations on the ApplicationSet."`
	LabelsAppSet         map[string]string  `yaml:"labelsAppSet" doc:"Labels on the ApplicationSet."`
	GoTemplateOptions    []string           `yaml:"goTemplateOptions" doc:"goTemplateOptions of the ApplicationSet."`
	AppSetName           string             `yaml:"appSetName" doc:"Name template of the generated Applications."`
	DependsOn            []string           `yaml:"dependsOn" doc:"fleetup: addons that must be healthy before this one starts."`
	HealthTimeout        decode.Duration    `yaml:"healthTimeout" doc:"fleetup: how long the addon may take to become healthy once started."`
	CRDGroups            []string           `yaml:"crdGroups" doc:"fleetup: API groups of the CRDs the addon installs, for uninstall --purge-crds."`
	Stateful             *StatefulResources `yaml:"stateful" doc:"fleetup: PersistentVolumeClaims the addon leaves behind, deleted by uninstall unless --keep-pvcs."`
	Credentials          []Credential       `yaml:"credentials" doc:"fleetup: initial credentials a user needs that the addon keeps in a Secret, shown by fleetup secrets."`
	// Selected is set by validation: enabled and its selector matches the hub.
	Selected bool `yaml:"-"`
	// Skip says why an addon is not installed (disabled, not selected).
	Skip   string             `yaml:"-"`
	Name   string             `yaml:"-"`
	Pos    decode.Pos         `yaml:"-"`
	node   *yaml.Node         `yaml:"-"`
	depPos map[int]decode.Pos `yaml:"-"`
	// depsFrom is config.yaml when its addons section set dependsOn, so
	// errors point there.
	depsFrom  *config.Config      `yaml:"-"`
	overrides map[string]struct{} `yaml:"-"`
}

// Resource is an additional source of an addon's Application.
type Resource struct {
	Path         any            `yaml:"path" doc:"true for the addon's own directory (CNOE, with type manifests), or a chart directory of the repository, relative to its root, rendered with helm."`
	ManifestPath string         `yaml:"manifestPath" doc:"Directory under packages/<chartName>/, e.g. manifests."`
	Type         string         `yaml:"type" doc:"manifests, or a chart type."`
	Helm         map[string]any `yaml:"helm" doc:"Helm settings of a chart directory: releaseName (the release is <cluster>-<releaseName>) and valuesObject (may use the cluster generator's Go templates)."`
}

// Credential is a user's initial credentials that an addon keeps in a
// Secret of the cluster (an admin password the chart generates).
type Credential struct {
	Name        string `yaml:"name" required:"true" doc:"What they are for, e.g. admin."`
	Secret      string `yaml:"secret" required:"true" doc:"The Secret holding them."`
	Namespace   string `yaml:"namespace" doc:"The Secret's namespace; the addon's when empty."`
	Username    string `yaml:"username" doc:"The user name, when it is fixed."`
	UsernameKey string `yaml:"usernameKey" doc:"The Secret's key holding the user name, when it is generated."`
	PasswordKey string `yaml:"passwordKey" required:"true" doc:"The Secret's key holding the password or token."`
}

// StatefulResources says which PVCs belong to an addon.
type StatefulResources struct {
	PVCSelector map[string]string `yaml:"pvcSelector" doc:"Labels of the addon's PVCs in its namespace."`
}

// LabelSelector is a Kubernetes label selector over cluster secret labels.
type LabelSelector struct {
	MatchLabels      map[string]string `yaml:"matchLabels"`
	MatchExpressions []Requirement     `yaml:"matchExpressions"`
}

// Requirement is one matchExpressions entry.
type Requirement struct {
	Key      string   `yaml:"key" required:"true"`
	Operator Operator `yaml:"operator" required:"true" enum:"In|NotIn|Exists|DoesNotExist"`
	Values   []string `yaml:"values"`
}

// Operator is a label selector operator.
type Operator string

var operators = []string{"In", "NotIn", "Exists", "DoesNotExist"}

// DecodeYAML implements decode.Unmarshaler.
func (o *Operator) DecodeYAML(n *yaml.Node) error {
	v, err := decode.Enum(n, operators)
	*o = Operator(v)
	return err
}

// Globals are the catalog-wide keys of packages/addons/values.yaml.
type Globals struct {
	SyncPolicy          map[string]any    `yaml:"syncPolicy" doc:"Default Argo CD syncPolicy of every addon Application."`
	SyncPolicyAppSet    map[string]any    `yaml:"syncPolicyAppSet" doc:"Default syncPolicy of every ApplicationSet."`
	ValueFiles          []string          `yaml:"valueFiles" doc:"Value files every addon reads from packages/<addon>/."`
	UseSelectors        *decode.Bool      `yaml:"useSelectors" doc:"Whether per-addon selectors are applied."`
	GlobalSelectors     map[string]string `yaml:"globalSelectors" doc:"matchLabels added to every ApplicationSet's cluster generator."`
	GoTemplateOptions   []string          `yaml:"goTemplateOptions" doc:"Default goTemplateOptions."`
	AppsetPrefix        string            `yaml:"appsetPrefix" doc:"Prefix of ApplicationSet names."`
	StagedDelivery      *decode.Bool      `yaml:"stagedDelivery" doc:"fleetup: whether workload clusters get their addons through one stages Application each, in dependency order (default true)."`
	UseValuesFilePrefix decode.Bool       `yaml:"useValuesFilePrefix" doc:"CNOE: look up values files under a prefix."`
	ValuesFilePrefix    string            `yaml:"valuesFilePrefix" doc:"CNOE: the prefix."`
}

// Source is where an addon's chart or manifests come from.
type Source struct {
	Kind    SourceKind `json:"kind"`
	URL     string     `json:"url,omitempty"`     // repository URL (Helm, OCI) for chart sources
	Chart   string     `json:"chart,omitempty"`   // chart name
	Version string     `json:"version,omitempty"` // chart version
	Path    string     `json:"path,omitempty"`    // directory in the Git repository
}

// SourceKind classifies chart sources.
type SourceKind string

// Source kinds.
const (
	SourceHelmRepo  SourceKind = "helm-repository"
	SourceOCI       SourceKind = "oci"
	SourceGitChart  SourceKind = "git-chart"
	SourceManifests SourceKind = "git-manifests"
	// SourceGit is a Git repository of the addon's own at a tag or commit:
	// a chart, plain manifests or a kustomization in one of its
	// directories.
	SourceGit SourceKind = "git"
)
