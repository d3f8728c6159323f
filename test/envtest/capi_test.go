package envtest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/capi"
	"github.com/fleetup/fleetup/internal/cli"
	"github.com/fleetup/fleetup/internal/fleet/chart"
	"github.com/fleetup/fleetup/internal/kube"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/clientcmd"
)

var (
	capiClusters           = kube.GVR("cluster.x-k8s.io", "v1beta2", "clusters")
	capiMachineDeployments = kube.GVR("cluster.x-k8s.io", "v1beta2", "machinedeployments")
	capiControlPlanes      = kube.GVR("controlplane.cluster.x-k8s.io", "v1beta2", "kubeadmcontrolplanes")
)

// TestClusterAPIInMemory: the shipped example's in-memory cluster, as the
// fleet chart renders it, is provisioned by the real Cluster API
// controllers: the Cluster becomes Provisioned, its KubeadmControlPlane
// Initialized, Cluster API writes <cluster>-kubeconfig, the simulated
// workload API server answers with it, and every node pool's machines
// join; capi.Read then judges the cluster converged at the profile's
// Kubernetes version, where before it named what was missing. Deleting
// the Cluster removes all of it.
func TestClusterAPIInMemory(t *testing.T) {
	env.NeedClusterAPI(t)
	const name = "dev-acme-fra"
	ctx := ctx(t, 5*time.Minute)
	objs, version := renderCAPIObjects(t, name)

	// The chart puts a cluster's objects in the namespace of its name.
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"fleetup.dev/test": "true"}}}
	if _, err := env.Client.Typed.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = env.Client.Typed.CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	checkNotConverged(ctx, t, name, version, "no Cluster dev-acme-fra/dev-acme-fra yet")
	// fleet status --watch from before the cluster exists: its lines
	// follow the hub's changes.
	watched, stopWatch := startStatusWatch(ctx, t)
	if err := watched.waitFor(ctx, "cluster "); err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	// Through the managers' webhooks: defaulting and validation run as in
	// a real management cluster.
	if err := env.Client.ApplyAll(ctx, objs); err != nil {
		t.Fatal(err)
	}

	checkNotConverged(ctx, t, name, version, "")
	if _, err := env.Client.WaitFor(ctx, capiClusters, name, name, "Cluster "+name+" Provisioned with its control plane initialized", clusterProvisioned); err != nil {
		t.Fatal(err)
	}
	t.Logf("Cluster Provisioned, control plane initialized after %v", time.Since(begin).Round(time.Millisecond))
	if _, err := env.Client.WaitFor(ctx, capiControlPlanes, name, name+"-control-plane", "KubeadmControlPlane initialized", controlPlaneInitialized); err != nil {
		t.Fatal(err)
	}
	checkWebhooks(ctx, t, name)
	secret, err := env.Client.WaitFor(ctx, kube.GVR("", "v1", "secrets"), name, name+"-kubeconfig", "Secret "+name+"-kubeconfig", exists)
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := checkKubeconfigSecret(t, secret, name)

	workers := 0
	for _, o := range objs {
		if o.GetKind() != "MachineDeployment" {
			continue
		}
		// Rendered YAML decodes numbers as the chart wrote them: the
		// server's answer has them as JSON integers.
		md, err := env.Client.WaitFor(ctx, capiMachineDeployments, name, o.GetName(), "MachineDeployment "+o.GetName()+" with every replica ready", replicasReady)
		if err != nil {
			t.Fatal(err)
		}
		replicas, _, _ := unstructured.NestedInt64(md.Object, "spec", "replicas")
		workers += int(replicas)
	}
	if workers == 0 {
		t.Fatal("the example's dev cluster has no node pool: nothing checks that workers join")
	}
	t.Logf("%d workers ready after %v", workers, time.Since(begin).Round(time.Millisecond))
	checkConverged(ctx, t, name, version, workers)
	t.Logf("capi.Read: converged at %s after %v", version, time.Since(begin).Round(time.Millisecond))
	checkFleetStatus(ctx, t, name, version)
	if err := watched.waitFor(ctx, "progressing: no Application fleet-"+name+" yet"); err != nil {
		t.Error(err)
	}
	if err := stopWatch(); cli.ExitCode(err) != cli.ExitFailure || !strings.Contains(err.Error(), "stopped before every cluster was ready") {
		t.Errorf("fleet status --watch ended with %v, want stopped (exit 1)", err)
	}
	checkWatchLines(t, watched.String(), name)

	// The workload API server is the in-memory backend's, made for what
	// Cluster API needs of it. Probed at v1.14.2: it serves discovery and
	// create/get/list/watch/delete, merge and strategic-merge patches for a
	// fixed set of kinds (core v1 ConfigMaps, Endpoints, Nodes, Pods,
	// Secrets, Services, Namespaces, ServiceAccounts; RBAC; apps
	// Deployments and DaemonSets; storage, apiextensions, policy) and etcd
	// through port-forward; but /version, /openapi/v2 and v3, /healthz and
	// /readyz answer 404, a server-side apply answers 415, and nothing runs
	// what is stored (a Deployment never gets pods). So Argo CD and Helm
	// cannot deploy into it: addon delivery is tested on the environment's
	// second real API server (env.Workload).
	rc, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	wc, err := kube.New(rc)
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := wc.Typed.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list the workload cluster's nodes with <cluster>-kubeconfig: %v", err)
	}
	if len(nodes.Items) != 1+workers {
		t.Errorf("the workload cluster has %d nodes, want 1 control plane + %d workers", len(nodes.Items), workers)
	}

	if err := env.Client.Dynamic.Resource(capiClusters).Namespace(name).Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	cluster := &unstructured.Unstructured{}
	cluster.SetAPIVersion("cluster.x-k8s.io/v1beta2")
	cluster.SetKind("Cluster")
	cluster.SetNamespace(name)
	cluster.SetName(name)
	if err := env.Client.WaitGone(ctx, cluster); err != nil {
		t.Fatal(err)
	}
	for _, gvr := range []struct{ group, version, resource string }{
		{"cluster.x-k8s.io", "v1beta2", "machines"},
		{"infrastructure.cluster.x-k8s.io", "v1beta2", "devmachines"},
	} {
		left, err := env.Client.Dynamic.Resource(kube.GVR(gvr.group, gvr.version, gvr.resource)).Namespace(name).List(ctx, metav1.ListOptions{})
		if err != nil || len(left.Items) > 0 {
			t.Errorf("%s left after the Cluster is gone: %v %d", gvr.resource, err, len(left.Items))
		}
	}
	t.Logf("Cluster deleted after %v", time.Since(begin).Round(time.Millisecond))
	checkNotConverged(ctx, t, name, version, "no Cluster dev-acme-fra/dev-acme-fra yet")
}

