package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/argocd"
	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/cli"
	"github.com/fleetup/fleetup/internal/fleet"
	"github.com/fleetup/fleetup/internal/fleet/chart"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/test/envtest"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

// flowLabel isolates a fleet flow in the environment's shared Argo CD:
// its catalog selects only clusters carrying it (the hub through
// config.yaml's cluster_labels, the workload through registration.labels).
const flowLabel = "e2e.fleetup.dev/flow"

// fleetFiles is a fleet as a user writes it: two layers, a profile with
// the catalog's four Argo CD addons as its bundle, and one cluster of the
// existing flavour given by a kubeconfig Secret.
func fleetFiles(p *platform, cluster string) map[string]string {
	return map[string]string{
		"fleet/fleet.yaml": "layers: [environment, provider]\nchart: packages/fleet-cluster\n",
		"fleet/profiles/edge.yaml": `# The bundle: the catalog's diamond.
kubernetesVersion: "v1.34"
addons:
  base: {enabled: true}
  left: {enabled: true}
  right: {enabled: true}
  top: {enabled: true}
`,
		"fleet/inventory/environment/e2e.yaml": fmt.Sprintf(`# External Secrets runs outside the cluster here: the store reads the
# hub's API server by its address.
registration:
  store:
    server: %s
  labels:
    %s: %s
`, env.Server, flowLabel, p.Cluster),
		"fleet/inventory/provider/existing.yaml": "provider:\n  flavour: existing\n  kubeconfigSecret: " + cluster + "-kubeconfig\n",
		"fleet/clusters/" + cluster + ".yaml":    fmt.Sprintf("name: %s\nprofile: edge\nenvironment: e2e\nprovider: existing\nwave: 0\n", cluster),
	}
}

// withFleet makes p's catalog select by the flow's label instead of the
// hub's name, labels the hub with it and adds fleet/ with the repository's
// chart, committed.
func withFleet(t testing.TB, p *platform, cluster string) {
	t.Helper()
	withFleetFiles(t, p, fleetFiles(p, cluster), "a fleet with one existing cluster")
}

// withFleetFiles is withFleet with the fleet's files given.
func withFleetFiles(t testing.TB, p *platform, files map[string]string, message string) {
	t.Helper()
	catalog := filepath.Join(p.RepoDir, "packages", "addons", "values.yaml")
	data, err := os.ReadFile(catalog)
	if err != nil {
		t.Fatal(err)
	}
	sel := "globalSelectors:\n  clusterName: " + p.Cluster + "\n"
	if !strings.Contains(string(data), sel) {
		t.Fatalf("the catalog has no %q", sel)
	}
	writeFile(t, catalog, strings.Replace(string(data), sel, "globalSelectors:\n  "+flowLabel+": "+p.Cluster+"\n", 1))
	cfg, err := os.ReadFile(p.Config)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, p.Config, string(cfg)+"cluster_labels:\n  "+flowLabel+": "+p.Cluster+"\n")
	root, _ := filepath.Abs("../..")
	if err := os.CopyFS(filepath.Join(p.RepoDir, "packages", "fleet-cluster"), os.DirFS(filepath.Join(root, "packages", "fleet-cluster"))); err != nil {
		t.Fatal(err)
	}
	for f, c := range files {
		writeFile(t, filepath.Join(p.RepoDir, f), c)
	}
	envtest.Commit(t, p.RepoDir, message)
}

// existingCluster starts a workload cluster and gives the hub its
// kubeconfig as a user registering an existing cluster does: a Secret in
// the cluster's namespace, key value.
func existingCluster(t testing.TB, name string) *envtest.Cluster {
	t.Helper()
	w, err := env.Workload(timeout(t, 3*time.Minute), name)
	if err != nil {
		t.Fatal(err)
	}
	kc, err := os.ReadFile(w.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	ctx := timeout(t, time.Minute)
	cs := env.Client.Typed.CoreV1()
	if _, err := cs.Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{}) })
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name + "-kubeconfig", Namespace: name}, Data: map[string][]byte{"value": kc}}
	if _, err := cs.Secrets(name).Create(ctx, secret, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return w
}

