package chart

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/fleet"
	"github.com/fleetup/fleetup/internal/helm"
)

// repoRoot is the repository: the shipped fleet/ and packages/fleet-cluster.
const repoRoot = "../../.."

var testPlatform = &Platform{RepoURL: "https://git.example.test/platform", Revision: "main", BasePath: "packages"}

// loadRepo loads the fleet and chart of the repository at root.
func loadRepo(t testing.TB, root string) (*fleet.Fleet, *Chart) {
	t.Helper()
	f, err := fleet.Load(context.Background(), os.DirFS(root), "fleet", fleet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := Load(root, f)
	if err != nil {
		t.Fatal(err)
	}
	return f, ch
}

func render(t testing.TB, ch *Chart, f *fleet.Fleet, name string) []helm.Manifest {
	t.Helper()
	c := f.Cluster(name)
	if c == nil {
		t.Fatalf("no cluster %s", name)
	}
	ms, err := ch.Render(context.Background(), c, testPlatform)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// kinds counts objects by kind.
func kinds(ms []helm.Manifest) map[string]int {
	out := map[string]int{}
	for _, m := range ms {
		out[m.Kind]++
	}
	return out
}

var registration = map[string]int{"ServiceAccount": 1, "Role": 1, "RoleBinding": 1, "SecretStore": 1, "ExternalSecret": 1}

func with(m map[string]int, more map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range m {
		out[k] = v
	}
	for k, v := range more {
		out[k] += v
	}
	return out
}

// TestShippedClustersRender: each example cluster renders the objects of
// its flavour, one set per enabled pool, plus the registration.
func TestShippedClustersRender(t *testing.T) {
	f, ch := loadRepo(t, repoRoot)
	for _, tc := range []struct {
		cluster string
		want    map[string]int
	}{
		{"dev-acme-fra", with(registration, map[string]int{"Cluster": 1, "DevCluster": 1, "KubeadmControlPlane": 1, "DevMachineTemplate": 3, "MachineDeployment": 2, "KubeadmConfigTemplate": 2})},
		{"prod-acme-fra", with(registration, map[string]int{"Cluster": 1, "AWSManagedCluster": 1, "AWSManagedControlPlane": 1, "MachinePool": 2, "AWSManagedMachinePool": 2})},
		{"prod-globex-iad", with(registration, map[string]int{"Cluster": 1, "AWSManagedCluster": 1, "AWSManagedControlPlane": 1, "MachinePool": 3, "AWSManagedMachinePool": 3})},
	} {
		t.Run(tc.cluster, func(t *testing.T) {
			ms := render(t, ch, f, tc.cluster)
			if got := kinds(ms); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("kinds %v, want %v", got, tc.want)
			}
			checkCommon(t, tc.cluster, ms)
			checkRefs(t, ms)
		})
	}
}

// checkCommon: fleetup's labels on every object, every object in the
// cluster's namespace or Argo CD's.
func checkCommon(t *testing.T, cluster string, ms []helm.Manifest) {
	t.Helper()
	for _, m := range ms {
		labels := dig(m.Object, "metadata", "labels")
		if dig(labels, "app.kubernetes.io/managed-by") != "fleetup" || dig(labels, "fleetup.dev/cluster") != cluster {
			t.Errorf("%s %s: labels %v", m.Kind, m.Name, labels)
		}
		if m.Namespace != cluster && m.Namespace != "argocd" {
			t.Errorf("%s %s in namespace %q", m.Kind, m.Name, m.Namespace)
		}
		if dig(m.Object, "metadata", "annotations", "argocd.argoproj.io/sync-wave") == nil {
			t.Errorf("%s %s has no sync wave", m.Kind, m.Name)
		}
	}
}

// checkRefs: every Cluster API reference names an object the chart
// renders, of that kind, in the same namespace.
func checkRefs(t *testing.T, ms []helm.Manifest) {
	t.Helper()
	have := map[string]bool{}
	for _, m := range ms {
		have[m.Kind+" "+m.Namespace+"/"+m.Name] = true
	}
	refs := [][]string{
		{"spec", "infrastructureRef"}, {"spec", "controlPlaneRef"},
		{"spec", "template", "spec", "infrastructureRef"}, {"spec", "template", "spec", "bootstrap", "configRef"},
		{"spec", "machineTemplate", "spec", "infrastructureRef"},
	}
	n := 0
	for _, m := range ms {
		for _, path := range refs {
			ref, ok := dig(m.Object, path...).(map[string]any)
			if !ok {
				continue
			}
			n++
			key := fmt.Sprintf("%v %s/%v", ref["kind"], m.Namespace, ref["name"])
			if !have[key] || ref["apiGroup"] == nil {
				t.Errorf("%s %s: %s -> %v: not rendered", m.Kind, m.Name, strings.Join(path, "."), ref)
			}
		}
	}
	if n == 0 {
		t.Error("no references checked")
	}
}

func TestEKSControlPlane(t *testing.T) {
	f, ch := loadRepo(t, repoRoot)
	for _, name := range []string{"prod-acme-fra", "prod-globex-iad"} {
		cp := find(t, render(t, ch, f, name), "AWSManagedControlPlane", name+"-control-plane")
		if got := dig(cp, "spec", "eksClusterName"); got != name {
			t.Errorf("%s: eksClusterName %v", name, got)
		}
		if got := dig(cp, "spec", "identityRef"); !reflect.DeepEqual(got, map[string]any{"kind": "AWSClusterRoleIdentity", "name": "fleet-workloads"}) {
			t.Errorf("%s: identityRef %v", name, got)
		}
	}
	cp := find(t, render(t, ch, f, "prod-globex-iad"), "AWSManagedControlPlane", "prod-globex-iad-control-plane")
	if dig(cp, "spec", "version") != "v1.33" || dig(cp, "spec", "region") != "us-east-1" {
		t.Errorf("version %v region %v", dig(cp, "spec", "version"), dig(cp, "spec", "region"))
	}
	gpu := find(t, render(t, ch, f, "prod-globex-iad"), "AWSManagedMachinePool", "prod-globex-iad-gpu")
	want := []any{map[string]any{"key": "nvidia.com/gpu", "value": "true", "effect": "no-schedule"}}
	if got := dig(gpu, "spec", "taints"); !reflect.DeepEqual(got, want) {
		t.Errorf("gpu taints %v", got)
	}
	if dig(gpu, "spec", "amiType") != "AL2023_x86_64_NVIDIA" || dig(gpu, "spec", "scaling", "minSize") != float64(0) {
		t.Errorf("gpu pool %v", dig(gpu, "spec"))
	}
	mp := find(t, render(t, ch, f, "prod-globex-iad"), "MachinePool", "prod-globex-iad-gpu")
	if dig(mp, "spec", "replicas") != float64(0) {
		t.Errorf("gpu replicas %v: a pool that scales from zero starts at zero", dig(mp, "spec", "replicas"))
	}
}

// TestInMemoryComplete: what Cluster API's defaulting webhooks would fill
// is written out, and versions are full semantic versions.
func TestInMemoryComplete(t *testing.T) {
	f, ch := loadRepo(t, repoRoot)
	ms := render(t, ch, f, "dev-acme-fra")
	kcp := find(t, ms, "KubeadmControlPlane", "dev-acme-fra-control-plane")
	if dig(kcp, "spec", "version") != "v1.34.0" || dig(kcp, "spec", "replicas") != float64(1) || dig(kcp, "spec", "rollout", "strategy", "type") != "RollingUpdate" {
		t.Errorf("KubeadmControlPlane spec %v", dig(kcp, "spec"))
	}
	md := find(t, ms, "MachineDeployment", "dev-acme-fra-workers")
	sel := dig(md, "spec", "selector", "matchLabels")
	if !reflect.DeepEqual(sel, dig(md, "spec", "template", "metadata", "labels")) || dig(sel, "cluster.x-k8s.io/deployment-name") != "dev-acme-fra-workers" {
		t.Errorf("selector %v, template labels %v", sel, dig(md, "spec", "template", "metadata", "labels"))
	}
	if dig(md, "spec", "replicas") != float64(1) || dig(md, "spec", "template", "spec", "version") != "v1.34.0" {
		t.Errorf("MachineDeployment spec %v", dig(md, "spec"))
	}
	// The system pool's taint as kubeadm writes it on the node.
	sys := find(t, ms, "MachineDeployment", "dev-acme-fra-system")
	cfgName := dig(sys, "spec", "template", "spec", "bootstrap", "configRef", "name").(string)
	cfg := find(t, ms, "KubeadmConfigTemplate", cfgName)
	want := []any{map[string]any{"key": "CriticalAddonsOnly", "value": "true", "effect": "NoSchedule"}}
	if got := dig(cfg, "spec", "template", "spec", "joinConfiguration", "nodeRegistration", "taints"); !reflect.DeepEqual(got, want) {
		t.Errorf("taints %v", got)
	}
}

// TestClusterSecretLabels: the labels and annotations the catalog's
// ApplicationSets read, exactly.
func TestClusterSecretLabels(t *testing.T) {
	f, ch := loadRepo(t, repoRoot)
	es := find(t, render(t, ch, f, "prod-acme-fra"), "ExternalSecret", "fleet-prod-acme-fra")
	wantLabels := map[string]any{
		"argocd.argoproj.io/secret-type": "cluster", "clusterName": "prod-acme-fra", "environment": "prod",
		"app.kubernetes.io/managed-by": "fleetup", "fleetup.dev/cluster": "prod-acme-fra", "fleetup.dev/profile": "standard",
		"fleetup.dev/environment": "prod", "fleetup.dev/customer": "acme", "fleetup.dev/site": "fra", "fleetup.dev/provider": "eks",
		"fleetup.dev/wave":    "1",
		"enable_cert_manager": "true", "enable_external_secrets": "true", "enable_envoy_gateway": "true",
		"enable_external_dns": "false", "enable_aws_load_balancer_controller": "false",
	}
	if got := dig(es, "spec", "target", "template", "metadata", "labels"); !reflect.DeepEqual(got, wantLabels) {
		t.Errorf("labels\n got %v\nwant %v", got, wantLabels)
	}
	wantAnn := map[string]any{
		"addons_repo_url": testPlatform.RepoURL, "addons_repo_revision": "main", "addons_repo_basepath": "packages",
		"aws_region": "eu-central-1", "aws_cluster_name": "prod-acme-fra",
	}
	if got := dig(es, "spec", "target", "template", "metadata", "annotations"); !reflect.DeepEqual(got, wantAnn) {
		t.Errorf("annotations\n got %v\nwant %v", got, wantAnn)
	}
	if dig(es, "spec", "data", "0", "remoteRef", "key") != "prod-acme-fra-kubeconfig" {
		t.Errorf("reads %v", dig(es, "spec", "data"))
	}
	role := find(t, render(t, ch, f, "prod-acme-fra"), "Role", "fleet-kubeconfig-reader")
	if got := dig(role, "rules", "0", "resourceNames"); !reflect.DeepEqual(got, []any{"prod-acme-fra-kubeconfig"}) {
		t.Errorf("the reader may get %v, want only the kubeconfig", got)
	}
}

// TestClusterSecretExtraLabels: registration.labels add to the cluster
// secret's labels.
func TestClusterSecretExtraLabels(t *testing.T) {
	root := copyRepo(t)
	write(t, root, "fleet/inventory/customer/acme.yaml", "addons:\n  external-dns:\n    enabled: false\nregistration:\n  labels:\n    team: payments\n    example.com/tier: gold\n")
	f, ch := loadRepo(t, root)
	es := find(t, render(t, ch, f, "prod-acme-fra"), "ExternalSecret", "fleet-prod-acme-fra")
	labels, _ := dig(es, "spec", "target", "template", "metadata", "labels").(map[string]any)
	if labels["team"] != "payments" || labels["example.com/tier"] != "gold" || labels["clusterName"] != "prod-acme-fra" || labels["enable_external_dns"] != "false" {
		t.Errorf("labels %v", labels)
	}
}

// TestPoolsSwitchedOff: a pool set to null by a layer (the chart has no
// default to delete, so it stays as a null entry) and a pool with
// enabled: false render nothing; the other pools stay.
func TestPoolsSwitchedOff(t *testing.T) {
	root := copyRepo(t)
	write(t, root, "fleet/inventory/customer/globex.yaml", "nodePools:\n  gpu: null\ntags:\n  customer: globex\n")
	write(t, root, "fleet/inventory/environment/dev.yaml", "nodePools:\n  system:\n    enabled: false\n  workers:\n    capacityType: spot\n")
	f, ch := loadRepo(t, root)
	if got := kinds(render(t, ch, f, "prod-globex-iad")); got["MachinePool"] != 2 || got["AWSManagedMachinePool"] != 2 {
		t.Errorf("gpu: null still renders: %v", got)
	}
	ms := render(t, ch, f, "dev-acme-fra")
	if got := kinds(ms); got["MachineDeployment"] != 1 || got["KubeadmConfigTemplate"] != 1 {
		t.Errorf("enabled: false still renders: %v", got)
	}
	find(t, ms, "MachineDeployment", "dev-acme-fra-workers")
}

// TestChartErrors: a missing chart is ErrMissing; a value the chart needs
// and a cluster deletes (a null over the chart's default) fails that
// cluster's render with the key's name, and RenderAll keeps going.
func TestChartErrors(t *testing.T) {
	root := copyRepo(t)
	f, err := fleet.Load(context.Background(), os.DirFS(root), "fleet", fleet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(root, "packages", "fleet-cluster")); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(root, f); !errors.Is(err, ErrMissing) {
		t.Fatalf("err = %v, want ErrMissing", err)
	}

	root = copyRepo(t)
	write(t, root, "fleet/clusters/prod-acme-fra.yaml", "name: prod-acme-fra\nprofile: standard\nenvironment: prod\ncustomer: acme\nsite: fra\nprovider: eks\noverrides:\n  registration:\n    store:\n      caKey: null\n")
	f, ch := loadRepo(t, root)
	results, err := RenderAll(context.Background(), ch, f.Clusters, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Cluster.Name == "prod-acme-fra" {
			if r.Err == nil || !strings.Contains(r.Err.Error(), "registration.store.caKey is not set") || !strings.HasPrefix(r.Err.Error(), "cluster prod-acme-fra: ") {
				t.Errorf("err = %v", r.Err)
			}
			continue
		}
		if r.Err != nil || len(r.Manifests) == 0 {
			t.Errorf("%s: %v", r.Cluster.Name, r.Err)
		}
	}
}

// TestValuesPlatform: the platform is laid over the values, the rest is
// the effective values as they are.
func TestValuesPlatform(t *testing.T) {
	f, _ := loadRepo(t, repoRoot)
	c := f.Cluster("prod-acme-fra")
	v := Values(c, testPlatform)
	if !reflect.DeepEqual(v["platform"], map[string]any{"repoURL": testPlatform.RepoURL, "revision": "main", "basepath": "packages"}) {
		t.Errorf("platform %v", v["platform"])
	}
	delete(v, "platform")
	want := c.Effective.Plain().(map[string]any)
	delete(want, "platform")
	if !reflect.DeepEqual(v, want) {
		t.Error("the platform changed other values")
	}
	if got := Values(c, nil)["platform"]; !reflect.DeepEqual(got, map[string]any{"repoURL": "", "revision": "", "basepath": ""}) {
		t.Errorf("without a platform: %v, want the chart's defaults", got)
	}
}

func find(t *testing.T, ms []helm.Manifest, kind, name string) map[string]any {
	t.Helper()
	var names []string
	for _, m := range ms {
		if m.Kind == kind && m.Name == name {
			return m.Object
		}
		if m.Kind == kind {
			names = append(names, m.Name)
		}
	}
	sort.Strings(names)
	t.Fatalf("no %s %s (have %v)", kind, name, names)
	return nil
}

// dig walks maps by key and lists by index ("0").
func dig(v any, keys ...string) any {
	for _, k := range keys {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i := slices.Index([]string{"0", "1", "2", "3"}, k)
			if i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// copyRepo copies the shipped fleet and the chart into a temporary
// repository, for tests that change them.
func copyRepo(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, dir := range []string{"fleet", "packages/fleet-cluster"} {
		if err := os.CopyFS(filepath.Join(root, dir), os.DirFS(filepath.Join(repoRoot, dir))); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func write(t *testing.T, root, rel, data string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(root, rel), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
