package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/argocd"
	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/cli"
	"github.com/fleetup/fleetup/internal/helm"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	"github.com/fleetup/fleetup/internal/report"
	"github.com/fleetup/fleetup/internal/status"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The fork's own objects (test/e2e/testdata/cnoe-fork).
const (
	forkHubSecret      = "hub-cluster"        // made by the ExternalSecret below
	forkHubES          = "hub-cluster-secret" // packages/argo-cd/manifests
	forkStore          = "aws-secretsmanager" // packages/external-secrets/manifests
	forkCatalogEntry   = "addons-appset-pr"   // path_routing: "true"
	forkArgoNamespace  = "argocd"
	forkPathRoutingOff = "external-dns" // selects path_routing=false only
)

var (
	externalSecrets     = kube.GVR("external-secrets.io", "v1", "externalsecrets")
	clusterSecretStores = kube.GVR("external-secrets.io", "v1", "clustersecretstores")
)

// TestCNOEFork installs the CNOE-shaped fork of testdata/cnoe-fork
// unchanged, end to end: the hand-off is the fork's own bootstrap
// (addons-appset-pr renders the catalog from Git), the hub cluster secret is
// the fork's ExternalSecret's and the ClusterSecretStore the fork's; every
// addon becomes Healthy, a second install changes nothing, status is
// healthy with the hand-off done, and uninstall removes everything fleetup
// made, the fork's unlabelled ApplicationSets and Applications included,
// and touches nothing foreign.
func TestCNOEFork(t *testing.T) {
	env.Need(t)
	useAWS(t)
	p := newCNOEFork(t)
	pl := p.plan(t)
	ctx := context.Background()

	// What the plan says about the fork.
	addons := installedAddons(pl)
	if want := []string{"argocd", "cert-manager", "external-secrets", "keycloak", "platform-manifests", "team-config"}; !slices.Equal(addons, want) {
		t.Fatalf("the plan installs %v, want %v (%s selects path_routing=false only, backstage is disabled)", addons, want, forkPathRoutingOff)
	}
	catalogApp := argocd.ApplicationName(forkCatalogEntry, p.Cluster)
	if pl.GitOps.Shape != plan.ShapeCNOE || pl.GitOps.Application != catalogApp {
		t.Fatalf("plan's gitops: shape %q application %q, want %q %q", pl.GitOps.Shape, pl.GitOps.Application, plan.ShapeCNOE, catalogApp)
	}
	if pl.ClusterSecret.Object != nil || pl.HubSecret.Name != forkHubSecret {
		t.Fatalf("plan's hub cluster secret: %+v (fleetup's own: %v), want the fork's %s", pl.HubSecret, pl.ClusterSecret.Object != nil, forkHubSecret)
	}
	if len(pl.Secrets.Store) != 0 || !strings.Contains(pl.Secrets.StoreFrom, "cluster-secret-store.yaml") {
		t.Fatalf("plan's ClusterSecretStore: %d of fleetup's, from %q; want the fork's", len(pl.Secrets.Store), pl.Secrets.StoreFrom)
	}

	// Foreign objects: a namespace of an addon that exists before the
	// install, another platform's cluster secret, an ApplicationSet and an
	// Application fleetup did not make. None may be touched.
	foreign := makeForeign(t, p)
	before := foreignState(t, foreign)

	rec := &report.Recorder{}
	out, err := p.install(timeout(t, 8*time.Minute), t, func(in *cli.Install) { in.Global.Observe = rec })
	if err != nil {
		dumpApplications(t, p)
		t.Fatalf("install: %v", err)
	}
	for _, want := range []string{"platform installed", "the packages tree's " + forkHubSecret + " is used", "Application " + catalogApp} {
		if !strings.Contains(out, want) {
			t.Errorf("install output lacks %q", want)
		}
	}

	// 1. Every addon the plan installs, and the catalog, Synced and Healthy.
	for _, name := range append(applicationNames(addons, p.Cluster), catalogApp) {
		obj, err := env.Client.Dynamic.Resource(kube.Applications).Namespace(forkArgoNamespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Errorf("Application %s: %v", name, err)
			continue
		}
		if st := argocd.Read(obj); !st.Healthy() {
			t.Errorf("Application %s: %s", name, st.Summary())
		}
	}
	if _, err := env.Client.Dynamic.Resource(kube.Applications).Namespace(forkArgoNamespace).Get(ctx, argocd.ApplicationName(forkPathRoutingOff, p.Cluster), metav1.GetOptions{}); exists(t, err) {
		t.Errorf("%s was generated for a path-routing hub", forkPathRoutingOff)
	}
	// The addons' workloads run: the stub charts' Deployments, the Git
	// chart's and the manifests' ConfigMaps, path-routing resources.
	for _, r := range []struct {
		gvr      schema.GroupVersionResource
		ns, name string
	}{
		{kube.Deployments, p.NS + "-cert-manager", "cert-manager"},
		{kube.Deployments, p.NS + "-keycloak", "keycloak"},
		{kube.GVR("", "v1", "configmaps"), p.NS + "-keycloak", "keycloak-relative-path"},
		{kube.GVR("", "v1", "configmaps"), p.NS + "-cert-manager", "path-routing-certificate"},
		{kube.GVR("", "v1", "configmaps"), p.NS + "-team-config", "team-config-teams"},
		{kube.GVR("", "v1", "configmaps"), p.NS + "-platform", "platform-limits"},
	} {
		if _, err := env.Client.Dynamic.Resource(r.gvr).Namespace(r.ns).Get(ctx, r.name, metav1.GetOptions{}); err != nil {
			t.Errorf("%s %s/%s: %v", r.gvr.Resource, r.ns, r.name, err)
		}
	}

	// 2. Exactly one cluster secret for the hub, the fork's ExternalSecret's.
	hubs := hubSecrets(t, p)
	if len(hubs) != 1 || hubs[0].Name != forkHubSecret {
		t.Fatalf("cluster secrets for %s named %s: %v, want exactly %s", plan.InClusterServer, p.Cluster, secretNames(hubs), forkHubSecret)
	}
	if owner := metav1.GetControllerOf(&hubs[0]); owner == nil || owner.Kind != "ExternalSecret" || owner.Name != forkHubES {
		t.Errorf("the hub cluster secret is not made by the fork's ExternalSecret %s: owner %v", forkHubES, owner)
	}
	if _, err := env.Client.Typed.CoreV1().Secrets(forkArgoNamespace).Get(ctx, plan.ClusterSecretName(p.Cluster), metav1.GetOptions{}); exists(t, err) {
		t.Errorf("fleetup made its own cluster secret %s beside the fork's", plan.ClusterSecretName(p.Cluster))
	}
	es, err := env.Client.Dynamic.Resource(externalSecrets).Namespace(forkArgoNamespace).Get(ctx, forkHubES, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ref, _, _ := unstructured.NestedString(es.Object, "spec", "secretStoreRef", "name"); ref != forkStore || !ready(es) {
		t.Errorf("ExternalSecret %s: store %q, %s", forkHubES, ref, kube.Summary(es))
	}
	// The fork's ClusterSecretStore is the one in use, and no other is
	// fleetup's for this cluster.
	store, err := env.Client.Dynamic.Resource(clusterSecretStores).Get(ctx, forkStore, metav1.GetOptions{})
	if err != nil || !ready(store) {
		t.Fatalf("ClusterSecretStore %s: %v %s", forkStore, err, kube.Summary(store))
	}
	if region, _, _ := unstructured.NestedString(store.Object, "spec", "provider", "aws", "region"); region != awsSrv.Region {
		t.Errorf("ClusterSecretStore %s reads region %q, want the fork's %q", forkStore, region, awsSrv.Region)
	}
	stores, err := env.Client.Dynamic.Resource(clusterSecretStores).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stores.Items {
		if strings.Contains(s.GetName(), p.Cluster) {
			t.Errorf("a second ClusterSecretStore for this flow: %s", s.GetName())
		}
	}

	// 3. A second install changes nothing and says so.
	objs := cnoeObjects(t, p, pl)
	storeBefore := store.GetGeneration()
	out, err = p.install(timeout(t, 5*time.Minute), t, nil)
	if err != nil {
		t.Fatalf("second install: %v", err)
	}
	if !strings.Contains(out, "nothing changed") {
		t.Error("the second install does not say nothing changed")
	}
	after := cnoeObjects(t, p, pl)
	for k, v := range objs {
		if after[k] != v {
			t.Errorf("the second install changed %s: %s -> %s", k, v, after[k])
		}
	}
	for k := range after {
		if _, ok := objs[k]; !ok {
			t.Errorf("the second install made %s", k)
		}
	}
	if store, err = env.Client.Dynamic.Resource(clusterSecretStores).Get(ctx, forkStore, metav1.GetOptions{}); err != nil || store.GetGeneration() != storeBefore {
		t.Errorf("the second install modified ClusterSecretStore %s: %v, generation %d -> %d", forkStore, err, storeBefore, store.GetGeneration())
	}
	if hubs := hubSecrets(t, p); len(hubs) != 1 {
		t.Errorf("after the second install, cluster secrets for the hub: %v", secretNames(hubs))
	}

	// 4. status: healthy, hand-off done, the catalog's Application the
	// fork's bootstrap made.
	st, code := p.status(t)
	if st.Phase != status.PhaseHealthy || !st.HandOff || code != 0 {
		t.Errorf("status: phase %s handOff %v exit %d", st.Phase, st.HandOff, code)
	}
	if st.Catalog.Application != catalogApp || st.Catalog.State != "healthy" {
		t.Errorf("status' catalog: %+v, want %s healthy", st.Catalog, catalogApp)
	}
	var seen []string
	for _, a := range st.Addons {
		seen = append(seen, a.Name)
		if a.State != "healthy" || a.Sync != "Synced" || a.Health != "Healthy" {
			t.Errorf("status of %s: %+v", a.Name, a)
		}
	}
	sort.Strings(seen)
	if !slices.Equal(seen, addons) {
		t.Errorf("status lists %v, want %v", seen, addons)
	}

	// 5. uninstall removes everything fleetup made and nothing foreign.
	if _, err := p.uninstall(timeout(t, 6*time.Minute), t, nil); err != nil {
		t.Fatalf("uninstall: %v", err)
	}
	requireForkGone(t, p, pl, addons)
	if got := foreignState(t, foreign); !equalState(before, got) {
		for k, v := range before {
			if got[k] != v {
				t.Errorf("uninstall touched a foreign object: %s\nbefore: %s\nafter:  %s", k, v, got[k])
			}
		}
	}
}

func installedAddons(pl *plan.Plan) []string {
	var out []string
	for _, a := range pl.Graph.Addons {
		out = append(out, a.Name)
	}
	sort.Strings(out)
	return out
}

func applicationNames(addons []string, cluster string) []string {
	var out []string
	for _, a := range addons {
		out = append(out, argocd.ApplicationName(a, cluster))
	}
	return out
}

// hubSecrets are the Argo CD cluster secrets for the in-cluster server
// under the flow's cluster name.
func hubSecrets(t *testing.T, p *platform) []corev1.Secret {
	t.Helper()
	list, err := env.Client.Typed.CoreV1().Secrets(forkArgoNamespace).List(context.Background(), metav1.ListOptions{LabelSelector: plan.LabelSecretType + "=cluster"})
	if err != nil {
		t.Fatal(err)
	}
	var out []corev1.Secret
	for _, s := range list.Items {
		if string(s.Data["server"]) == plan.InClusterServer && string(s.Data["name"]) == p.Cluster {
			out = append(out, s)
		}
	}
	return out
}

func secretNames(list []corev1.Secret) []string {
	var out []string
	for _, s := range list {
		out = append(out, s.Namespace+"/"+s.Name)
	}
	return out
}

// cnoeObjects maps what fleetup writes for the fork to resourceVersions
// (objects no controller updates), generations and the fleetup field
// managers' entries (objects whose status controllers update), and the Helm
// releases' revisions.
func cnoeObjects(t *testing.T, p *platform, pl *plan.Plan) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	sel := metav1.ListOptions{LabelSelector: plan.LabelManaged + "=true"}
	for _, ns := range []string{forkArgoNamespace, "fleetup-system"} {
		secrets, err := env.Client.Typed.CoreV1().Secrets(ns).List(ctx, sel)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets.Items {
			out["secret "+ns+"/"+s.Name] = s.ResourceVersion
		}
		cms, err := env.Client.Typed.CoreV1().ConfigMaps(ns).List(ctx, sel)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cms.Items {
			out["configmap "+ns+"/"+c.Name] = c.ResourceVersion
		}
	}
	nss, err := env.Client.Typed.CoreV1().Namespaces().List(ctx, sel)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nss.Items {
		if strings.HasPrefix(n.Name, p.NS+"-") {
			out["namespace "+n.Name] = n.ResourceVersion
		}
	}
	helmSecrets, err := env.Client.Typed.CoreV1().Secrets("").List(ctx, metav1.ListOptions{LabelSelector: "owner=helm"})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range helmSecrets.Items {
		if strings.Contains(s.Name, p.Cluster) {
			out["helm "+s.Namespace+"/"+s.Name] = s.ResourceVersion
		}
	}
	// The hub cluster secret: External Secrets made it; nothing of
	// fleetup's may write it again.
	hub, err := env.Client.Typed.CoreV1().Secrets(forkArgoNamespace).Get(ctx, forkHubSecret, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out["hub secret "+hub.Name] = hub.ResourceVersion
	// What fleetup applied and controllers update: the bootstrap
	// ApplicationSets and the bootstrap manifests.
	var applied []*unstructured.Unstructured
	for _, m := range pl.GitOps.Objects {
		applied = append(applied, actions.Ref(m.APIVersion, m.Kind, m.Namespace, m.Name))
	}
	for _, m := range pl.Bootstrap {
		applied = append(applied, actions.Ref(m.APIVersion, m.Kind, m.Namespace, m.Name))
	}
	for _, ref := range applied {
		cur, err := env.Client.Get(ctx, ref)
		if err != nil || cur == nil {
			t.Fatalf("%s: %v (absent: %v)", kube.Describe(ref), err, cur == nil)
		}
		out["applied "+kube.Describe(ref)] = fmt.Sprintf("generation %d, %s", cur.GetGeneration(), fleetupFields(cur.GetManagedFields()))
	}
	if len(out) < 10 {
		t.Fatalf("found only %d of fleetup's objects: %v", len(out), out)
	}
	return out
}

// foreignObject is an object the test made beside the platform.
type foreignObject struct {
	gvr  schema.GroupVersionResource
	ns   string
	name string
}

// makeForeign makes objects near the fork's names that fleetup must not
// touch: the keycloak addon's namespace (existing before the install, so
// not fleetup's), another platform's cluster secret in Argo CD's
// namespace, and an ApplicationSet and an Application nobody generated.
func makeForeign(t *testing.T, p *platform) []foreignObject {
	t.Helper()
	ctx := context.Background()
	name := foreignName(p)
	objs := []*unstructured.Unstructured{
		{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": p.NS + "-keycloak"}}},
		{Object: map[string]any{
			"apiVersion": "v1", "kind": "Secret",
			"metadata": map[string]any{"name": name, "namespace": forkArgoNamespace, "labels": map[string]any{
				plan.LabelSecretType: "cluster", "environment": "control-plane", "clusterName": name,
			}},
			"stringData": map[string]any{"name": name, "server": "https://" + name + ".example.invalid", "config": `{"tlsClientConfig":{"insecure":true}}`},
		}},
		{Object: map[string]any{
			"apiVersion": argocd.APIVersion, "kind": "ApplicationSet",
			"metadata": map[string]any{"name": name, "namespace": forkArgoNamespace},
			"spec": map[string]any{
				"generators": []any{map[string]any{"list": map[string]any{"elements": []any{}}}},
				"template": map[string]any{
					"metadata": map[string]any{"name": "foreign-{{name}}"},
					"spec": map[string]any{
						"project":     "default",
						"source":      map[string]any{"repoURL": "file://" + p.RepoDir, "path": "packages/platform-manifests", "targetRevision": "main"},
						"destination": map[string]any{"server": plan.InClusterServer, "namespace": p.NS},
					},
				},
			},
		}},
		{Object: map[string]any{
			"apiVersion": argocd.APIVersion, "kind": "Application",
			"metadata": map[string]any{"name": name, "namespace": forkArgoNamespace},
			"spec": map[string]any{
				"project":     "default",
				"source":      map[string]any{"repoURL": "file://" + p.RepoDir, "path": "packages/platform-manifests", "targetRevision": "main"},
				"destination": map[string]any{"server": plan.InClusterServer, "namespace": p.NS},
			},
		}},
	}
	var out []foreignObject
	for _, o := range objs {
		if _, err := env.Client.Apply(ctx, o); err != nil {
			t.Fatalf("%s: %v", kube.Describe(o), err)
		}
		_, mapping, err := env.Client.Resource(o)
		if err != nil {
			t.Fatal(err)
		}
		f := foreignObject{gvr: mapping.Resource, ns: o.GetNamespace(), name: o.GetName()}
		out = append(out, f)
		t.Cleanup(func() {
			r := env.Client.Dynamic.Resource(f.gvr)
			if f.ns != "" {
				_ = r.Namespace(f.ns).Delete(context.Background(), f.name, metav1.DeleteOptions{})
			} else {
				_ = r.Delete(context.Background(), f.name, metav1.DeleteOptions{})
			}
		})
	}
	return out
}

func foreignName(p *platform) string { return "foreign-" + p.Cluster }

// foreignState is what fleetup could have changed on each foreign object:
// its UID (deleted and made again), deletion, labels, annotations, spec or
// data, and which field managers wrote it.
func foreignState(t *testing.T, objs []foreignObject) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, f := range objs {
		key := f.gvr.Resource + " " + f.ns + "/" + f.name
		var cur *unstructured.Unstructured
		var err error
		if f.ns != "" {
			cur, err = env.Client.Dynamic.Resource(f.gvr).Namespace(f.ns).Get(context.Background(), f.name, metav1.GetOptions{})
		} else {
			cur, err = env.Client.Dynamic.Resource(f.gvr).Get(context.Background(), f.name, metav1.GetOptions{})
		}
		if !exists(t, err) {
			out[key] = "gone"
			continue
		}
		var managers []string
		for _, m := range cur.GetManagedFields() {
			managers = append(managers, m.Manager)
		}
		sort.Strings(managers)
		managers = slices.Compact(managers)
		state := map[string]any{
			"uid": cur.GetUID(), "deleting": cur.GetDeletionTimestamp() != nil,
			"labels": cur.GetLabels(), "annotations": cur.GetAnnotations(), "finalizers": cur.GetFinalizers(),
			"spec": cur.Object["spec"], "data": cur.Object["data"],
		}
		// Controllers write status under their own names; fleetup's
		// managers must never appear.
		for _, m := range managers {
			if strings.HasPrefix(m, kube.FieldManager) {
				state["fleetup manager"] = m
			}
		}
		b, _ := json.Marshal(state)
		out[key] = string(b)
	}
	return out
}

func equalState(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// requireForkGone: nothing the fork's install made is left (the generic
// checks of requireGone, then the fork's names: its Applications and
// ApplicationSets carry none of fleetup's labels, its hub secret,
// ExternalSecret and ClusterSecretStore, the addons' namespaces).
func requireForkGone(t *testing.T, p *platform, pl *plan.Plan, addons []string) {
	t.Helper()
	ctx := context.Background()
	requireGone(t, p)
	gone := func(gvr schema.GroupVersionResource, ns, name string) {
		t.Helper()
		var err error
		if ns != "" {
			_, err = env.Client.Dynamic.Resource(gvr).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
		} else {
			_, err = env.Client.Dynamic.Resource(gvr).Get(ctx, name, metav1.GetOptions{})
		}
		if exists(t, err) {
			t.Errorf("left behind: %s %s/%s", gvr.Resource, ns, name)
		}
	}
	for _, name := range append(applicationNames(addons, p.Cluster), pl.GitOps.Application) {
		gone(kube.Applications, forkArgoNamespace, name)
	}
	for _, m := range append(append([]helm.Manifest{}, pl.ApplicationSets...), pl.GitOps.Objects...) {
		gone(kube.ApplicationSets, m.Namespace, m.Name)
	}
	// Applications any of the flow's ApplicationSets generated, whatever
	// their names.
	apps, err := env.Client.Dynamic.Resource(kube.Applications).Namespace(forkArgoNamespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range apps.Items {
		if strings.HasSuffix(a.GetName(), "-"+p.Cluster) && a.GetName() != foreignName(p) {
			t.Errorf("Application left behind: %s", a.GetName())
		}
	}
	gone(kube.Secrets, forkArgoNamespace, forkHubSecret)
	gone(externalSecrets, forkArgoNamespace, forkHubES)
	gone(clusterSecretStores, "", forkStore)
	for _, ns := range pl.Namespaces {
		if ns == forkArgoNamespace || ns == p.NS+"-keycloak" {
			continue // existed before the install: not fleetup's
		}
		gone(kube.Namespaces, "", ns)
	}
	// The addons' workloads went with their Applications.
	for _, d := range [][2]string{{p.NS + "-keycloak", "keycloak"}, {p.NS + "-keycloak", "keycloak-realm"}} {
		gone(kube.Deployments, d[0], d[1])
		gone(kube.GVR("", "v1", "configmaps"), d[0], d[1])
	}
}

// dumpApplications logs, for a failure, what Argo CD says about the flow's
// Applications: the resources out of sync or unhealthy, and the conditions.
func dumpApplications(t *testing.T, p *platform) {
	t.Helper()
	apps, err := env.Client.Dynamic.Resource(kube.Applications).Namespace(forkArgoNamespace).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Logf("list Applications: %v", err)
		return
	}
	for _, a := range apps.Items {
		if !strings.HasSuffix(a.GetName(), "-"+p.Cluster) {
			continue
		}
		var odd []any
		resources, _, _ := unstructured.NestedSlice(a.Object, "status", "resources")
		for _, r := range resources {
			m, _ := r.(map[string]any)
			h, _ := m["health"].(map[string]any)
			if m["status"] != "Synced" || (h != nil && h["status"] != "Healthy") {
				odd = append(odd, m)
			}
		}
		conds, _, _ := unstructured.NestedSlice(a.Object, "status", "conditions")
		op, _, _ := unstructured.NestedMap(a.Object, "status", "operationState")
		b, _ := json.MarshalIndent(map[string]any{"resources not synced or healthy": odd, "conditions": conds, "operationState": op}, "", "  ")
		t.Logf("Application %s: %s\n%s", a.GetName(), argocd.Read(&a).Summary(), b)
	}
}