// clusterSecret finds the Argo CD cluster secret of a fleet cluster.
func clusterSecret(ctx context.Context, name string) (*corev1.Secret, error) {
	list, err := env.Client.Typed.CoreV1().Secrets("argocd").List(ctx, metav1.ListOptions{LabelSelector: fleet.ClusterLabel + "=" + name})
	if err != nil || len(list.Items) == 0 {
		return nil, err
	}
	return &list.Items[0], nil
}

// refreshFleet asks the ApplicationSet controller to read Git now rather
// than at its next poll, as a Git webhook would.
func refreshFleet(t testing.TB, p *platform) {
	t.Helper()
	set := actions.Ref(argocd.APIVersion, "ApplicationSet", "argocd", argocd.ApplicationName("fleetup-fleet", p.Cluster))
	cur, err := env.Client.Get(timeout(t, time.Minute), set)
	if err != nil || cur == nil {
		t.Fatalf("the fleet's ApplicationSet: %v", err)
	}
	patch := []byte(`{"metadata":{"annotations":{"argocd.argoproj.io/application-set-refresh":"true"}}}`)
	if _, err := env.Client.Dynamic.Resource(kube.GVR("argoproj.io", "v1alpha1", "applicationsets")).Namespace("argocd").Patch(timeout(t, time.Minute), cur.GetName(), types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}

// installWithFleet installs a platform whose fleet has one workload
// cluster of the existing flavour, w<hub>, following the Applications from
// before the install.
func installWithFleet(t *testing.T) (*platform, string, *envtest.Cluster, *appEvents) {
	t.Helper()
	p := newPlatform(t, options{})
	name := "w" + p.Cluster
	w := existingCluster(t, name)
	withFleet(t, p, name)
	events := followApps(t, timeout(t, 10*time.Minute))
	if _, err := p.install(timeout(t, 8*time.Minute), t, nil); err != nil {
		t.Fatalf("install: %v", err)
	}
	return p, name, w, events
}

// TestFleetExistingCluster: install wires the fleet; with no fleetup
// process running, External Secrets registers a workload cluster of the
// existing flavour in Argo CD with its profile's labels, and its stages
// Application delivers the profile's bundle to it (not to the hub) in
// dependency order. fleet rollout's gate waits for that bundle. A profile
// commit switching an addon off, whose blast radius fleet diff shows
// first, reaches the pinned cluster through fleet rollout and removes the
// addon from it; deleting the cluster file deregisters it.
func TestFleetExistingCluster(t *testing.T) {
	env.Need(t)
	p, name, w, events := installWithFleet(t)
	begin := time.Now()
	ctx := timeout(t, 8*time.Minute)
	waitApplication(t, ctx, fleet.AppName(name), "the cluster's Application Synced and Healthy", func(u *unstructured.Unstructured) (bool, error) {
		return u != nil && argocd.Read(u).Healthy(), nil
	})
	sameAsArgoCD(t, ctx, p, name)
	var secret *corev1.Secret
	for secret == nil {
		s, err := clusterSecret(ctx, name)
		if err != nil {
			t.Fatalf("cluster secret of %s: %v", name, err)
		}
		secret = s
		if s == nil {
			select {
			case <-ctx.Done():
				t.Fatal("no Argo CD cluster secret for the workload cluster")
			case <-time.After(time.Second):
			}
		}
	}
	for k, v := range map[string]string{
		"argocd.argoproj.io/secret-type": "cluster", "fleetup.dev/profile": "edge", "fleetup.dev/environment": "e2e",
		"fleetup.dev/provider": "existing", "enable_base": "true", "enable_top": "true", flowLabel: p.Cluster,
	} {
		if secret.Labels[k] != v {
			t.Errorf("cluster secret label %s = %q, want %q", k, secret.Labels[k], v)
		}
	}
	if _, ok := secret.Labels["fleetup.dev/hub"]; ok {
		t.Error("the workload cluster's secret says it is the hub")
	}
	if string(secret.Data["server"]) != w.Server {
		t.Errorf("cluster secret server %q, want %q", secret.Data["server"], w.Server)
	}

	for _, addon := range []string{"base", "left", "right", "top"} {
		waitApplication(t, ctx, argocd.ApplicationName(addon, name), addon+" delivered to the workload cluster", func(u *unstructured.Unstructured) (bool, error) {
			return u != nil && argocd.Read(u).Healthy(), nil
		})
	}
	t.Logf("registered and the bundle healthy %v after install returned", time.Since(begin).Round(time.Second))
	stages := argocd.ApplicationName(p.Cluster+"-"+stagesApp, name)
	waitApplication(t, ctx, stages, "the cluster's stages Application Synced and Healthy", func(u *unstructured.Unstructured) (bool, error) {
		return u != nil && argocd.Read(u).Healthy(), nil
	})
	deliveredInOrder(t, ctx, events, name, bundleGraph, bundleLevels)
	for _, d := range [][2]string{{p.NS + "-left", "left"}, {p.NS + "-top", "top"}} {
		if _, err := w.Client.Typed.AppsV1().Deployments(d[0]).Get(ctx, d[1], metav1.GetOptions{}); err != nil {
			t.Errorf("Deployment %s/%s in the workload cluster: %v", d[0], d[1], err)
		}
	}

	// cluster list/get's view of the hub: registered, the four addons healthy.
	live, err := cli.ReadLive(ctx, env.Client, "argocd", map[string][]string{name: {"base", "left", "right", "top"}})
	if err != nil {
		t.Fatal(err)
	}
	if l := live[name]; l == nil || !l.Registered || l.Application == nil || l.Application.State != "healthy" || l.Healthy() != 4 {
		t.Errorf("the live view of %s: %+v", name, l)
	}

	// A first rollout pins the cluster at HEAD; its gate waits for the
	// cluster's Application and the bundle's four addons, healthy on the
	// workload cluster.
	if out, err := rollout(ctx, t, p, nil); err != nil || !strings.Contains(out, "wave 0: "+name+" run ") {
		t.Fatalf("first rollout: %v\n%s", err, out)
	}

	// The profile switches top off, rolled out: gone from the workload
	// cluster, the hub's top stays.
	profile := filepath.Join(p.RepoDir, "fleet", "profiles", "edge.yaml")
	data, _ := os.ReadFile(profile)
	writeFile(t, profile, strings.Replace(string(data), "top: {enabled: true}", "top: {enabled: false}", 1))
	// Before the commit, `fleet diff` names the blast radius: this cluster
	// (its only one), the value with its file and line, the addon it loses.
	out := &syncBuffer{}
	g := &cli.Global{ConfigFile: p.Config, Output: "text", Stdout: out, Stderr: out}
	if err := (&cli.FleetDiff{Fleet: cli.Fleet{Global: g}}).Run(ctx); err != nil {
		t.Fatalf("fleet diff: %v", err)
	}
	for _, want := range []string{"~ " + name, "addons.top.enabled  true → false  fleet/profiles/edge.yaml:", "addons: -top", "clusters: 1 changed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("fleet diff does not say %q:\n%s", want, out.String())
		}
	}
	envtest.Commit(t, p.RepoDir, "edge: no top")
	// Committed, not rolled out: the pinned cluster is as Git says (its
	// row: the shared hub may hold other flows' clusters, not in this Git).
	if rep, _ := fleetStatus(ctx, t, p); statusOf(rep, name).State != "ready" {
		t.Errorf("fleet status after the commit, before the rollout: %+v", statusOf(rep, name))
	}
	if out, err := rollout(ctx, t, p, nil); err != nil || !strings.Contains(out, "wave 0: pinned "+name) {
		t.Fatalf("rollout of the profile change: %v\n%s", err, out)
	}
	waitApplication(t, ctx, argocd.ApplicationName("top", name), "top to leave the workload cluster", func(u *unstructured.Unstructured) (bool, error) { return u == nil, nil })
	if err := w.Client.WaitGone(ctx, actions.Ref("apps/v1", "Deployment", p.NS+"-top", "top")); err != nil {
		t.Errorf("top's Deployment in the workload cluster: %v", err)
	}
	if app, err := env.Client.Get(ctx, argocd.ApplicationRef("argocd", argocd.ApplicationName("top", p.Cluster))); err != nil || app == nil {
		t.Errorf("the hub's top went too: %v", err)
	}

	// The cluster file goes: the cluster is deregistered.
	if err := os.Remove(filepath.Join(p.RepoDir, "fleet", "clusters", name+".yaml")); err != nil {
		t.Fatal(err)
	}
	envtest.Commit(t, p.RepoDir, "remove "+name)
	refreshFleet(t, p)
	waitApplication(t, ctx, fleet.AppName(name), "the cluster's Application to go", func(u *unstructured.Unstructured) (bool, error) { return u == nil, nil })
	// Its addons' Applications go with its registration (the cluster's
	// objects stay: it is not fleetup's to empty once it left the fleet).
	for _, app := range []string{stages, argocd.ApplicationName("base", name), argocd.ApplicationName("left", name), argocd.ApplicationName("right", name)} {
		waitApplication(t, ctx, app, app+" to go with the cluster", func(u *unstructured.Unstructured) (bool, error) { return u == nil, nil })
	}
	for {
		s, err := clusterSecret(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if s == nil {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("the workload cluster is still registered")
		case <-time.After(time.Second):
		}
	}
}

// stagesApp names a workload cluster's stages Application (with the
// catalog's appsetPrefix before it and the cluster after it).
const stagesApp = "fleetup-stages"

// bundleGraph is the fleet bundle of the test catalog: each addon and
// what it depends on; bundleLevels their dependency levels.
var (
	bundleGraph  = map[string][]string{"base": nil, "left": {"base"}, "right": {"base"}, "top": {"left", "right"}}
	bundleLevels = map[string]int{"base": 0, "left": 1, "right": 1, "top": 2}
)

// sameAsArgoCD: what `fleet render` renders for the cluster is what Argo
// CD rendered and applied, object by object. The Application is Synced
// (Argo CD's render equals the live objects), its resources are exactly
// the rendered objects, and every field of each rendered object has the
// same value on the live one (the API server only adds defaults).
func sameAsArgoCD(t *testing.T, ctx context.Context, p *platform, name string) {
	t.Helper()
	cfg := p.plan(t).Config
	_, ms := envtest.RenderFleetCluster(t, p.RepoDir, name, &chart.Platform{RepoURL: cfg.Repo.URL, Revision: cfg.Repo.Revision, BasePath: cfg.Repo.BasePath})
	app, err := env.Client.Get(ctx, argocd.ApplicationRef("argocd", fleet.AppName(name)))
	if err != nil || app == nil {
		t.Fatalf("Application %s: %v", fleet.AppName(name), err)
	}
	managed := map[string]bool{}
	res, _, _ := unstructured.NestedSlice(app.Object, "status", "resources")
	for _, r := range res {
		m, _ := r.(map[string]any)
		managed[fmt.Sprintf("%v/%v/%v", m["kind"], m["namespace"], m["name"])] = true
	}
	rendered := map[string]bool{}
	for _, m := range ms {
		u := &unstructured.Unstructured{Object: m.Object}
		ns := u.GetNamespace()
		if ns == "" {
			ns = name // the Application's destination namespace
		}
		key := fmt.Sprintf("%s/%s/%s", u.GetKind(), ns, u.GetName())
		rendered[key] = true
		if !managed[key] {
			t.Errorf("%s rendered by fleetup, not managed by Argo CD (its resources: %v)", key, managed)
			continue
		}
		u.SetNamespace(ns)
		live, err := env.Client.Get(ctx, u)
		if err != nil || live == nil {
			t.Errorf("%s: %v", key, err)
			continue
		}
		if path, ok := contained(m.Object, live.Object, ""); !ok {
			t.Errorf("%s: fleetup renders %s differently from what Argo CD applied", key, path)
		}
	}
	for key := range managed {
		if !rendered[key] {
			t.Errorf("%s managed by Argo CD, not rendered by fleetup", key)
		}
	}
}

// contained reports whether every field of want has the same value in
// got (maps key by key, lists item by item, numbers by value); it
// returns the first path that differs.
func contained(want, got any, path string) (string, bool) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return path, false
		}
		for k, v := range w {
			if p, ok := contained(v, g[k], path+"."+k); !ok {
				return p, false
			}
		}
		return "", true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return path, false
		}
		for i := range w {
			if p, ok := contained(w[i], g[i], fmt.Sprintf("%s[%d]", path, i)); !ok {
				return p, false
			}
		}
		return "", true
	case nil:
		return path, got == nil
	default:
		return path, fmt.Sprint(want) == fmt.Sprint(got)
	}
}

