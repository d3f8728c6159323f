// Package fleet is the fleet model: profiles, an inventory hierarchy of
// layers and workload clusters, read from fleet/ in the platform repository,
// and each cluster's effective values, merged exactly as Helm merges the
// value files Argo CD will render the cluster's chart with.
package fleet

import (
	"github.com/fleetup/fleetup/internal/decode"
	"gopkg.in/yaml.v3"
)

// Fleet is a loaded, valid fleet directory.
type Fleet struct {
	// Dir is the fleet directory's path inside the repository ("fleet").
	Dir string
	// Settings is fleet/fleet.yaml, defaults applied.
	Settings Settings
	// Chart is the chart's values.yaml, the lowest layer; nil when the
	// chart is not in the repository (yet): no defaults then.
	Chart *ValueFile
	// ChartValues is the chart's values.yaml path, present or not.
	ChartValues string
	Profiles    map[string]*ValueFile
	// Inventory is every layer's values by layer, then by name.
	Inventory map[string]map[string]*ValueFile
	// Clusters are sorted by name, each with its effective values.
	Clusters []*Cluster
}

// Settings is fleet/fleet.yaml.
type Settings struct {
	Layers []string `yaml:"layers" doc:"The inventory layers, lowest precedence first; each is a directory fleet/inventory/<layer>/ and a key of every cluster file. Default: environment, customer, site, provider."`
	Chart  string   `yaml:"chart" doc:"The chart that renders each cluster, relative to the repository root; its values.yaml holds the lowest-precedence defaults. Default: packages/fleet-cluster."`
}

// DefaultLayers is the clusterctl-operator proposal's hierarchy, lowest
// precedence first.
func DefaultLayers() []string { return []string{"environment", "customer", "site", "provider"} }

// DefaultChart is where the fleet's chart lives in the platform repository.
const DefaultChart = "packages/fleet-cluster"

// Cluster is one fleet/clusters/<name>.yaml and what it resolves to.
type Cluster struct {
	Name    string
	File    string
	Profile string
	// Layers is the cluster's value of each layer, by layer.
	Layers map[string]string
	// Wave orders rollouts; nil when the file sets none.
	Wave *int
	// Revision pins the cluster to a commit of the platform repository
	// (written by `fleet rollout`): Argo CD renders its chart, profile and
	// layer files at that commit. Empty: the cluster follows the branch.
	Revision string
	// Decommission: `fleetup cluster delete` is removing the cluster; its
	// addons go first (the chart switches them off), its file next.
	Decommission bool
	// Overrides is the typed view of the cluster's overrides.
	Overrides *Values
	// Own is the cluster's level as Helm reads it: its identity under
	// `cluster` plus its overrides.
	Own *Value
	// Sources are the value files in Helm's order, lowest first.
	Sources []Source
	// Effective is the merged result, with the origin of every value.
	Effective *Value
	pos       map[string]*yaml.Node
}

// Source is one value file of a cluster, in the order Argo CD passes them.
type Source struct {
	Layer string `json:"layer"`          // chart, profile, a layer name, or cluster
	Name  string `json:"name,omitempty"` // the profile's or layer value's name
	File  string `json:"file"`           // path from the repository root
	// Missing: the chart's values.yaml is not there; Argo CD ignores it
	// (ignoreMissingValueFiles) and so does the merge.
	Missing bool `json:"missing,omitempty"`
}

// Values is what a profile, an inventory file and a cluster's overrides may
// set. The same schema for all three: any layer may refine anything, and
// Helm merges them key by key.
type Values struct {
	KubernetesVersion string               `yaml:"kubernetesVersion" doc:"Kubernetes version of the control plane and node pools, e.g. \"v1.34\"."`
	EndpointAccess    *EndpointAccess      `yaml:"endpointAccess" doc:"How the API server can be reached (eks)."`
	NodePools         map[string]*NodePool `yaml:"nodePools" doc:"Node pools keyed by name, so a layer can change or switch off one pool."`
	Addons            map[string]*Addon    `yaml:"addons" doc:"The profile's bundle: catalog addons keyed by name, each switched on or off."`
	Tags              map[string]string    `yaml:"tags" doc:"AWS tags on the cluster's resources."`
	Provider          *Provider            `yaml:"provider" doc:"Where and how the cluster runs: the flavour, and for eks the region and roles."`
	Registration      *Registration        `yaml:"registration" doc:"How the cluster is registered in Argo CD (the chart's defaults fit a management cluster where Argo CD runs in argocd)."`
}

// EndpointAccess mirrors AWSManagedControlPlane.spec.endpointAccess.
type EndpointAccess struct {
	Public      *bool    `yaml:"public" doc:"Whether the API server is reachable from the internet."`
	Private     *bool    `yaml:"private" doc:"Whether the API server is reachable from inside the VPC."`
	PublicCIDRs []string `yaml:"publicCIDRs" doc:"CIDR blocks allowed to reach the public endpoint."`
}

