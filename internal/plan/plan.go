// Package plan computes everything `fleetup install` would do, offline: the
// target, the secrets (names and keys only), the Helm releases with their
// merged values, the bootstrap manifests, the hub cluster secret, the
// ApplicationSets rendered from packages/appset-chart and the addon graph.
// install executes a Plan; `fleetup plan` prints it.
package plan

import (
	"github.com/fleetup/fleetup/internal/catalog"
	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/helm"
	"github.com/fleetup/fleetup/internal/stages"
)

// Plan is the desired state of the platform and the steps to reach it.
type Plan struct {
	ConfigFile string      `json:"configFile"`
	Target     Target      `json:"target"`
	Strategy   string      `json:"strategy"`
	Repository config.Repo `json:"repository"`
	Steps      []Step      `json:"steps"`
	Secrets    Secrets     `json:"secrets"`
	Releases   []Release   `json:"helmReleases"`
	// Namespaces are the addons' namespaces, created by fleetup (with its
	// labels) when absent; uninstall deletes only those it created.
	Namespaces []string        `json:"namespaces"`
	Bootstrap  []helm.Manifest `json:"bootstrapManifests"`
	// ClusterSecret is fleetup's own hub cluster secret; its Object is nil
	// when a bootstrap manifest makes one (see HubSecret).
	ClusterSecret helm.Manifest `json:"clusterSecret,omitzero"`
	// HubSecret names the hub cluster secret in use, whoever makes it.
	HubSecret HubSecret `json:"hubClusterSecret"`
	// RepoSecrets tell Argo CD which chart repositories are OCI registries.
	RepoSecrets []helm.Manifest `json:"repositorySecrets"`
	// ApplicationSets are rendered locally for review; Argo CD renders
	// them from Git (see GitOps).
	ApplicationSets []helm.Manifest `json:"applicationSets"`
	GitOps          GitOps          `json:"gitops"`
	// Fleet is the fleet's wiring; nil without fleet/.
	Fleet  *Fleet `json:"fleet,omitempty"`
	Graph  Graph  `json:"graph"`
	Gating Gating `json:"gating"`
	// UIs are the hub's UIs and their URLs, from the routes the
	// repository's charts render.
	UIs UIs `json:"uis"`

	// Inputs kept for install; not part of the printed plan.
	Config  *config.Config   `json:"-"`
	Catalog *catalog.Catalog `json:"-"`
	DAG     *stages.Graph    `json:"-"`
}

// Target is the cluster and account the plan acts on.
type Target struct {
	Kind    string `json:"kind"`
	Cluster string `json:"cluster"`
	Region  string `json:"region,omitempty"`
	// Account is the AWS account, known once credentials are checked.
	Account string `json:"account"`
	// Identity is the AWS principal (ARN) fleetup acts as.
	Identity string `json:"identity,omitempty"`
	// Endpoint is the EKS cluster's API server, once described.
	Endpoint string `json:"endpoint,omitempty"`
	Context  string `json:"context,omitempty"`
}

// Step is one pipeline step, in order.
type Step struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// Secrets is what the secret backend will hold, without values.
type Secrets struct {
	Backend string          `json:"backend"`
	Items   []SecretItem    `json:"items"`
	Store   []helm.Manifest `json:"store"`
	// StoreFrom is the bootstrap manifest that makes the ClusterSecretStore
	// when the packages tree has its own; Store then holds none.
	StoreFrom string `json:"storeFrom,omitempty"`
	// Warnings are what would make External Secrets read the wrong place.
	Warnings []string `json:"warnings"`
}

// SecretItem is one secret: its name and the properties it holds.
type SecretItem struct {
	Name string   `json:"name"`
	Keys []string `json:"keys"`
	// Action is create, update or unchanged once the backend was asked;
	// "create or update" offline.
	Action string `json:"action"`
}

// Release is a Helm release fleetup installs itself.
type Release struct {
	Addon     string         `json:"addon"`
	Release   string         `json:"release"`
	Namespace string         `json:"namespace"`
	Chart     string         `json:"chart"`
	Version   string         `json:"version,omitempty"`
	Source    catalog.Source `json:"source"`
	// ValueFiles are the files merged first, in order.
	ValueFiles []string `json:"valueFiles"`
	// Values is the merged result, secrets redacted.
	Values map[string]any `json:"values"`
	// RawValues are the unredacted values, for install only.
	RawValues map[string]any `json:"-"`
}

// Graph is the addon dependency graph.
type Graph struct {
	Levels       [][]string   `json:"levels"`
	Addons       []GraphAddon `json:"addons"`
	Skipped      []Skipped    `json:"skipped"`
	CriticalPath []string     `json:"criticalPath"`
}

// GraphAddon is one installed addon.
type GraphAddon struct {
	Name          string         `json:"name"`
	Level         int            `json:"level"`
	Namespace     string         `json:"namespace"`
	Source        catalog.Source `json:"source"`
	DependsOn     []string       `json:"dependsOn"`
	Dependents    []string       `json:"dependents"`
	HealthTimeout string         `json:"healthTimeout"`
}

// Skipped is an addon of the catalog the hub does not get.
type Skipped struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// ArgoNamespace is where Argo CD, its cluster secret and the
// ApplicationSets live: the argo-cd addon's namespace.
func (p *Plan) ArgoNamespace() string {
	for _, r := range p.Releases {
		if r.Chart == ArgoCDChart {
			return r.Namespace
		}
	}
	return "argocd"
}