// TestUninstallWithFleet: uninstall of a platform whose fleet has a
// workload cluster with its bundle detaches the fleet and the cluster's
// addons: Argo CD's objects for them go from the hub without cascade, the
// addons keep running in the workload cluster; a second run converges.
func TestUninstallWithFleet(t *testing.T) {
	env.Need(t)
	p, name, w, _ := installWithFleet(t)
	ctx := timeout(t, 5*time.Minute)
	for addon := range bundleGraph {
		waitApplication(t, ctx, argocd.ApplicationName(addon, name), addon+" delivered to the workload cluster", func(u *unstructured.Unstructured) (bool, error) {
			return u != nil && argocd.Read(u).Healthy(), nil
		})
	}
	for run := 1; run <= 2; run++ {
		out, err := p.uninstall(timeout(t, 6*time.Minute), t, nil)
		if err != nil {
			t.Fatalf("uninstall run %d: %v", run, err)
		}
		if run == 1 && !strings.Contains(out, "the addons of 1 workload cluster left running") {
			t.Errorf("uninstall does not say it detached the workload cluster's addons:\n%s", out)
		}
	}
	stages := argocd.ApplicationName(p.Cluster+"-"+stagesApp, name)
	for _, app := range []string{stages, fleet.AppName(name), argocd.ApplicationName("base", name), argocd.ApplicationName("top", name)} {
		if u, err := env.Client.Get(ctx, argocd.ApplicationRef("argocd", app)); err != nil || u != nil {
			t.Errorf("Application %s left on the hub (%v)", app, err)
		}
	}
	for _, d := range [][2]string{{p.NS + "-left", "left"}, {p.NS + "-right", "right"}, {p.NS + "-top", "top"}} {
		if _, err := w.Client.Typed.AppsV1().Deployments(d[0]).Get(ctx, d[1], metav1.GetOptions{}); err != nil {
			t.Errorf("Deployment %s/%s in the workload cluster after uninstall: %v", d[0], d[1], err)
		}
	}
	requireGone(t, p)
}

