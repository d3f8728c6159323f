package e2e

import (
	"context"
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/argocd"
	"github.com/fleetup/fleetup/internal/cli"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	"github.com/fleetup/fleetup/internal/report"
	"github.com/fleetup/fleetup/internal/status"
	"golang.org/x/crypto/bcrypt"
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
	p, pl, before := setUpShipped(t)
	rec := &report.Recorder{}
	out, err := p.install(timeout(t, 15*time.Minute), t, func(in *cli.Install) { in.Global.Observe = rec })
	if err != nil {
		dumpApplications(t, p)
		t.Fatalf("install: %v", err)
	}
	requireShippedHealthy(t, p, pl)
	for _, want := range []string{"keycloak", "backstage", "argo-workflows", "crossplane-aws", "cloudnative-pg"} {
		if !slices.Contains(installedAddons(pl), want) {
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

	users := requireShippedSecrets(t, out)

	// What users ask for next: every UI's URL, read from the cluster's
	// routes, and the credentials, masked unless --show.
	g := func(output string) (*cli.Global, *syncBuffer) {
		out := &syncBuffer{}
		return &cli.Global{ConfigFile: p.Config, Kubeconfig: env.Kubeconfig, Output: output, Stdout: out, Stderr: out}, out
	}
	ug, uout := g("json")
	if err := (&cli.URLs{Global: ug}).Run(timeout(t, 2*time.Minute)); err != nil {
		t.Fatalf("urls: %v\n%s", err, uout)
	}
	var rep cli.URLsReport
	if err := json.Unmarshal([]byte(uout.String()), &rep); err != nil {
		t.Fatalf("urls -o json: %v\n%s", err, uout)
	}
	var got []string
	for _, ui := range rep.UIs {
		if ui.Accepted == "true" && ui.TLS {
			got = append(got, ui.URL)
		}
	}
	d := pl.Config.Domain
	for _, want := range []string{"https://" + d + "/argocd", "https://" + d + "/keycloak", "https://" + d + "/", "https://" + d + "/argo-workflows"} {
		if !slices.Contains(got, want) {
			t.Errorf("urls: no accepted HTTPS route at %s; got %v", want, got)
		}
	}
	for _, show := range []bool{false, true} {
		sg, sout := g("text")
		if err := (&cli.Secrets{Global: sg, Addons: []string{"keycloak"}, Show: show}).Run(timeout(t, 2*time.Minute)); err != nil {
			t.Fatalf("secrets keycloak (--show %v): %v\n%s", show, err, sout)
		}
		for _, name := range []string{"admin  temp-admin", "user1  user1", "user2  user2"} {
			if !strings.Contains(sout.String(), name) {
				t.Errorf("secrets keycloak (--show %v) does not list %q", show, name)
			}
		}
		if shown := strings.Contains(sout.String(), users["USER1_PASSWORD"]); shown != show {
			t.Errorf("secrets keycloak (--show %v): user1's password shown: %v", show, shown)
		}
	}

	uninstallShipped(t, p, pl, before)
}

// setUpShipped starts the operators' stand-ins and makes the shipped
// flow; a failed test takes its platform down. before are the namespaces
// of the plan that existed already (the environment's argocd): kept.
func setUpShipped(t *testing.T) (p *platform, pl *plan.Plan, before map[string]bool) {
	t.Helper()
	startStandIns(t, platformStandIns())
	t.Cleanup(func() { // the stand-in package manager's CRD
		_ = env.Client.Dynamic.Resource(kube.GVR("apiextensions.k8s.io", "v1", "customresourcedefinitions")).
			Delete(context.Background(), "clusterproviderconfigs.aws.m.upbound.io", metav1.DeleteOptions{})
	})
	p = newShipped(t)
	pl = p.plan(t)
	// The catalog's namespaces and its StorageClass gp3 are fixed names: a
	// failed run takes its platform down (best effort, while the
	// stand-ins still run) so that the next run starts clean.
	t.Cleanup(func() {
		if t.Failed() {
			if _, err := p.uninstall(timeout(t, 10*time.Minute), t, nil); err != nil {
				t.Logf("clean up after the failure: %v", err)
			}
		}
	})
	before = map[string]bool{}
	for _, ns := range pl.Namespaces {
		_, err := env.Client.Typed.CoreV1().Namespaces().Get(context.Background(), ns, metav1.GetOptions{})
		before[ns] = exists(t, err)
	}
	return p, pl, before
}

// requireShippedHealthy: every addon's Application is Synced and Healthy.
func requireShippedHealthy(t *testing.T, p *platform, pl *plan.Plan) {
	t.Helper()
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
}

// requireShippedSecrets: the SSO client secrets and Backstage's Argo CD
// password were generated once and reached the namespaces that read them,
// and out (install's output) prints none of them; it returns the demo
// users' passwords.
func requireShippedSecrets(t *testing.T, out string) (users map[string]string) {
	t.Helper()
	ctx := context.Background()
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
	users = secret("keycloak", "keycloak-users")
	if got := secret("backstage", "backstage-oidc"); got["BACKSTAGE_CLIENT_SECRET"] == "" || got["BACKSTAGE_CLIENT_SECRET"] != clients["BACKSTAGE_CLIENT_SECRET"] {
		t.Errorf("backstage-oidc (keys %v) does not hold Keycloak's backstage client secret", slices.Sorted(maps.Keys(got)))
	}
	if got := secret("argo", "argo-server-sso"); got["client-id"] != "argo-workflows" || got["client-secret"] == "" || got["client-secret"] != clients["ARGO_WORKFLOWS_CLIENT_SECRET"] {
		t.Errorf("argo-server-sso (keys %v) does not hold Keycloak's argo-workflows client", slices.Sorted(maps.Keys(got)))
	}
	// Backstage's Argo CD account: its password reaches Backstage, its
	// hash Argo CD's argocd-secret.
	accounts := secret("keycloak", "argocd-accounts")
	if got := secret("backstage", "backstage-argocd"); got["ARGOCD_PASSWORD"] == "" || got["ARGOCD_PASSWORD"] != accounts["BACKSTAGE_PASSWORD"] {
		t.Errorf("backstage-argocd (keys %v) does not hold the backstage account's password", slices.Sorted(maps.Keys(got)))
	}
	if err := bcrypt.CompareHashAndPassword([]byte(secret("argocd", "argocd-secret")["accounts.backstage.password"]), []byte(accounts["BACKSTAGE_PASSWORD"])); err != nil {
		t.Errorf("argocd-secret: accounts.backstage.password: %v", err)
	}
	for _, m := range []map[string]string{clients, users, accounts} {
		for k, v := range m {
			if strings.Contains(out, v) {
				t.Errorf("install printed the value of %s", k)
			}
		}
	}
	return users
}

// uninstallShipped uninstalls the flow and checks that what the addons
// made is gone.
func uninstallShipped(t *testing.T, p *platform, pl *plan.Plan, before map[string]bool) {
	t.Helper()
	ctx := context.Background()
	apps := env.Client.Dynamic.Resource(kube.Applications).Namespace("argocd")
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
	// CloudNativePG's databases (the CRDs stay: --purge-crds would take
	// argoproj.io, argo-workflows' crdGroups, and with it the Application
	// CRD of the Argo CD every test here shares) and the namespaces the
	// install made.
	dbs, err := env.Client.Dynamic.Resource(kube.GVR("postgresql.cnpg.io", "v1", "clusters")).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, db := range dbs.Items {
		t.Errorf("after uninstall, CloudNativePG Cluster %s/%s is still there", db.GetNamespace(), db.GetName())
	}
	for _, ns := range pl.Namespaces {
		if before[ns] {
			continue
		}
		if _, err := env.Client.Typed.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("after uninstall, namespace %s: %v, want it gone", ns, err)
		}
	}
}

// TestShippedCatalogKilledThenRerun: an install killed (SIGKILL) as
// keycloak is switched on (its secrets being generated, its realm about
// to be imported) converges when run again: every addon healthy, the SSO
// secrets generated once and the same everywhere; uninstall removes it.
func TestShippedCatalogKilledThenRerun(t *testing.T) {
	env.Need(t)
	bin := fleetupBinary(t)
	p, pl, before := setUpShipped(t)
	keycloakOn := regexp.MustCompile(`addon keycloak +starting: switched on`)
	if !killWhen(t, bin, p, keycloakOn.MatchString, "install") {
		t.Fatal("install ended before keycloak was switched on")
	}
	if st, code := p.status(t); st.Phase != status.PhaseInstalling || code != 1 {
		t.Errorf("status after the kill: phase %s, exit %d; want installing, 1", st.Phase, code)
	}
	out, err := p.install(timeout(t, 15*time.Minute), t, nil)
	if err != nil {
		dumpApplications(t, p)
		t.Fatalf("rerun: %v", err)
	}
	requireShippedHealthy(t, p, pl)
	requireShippedSecrets(t, out)
	uninstallShipped(t, p, pl, before)
}