// NodePool is one pool: a MachinePool and an AWSManagedMachinePool for eks.
type NodePool struct {
	Enabled      *bool             `yaml:"enabled" doc:"false switches the pool off for this layer and those above it. Default true."`
	InstanceType string            `yaml:"instanceType" doc:"EC2 instance type, e.g. m7i.xlarge."`
	CapacityType CapacityType      `yaml:"capacityType" enum:"onDemand|spot" doc:"onDemand or spot."`
	AMIType      AMIType           `yaml:"amiType" doc:"EKS AMI type, e.g. AL2023_x86_64_STANDARD."`
	DiskSize     *int              `yaml:"diskSize" doc:"Root disk size in GiB."`
	Replicas     *int              `yaml:"replicas" doc:"Desired node count."`
	Scaling      *Scaling          `yaml:"scaling" doc:"Bounds of the node group."`
	Labels       map[string]string `yaml:"labels" doc:"Kubernetes labels of the nodes."`
	Taints       map[string]*Taint `yaml:"taints" doc:"Taints of the nodes keyed by taint key."`
}

// Scaling mirrors AWSManagedMachinePool.spec.scaling.
type Scaling struct {
	MinSize *int `yaml:"minSize" doc:"Minimum node count."`
	MaxSize *int `yaml:"maxSize" doc:"Maximum node count."`
}

// Taint is one node taint; its key is the map key.
type Taint struct {
	Value  string      `yaml:"value" doc:"Taint value."`
	Effect TaintEffect `yaml:"effect" enum:"no-schedule|no-execute|prefer-no-schedule" doc:"CAPA's spelling of the effect."`
}

// Addon is one entry of a bundle.
type Addon struct {
	Enabled *bool `yaml:"enabled" doc:"Whether the cluster gets the addon (its enable_<addon> switch)."`
}

// Provider says how the cluster is made. Inventory's provider layer sets
// it, a site may refine the region.
type Provider struct {
	Flavour          Flavour `yaml:"flavour" enum:"eks|in-memory|existing" doc:"eks: Cluster API + CAPA managed EKS; in-memory: Cluster API's in-memory backend; existing: a cluster given by a kubeconfig Secret."`
	Region           string  `yaml:"region" doc:"eks: the AWS region the cluster runs in (<area>-<direction>-<n>)."`
	RoleARN          string  `yaml:"roleARN" doc:"eks: IAM role Argo CD assumes to reach the cluster (awsAuthConfig.roleARN)."`
	Identity         string  `yaml:"identity" doc:"eks: AWSClusterRoleIdentity CAPA uses; the controller's own credentials when empty."`
	KubeconfigSecret string  `yaml:"kubeconfigSecret" doc:"existing: Secret in the management cluster holding the cluster's kubeconfig under key value."`
}

// Registration is how the chart registers a cluster in Argo CD: External
// Secrets reads the cluster's kubeconfig Secret through a SecretStore of
// the Kubernetes provider and templates the Argo CD cluster secret.
type Registration struct {
	ArgoCDNamespace string             `yaml:"argocdNamespace" doc:"Namespace Argo CD runs in: the cluster secret, its ExternalSecret and SecretStore, and their ServiceAccount go there. Default argocd."`
	Store           *RegistrationStore `yaml:"store" doc:"The API server the SecretStore reads the kubeconfig Secret from: the management cluster's own."`
	RefreshInterval string             `yaml:"refreshInterval" doc:"How often External Secrets reads the kubeconfig again, as Go writes durations (1h0m0s). Default 1h0m0s."`
	Labels          map[string]string  `yaml:"labels" doc:"Extra labels on the cluster's Argo CD cluster secret, for the catalog's selectors (globalSelectors, an addon's selector); fleetup's own labels cannot be changed."`
}

// RegistrationStore is the SecretStore's Kubernetes server.
type RegistrationStore struct {
	Server      string `yaml:"server" doc:"URL of the API server. Default https://kubernetes.default.svc."`
	CAConfigMap string `yaml:"caConfigMap" doc:"ConfigMap in Argo CD's namespace holding the API server's CA bundle. Default kube-root-ca.crt."`
	CAKey       string `yaml:"caKey" doc:"Key of the CA bundle in that ConfigMap. Default ca.crt."`
}

// Origin is where a value was set.
type Origin struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
	Layer  string `json:"layer"`
}

func originOf(file, layer string, n *yaml.Node) Origin {
	return Origin{File: file, Line: n.Line, Column: n.Column, Layer: layer}
}

// errAt is a positioned error about node n of file.
func errAt(file string, n *yaml.Node, path, msg, expected, hint string) *decode.Error {
	line, col := 1, 1
	if n != nil && n.Line > 0 {
		line, col = n.Line, n.Column
	}
	return &decode.Error{File: file, Line: line, Column: col, Path: path, Msg: msg, Expected: expected, Hint: hint}
}
