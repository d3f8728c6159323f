package cli

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/capi"
	"github.com/fleetup/fleetup/internal/fleet"
	"github.com/fleetup/fleetup/internal/kube"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// commitC1 is the commit the hub of testdata/fleet-status-hub.yaml applied.
const commitC1 = "3f2a9c1e5b7d4a6f8e0c2b4d6a8f0e1c3b5d7f9a"

// decodeFile reads a YAML stream of objects.
func decodeFile(t *testing.T, file string) []*unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := kube.DecodeYAML(data)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// hubFile reads a hub's cluster secrets and Applications in argocd.
func hubFile(t *testing.T, file string) ([]corev1.Secret, []unstructured.Unstructured) {
	t.Helper()
	var secrets []corev1.Secret
	var apps []unstructured.Unstructured
	for _, o := range decodeFile(t, file) {
		if o.GetKind() == "Secret" {
			var s corev1.Secret
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &s); err != nil {
				t.Fatal(err)
			}
			secrets = append(secrets, s)
			continue
		}
		apps = append(apps, *o)
	}
	return secrets, apps
}

// statusHub is the hub of testdata/fleet-status-hub.yaml: Argo CD's
// secrets and Applications, and Cluster API's objects of dev-acme-fra
// (provisioned at v1.34) and prod-acme-fra (EKS failed), as the capi
// package's tests have them.
func statusHub(t *testing.T, gits []gitCluster) *hubState {
	t.Helper()
	secrets, apps := hubFile(t, "testdata/fleet-status-hub.yaml")
	h := joinHub(gits, secrets, apps)
	dev := capi.FromObjects("dev-acme-fra", decodeFile(t, "../capi/testdata/provisioned.yaml"), true)
	prod := capi.FromObjects("prod-acme-fra", decodeFile(t, "../capi/testdata/eks-failed.yaml"), false)
	globex, gone := capi.FromObjects("prod-globex-iad", nil, false), capi.FromObjects("gone-cluster", nil, false)
	h.capi = map[string]*capi.State{"dev-acme-fra": &dev, "prod-acme-fra": &prod, "prod-globex-iad": &globex, "gone-cluster": &gone}
	return h
}

// shippedGit is the shipped fleet's Git side, the tracked branch at commit.
func shippedGit(t *testing.T, commit string) []gitCluster {
	t.Helper()
	f, err := fleet.Load(context.Background(), os.DirFS("../.."), "fleet", fleet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return gitSide(f, TrackedRevision{Revision: "HEAD", Commit: commit}, nil)
}

func byName(rep *FleetStatusReport, name string) ClusterStatus {
	for _, c := range rep.Clusters {
		if c.Name == name {
			return c
		}
	}
	return ClusterStatus{}
}

func TestJudgeFleet(t *testing.T) {
	gits := shippedGit(t, commitC1)
	rep := judgeFleet("fleet", TrackedRevision{Revision: "HEAD", Commit: commitC1}, gits, statusHub(t, gits))
	want := []struct{ name, state, reason string }{
		{"dev-acme-fra", StateReady, ""},
		{"prod-acme-fra", StateFailed, `Application fleet-prod-acme-fra: failed: sync failed: one or more objects failed to apply, reason: admission webhook "validation.awsmanagedcontrolplanes.controlplane.cluster.x-k8s.io" denied the request: spec.region: Invalid value: "eu-west-1": field is immutable`},
		{"prod-globex-iad", StateMissing, "nothing on the hub: no Application fleet-prod-globex-iad, no cluster secret, no Cluster API Cluster (Argo CD makes them once the cluster file is in the branch it tracks)"},
		{"gone-cluster", StateDeleting, "not in Git (no fleet/clusters/gone-cluster.yaml): Argo CD is deleting Application fleet-gone-cluster and the cluster's objects"},
		{"old-cluster", StateOrphaned, "not in Git (no fleet/clusters/old-cluster.yaml): only its Argo CD cluster secret remains"},
	}
	if len(rep.Clusters) != len(want) {
		t.Fatalf("clusters: %+v", rep.Clusters)
	}
	for i, w := range want {
		c := rep.Clusters[i]
		if c.Name != w.name || c.State != w.state || c.Reason != w.reason {
			t.Errorf("row %d: %s %s %q\nwant %s %s %q", i, c.Name, c.State, c.Reason, w.name, w.state, w.reason)
		}
	}
	dev := rep.Clusters[0]
	if dev.Live.Application.Revision != commitC1 || !dev.Live.Registered || dev.Live.AddonsHealthy != 3 || dev.Git.KubernetesVersion != "v1.34" ||
		dev.Checks != (StatusChecks{Revision: true, Synced: true, ClusterAPI: true, Registered: true, Addons: true}) {
		t.Errorf("dev-acme-fra: %+v", dev)
	}
	if rep.Ready || rep.Summary[StateReady] != 1 || rep.Summary[StateFailed] != 1 || rep.SchemaVersion != 1 {
		t.Errorf("summary: ready %v %v", rep.Ready, rep.Summary)
	}
	if old := rep.Clusters[4]; !old.Live.Registered || old.Live.Secret != "argocd/fleet-old-cluster" || old.Git != nil {
		t.Errorf("old-cluster: %+v", old)
	}

	// The text view and the JSON: rows, and no credential of a secret.
	var b strings.Builder
	if err := writeStatusTable(&b, rep); err != nil {
		t.Fatal(err)
	}
	text := b.String()
	if !strings.HasPrefix(text, "fleet/: 1 ready, 1 failed, 1 missing, 1 orphaned, 1 deleting (tracking HEAD at 3f2a9c1e5b7d)\n") {
		t.Errorf("summary line:\n%s", text)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(text, "\n")[1:] {
		if f := strings.Fields(line); len(f) > 0 {
			rows[f[0]] = strings.Join(f, " ")
		}
	}
	for name, want := range map[string]string{
		"NAME":            "NAME WAVE PROFILE STATE REVISION CLUSTER API CONTROL PLANE WORKERS REGISTERED ADDONS REASON",
		"dev-acme-fra":    "dev-acme-fra 0 standard ready 3f2a9c1 Provisioned v1.34.0 1/1 3/3 v1.34.0 yes 3/3",
		"prod-acme-fra":   "prod-acme-fra 1 standard failed 3f2a9c1 Provisioning -→v1.34 0/3 v1.34 no - Application fleet-prod-acme-fra: failed:",
		"prod-globex-iad": "prod-globex-iad 2 gpu missing -→3f2a9c1 none - - no - nothing on the hub",
		"old-cluster":     "old-cluster - - orphaned - - - - yes - not in Git",
	} {
		if !strings.HasPrefix(rows[name], want) {
			t.Errorf("row %s: %q\nwant %q...", name, rows[name], want)
		}
	}
	data, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"keyData", "c2VjcmV0LWtleS1kYXRh", "tlsClientConfig"} {
		if strings.Contains(string(data)+text, secret) {
			t.Errorf("output shows %q of a cluster secret", secret)
		}
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schemaVersion", "fleet", "tracked", "ready", "summary", "clusters"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("JSON lacks %s", k)
		}
	}
}

