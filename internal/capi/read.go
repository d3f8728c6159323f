package capi

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/fleetup/fleetup/internal/kube"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Resources Cluster API serves at v1beta2, the version read.
var (
	Clusters           = kube.GVR(Group, Version, "clusters")
	MachineDeployments = kube.GVR(Group, Version, "machinedeployments")
	MachinePools       = kube.GVR(Group, Version, "machinepools")
)

// Read reads cluster's Cluster API state from the hub. Objects or CRDs
// that are not there are part of the state; errors are the API server's.
func Read(ctx context.Context, kc *kube.Client, cluster string) (State, error) {
	s := NewState(cluster)
	obj, err := kc.Dynamic.Resource(Clusters).Namespace(cluster).Get(ctx, cluster, metav1.GetOptions{})
	switch {
	case notServed(err):
		return s, nil
	case apierrors.IsNotFound(err):
		obj = nil
	case err != nil:
		return s, fmt.Errorf("read Cluster %s/%s: %w", cluster, cluster, err)
	}
	var objs []*unstructured.Unstructured
	if obj != nil {
		cp, err := readControlPlane(ctx, kc, obj)
		if err != nil {
			return s, err
		}
		objs = append(objs, obj)
		if cp != nil {
			objs = append(objs, cp)
		}
	}
	for _, gvr := range []schema.GroupVersionResource{MachineDeployments, MachinePools} {
		ws, err := readWorkers(ctx, kc, gvr, cluster)
		if err != nil {
			return s, err
		}
		objs = append(objs, ws...)
	}
	_, err = kc.Typed.CoreV1().Secrets(cluster).Get(ctx, cluster+"-kubeconfig", metav1.GetOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return s, fmt.Errorf("read Secret %s/%s-kubeconfig: %w", cluster, cluster, err)
	}
	return FromObjects(cluster, objs, err == nil), nil
}

// FromObjects is the state of cluster from objects of its namespace as
// the hub has them (any order; other objects and other clusters' are
// left out): the Cluster named cluster, the control plane its
// spec.controlPlaneRef names, the MachineDeployments and MachinePools;
// secret says whether the kubeconfig Secret exists. Cluster API is
// installed: the objects were read, or found missing.
func FromObjects(cluster string, objs []*unstructured.Unstructured, secret bool) State {
	s := NewState(cluster)
	s.Installed, s.KubeconfigSecret = true, secret
	var ref map[string]string
	for _, o := range objs {
		if o.GetKind() == "Cluster" && o.GetName() == cluster && o.GroupVersionKind().Group == Group {
			s.Object = objectOf(o)
			ref, _, _ = unstructured.NestedStringMap(o.Object, "spec", "controlPlaneRef")
		}
	}
	if s.Found && ref["kind"] != "" && ref["name"] != "" {
		s.ControlPlane = &ControlPlane{Object: Object{Kind: ref["kind"], Namespace: cluster, Name: ref["name"], Conditions: []Condition{}}}
		for _, o := range objs {
			if o.GetKind() == ref["kind"] && o.GetName() == ref["name"] && o.GroupVersionKind().Group == ref["apiGroup"] {
				s.ControlPlane = controlPlaneOf(o)
			}
		}
	}
	for _, o := range objs {
		if k := o.GetKind(); (k == "MachineDeployment" || k == "MachinePool") && o.GroupVersionKind().Group == Group && belongsTo(o, cluster) {
			s.Workers = append(s.Workers, workersOf(o))
		}
	}
	sort.SliceStable(s.Workers, func(i, j int) bool {
		a, b := s.Workers[i], s.Workers[j]
		return a.Kind < b.Kind || a.Kind == b.Kind && a.Name < b.Name
	})
	return s
}

// notServed: the resource is not served (its CRD is not installed). An
// API server answers a GET of an unknown resource with a 404 whose
// details name no object, unlike a missing object's.
func notServed(err error) bool {
	if kube.IsNoMatch(err) {
		return true
	}
	if !apierrors.IsNotFound(err) {
		return false
	}
	st, ok := err.(apierrors.APIStatus)
	if !ok {
		return false
	}
	d := st.Status().Details
	return d == nil || d.Name == ""
}

