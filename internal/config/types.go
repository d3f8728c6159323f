// Package config loads and validates fleetup's config.yaml: the CNOE AWS
// reference implementation's keys, unchanged, plus fleetup's own optional
// sections (target, secrets, addons, timeouts, strategy).
package config

import (
	"github.com/fleetup/fleetup/internal/decode"
	"gopkg.in/yaml.v3"
)

// Config is the whole config.yaml.
type Config struct {
	Repo          Repo                     `yaml:"repo" json:"repo" required:"true" doc:"The Git repository (your fork) that holds the packages tree Argo CD syncs from."`
	ClusterName   string                   `yaml:"cluster_name" json:"cluster_name" required:"true" doc:"Name of the management cluster: the EKS cluster name, the kind cluster name, or the name the hub is registered under in Argo CD. A DNS-1123 label."`
	AutoMode      decode.Bool              `yaml:"auto_mode" json:"auto_mode" doc:"Whether the EKS cluster runs in Auto Mode. Addons selected on auto_mode (aws-load-balancer-controller) follow it. Accepts true/false or the strings \"true\"/\"false\"."`
	Region        string                   `yaml:"region" json:"region,omitempty" doc:"AWS region of the cluster and of the Secrets Manager secrets, e.g. us-west-2. Required for target eks and for the aws-secretsmanager backend."`
	Domain        string                   `yaml:"domain" json:"domain,omitempty" doc:"Base DNS domain the platform's services are exposed under."`
	HostedZoneID  string                   `yaml:"route53_hosted_zone_id" json:"route53_hosted_zone_id,omitempty" doc:"Route53 hosted zone ID external-dns writes records into and, with path_routing false, cert-manager answers DNS-01 challenges in (the wildcard certificate), e.g. Z0123456789ABCDEFGHIJ."`
	PathRouting   decode.Bool              `yaml:"path_routing" json:"path_routing" doc:"true: services at https://<domain>/<addon>; false: at https://<addon>.<domain>."`
	Tags          map[string]string        `yaml:"tags" json:"tags,omitempty" doc:"Tags put on every AWS resource fleetup creates."`
	ClusterLabels map[string]string        `yaml:"cluster_labels" json:"cluster_labels,omitempty" doc:"Extra labels on the hub's Argo CD cluster secret, for the catalog's selectors (globalSelectors, an addon's selector) to match, as gitops-bridge users label clusters."`
	Target        Target                   `yaml:"target" json:"target" enum:"eks|kind|kubeconfig" default:"eks" doc:"Where the platform is installed: an EKS cluster found by cluster_name and region, a local kind cluster, or the current kubeconfig context."`
	Secrets       Secrets                  `yaml:"secrets" json:"secrets" doc:"Where the platform's secrets are written for External Secrets to read back."`
	Addons        map[string]AddonOverride `yaml:"addons" json:"addons,omitempty" doc:"Per-addon overrides of the packages catalog, keyed by addon name."`
	Timeouts      Timeouts                 `yaml:"timeouts" json:"timeouts" doc:"Upper bounds on waits."`
	Kind          KindSettings             `yaml:"kind" json:"kind,omitempty" doc:"target kind: the local cluster fleetup creates."`
	Strategy      Strategy                 `yaml:"strategy" json:"strategy" enum:"gated|parallel" default:"gated" doc:"gated: start an addon only once its dependencies are healthy; parallel: create all at once and wait."`

	// Dir is the directory config.yaml was read from; relative paths in it
	// (credential files, the packages tree) are resolved against it.
	Dir string `yaml:"-" json:"-"`
	// File is the path config.yaml was read from, for messages.
	File string `yaml:"-" json:"-"`
	// Positions maps field paths to where they were written, for errors
	// found later (catalog cross-checks).
	Positions map[string]decode.Pos `yaml:"-" json:"-"`
}

// Repo is the Git source of the packages tree.
type Repo struct {
	URL      string `yaml:"url" json:"url" required:"true" doc:"Clone URL: https://..., ssh://..., git@host:org/repo.git, or file:///path for a local repository."`
	Revision string `yaml:"revision" json:"revision" default:"HEAD" doc:"Branch, tag or commit Argo CD tracks."`
	BasePath string `yaml:"basepath" json:"basepath" default:"packages" doc:"Directory of the packages tree inside the repository."`
}

// KindSettings shape the kind cluster of target kind.
type KindSettings struct {
	NodeImage  string `yaml:"node_image" json:"node_image,omitempty" doc:"kindest/node image; the one pinned by the kind library fleetup embeds when empty."`
	ConfigFile string `yaml:"config_file" json:"config_file,omitempty" doc:"A kind Cluster config file used instead of the generated one (one control-plane node, the gateway on host ports 80 and 443); its name is replaced by cluster_name."`
}

