package envtest

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/catalog"
	"github.com/fleetup/fleetup/internal/cli"
	"github.com/fleetup/fleetup/internal/helm"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	"golang.org/x/crypto/bcrypt"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The developer platform's addons of the shipped catalog (Keycloak,
// Backstage, Argo Workflows, Crossplane's AWS side, the StorageClass): what
// they put into the hub, checked on the real API server.

// platformAddons are the shipped catalog's entries whose objects come from
// this repository (charts, manifests, routes).
var platformAddons = []string{"storage-class", "keycloak", "backstage", "argo-workflows", "crossplane-aws"}

// uncheckable are the API groups whose CRDs no Go module ships: the
// Keycloak Operator's (a Java project) and the upjet AWS providers' (made
// by Crossplane when the provider package installs).
var uncheckable = []string{"k8s.keycloak.org", "aws.m.upbound.io"}

// platformObjects renders the platform addons of the shipped catalog for
// the hub of config as Argo CD does (each chart with its values.yaml and
// resolved valuesObject, each manifests directory, each route chart), in
// namespace ns, with values on top of the keycloak chart's.
func platformObjects(ctx context.Context, t *testing.T, config, ns string, keycloak map[string]any) map[string][]helm.Manifest {
	t.Helper()
	pl, err := cli.Load(ctx, &cli.Global{ConfigFile: config})
	if err != nil {
		t.Fatal(err)
	}
	hub := plan.HubCluster(pl.Config, pl.Catalog)
	root := filepath.Dir(pl.Catalog.PackagesDir)
	render := func(from, dir, release string, valuesObject, extra map[string]any) []helm.Manifest {
		vals, err := catalog.ResolveValues(from, valuesObject, hub)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range extra {
			vals[k] = v
		}
		ms, err := helm.Render(filepath.Join(root, dir), release, ns, vals)
		if err != nil {
			t.Fatalf("%s: %v", from, err)
		}
		return ms
	}
	out := map[string][]helm.Manifest{}
	for _, name := range platformAddons {
		a := pl.Catalog.Get(name)
		if a == nil {
			t.Fatalf("the shipped catalog has no %s", name)
		}
		src := a.Source()
		switch src.Kind {
		case catalog.SourceGitChart:
			var extra map[string]any
			if name == "keycloak" {
				extra = keycloak
			}
			out[name] = append(out[name], render(name, src.Path, a.Release(), a.ValuesObject, extra)...)
		case catalog.SourceManifests:
			ms, err := plan.ReadManifests(root, []string{src.Path})
			if err != nil {
				t.Fatal(err)
			}
			out[name] = append(out[name], ms...)
		}
		ms, err := plan.ReadManifests(pl.Catalog.PackagesDir, a.ManifestDirs())
		if err != nil {
			t.Fatal(err)
		}
		out[name] = append(out[name], ms...)
		for _, r := range a.ChartResources() {
			out[name] = append(out[name], render(name+" "+r.Path, r.Path, r.Release(name, pl.Config.ClusterName), r.ValuesObject, nil)...)
		}
	}
	return out
}

// inNamespace puts a namespaced object without a namespace into ns, as
// Argo CD does with its Application's destination namespace.
func inNamespace(obj map[string]any, ns string) map[string]any {
	u := &unstructured.Unstructured{Object: obj}
	mapping, err := env.Client.Mapper.RESTMapping(u.GroupVersionKind().GroupKind(), u.GroupVersionKind().Version)
	if err == nil && mapping.Scope.Name() == "namespace" && u.GetNamespace() == "" {
		u = u.DeepCopy()
		u.SetNamespace(ns)
	}
	return u.Object
}