// readControlPlane reads the Cluster's spec.controlPlaneRef (kind and
// apiGroup, no version: v1beta2's contract reference) at the version the
// hub prefers for that kind; nil when there is none or it is not there.
func readControlPlane(ctx context.Context, kc *kube.Client, cluster *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	ref, _, _ := unstructured.NestedStringMap(cluster.Object, "spec", "controlPlaneRef")
	if ref["kind"] == "" || ref["name"] == "" {
		return nil, nil
	}
	what := ref["kind"] + " " + cluster.GetNamespace() + "/" + ref["name"]
	m, err := kc.Mapper.RESTMapping(schema.GroupKind{Group: ref["apiGroup"], Kind: ref["kind"]})
	if kube.IsNoMatch(err) {
		return nil, nil // its provider is not installed
	}
	if err != nil {
		return nil, fmt.Errorf("control plane %s: %w", what, err)
	}
	obj, err := kc.Dynamic.Resource(m.Resource).Namespace(cluster.GetNamespace()).Get(ctx, ref["name"], metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	return obj, nil
}

// controlPlaneOf reads a control plane of any provider: the contract's
// spec.version, status.version, replica counts where it has them, and
// status.ready of v1beta1 contracts.
func controlPlaneOf(obj *unstructured.Unstructured) *ControlPlane {
	cp := &ControlPlane{Object: objectOf(obj)}
	cp.DesiredVersion, _, _ = unstructured.NestedString(obj.Object, "spec", "version")
	cp.Version, _, _ = unstructured.NestedString(obj.Object, "status", "version")
	cp.Replicas = replicasOf(obj)
	if r, ok, _ := unstructured.NestedBool(obj.Object, "status", "ready"); ok {
		cp.StatusReady = &r
	}
	return cp
}

// readWorkers lists the MachineDeployments or MachinePools in the
// cluster's namespace; a kind the hub does not serve has none.
func readWorkers(ctx context.Context, kc *kube.Client, gvr schema.GroupVersionResource, cluster string) ([]*unstructured.Unstructured, error) {
	list, err := kc.Dynamic.Resource(gvr).Namespace(cluster).List(ctx, metav1.ListOptions{})
	if notServed(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s in %s: %w", gvr.Resource, cluster, err)
	}
	out := make([]*unstructured.Unstructured, len(list.Items))
	for i := range list.Items {
		out[i] = &list.Items[i]
	}
	return out, nil
}

// belongsTo: Cluster API labels a cluster's objects with its name (the
// defaulting webhook adds it from spec.clusterName, which is also read in
// case the webhook did not run).
func belongsTo(obj *unstructured.Unstructured, cluster string) bool {
	name, _, _ := unstructured.NestedString(obj.Object, "spec", "clusterName")
	return obj.GetLabels()[ClusterNameLabel] == cluster || name == cluster
}

func workersOf(obj *unstructured.Unstructured) Workers {
	w := Workers{Object: objectOf(obj), Replicas: replicasOf(obj)}
	w.Version, _, _ = unstructured.NestedString(obj.Object, "spec", "template", "spec", "version")
	vs, _, _ := unstructured.NestedSlice(obj.Object, "status", "versions")
	for _, v := range vs {
		m, _ := v.(map[string]any)
		version, _ := m["version"].(string)
		n, _ := number(m["replicas"])
		w.Versions = append(w.Versions, VersionCount{Version: version, Replicas: n})
	}
	return w
}

// objectOf reads the fields every object of the state has.
func objectOf(obj *unstructured.Unstructured) Object {
	o := Object{Kind: obj.GetKind(), Namespace: obj.GetNamespace(), Name: obj.GetName(), Found: true,
		Deleting: obj.GetDeletionTimestamp() != nil, Generation: obj.GetGeneration()}
	o.ObservedGeneration, _ = number(nested(obj, "status", "observedGeneration"))
	o.Phase, _, _ = unstructured.NestedString(obj.Object, "status", "phase")
	o.Conditions = conditionsOf(obj)
	o.FailureMessage, _, _ = unstructured.NestedString(obj.Object, "status", "failureMessage")
	if o.FailureMessage == "" {
		o.FailureMessage, _, _ = unstructured.NestedString(obj.Object, "status", "deprecated", "v1beta1", "failureMessage")
	}
	return o
}

// conditionsOf reads status.conditions: v1beta2 ones (metav1.Condition),
// or v1beta1 ones (with a severity) for providers on the older contract.
func conditionsOf(obj *unstructured.Unstructured) []Condition {
	out := []Condition{}
	cs, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	for _, c := range cs {
		m, _ := c.(map[string]any)
		str := func(k string) string { s, _ := m[k].(string); return s }
		cond := Condition{Type: str("type"), Status: str("status"), Reason: str("reason"), Message: str("message"), Severity: str("severity")}
		if t, err := time.Parse(time.RFC3339, str("lastTransitionTime")); err == nil {
			cond.Since = t
		}
		if cond.Type != "" {
			out = append(out, cond)
		}
	}
	return out
}

func replicasOf(obj *unstructured.Unstructured) Replicas {
	at := func(path ...string) *int64 {
		if n, ok := number(nested(obj, path...)); ok {
			return &n
		}
		return nil
	}
	return Replicas{Desired: at("spec", "replicas"), Current: at("status", "replicas"), Ready: at("status", "readyReplicas"),
		Available: at("status", "availableReplicas"), UpToDate: at("status", "upToDateReplicas")}
}

func nested(obj *unstructured.Unstructured, path ...string) any {
	v, _, _ := unstructured.NestedFieldNoCopy(obj.Object, path...)
	return v
}

// number reads an integer as the API server's JSON (int64) or YAML and
// JSON without a schema (float64, int) give it.
func number(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case float64:
		return int64(n), true
	}
	return 0, false
}
