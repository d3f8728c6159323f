package capi

import (
	"os"
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/kube"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// objects reads a testdata file: a cluster's objects as the hub has them.
func objects(t *testing.T, file string) []*unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := kube.DecodeYAML(data)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// byKind finds the object of kind in objs.
func byKind(t *testing.T, objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	t.Helper()
	for _, o := range objs {
		if o.GetKind() == kind && (name == "" || o.GetName() == name) {
			return o
		}
	}
	t.Fatalf("no %s %s", kind, name)
	return nil
}

// without is objs without the object of kind.
func without(objs []*unstructured.Unstructured, kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() != kind {
			out = append(out, o)
		}
	}
	return out
}

func set(t *testing.T, obj *unstructured.Unstructured, value any, path ...string) {
	t.Helper()
	if err := unstructured.SetNestedField(obj.Object, value, path...); err != nil {
		t.Fatal(err)
	}
}

func TestProvisioned(t *testing.T) {
	objs := objects(t, "provisioned.yaml")
	s := FromObjects("dev-acme-fra", objs, true)
	if !s.Installed || !s.Found || s.Phase != "Provisioned" || s.Condition("Available").Status != "True" {
		t.Fatalf("Cluster read as %+v", s.Object)
	}
	if s.ControlPlane == nil || s.ControlPlane.Ref() != "KubeadmControlPlane dev-acme-fra/dev-acme-fra-control-plane" ||
		s.ControlPlane.DesiredVersion != "v1.34.0" || s.ControlPlane.Version != "v1.34.0" || *s.ControlPlane.UpToDate != 1 {
		t.Fatalf("control plane read as %+v", s.ControlPlane)
	}
	if len(s.Workers) != 2 || s.Workers[0].Name != "dev-acme-fra-system" || s.Workers[1].Name != "dev-acme-fra-workers" {
		t.Fatalf("workers %+v: want system and workers, not the other cluster's", s.Workers)
	}
	if w := s.Workers[1]; w.Version != "v1.34.0" || *w.Desired != 2 || *w.Ready != 2 || len(w.Versions) != 1 || w.Versions[0].Replicas != 2 {
		t.Errorf("workers read as %+v", w)
	}
	if ps := s.Problems(); len(ps) > 0 {
		t.Errorf("problems %v", ps)
	}
	for _, v := range []string{"v1.34", "v1.34.0", "1.34", ""} {
		if ok, reason := s.Converged(v); !ok {
			t.Errorf("Converged(%q): %s", v, reason)
		}
	}
	ok, reason := s.Converged("v1.35")
	if want := "KubeadmControlPlane dev-acme-fra/dev-acme-fra-control-plane: spec.version is v1.34.0, not v1.35 yet"; ok || reason != want {
		t.Errorf("Converged(v1.35) = %v, %q; want %q", ok, reason, want)
	}
	if ok, reason := FromObjects("dev-acme-fra", objs, false).Converged("v1.34"); ok || reason != "no Secret dev-acme-fra/dev-acme-fra-kubeconfig yet" {
		t.Errorf("without the kubeconfig Secret: %v, %q", ok, reason)
	}
}

// A version upgrade as KubeadmControlPlane rolls it out: the new spec is
// seen, one machine is replaced at a time.
func TestRollingOut(t *testing.T) {
	objs := objects(t, "provisioned.yaml")
	cp := byKind(t, objs, "KubeadmControlPlane", "")
	cp.SetGeneration(2)
	set(t, cp, "v1.35.0", "spec", "version")
	set(t, cp, int64(2), "status", "observedGeneration")
	set(t, cp, int64(2), "status", "replicas")
	set(t, cp, int64(0), "status", "upToDateReplicas")
	set(t, cp, []any{
		map[string]any{"type": "Available", "status": "True", "reason": "Available"},
		map[string]any{"type": "RollingOut", "status": "True", "reason": "RollingOut",
			"message": "Rolling out 1 not up-to-date replicas\n* Version v1.34.0, v1.35.0 required"},
	}, "status", "conditions")
	ok, reason := FromObjects("dev-acme-fra", objs, true).Converged("v1.35")
	want := "KubeadmControlPlane dev-acme-fra/dev-acme-fra-control-plane: 0/1 up to date: RollingOut (RollingOut): Rolling out 1 not up-to-date replicas * Version v1.34.0, v1.35.0 required"
	if ok || reason != want {
		t.Errorf("Converged = %v, %q\nwant %q", ok, reason, want)
	}

	// The control plane is done; the workers now roll.
	set(t, cp, int64(1), "status", "replicas")
	set(t, cp, int64(1), "status", "upToDateReplicas")
	set(t, cp, "v1.35.0", "status", "version")
	for _, o := range objs {
		if o.GetKind() == "MachineDeployment" {
			set(t, o, "v1.35.0", "spec", "template", "spec", "version")
		}
	}
	if ok, reason := FromObjects("dev-acme-fra", objs, true).Converged("v1.35"); ok || reason != "MachineDeployment dev-acme-fra/dev-acme-fra-workers: 2 machine(s) still run v1.34.0, not v1.35" {
		t.Errorf("workers on the old version: %v, %q", ok, reason)
	}
	// A spec the controller has not seen yet is not judged on its status.
	byKind(t, objs, "MachineDeployment", "dev-acme-fra-system").SetGeneration(3)
	if ok, reason := FromObjects("dev-acme-fra", objs, true).Converged("v1.35"); ok || !strings.Contains(reason, "generation 3 not reconciled yet (observed 1)") {
		t.Errorf("unobserved generation: %v, %q", ok, reason)
	}
}