// TestFleetInitInstall: `fleet init --install` on an installed platform
// whose repository has no fleet and no fleet chart commits both, then
// wires the fleet as install does: the fleet's ApplicationSet reads
// fleet/clusters/*.yaml from Git (its Git generator ran, with no error).
func TestFleetInitInstall(t *testing.T) {
	env.Need(t)
	p := newPlatform(t, options{})
	if _, err := p.install(timeout(t, 8*time.Minute), t, nil); err != nil {
		t.Fatalf("install: %v", err)
	}
	ctx := timeout(t, 8*time.Minute)
	out, err := exec.CommandContext(ctx, fleetupBinary(t), "fleet", "init", "--install", "--yes", "--config", p.Config, "--kubeconfig", env.Kubeconfig).CombinedOutput()
	t.Logf("fleetup fleet init --install:\n%s", out)
	if err != nil {
		t.Fatalf("fleet init --install: %v", err)
	}
	for _, want := range []string{"wrote fleet/fleet.yaml", "wrote packages/fleet-cluster/Chart.yaml", "committed "} {
		if !strings.Contains(string(out), want) {
			t.Errorf("fleet init --install does not say %q", want)
		}
	}
	set := argocd.ApplicationName("fleetup-fleet", p.Cluster)
	_, err = env.Client.WaitFor(ctx, kube.ApplicationSets, "argocd", set, "the fleet's ApplicationSet to generate from Git, with no error",
		func(u *unstructured.Unstructured) (bool, error) {
			return kube.HasCondition(u, "ParametersGenerated", "True", "") && !kube.HasCondition(u, "ErrorOccurred", "True", ""), nil
		})
	if err != nil {
		t.Fatal(err)
	}
	u, err := env.Client.Get(ctx, actions.Ref(argocd.APIVersion, "ApplicationSet", "argocd", set))
	if err != nil || u == nil {
		t.Fatalf("ApplicationSet %s: %v", set, err)
	}
	gens, _, _ := unstructured.NestedSlice(u.Object, "spec", "generators")
	if !strings.Contains(fmt.Sprint(gens), "fleet/clusters/*.yaml") {
		t.Errorf("the fleet's ApplicationSet generates from %v", gens)
	}
}
