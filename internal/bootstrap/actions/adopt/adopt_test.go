package adopt

import (
	"strings"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/catalog"
	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/helm"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func namespace(name string, managers ...metav1.ManagedFieldsEntry) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, ManagedFields: managers}}
}

func entry(manager string, at time.Time) metav1.ManagedFieldsEntry {
	t := metav1.NewTime(at)
	return metav1.ManagedFieldsEntry{Manager: manager, Operation: metav1.ManagedFieldsOperationUpdate, Time: &t}
}

// Only a namespace the platform's installer made is fleetup's to take:
// Helm's --create-namespace or Argo CD's CreateNamespace=true. One that
// was there before (kubectl, Terraform, a cluster's own) stays.
func TestMadeForPlatform(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		ns      *corev1.Namespace
		creator string
		want    bool
	}{
		{namespace("argocd", entry("helm", t0)), "helm", true},
		{namespace("team-a", entry("argocd-controller", t0)), "argocd-controller", true},
		// Labelled later by Argo CD: made by kubectl all the same.
		{namespace("team-b", entry("argocd-controller", t0.Add(time.Hour)), entry("kubectl-create", t0)), "kubectl-create", false},
		{namespace("team-c", entry("kubectl-client-side-apply", t0)), "kubectl-client-side-apply", false},
		{namespace("team-d"), "", false},
		// Every cluster has it, whoever touched it first.
		{namespace("kube-system", entry("helm", t0)), "helm", false},
	} {
		if got := Creator(c.ns); got != c.creator {
			t.Errorf("Creator(%s) = %q, want %q", c.ns.Name, got, c.creator)
		}
		if got := MadeForPlatform(c.ns); got != c.want {
			t.Errorf("MadeForPlatform(%s) = %v, want %v", c.ns.Name, got, c.want)
		}
	}
}

func sample() *Takeover {
	return &Takeover{
		Releases:     []Item{{What: "Helm release argocd/argocd", Detail: "chart argo-cd 7.8.0, deployed"}},
		Namespaces:   []Item{{What: "Namespace argocd", Detail: "made by helm"}, {What: "Namespace cert-manager", Detail: "made by argocd-controller"}},
		Objects:      []Item{{What: "ExternalSecret argocd/hub-cluster-secret"}, {What: "ApplicationSet argocd/addons-appset"}},
		Applications: []Item{{What: "Application argocd/cert-manager-hub", Detail: "Synced, Healthy"}},
		Kept:         []Item{{What: "Namespace kube-system", Detail: "made by kube-apiserver"}},
	}
}