// TestPlatformObjectsOnRealCRDs: every object the platform addons render
// in both routing modes is accepted by the real CRDs (CloudNativePG 1.30,
// Crossplane v2.4, External Secrets, Gateway API) and by the API server's
// own kinds, in a server-side apply dry run with strict field validation;
// only the Keycloak and upjet AWS objects cannot be checked here. A
// misspelt field and a value outside an enum are refused, so the schemas
// are in force.
func TestPlatformObjectsOnRealCRDs(t *testing.T) {
	env.Need(t)
	c := ctx(t, 5*time.Minute)
	if err := env.InstallCRDs(c, append(PlatformCRDs(), GatewayAPICRDs()...)...); err != nil {
		t.Fatal(err)
	}
	env.Client.Mapper.Reset()
	ns := env.Namespace(t)
	for _, pathRouting := range []bool{true, false} {
		objs := platformObjects(c, t, urlsConfig(t, "platform.example.com", pathRouting), ns, nil)
		checked, skipped := 0, map[string]int{}
		for _, name := range platformAddons {
			for _, m := range objs[name] {
				group, _, _ := strings.Cut(m.APIVersion, "/")
				if !strings.Contains(m.APIVersion, "/") {
					group = ""
				}
				if slices.Contains(uncheckable, group) {
					skipped[group]++
					continue
				}
				if err := env.DryRunApply(c, inNamespace(m.Object, ns)); err != nil {
					t.Errorf("path_routing=%v: %s: %s %s refused: %v", pathRouting, name, m.Kind, m.Name, err)
				}
				checked++
			}
		}
		t.Logf("path_routing=%v: %d objects accepted, not checkable here: %v", pathRouting, checked, skipped)
		if skipped["k8s.keycloak.org"] != 2 || skipped["aws.m.upbound.io"] != 1 {
			t.Errorf("objects left unchecked %v: want the Keycloak and its realm import, and the ClusterProviderConfig", skipped)
		}
	}

	objs := platformObjects(c, t, urlsConfig(t, "platform.example.com", true), ns, nil)
	for _, w := range []struct {
		addon, kind string
		path        []string
		value       any
		want        string
	}{
		{"keycloak", "Cluster", []string{"spec", "bootstrap", "initdb", "databse"}, "keycloak", "field not declared in schema"},
		{"crossplane-aws", "CompositeResourceDefinition", []string{"spec", "scope"}, "Everywhere", "Unsupported value"},
		{"keycloak", "ExternalSecret", []string{"spec", "refreshPolicy"}, "Sometimes", "Unsupported value"},
	} {
		found := false
		for _, m := range objs[w.addon] {
			if m.Kind != w.kind || found {
				continue
			}
			found = true
			obj := (&unstructured.Unstructured{Object: inNamespace(m.Object, ns)}).DeepCopy()
			if err := unstructured.SetNestedField(obj.Object, w.value, w.path...); err != nil {
				t.Fatal(err)
			}
			if err := env.DryRunApply(c, obj.Object); err == nil || !strings.Contains(err.Error(), w.want) {
				t.Errorf("%s %s with %s=%v: %v, want an error with %q", w.addon, w.kind, strings.Join(w.path, "."), w.value, err, w.want)
			}
		}
		if !found {
			t.Errorf("%s renders no %s", w.addon, w.kind)
		}
	}
}

