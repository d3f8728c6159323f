package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/argocd"
	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/fleet"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/test/envtest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"
)

// deletions records, in the order this process received them, the
// deletions of the addons' Deployments on the workload API server and of
// the cluster's registration on the hub: two API servers, one order.
type deletions struct {
	mu  sync.Mutex
	n   int
	at  map[string]int
	all []string
}

func (d *deletions) record(what string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.n++
	if _, ok := d.at[what]; !ok {
		d.at[what] = d.n
		d.all = append(d.all, what)
	}
}

func (d *deletions) seq(what string) (int, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n, ok := d.at[what]
	return n, ok
}

// followDeletions watches, until ctx ends, the Deployments of the flow's
// addons on the workload cluster, the cluster's Argo CD secret and its
// SecretStore on the hub. It returns the Deployments there now.
func followDeletions(t *testing.T, ctx context.Context, p *platform, name string, w *envtest.Cluster) (*deletions, []string) {
	t.Helper()
	d := &deletions{at: map[string]int{}}
	deployments := kube.GVR("apps", "v1", "deployments")
	list, err := w.Client.Dynamic.Resource(deployments).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var addons []string
	for _, o := range list.Items {
		if strings.HasPrefix(o.GetNamespace(), p.NS+"-") {
			addons = append(addons, "Deployment "+o.GetNamespace()+"/"+o.GetName())
		}
	}
	follow := func(ri interface {
		Watch(context.Context, metav1.ListOptions) (watch.Interface, error)
	}, opts metav1.ListOptions, kind string, keep func(*unstructured.Unstructured) bool) {
		opts.ResourceVersion = "" // from now on; a list before tells what exists
		wt, err := ri.Watch(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			defer wt.Stop()
			for ev := range wt.ResultChan() {
				o, ok := ev.Object.(*unstructured.Unstructured)
				if ok && ev.Type == watch.Deleted && keep(o) {
					d.record(kind + " " + o.GetNamespace() + "/" + o.GetName())
				}
			}
		}()
	}
	follow(w.Client.Dynamic.Resource(deployments), metav1.ListOptions{ResourceVersion: list.GetResourceVersion()}, "Deployment",
		func(o *unstructured.Unstructured) bool { return strings.HasPrefix(o.GetNamespace(), p.NS+"-") })
	follow(env.Client.Dynamic.Resource(kube.Secrets).Namespace("argocd"), metav1.ListOptions{LabelSelector: fleet.ClusterLabel + "=" + name}, "Secret",
		func(*unstructured.Unstructured) bool { return true })
	follow(env.Client.Dynamic.Resource(kube.GVR("external-secrets.io", "v1", "secretstores")).Namespace("argocd"), metav1.ListOptions{}, "SecretStore",
		func(o *unstructured.Unstructured) bool { return o.GetName() == fleet.AppName(name) })
	return d, addons
}

// deliveredToWorkload waits until the bundle is Healthy on the workload
// cluster and its stages Application too.
func deliveredToWorkload(t *testing.T, p *platform, name string) {
	t.Helper()
	ctx := timeout(t, 6*time.Minute)
	for _, app := range []string{argocd.ApplicationName("base", name), argocd.ApplicationName("left", name), argocd.ApplicationName("right", name),
		argocd.ApplicationName("top", name), argocd.ApplicationName(p.Cluster+"-"+stagesApp, name)} {
		waitApplication(t, ctx, app, app+" Synced and Healthy", func(u *unstructured.Unstructured) (bool, error) {
			return u != nil && argocd.Read(u).Healthy(), nil
		})
	}
}

// deleteCluster runs the real binary: `fleetup cluster delete NAME --yes`.
func deleteCluster(t *testing.T, p *platform, name string, extra ...string) string {
	t.Helper()
	ctx := timeout(t, 12*time.Minute)
	args := append([]string{"cluster", "delete", name, "--yes", "--timeout", "8m", "--config", p.Config, "--kubeconfig", env.Kubeconfig}, extra...)
	out, err := exec.CommandContext(ctx, fleetupBinary(t), args...).CombinedOutput()
	t.Logf("fleetup %s:\n%s", strings.Join(args[:3], " "), out)
	if err != nil {
		t.Fatalf("cluster delete: %v", err)
	}
	return string(out)
}

