package e2e

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/argocd"
	"github.com/fleetup/fleetup/internal/cli"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/report"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestShippedCatalog: the shipped packages/ tree, as a user who starts
// from it gets it, installs on a hub in its dependency order (each addon
// switched on only once everything it depends on is healthy, health read
// by Argo CD from the status the operators' stand-ins write), the SSO
// client secrets the keycloak chart generates reach Backstage's and Argo
// Workflows' namespaces through the real External Secrets with no value
// printed, and uninstall removes all of it.
func TestShippedCatalog(t *testing.T) {
	env.Need(t)
	startStandIns(t, platformStandIns())
	t.Cleanup(func() { // the stand-in package manager's CRD
		_ = env.Client.Dynamic.Resource(kube.GVR("apiextensions.k8s.io", "v1", "customresourcedefinitions")).
			Delete(context.Background(), "clusterproviderconfigs.aws.m.upbound.io", metav1.DeleteOptions{})
	})
	p := newShipped(t)
	pl := p.plan(t)
	rec := &report.Recorder{}
	out, err := p.install(timeout(t, 15*time.Minute), t, func(in *cli.Install) { in.Global.Observe = rec })
	if err != nil {
		dumpApplications(t, p)
		t.Fatalf("install: %v", err)
	}
	ctx := context.Background()
	apps := env.Client.Dynamic.Resource(kube.Applications).Namespace("argocd")
	for _, a := range pl.Graph.Addons {
		obj, err := apps.Get(ctx, argocd.ApplicationName(a.Name, p.Cluster), metav1.GetOptions{})
		if err != nil {
			t.Errorf("addon %s: %v", a.Name, err)
			continue
		}
		if st := argocd.Read(obj); !st.Healthy() {
			t.Errorf("addon %s: %s", a.Name, st.Summary())
		}
	}
	for _, want := range []string{"keycloak", "backstage", "argo-workflows", "crossplane-aws", "cloudnative-pg"} {
		if !strings.Contains(strings.Join(installedAddons(pl), " "), want) {
			t.Errorf("the plan of the shipped catalog does not install %s", want)
		}
	}

	// Gated: an addon is switched on only after each of its dependencies
	// reported healthy.
	healthy := map[string]int{}
	for i, a := range rec.Addons() {
		if _, seen := healthy[a.Name]; !seen && a.State == report.AddonHealthy {
			healthy[a.Name] = i
		}
	}
	started := switchOrder(rec)
	for _, a := range pl.Graph.Addons {
		for _, dep := range a.DependsOn {
			h, ok := healthy[dep]
			if !ok || h > started[a.Name] {
				t.Errorf("%s started (report %d) before %s was healthy (report %d, seen %v)", a.Name, started[a.Name], dep, h, ok)
			}
		}
	}

	// The SSO client secrets: generated once in keycloak, copied to the
	// UIs' namespaces under the names and keys their charts read.
	secret := func(ns, name string) map[string]string {
		t.Helper()
		s, err := env.Client.Typed.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("Secret %s/%s: %v", ns, name, err)
		}
		m := map[string]string{}
		for k, v := range s.Data {
			m[k] = string(v)
		}
		return m
	}
	clients := secret("keycloak", "keycloak-clients")
	users := secret("keycloak", "keycloak-users")
	if got := secret("backstage", "backstage-oidc"); got["BACKSTAGE_CLIENT_SECRET"] == "" || got["BACKSTAGE_CLIENT_SECRET"] != clients["BACKSTAGE_CLIENT_SECRET"] {
		t.Errorf("backstage-oidc (keys %v) does not hold Keycloak's backstage client secret", slices.Sorted(maps.Keys(got)))
	}
	if got := secret("argo", "argo-server-sso"); got["client-id"] != "argo-workflows" || got["client-secret"] == "" || got["client-secret"] != clients["ARGO_WORKFLOWS_CLIENT_SECRET"] {
		t.Errorf("argo-server-sso (keys %v) does not hold Keycloak's argo-workflows client", slices.Sorted(maps.Keys(got)))
	}
	for _, m := range []map[string]string{clients, users} {
		for k, v := range m {
			if strings.Contains(out, v) {
				t.Errorf("install printed the value of %s", k)
			}
		}
	}

	if _, err := p.uninstall(timeout(t, 10*time.Minute), t, nil); err != nil {
		dumpApplications(t, p)
		t.Fatalf("uninstall: %v", err)
	}
	for _, a := range pl.Graph.Addons {
		if _, err := apps.Get(ctx, argocd.ApplicationName(a.Name, p.Cluster), metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("addon %s: its Application is still there (%v)", a.Name, err)
		}
	}
	// What the addons made is gone with them: Keycloak's database and
	// server, the store, the generated secrets, the default StorageClass.
	gone := []struct {
		what  string
		check func() error
	}{
		{"Keycloak keycloak/keycloak", func() error {
			_, err := env.Client.Dynamic.Resource(kube.GVR("k8s.keycloak.org", "v2beta1", "keycloaks")).Namespace("keycloak").Get(ctx, "keycloak", metav1.GetOptions{})
			return err
		}},
		{"ClusterSecretStore keycloak", func() error {
			_, err := env.Client.Dynamic.Resource(kube.GVR("external-secrets.io", "v1", "clustersecretstores")).Get(ctx, "keycloak", metav1.GetOptions{})
			return err
		}},
		{"Secret backstage/backstage-oidc", func() error {
			_, err := env.Client.Typed.CoreV1().Secrets("backstage").Get(ctx, "backstage-oidc", metav1.GetOptions{})
			return err
		}},
		{"StorageClass gp3", func() error {
			_, err := env.Client.Typed.StorageV1().StorageClasses().Get(ctx, "gp3", metav1.GetOptions{})
			return err
		}},
	}
	for _, g := range gone {
		if err := g.check(); !apierrors.IsNotFound(err) {
			t.Errorf("after uninstall, %s: %v, want it gone", g.what, err)
		}
	}
}