func TestAbsent(t *testing.T) {
	for _, c := range []struct {
		name  string
		state State
		want  string
	}{
		{"no CRDs", NewState("dev"), "Cluster API is not installed on the hub (no cluster.x-k8s.io/v1beta2 Cluster)"},
		{"no Cluster", FromObjects("dev", nil, false), "no Cluster dev/dev yet"},
	} {
		if ok, reason := c.state.Converged("v1.34"); ok || reason != c.want {
			t.Errorf("%s: %v, %q; want %q", c.name, ok, reason, c.want)
		}
	}
	objs := without(objects(t, "provisioned.yaml"), "KubeadmControlPlane")
	if ok, reason := FromObjects("dev-acme-fra", objs, true).Converged("v1.34"); ok || reason != "no KubeadmControlPlane dev-acme-fra/dev-acme-fra-control-plane yet" {
		t.Errorf("no control plane: %v, %q", ok, reason)
	}
	now := metav1.Now()
	byKind(t, objs, "Cluster", "").SetDeletionTimestamp(&now)
	if ok, reason := FromObjects("dev-acme-fra", objs, true).Converged("v1.34"); ok || reason != "Cluster dev-acme-fra/dev-acme-fra is being deleted" {
		t.Errorf("deleting: %v, %q", ok, reason)
	}
}

// Provisioning: the Cluster's own Available condition says what it waits
// for once the objects it summarises look done.
func TestNotAvailable(t *testing.T) {
	objs := objects(t, "provisioned.yaml")
	c := byKind(t, objs, "Cluster", "")
	set(t, c, "Provisioning", "status", "phase")
	set(t, c, []any{map[string]any{"type": "Available", "status": "False", "reason": "NotAvailable",
		"message": "* WorkersAvailable:\n  * MachineDeployment dev-acme-fra-workers: 0 available replicas, at least 2 required"}}, "status", "conditions")
	ok, reason := FromObjects("dev-acme-fra", objs, true).Converged("v1.34")
	want := "Cluster dev-acme-fra/dev-acme-fra: not Available: Available False (NotAvailable): * WorkersAvailable: * MachineDeployment dev-acme-fra-workers: 0 available replicas, at least 2 required"
	if ok || reason != want {
		t.Errorf("Converged = %v, %q\nwant %q", ok, reason, want)
	}
}

