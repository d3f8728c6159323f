// Package capi reads one workload cluster's Cluster API state from the
// management cluster, as unstructured objects (fleetup does not import
// Cluster API's Go module): the Cluster (cluster.x-k8s.io/v1beta2), its
// control plane (KubeadmControlPlane, AWSManagedControlPlane or any
// provider's, through spec.controlPlaneRef), its MachineDeployments and
// MachinePools, and whether its <cluster>-kubeconfig Secret exists. It
// judges the state (Converged, Problems) for fleet status and rollouts.
//
// A fleet cluster's objects live in the namespace named after it, and the
// Cluster has the cluster's name.
package capi

import (
	"time"
)

// ClusterNameLabel is the label Cluster API puts on every object of a
// cluster (MachineDeployments, MachinePools, the kubeconfig Secret).
const ClusterNameLabel = "cluster.x-k8s.io/cluster-name"

// Group is Cluster API's core API group; Version the version read.
const (
	Group   = "cluster.x-k8s.io"
	Version = "v1beta2"
)

// State is one cluster's Cluster API objects as the hub has them. Absent
// objects are states: Installed false (no Cluster API CRDs), Exists false
// (no Cluster yet), ControlPlane nil, no Workers.
type State struct {
	// Cluster is the cluster's name; its objects are in the namespace of
	// the same name.
	Cluster string `json:"cluster"`
	// Installed: the hub serves Cluster API's v1beta2 Cluster.
	Installed bool `json:"installed"`
	// Object is the Cluster object; Found says whether it exists.
	Object
	// ControlPlane is spec.controlPlaneRef's object; nil when the Cluster
	// names none.
	ControlPlane *ControlPlane `json:"controlPlane,omitempty"`
	// Workers are the cluster's MachineDeployments and MachinePools, by
	// name.
	Workers []Workers `json:"workers"`
	// KubeconfigSecret: <cluster>-kubeconfig exists (its content is never
	// read into the state).
	KubeconfigSecret bool `json:"kubeconfigSecret"`
}

// NewState is the state of a cluster none of whose objects were read.
func NewState(cluster string) State {
	return State{Cluster: cluster, Object: Object{Kind: "Cluster", Namespace: cluster, Name: cluster, Conditions: []Condition{}}, Workers: []Workers{}}
}

// Condition is a status condition: Cluster API v1beta2's metav1.Condition,
// or a v1beta1 one (CAPA's), which has a Severity.
type Condition struct {
	Type     string `json:"type"`
	Status   string `json:"status"`
	Reason   string `json:"reason,omitempty"`
	Message  string `json:"message,omitempty"`
	Severity string `json:"severity,omitempty"`
	// Since is lastTransitionTime.
	Since time.Time `json:"since,omitzero"`
}

// Object is what every object of the state shares.
type Object struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Found: the object exists (a control plane the Cluster refers to may
	// not yet).
	Found              bool        `json:"found"`
	Deleting           bool        `json:"deleting,omitempty"`
	Generation         int64       `json:"generation,omitempty"`
	ObservedGeneration int64       `json:"observedGeneration,omitempty"`
	Phase              string      `json:"phase,omitempty"`
	Conditions         []Condition `json:"conditions"`
	// FailureMessage is a v1beta1 contract's status.failureMessage (CAPA)
	// or Cluster API's deprecated v1beta1 one.
	FailureMessage string `json:"failureMessage,omitempty"`
}

// ControlPlane is the Cluster's control plane.
type ControlPlane struct {
	Object
	// DesiredVersion is spec.version; Version status.version, the
	// lowest version its machines run (EKS: the control plane's).
	DesiredVersion string `json:"desiredVersion,omitempty"`
	Version        string `json:"version,omitempty"`
	Replicas
	// StatusReady is a v1beta1 contract's status.ready (CAPA); nil when
	// the object has none.
	StatusReady *bool `json:"statusReady,omitempty"`
}

// Workers is a MachineDeployment or a MachinePool.
type Workers struct {
	Object
	// Version is spec.template.spec.version.
	Version string `json:"version,omitempty"`
	// Versions are status.versions: how many machines run each version.
	Versions []VersionCount `json:"versions,omitempty"`
	Replicas
}

// Replicas are the counts Cluster API keeps; nil where the object has none.
type Replicas struct {
	// Desired is spec.replicas.
	Desired   *int64 `json:"desiredReplicas,omitempty"`
	Current   *int64 `json:"replicas,omitempty"`
	Ready     *int64 `json:"readyReplicas,omitempty"`
	Available *int64 `json:"availableReplicas,omitempty"`
	UpToDate  *int64 `json:"upToDateReplicas,omitempty"`
}

// VersionCount is one entry of status.versions.
type VersionCount struct {
	Version  string `json:"version"`
	Replicas int64  `json:"replicas"`
}

// Ref is "Kind namespace/name", as messages name objects.
func (o Object) Ref() string { return o.Kind + " " + o.Namespace + "/" + o.Name }

// Condition returns the condition of type t, or nil.
func (o Object) Condition(t string) *Condition { return find(o.Conditions, t) }

func find(cs []Condition, t string) *Condition {
	for i := range cs {
		if cs[i].Type == t {
			return &cs[i]
		}
	}
	return nil
}