// TestPlatformSSOSecrets: the realm's secrets as the shipped charts and
// manifests make them, with the real External Secrets: the keycloak chart's
// Password generators fill Secret keycloak-clients (one secret per
// confidential client, all different) and keycloak-users (one password per
// demo user); Backstage's and Argo Workflows' namespaces receive their
// client's secret through the ClusterSecretStore, under the names and keys
// their charts read, and Backstage its own session secret; a namespace the
// store is not open to gets nothing. No value is printed.
func TestPlatformSSOSecrets(t *testing.T) {
	env.Need(t)
	c := ctx(t, 4*time.Minute)
	kc, bs, argo, acd, other := env.Namespace(t), env.Namespace(t), env.Namespace(t), env.Namespace(t), env.Namespace(t)
	store := kc // cluster-scoped: named after this test's namespace
	apply(t, fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: apiserver-ca, namespace: %s}\ndata:\n  ca.crt: %q\n", kc, string(env.CACert)))
	t.Cleanup(func() {
		_ = env.Client.Dynamic.Resource(kube.GVR("external-secrets.io", "v1", "clustersecretstores")).Delete(context.Background(), store, metav1.DeleteOptions{})
	})

	cfg := urlsConfig(t, "platform.example.com", true)
	keycloak := platformObjects(c, t, cfg, kc, map[string]any{"secretStore": map[string]any{
		"name": store, "namespaces": []any{bs, argo, acd}, "server": env.Server, "caConfigMap": "apiserver-ca", "caKey": "ca.crt"}})
	// Argo CD's Secret, as its chart makes it: backstage's account
	// password is merged in.
	apply(t, fmt.Sprintf("apiVersion: v1\nkind: Secret\nmetadata: {name: argocd-secret, namespace: %s}\nstringData: {server.secretkey: kept}\n", acd))
	var objs []*unstructured.Unstructured
	take := func(ms []helm.Manifest, ns string, kinds ...string) {
		for _, m := range ms {
			if !slices.Contains(kinds, m.Kind) {
				continue
			}
			u := (&unstructured.Unstructured{Object: m.Object}).DeepCopy()
			switch {
			case u.GetNamespace() == "argocd": // Argo CD's namespace
				u.SetNamespace(acd)
			case u.GetKind() != "ClusterSecretStore":
				u.SetNamespace(ns)
			}
			if ref, _, _ := unstructured.NestedString(u.Object, "spec", "secretStoreRef", "name"); ref == "keycloak" {
				_ = unstructured.SetNestedField(u.Object, store, "spec", "secretStoreRef", "name")
			}
			objs = append(objs, u)
		}
	}
	esoKinds := []string{"Password", "ExternalSecret"}
	take(keycloak["keycloak"], kc, append(esoKinds, "ClusterSecretStore", "ServiceAccount", "Role", "RoleBinding")...)
	take(keycloak["backstage"], bs, esoKinds...)
	take(keycloak["argo-workflows"], argo, esoKinds...)
	// A namespace the store is not open to asks for Backstage's secret.
	take(keycloak["backstage"], other, "ExternalSecret")
	applyObjects(c, t, objs)

	ready := func(ns, name string) {
		t.Helper()
		if _, err := env.Client.WaitFor(c, kube.GVR("external-secrets.io", "v1", "externalsecrets"), ns, name, "ExternalSecret "+name+" to be Ready", condition("Ready", "True", "")); err != nil {
			t.Fatal(err)
		}
	}
	data := func(ns, name string) map[string]string {
		t.Helper()
		s, err := env.Client.Typed.CoreV1().Secrets(ns).Get(c, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for k, v := range s.Data {
			out[k] = string(v)
		}
		return out
	}
	ready(kc, "keycloak-clients")
	ready(kc, "keycloak-users")
	clients, users := data(kc, "keycloak-clients"), data(kc, "keycloak-users")
	if len(clients) != 2 || len(clients["BACKSTAGE_CLIENT_SECRET"]) != 40 || len(clients["ARGO_WORKFLOWS_CLIENT_SECRET"]) != 40 ||
		clients["BACKSTAGE_CLIENT_SECRET"] == clients["ARGO_WORKFLOWS_CLIENT_SECRET"] {
		t.Errorf("keycloak-clients has keys %v: want two different 40-character client secrets", keys(clients))
	}
	if len(users) != 2 || len(users["USER1_PASSWORD"]) != 24 || len(users["USER2_PASSWORD"]) != 24 || users["USER1_PASSWORD"] == users["USER2_PASSWORD"] {
		t.Errorf("keycloak-users has keys %v: want two different 24-character passwords", keys(users))
	}

	ready(bs, "backstage-oidc")
	ready(bs, "backstage-session")
	if got := data(bs, "backstage-oidc"); len(got) != 1 || got["BACKSTAGE_CLIENT_SECRET"] != clients["BACKSTAGE_CLIENT_SECRET"] {
		t.Errorf("backstage-oidc (keys %v) does not hold Keycloak's backstage client secret", keys(got))
	}
	if got := data(bs, "backstage-session"); len(got["AUTH_SESSION_SECRET"]) != 48 {
		t.Errorf("backstage-session has keys %v: want AUTH_SESSION_SECRET of 48 characters", keys(got))
	}
	// Backstage's Argo CD account: the same generated password in clear
	// for Backstage and as a bcrypt hash in argocd-secret, whose other
	// keys stay.
	ready(kc, "argocd-accounts")
	ready(bs, "backstage-argocd")
	ready(acd, "argocd-account-backstage")
	accounts := data(kc, "argocd-accounts")
	if len(accounts) != 1 || len(accounts["BACKSTAGE_PASSWORD"]) != 40 {
		t.Errorf("argocd-accounts has keys %v: want BACKSTAGE_PASSWORD of 40 characters", keys(accounts))
	}
	if got := data(bs, "backstage-argocd"); len(got) != 1 || got["ARGOCD_PASSWORD"] != accounts["BACKSTAGE_PASSWORD"] {
		t.Errorf("backstage-argocd (keys %v) does not hold the backstage account's password", keys(got))
	}
	argocdSecret := data(acd, "argocd-secret")
	if err := bcrypt.CompareHashAndPassword([]byte(argocdSecret["accounts.backstage.password"]), []byte(accounts["BACKSTAGE_PASSWORD"])); err != nil {
		t.Errorf("argocd-secret (keys %v): accounts.backstage.password is not the bcrypt hash of the account's password: %v", keys(argocdSecret), err)
	}
	if argocdSecret["server.secretkey"] != "kept" || len(argocdSecret) != 2 {
		t.Errorf("argocd-secret has keys %v: want the chart's server.secretkey kept and only accounts.backstage.password added", keys(argocdSecret))
	}

	ready(argo, "argo-server-sso")
	if got := data(argo, "argo-server-sso"); got["client-id"] != "argo-workflows" || got["client-secret"] != clients["ARGO_WORKFLOWS_CLIENT_SECRET"] {
		t.Errorf("argo-server-sso (keys %v) does not hold client-id argo-workflows and Keycloak's argo-workflows client secret", keys(got))
	}

	// Generated exactly once: a second generation (External Secrets may
	// reconcile a new ExternalSecret twice before its status is cached)
	// would leave Keycloak and the copies holding different secrets.
	for _, name := range []string{"keycloak-clients", "keycloak-users", "argocd-accounts"} {
		s, err := env.Client.Typed.CoreV1().Secrets(kc).Get(c, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if s.Immutable == nil || !*s.Immutable {
			t.Errorf("Secret %s is not immutable: a second reconcile could generate it again", name)
		}
	}
	if again := data(kc, "keycloak-clients"); !maps.Equal(again, clients) {
		t.Errorf("keycloak-clients changed after it was Ready (keys %v)", keys(again))
	}

	if _, err := env.Client.WaitFor(c, kube.GVR("external-secrets.io", "v1", "externalsecrets"), other, "backstage-oidc",
		"ExternalSecret of a namespace the store is not open to to fail", condition("Ready", "False", "")); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Client.Typed.CoreV1().Secrets(other).Get(c, "backstage-oidc", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("a namespace the store is not open to got Backstage's client secret (%v)", err)
	}
}

// keys are the sorted keys of m: what a test may print of a Secret.
func keys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}