// The probe of the workload API server fails while the cluster is being
// made (as TestClusterAPIInMemory saw it): progress, not a problem; once
// the control plane is initialized and the probe fails, a problem.
func TestRemoteConnectionProbe(t *testing.T) {
	objs := objects(t, "provisioned.yaml")
	c := byKind(t, objs, "Cluster", "")
	probe := map[string]any{"type": "RemoteConnectionProbe", "status": "False", "reason": "ProbeFailed", "message": "Remote connection not established yet"}
	set(t, c, "Provisioning", "status", "phase")
	set(t, c, []any{
		map[string]any{"type": "Available", "status": "False", "reason": "NotAvailable", "message": "* RemoteConnectionProbe: Remote connection not established yet"},
		map[string]any{"type": "ControlPlaneInitialized", "status": "False", "reason": "NotInitialized", "message": "Control plane not yet initialized"},
		probe,
	}, "status", "conditions")
	s := FromObjects("dev-acme-fra", objs, true)
	if ps := s.Problems(); len(ps) > 0 {
		t.Errorf("provisioning: problems %v", ps)
	}
	if ok, reason := s.Converged("v1.34"); ok || !strings.HasPrefix(reason, "Cluster dev-acme-fra/dev-acme-fra: not Available") {
		t.Errorf("provisioning: %v, %q", ok, reason)
	}
	probe["message"] = "Remote connection probe failed, probe last succeeded at 2026-12-02T10:00:15Z"
	set(t, c, []any{
		map[string]any{"type": "Available", "status": "False", "reason": "NotAvailable"},
		map[string]any{"type": "ControlPlaneInitialized", "status": "True", "reason": "Initialized"},
		probe,
	}, "status", "conditions")
	want := "Cluster dev-acme-fra/dev-acme-fra: RemoteConnectionProbe False (ProbeFailed): Remote connection probe failed, probe last succeeded at 2026-12-02T10:00:15Z"
	if ps := FromObjects("dev-acme-fra", objs, true).Problems(); len(ps) != 1 || ps[0] != want {
		t.Errorf("unreachable: problems %v", ps)
	}
}

func TestEKSFailed(t *testing.T) {
	objs := objects(t, "eks-failed.yaml")
	s := FromObjects("prod-acme-fra", objs, false)
	if s.ControlPlane.StatusReady == nil || *s.ControlPlane.StatusReady || s.ControlPlane.DesiredVersion != "v1.34" {
		t.Fatalf("AWSManagedControlPlane read as %+v", s.ControlPlane)
	}
	if len(s.Workers) != 1 || s.Workers[0].Kind != "MachinePool" || s.Workers[0].Version != "v1.34" {
		t.Fatalf("workers %+v", s.Workers)
	}
	ps := s.Problems()
	want := []string{
		"AWSManagedControlPlane prod-acme-fra/prod-acme-fra-control-plane: failed to create EKS cluster: InvalidParameterException: unsupported Kubernetes version 1.34",
		"AWSManagedControlPlane prod-acme-fra/prod-acme-fra-control-plane: Ready False (EKSControlPlaneReconciliationFailed): failed to create EKS cluster: InvalidParameterException: unsupported Kubernetes version 1.34",
		"AWSManagedControlPlane prod-acme-fra/prod-acme-fra-control-plane: EKSControlPlaneReady False (EKSControlPlaneReconciliationFailed): failed to create EKS cluster: InvalidParameterException: unsupported Kubernetes version 1.34",
	}
	if strings.Join(ps, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(ps, "\n"), strings.Join(want, "\n"))
	}
	if ok, reason := s.Converged("v1.34"); ok || reason != want[0] {
		t.Errorf("Converged = %v, %q", ok, reason)
	}
	// Without the failure: EKS reports 1.34, the fleet v1.34.
	c, cp, mp := byKind(t, objs, "Cluster", ""), byKind(t, objs, "AWSManagedControlPlane", ""), byKind(t, objs, "MachinePool", "")
	set(t, cp, map[string]any{"ready": true, "initialized": true, "version": "1.34"}, "status")
	set(t, c, []any{map[string]any{"type": "Available", "status": "True", "reason": "Available"}}, "status", "conditions")
	set(t, mp, map[string]any{"observedGeneration": int64(1), "replicas": int64(3), "readyReplicas": int64(3), "upToDateReplicas": int64(3)}, "status")
	if ok, reason := FromObjects("prod-acme-fra", objs, true).Converged("v1.34"); !ok {
		t.Errorf("EKS converged: %s", reason)
	}
}

func TestSameVersion(t *testing.T) {
	for _, c := range []struct {
		want, got string
		same      bool
	}{
		{"v1.34", "v1.34.0", true},
		{"v1.34", "1.34", true},
		{"v1.34.2", "v1.34.2", true},
		{"v1.34.2", "1.34", true}, // EKS keeps major.minor
		{"v1.34.2", "v1.34.0", false},
		{"v1.34", "v1.35.0", false},
		{"v1.34", "v2.34.0", false},
		{"v1.34", "", false},
		{"v1.34", "v1.34.0-rc.1", false},
	} {
		if got := SameVersion(c.want, c.got); got != c.same {
			t.Errorf("SameVersion(%q, %q) = %v", c.want, c.got, got)
		}
	}
}