// checkNotConverged: capi.Read judges the cluster not converged, with
// reason when it is given, else with some reason.
func checkNotConverged(ctx context.Context, t *testing.T, name, version, reason string) {
	t.Helper()
	s, err := capi.Read(ctx, env.Client, name)
	if err != nil {
		t.Fatal(err)
	}
	ok, got := s.Converged(version)
	if ok || got == "" || reason != "" && got != reason {
		t.Errorf("capi.Read of %s: converged %v, reason %q; want not converged, reason %q", name, ok, got, reason)
	}
	t.Logf("capi.Read: not converged: %s", got)
}

// checkConverged waits, on the Cluster's watch events (Cluster API
// updates its status as its machines come up), for capi.Read to judge
// the cluster converged at version, then checks what it read.
func checkConverged(ctx context.Context, t *testing.T, name, version string, workers int) {
	t.Helper()
	var s capi.State
	var reason string
	converged := func(*unstructured.Unstructured) (bool, error) {
		var err error
		if s, err = capi.Read(ctx, env.Client, name); err != nil {
			return false, err
		}
		var ok bool
		ok, reason = s.Converged(version)
		return ok, nil
	}
	if _, err := env.Client.WaitFor(ctx, capiClusters, name, name, "capi.Read to judge "+name+" converged at "+version, converged); err != nil {
		t.Fatalf("%v; capi.Read's last reason: %s", err, reason)
	}
	if ps := s.Problems(); len(ps) > 0 {
		t.Errorf("converged with problems: %v", ps)
	}
	cp := s.ControlPlane
	if s.Phase != "Provisioned" || !s.KubeconfigSecret || cp == nil || cp.Kind != "KubeadmControlPlane" || !capi.SameVersion(version, cp.Version) {
		t.Errorf("capi.Read: phase %q, kubeconfig Secret %v, control plane %+v", s.Phase, s.KubeconfigSecret, cp)
	}
	for _, typ := range []string{"Available", "ControlPlaneAvailable", "WorkersAvailable", "RemoteConnectionProbe"} {
		if c := s.Condition(typ); c == nil || c.Status != "True" {
			t.Errorf("capi.Read: Cluster condition %s is %+v, want True", typ, c)
		}
	}
	ready := int64(0)
	for _, w := range s.Workers {
		if w.Kind != "MachineDeployment" || w.Ready == nil || !capi.SameVersion(version, w.Version) {
			t.Errorf("capi.Read: workers %+v", w)
			continue
		}
		ready += *w.Ready
	}
	if ready != int64(workers) {
		t.Errorf("capi.Read: %d ready workers, want %d", ready, workers)
	}
}