// checkDeleted: every addon Deployment left the workload cluster before
// the cluster secret went, the secret before the SecretStore (Argo CD
// deletes by reverse sync wave: the Cluster API objects of wave 0 come
// last), and nothing of the cluster is left on the hub.
func checkDeleted(t *testing.T, p *platform, name string, d *deletions, addons []string) {
	t.Helper()
	if len(addons) < 2 {
		t.Fatalf("the workload cluster ran %v: want the bundle's Deployments", addons)
	}
	secret, ok := d.seq("Secret argocd/" + fleet.AppName(name))
	if !ok {
		t.Fatalf("the cluster secret's deletion was not seen; deletions: %v", d.all)
	}
	for _, a := range addons {
		if n, ok := d.seq(a); !ok || n > secret {
			t.Errorf("%s deleted at %d (seen %v), after the cluster secret (%d): deletions in order %v", a, n, ok, secret, d.all)
		}
	}
	if store, ok := d.seq("SecretStore argocd/" + fleet.AppName(name)); !ok || store < secret {
		t.Errorf("the SecretStore (wave 1) deleted at %d (seen %v), not after the cluster secret's ExternalSecret (wave 2, %d)", store, ok, secret)
	}
	ctx := timeout(t, time.Minute)
	apps, err := env.Client.Dynamic.Resource(kube.Applications).Namespace("argocd").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range apps.Items {
		if strings.HasSuffix(a.GetName(), "-"+name) {
			t.Errorf("Application %s is left", a.GetName())
		}
	}
	if s, err := clusterSecret(ctx, name); err != nil || s != nil {
		t.Errorf("the cluster secret is left (%v)", err)
	}
	for _, obj := range []*unstructured.Unstructured{
		actions.Ref("external-secrets.io/v1", "ExternalSecret", "argocd", fleet.AppName(name)),
		actions.Ref("external-secrets.io/v1", "SecretStore", "argocd", fleet.AppName(name)),
		actions.Ref("v1", "ServiceAccount", "argocd", fleet.AppName(name)+"-kubeconfig-reader"),
		actions.Ref("rbac.authorization.k8s.io/v1", "Role", name, "fleet-kubeconfig-reader"),
		actions.Ref("rbac.authorization.k8s.io/v1", "RoleBinding", name, "fleet-kubeconfig-reader"),
	} {
		if o, err := env.Client.Get(ctx, obj); err != nil || o != nil {
			t.Errorf("%s is left (%v)", kube.Describe(obj), err)
		}
	}
	// The hub's own addons stay.
	if app, err := env.Client.Get(ctx, argocd.ApplicationRef("argocd", argocd.ApplicationName("top", p.Cluster))); err != nil || app == nil {
		t.Errorf("the hub's top went too: %v", err)
	}
	if _, err := os.Stat(filepath.Join(p.RepoDir, "fleet", "clusters", name+".yaml")); !os.IsNotExist(err) {
		t.Errorf("the cluster file: %v", err)
	}
}

// TestFleetClusterDelete: `fleetup cluster delete` takes the addons off a
// registered existing cluster while Argo CD can still reach it, then
// deregisters it, in two commits; nothing of it is left on the hub.
func TestFleetClusterDelete(t *testing.T) {
	env.Need(t)
	p, name, w, _ := installWithFleet(t)
	deliveredToWorkload(t, p, name)
	d, addons := followDeletions(t, timeout(t, 15*time.Minute), p, name, w)
	fleetupBinary(t) // built before the clock starts
	begin := time.Now()
	out := deleteCluster(t, p, name)
	t.Logf("cluster delete took %v", time.Since(begin).Round(time.Second))
	for _, want := range []string{"fleet: decommission cluster " + name, "fleet: delete cluster " + name, "the addons of cluster " + name + " are gone",
		"cluster " + name + " is deleted: nothing of it is left on the hub"} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q", want)
		}
	}
	checkDeleted(t, p, name, d, addons)
}

// TestFleetClusterDeleteKilled: `cluster delete` SIGKILLed right after its
// first commit; a rerun finds the marker in Git and finishes in order.
func TestFleetClusterDeleteKilled(t *testing.T) {
	env.Need(t)
	p, name, w, _ := installWithFleet(t)
	deliveredToWorkload(t, p, name)
	d, addons := followDeletions(t, timeout(t, 15*time.Minute), p, name, w)
	if !killAt(t, fleetupBinary(t), p, "fleet: decommission cluster "+name, "cluster", "delete", name) {
		t.Fatal("cluster delete ended before its first commit")
	}
	data, err := os.ReadFile(filepath.Join(p.RepoDir, "fleet", "clusters", name+".yaml"))
	if err != nil || !strings.Contains(string(data), "decommission: true") {
		t.Fatalf("after the kill the cluster file is (%v):\n%s", err, data)
	}
	begin := time.Now()
	out := deleteCluster(t, p, name)
	t.Logf("the rerun took %v", time.Since(begin).Round(time.Second))
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "committed ") && strings.Contains(line, "fleet: decommission cluster") {
			t.Errorf("the rerun committed the marker again: %s", line)
		}
	}
	if !strings.Contains(out, "fleet: delete cluster "+name) {
		t.Error("the rerun did not commit the removal")
	}
	checkDeleted(t, p, name, d, addons)
	// A third run: nothing of it in Git or on the hub.
	args := []string{"cluster", "delete", name, "--yes", "--config", p.Config, "--kubeconfig", env.Kubeconfig}
	third, err := exec.CommandContext(timeout(t, 2*time.Minute), fleetupBinary(t), args...).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(third), "nothing of it is on the hub either") {
		t.Errorf("a third run: %v\n%s", err, third)
	}
}