// Secrets configures the secret backend.
type Secrets struct {
	Backend     Backend      `yaml:"backend" json:"backend" enum:"aws-secretsmanager|kubernetes" doc:"aws-secretsmanager (default for target eks) or kubernetes (default for kind and kubeconfig)."`
	Prefix      string       `yaml:"prefix" json:"prefix" default:"cnoe-ref-impl" doc:"Secret names are <prefix>/config and <prefix>/github-app, as CNOE names them."`
	KMSKeyID    string       `yaml:"kms_key_id" json:"kms_key_id,omitempty" doc:"KMS key (ID, ARN or alias) to encrypt Secrets Manager secrets with; the account's default key when empty."`
	Namespace   string       `yaml:"namespace" json:"namespace" default:"fleetup-secrets" doc:"Namespace holding the secrets with the kubernetes backend."`
	StoreName   string       `yaml:"store_name" json:"store_name" doc:"Name of the ClusterSecretStore fleetup creates; aws-secretsmanager (CNOE's name) or fleetup-kubernetes by default."`
	APIURL      string       `yaml:"kubernetes_api_url" json:"kubernetes_api_url,omitempty" doc:"kubernetes backend: the API server URL External Secrets reads the secrets from; the in-cluster https://kubernetes.default.svc by default. Set it when External Secrets runs outside the cluster."`
	GitHubApps  []Credential `yaml:"github_apps" json:"github_apps,omitempty" doc:"GitHub App credential files (YAML with url, appId, installationId, privateKey), stored under <prefix>/github-app keyed by name, like CNOE's private/*.yaml."`
	GitHubToken *Credential  `yaml:"github_token" json:"github_token,omitempty" doc:"A file holding a GitHub token (YAML with url and token), the alternative to a GitHub App."`
}

// Credential names a file that holds secret values.
type Credential struct {
	Name string `yaml:"name" json:"name" required:"true" doc:"Key the file's content is stored under, e.g. argocd-github."`
	File string `yaml:"file" json:"file" required:"true" doc:"Path to the file, relative to config.yaml. Must not be readable by other users."`
}

// AddonOverride changes one catalog entry for this installation.
type AddonOverride struct {
	Enabled       *decode.Bool    `yaml:"enabled" json:"enabled,omitempty" doc:"Turn the addon on or off, whatever the catalog says."`
	Version       string          `yaml:"version" json:"version,omitempty" doc:"Chart version to use instead of the catalog's defaultVersion."`
	Values        map[string]any  `yaml:"values" json:"values,omitempty" doc:"Helm values merged over the catalog's valuesObject."`
	HealthTimeout decode.Duration `yaml:"health_timeout" json:"health_timeout,omitempty" doc:"How long the addon may take to become healthy."`
	// The graph keys a fork's catalog lacks, set without editing the fork.
	DependsOn []string       `yaml:"depends_on" json:"depends_on,omitempty" doc:"Addons that must be healthy before this one starts; replaces the catalog's dependsOn."`
	CRDGroups []string       `yaml:"crd_groups" json:"crd_groups,omitempty" doc:"API groups of the CRDs the addon installs, for uninstall --purge-crds; replaces the catalog's crdGroups."`
	Stateful  *AddonStateful `yaml:"stateful" json:"stateful,omitempty" doc:"PersistentVolumeClaims the addon leaves behind, deleted by uninstall unless --keep-pvcs; replaces the catalog's stateful."`
}

// AddonStateful selects an addon's PVCs in its namespace.
type AddonStateful struct {
	PVCSelector map[string]string `yaml:"pvc_selector" json:"pvc_selector" required:"true" doc:"Labels of the addon's PVCs."`
}

// Timeouts bounds every wait.
type Timeouts struct {
	Install       decode.Duration `yaml:"install" json:"install" default:"45m" doc:"The whole install, overridable with --timeout."`
	Addon         decode.Duration `yaml:"addon" json:"addon" default:"15m" doc:"Default time an addon may take to become healthy once started."`
	Helm          decode.Duration `yaml:"helm" json:"helm" default:"10m" doc:"A Helm install or upgrade of Argo CD or External Secrets, including its wait."`
	DegradedGrace decode.Duration `yaml:"degraded_grace" json:"degraded_grace" default:"2m" doc:"How long an addon may stay Degraded before it is failed."`
	Uninstall     decode.Duration `yaml:"uninstall" json:"uninstall" default:"30m" doc:"The whole uninstall."`
}

// Target is where the platform goes.
type Target string

// Targets.
const (
	TargetEKS        Target = "eks"
	TargetKind       Target = "kind"
	TargetKubeconfig Target = "kubeconfig"
)

// Targets lists the valid targets.
var targets = []string{string(TargetEKS), string(TargetKind), string(TargetKubeconfig)}

// DecodeYAML implements decode.Unmarshaler.
func (t *Target) DecodeYAML(n *yaml.Node) error {
	v, err := decode.Enum(n, targets)
	*t = Target(v)
	return err
}

// Backend is the secret store.
type Backend string

// Backends.
const (
	BackendAWS        Backend = "aws-secretsmanager"
	BackendKubernetes Backend = "kubernetes"
)

var backends = []string{string(BackendAWS), string(BackendKubernetes)}

// DecodeYAML implements decode.Unmarshaler.
func (b *Backend) DecodeYAML(n *yaml.Node) error {
	v, err := decode.Enum(n, backends)
	*b = Backend(v)
	return err
}

// Strategy is how addons are started.
type Strategy string

// Strategies.
const (
	StrategyGated    Strategy = "gated"
	StrategyParallel Strategy = "parallel"
)

var strategies = []string{string(StrategyGated), string(StrategyParallel)}

// DecodeYAML implements decode.Unmarshaler.
func (s *Strategy) DecodeYAML(n *yaml.Node) error {
	v, err := decode.Enum(n, strategies)
	*s = Strategy(v)
	return err
}