// Without --adopt, preflight lists each release and object, then says that
// --adopt takes them over, naming the namespaces it would take too.
func TestConflicts(t *testing.T) {
	got := sample().Conflicts()
	want := []string{
		"Helm release argocd/argocd exists and was not installed by fleetup (chart argo-cd 7.8.0, deployed; its release record has no fleetup.dev/managed label)",
		"ExternalSecret argocd/hub-cluster-secret exists and was not created by fleetup (no fleetup.dev/managed label)",
		"ApplicationSet argocd/addons-appset exists and was not created by fleetup (no fleetup.dev/managed label)",
		"1 Helm release and 2 objects exist without fleetup's ownership (CNOE's install.sh made them, or someone by hand): `fleetup install --adopt` takes them over in place after listing exactly what it takes over and asking, and redeploys nothing; it also takes over 2 namespaces made for the platform: argocd, cert-manager; otherwise remove them, or rename them in the packages tree",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Conflicts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Namespaces alone are no conflict: a namespace may exist before any
	// install.
	if c := (&Takeover{Namespaces: sample().Namespaces}).Conflicts(); c != nil {
		t.Errorf("namespaces alone: %v", c)
	}
	if c := (*Takeover)(nil).Conflicts(); c != nil {
		t.Errorf("nil: %v", c)
	}
}

// The approval shows every item, by kind, with what install does to it.
func TestPrompt(t *testing.T) {
	want := `and take over, in place, what exists without fleetup (--adopt; no addon is redeployed):
  Helm releases, upgraded in place with the plan's chart and values and recorded as fleetup's (never reinstalled):
    Helm release argocd/argocd (chart argo-cd 7.8.0, deployed)
  namespaces made for the platform, labelled as fleetup's (uninstall deletes them as namespaces fleetup created):
    Namespace argocd (made by helm)
    Namespace cert-manager (made by argocd-controller)
  objects, given fleetup's labels (server-side apply, field manager fleetup), then applied as planned:
    ExternalSecret argocd/hub-cluster-secret
    ApplicationSet argocd/addons-appset
  Applications, left as they are (fleetup's through their ApplicationSets; never deleted or recreated):
    Application argocd/cert-manager-hub (Synced, Healthy)
  namespaces that existed before the platform, left as they are (not fleetup's; uninstall keeps them):
    Namespace kube-system (made by kube-apiserver)
`
	if got := sample().Prompt(); got != want {
		t.Errorf("Prompt:\n%s\nwant:\n%s", got, want)
	}
	if got := (&Takeover{Applications: sample().Applications}).Prompt(); !strings.Contains(got, "nothing to take over") {
		t.Errorf("empty takeover: %q", got)
	}
	if got := (*Takeover)(nil).Prompt(); got != "" {
		t.Errorf("without --adopt: %q", got)
	}
	if got := sample().Count(); got != "1 Helm release, 2 namespaces, 2 objects" {
		t.Errorf("Count: %q", got)
	}
}

// Objects are the plan's own lists: the bootstrap manifests (CRDs and
// namespaces included), the store objects, the cluster secret, the
// hand-off objects and the ApplicationSets, each once.
func TestObjects(t *testing.T) {
	m := func(apiVersion, kind, ns, name string) helm.Manifest {
		md := map[string]any{"name": name}
		if ns != "" {
			md["namespace"] = ns
		}
		return helm.FromObject(map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": md})
	}
	cfg := &config.Config{ClusterName: "hub"}
	cfg.Secrets.Backend = "aws-secretsmanager"
	p := &plan.Plan{
		Config:  cfg,
		Catalog: &catalog.Catalog{},
		Bootstrap: []helm.Manifest{
			m("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", "widgets.example.com"),
			m("v1", "Namespace", "", "platform"),
			m("argoproj.io/v1alpha1", "AppProject", "argocd", "platform"),
		},
		Secrets:         plan.Secrets{Store: []helm.Manifest{m("external-secrets.io/v1", "ClusterSecretStore", "", "aws-secretsmanager")}},
		ClusterSecret:   m("v1", "Secret", "argocd", "cluster-hub"),
		GitOps:          plan.GitOps{Objects: []helm.Manifest{m("argoproj.io/v1alpha1", "ApplicationSet", "argocd", "addons-appset")}},
		ApplicationSets: []helm.Manifest{m("argoproj.io/v1alpha1", "ApplicationSet", "argocd", "cert-manager"), m("argoproj.io/v1alpha1", "ApplicationSet", "argocd", "addons-appset")},
	}
	var got []string
	for _, o := range Objects(p) {
		got = append(got, kube.Describe(o))
	}
	want := []string{
		"CustomResourceDefinition widgets.example.com",
		"Namespace platform",
		"ApplicationSet argocd/addons-appset",
		"Secret argocd/cluster-hub",
		"AppProject argocd/platform",
		"ClusterSecretStore aws-secretsmanager",
		"ApplicationSet argocd/cert-manager",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Objects:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A release is upgraded in place, never reinstalled: one whose first
// install never finished, or that is going or gone, is refused.
func TestUnadoptable(t *testing.T) {
	for status, ok := range map[string]bool{"deployed": true, "failed": true, "pending-upgrade": true, "pending-rollback": true, "superseded": true, "pending-install": false, "uninstalling": false, "uninstalled": false} {
		if got := unadoptable(status) == ""; got != ok {
			t.Errorf("%s: takeable %v, want %v (%q)", status, got, ok, unadoptable(status))
		}
	}
}