// What dev-acme-fra waits for, one difference from Git at a time.
func TestJudgeProgressing(t *testing.T) {
	const c2 = "9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c"
	dev := func(t *testing.T, gits []gitCluster, edit func(h *hubState)) ClusterStatus {
		h := statusHub(t, gits)
		if edit != nil {
			edit(h)
		}
		return byName(judgeFleet("fleet", TrackedRevision{Revision: "HEAD"}, gits, h), "dev-acme-fra")
	}
	t.Run("a new commit", func(t *testing.T) {
		c := dev(t, shippedGit(t, c2), nil)
		if c.State != StateProgressing || c.Reason != "Application fleet-dev-acme-fra has applied 3f2a9c1e5b7d, not 9b8c7d6e5f4a yet" || c.Checks.Revision {
			t.Errorf("%s %q", c.State, c.Reason)
		}
	})
	t.Run("pinned to the applied commit", func(t *testing.T) {
		gits := shippedGit(t, c2)
		gits[0].Revision, gits[0].Pinned = commitC1, true
		if c := dev(t, gits, nil); c.State != StateReady || !c.Git.Pinned {
			t.Errorf("%s %q", c.State, c.Reason)
		}
	})
	t.Run("unknown tracked commit", func(t *testing.T) {
		if c := dev(t, shippedGit(t, ""), nil); c.State != StateReady {
			t.Errorf("%s %q", c.State, c.Reason)
		}
	})
	t.Run("a version Cluster API has not rolled out", func(t *testing.T) {
		gits := shippedGit(t, commitC1)
		gits[0].KubernetesVersion = "v1.35"
		c := dev(t, gits, nil)
		if c.State != StateProgressing || c.Reason != "KubeadmControlPlane dev-acme-fra/dev-acme-fra-control-plane: spec.version is v1.34.0, not v1.35 yet" || c.Checks.ClusterAPI {
			t.Errorf("%s %q", c.State, c.Reason)
		}
	})
	t.Run("not registered", func(t *testing.T) {
		c := dev(t, shippedGit(t, commitC1), func(h *hubState) { h.live["dev-acme-fra"].Registered = false })
		if c.State != StateProgressing || c.Reason != "not registered in Argo CD yet: no cluster secret labelled fleetup.dev/cluster=dev-acme-fra in argocd" {
			t.Errorf("%s %q", c.State, c.Reason)
		}
	})
	t.Run("an addon progressing", func(t *testing.T) {
		c := dev(t, shippedGit(t, commitC1), func(h *hubState) {
			a := &h.live["dev-acme-fra"].Addons[1]
			a.State, a.Health, a.Message = "progressing", "Progressing", "sync Synced, health Progressing; waiting for rollout"
		})
		want := "addons 2/3 healthy; envoy-gateway (envoy-gateway-dev-acme-fra): progressing: sync Synced, health Progressing; waiting for rollout"
		if c.State != StateProgressing || c.Reason != want {
			t.Errorf("%s %q\nwant %q", c.State, c.Reason, want)
		}
	})
	t.Run("an addon failed", func(t *testing.T) {
		c := dev(t, shippedGit(t, commitC1), func(h *hubState) {
			a := &h.live["dev-acme-fra"].Addons[0]
			a.State, a.Message = "failed", "sync failed: the server could not find the requested resource"
		})
		if c.State != StateFailed || !strings.HasPrefix(c.Reason, "addon cert-manager (cert-manager-dev-acme-fra): failed: ") {
			t.Errorf("%s %q", c.State, c.Reason)
		}
	})
	t.Run("Cluster API failed", func(t *testing.T) {
		c := dev(t, shippedGit(t, commitC1), func(h *hubState) {
			prod := *h.capi["prod-acme-fra"]
			prod.Cluster = "dev-acme-fra"
			h.capi["dev-acme-fra"] = &prod
		})
		if c.State != StateFailed || !strings.HasPrefix(c.Reason, "AWSManagedControlPlane prod-acme-fra/prod-acme-fra-control-plane: failed to create EKS cluster") {
			t.Errorf("%s %q", c.State, c.Reason)
		}
	})
}