// renderCAPIObjects renders the shipped example cluster with the fleet
// chart and keeps its Cluster API objects (the registration objects need
// Argo CD's namespace and a store, checked elsewhere), with its effective
// kubernetesVersion.
func renderCAPIObjects(t *testing.T, name string) ([]*unstructured.Unstructured, string) {
	t.Helper()
	c, ms := RenderFleetCluster(t, "../..", name, &chart.Platform{RepoURL: "https://git.example.test/platform", Revision: "main", BasePath: "packages"})
	var out []*unstructured.Unstructured
	for _, m := range ms {
		group, _, _ := strings.Cut(m.APIVersion, "/")
		if strings.HasSuffix(group, "cluster.x-k8s.io") {
			out = append(out, &unstructured.Unstructured{Object: m.Object})
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s renders no Cluster API objects", name)
	}
	var version string
	if v := c.Effective.Get("kubernetesVersion"); v != nil {
		version, _ = v.Plain().(string)
	}
	if version == "" {
		t.Fatalf("%s has no kubernetesVersion", name)
	}
	return out, version
}

// clusterProvisioned: phase Provisioned (infrastructure ready, endpoint
// known) and the control plane initialized; a Failed phase ends the wait.
func clusterProvisioned(obj *unstructured.Unstructured) (bool, error) {
	if obj == nil {
		return false, nil
	}
	phase, _, _ := unstructured.NestedString(obj.Object, "status", "phase")
	if phase == "Failed" {
		return false, fmt.Errorf("Cluster %s failed: %s", obj.GetName(), kube.Summary(obj))
	}
	initialized, _, _ := unstructured.NestedBool(obj.Object, "status", "initialization", "controlPlaneInitialized")
	return phase == "Provisioned" && initialized, nil
}

func controlPlaneInitialized(obj *unstructured.Unstructured) (bool, error) {
	if obj == nil {
		return false, nil
	}
	initialized, _, _ := unstructured.NestedBool(obj.Object, "status", "initialization", "controlPlaneInitialized")
	return initialized, nil
}

// replicasReady: as many ready replicas as wanted, for the current spec.
func replicasReady(obj *unstructured.Unstructured) (bool, error) {
	if obj == nil {
		return false, nil
	}
	want, _, _ := unstructured.NestedInt64(obj.Object, "spec", "replicas")
	ready, _, _ := unstructured.NestedInt64(obj.Object, "status", "readyReplicas")
	observed, _, _ := unstructured.NestedInt64(obj.Object, "status", "observedGeneration")
	return observed == obj.GetGeneration() && ready == want, nil
}

func exists(obj *unstructured.Unstructured) (bool, error) { return obj != nil, nil }

// checkKubeconfigSecret checks the Secret is as Cluster API writes it for
// every provider (shared/fleet.md) and returns its kubeconfig.
func checkKubeconfigSecret(t *testing.T, secret *unstructured.Unstructured, cluster string) []byte {
	t.Helper()
	var s corev1.Secret
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(secret.Object, &s); err != nil {
		t.Fatal(err)
	}
	if s.Type != "cluster.x-k8s.io/secret" || s.Labels["cluster.x-k8s.io/cluster-name"] != cluster {
		t.Errorf("Secret %s: type %q, labels %v", s.Name, s.Type, s.Labels)
	}
	cfg, err := clientcmd.Load(s.Data["value"])
	if err != nil {
		t.Fatalf("Secret %s: value is not a kubeconfig: %v", s.Name, err)
	}
	kc := cfg.Clusters[cluster]
	if kc == nil || !strings.HasPrefix(kc.Server, "https://127.0.0.1:") || len(kc.CertificateAuthorityData) == 0 {
		t.Fatalf("Secret %s: the kubeconfig has no cluster %s with a server on 127.0.0.1 and its CA", s.Name, cluster)
	}
	return s.Data["value"]
}

// checkWebhooks: the managers' webhooks answer the API server. Reading the
// Cluster as v1beta1 goes through core's conversion webhook, which finds
// the DevCluster's version by the contract labels on its CRD; and
// KubeadmControlPlane's validating webhook refuses an even number of
// stacked-etcd replicas, which its schema allows.
func checkWebhooks(ctx context.Context, t *testing.T, name string) {
	t.Helper()
	old, err := env.Client.Dynamic.Resource(kube.GVR("cluster.x-k8s.io", "v1beta1", "clusters")).Namespace(name).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("read the Cluster as v1beta1 (conversion webhook): %v", err)
	}
	if ref, _, _ := unstructured.NestedString(old.Object, "spec", "infrastructureRef", "apiVersion"); ref != "infrastructure.cluster.x-k8s.io/v1beta2" {
		t.Errorf("the Cluster as v1beta1 refers to its infrastructure as %q, want infrastructure.cluster.x-k8s.io/v1beta2", ref)
	}
	// A merge patch carries no resourceVersion: the controllers update the
	// object all the time, and an Update would race them into a conflict
	// before the webhook is asked.
	patch := []byte(`{"spec":{"replicas":2}}`)
	_, err = env.Client.Dynamic.Resource(capiControlPlanes).Namespace(name).Patch(ctx, name+"-control-plane", types.MergePatchType, patch, metav1.PatchOptions{DryRun: []string{metav1.DryRunAll}})
	if err == nil || !strings.Contains(err.Error(), "even number") {
		t.Errorf("2 stacked-etcd control plane replicas: %v, want the validating webhook's refusal", err)
	}
}
