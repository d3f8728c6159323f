package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/cli"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/status"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// crdYAML is a namespaced CRD of group with one served version, v1.
func crdYAML(plural, kind, group string) string {
	return stubCRD(group, "v1", kind, plural, "Namespaced")
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// noCRDGroups drops the catalog's crdGroups when none is wanted.
func noCRDGroups(t testing.TB, catalog string, none bool) string {
	t.Helper()
	if !none {
		return catalog
	}
	lines := strings.Split(catalog, "\n")
	kept := lines[:0]
	for _, l := range lines {
		if !strings.HasPrefix(strings.TrimSpace(l), "crdGroups:") {
			kept = append(kept, l)
		}
	}
	if len(kept) == len(lines) {
		t.Fatal("fixture: the catalog has no crdGroups line to drop")
	}
	return strings.Join(kept, "\n")
}

// coreCRDs gives argo-cd bootstrap manifests (packages/argo-cd/manifests)
// when wanted: fleetup applies them itself, and Argo CD with the addon.
func coreCRDs(t testing.TB, catalog string, want bool) string {
	t.Helper()
	const argocd = "argocd:\n  enabled: true\n"
	if !want {
		return catalog
	}
	if !strings.Contains(catalog, argocd) {
		t.Fatal("fixture: the catalog has no argocd entry")
	}
	return strings.Replace(catalog, argocd, argocd+"  additionalResources:\n    - {type: manifests, manifestPath: manifests}\n", 1)
}

func crdRef(name string) *unstructured.Unstructured {
	return actions.Ref("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", name)
}

// getCRD reads a CRD; nil when it does not exist.
func getCRD(t *testing.T, name string) *unstructured.Unstructured {
	t.Helper()
	cur, err := env.Client.Get(context.Background(), crdRef(name))
	if err != nil {
		t.Fatal(err)
	}
	return cur
}

// TestUninstallPurgeCRDsWithoutCRDGroups: a catalog without crdGroups, as
// every CNOE fork. install creates the argo-cd chart's crds/ CRD itself,
// with fleetup's labels, and leaves the one that existed before alone;
// uninstall --purge-crds removes what fleetup installed (that CRD, the
// bootstrap CRD, the CRD the base addon's Application applied) and keeps
// the CRD of the same group someone else created.
func TestUninstallPurgeCRDsWithoutCRDGroups(t *testing.T) {
	env.Need(t)
	p := newPlatform(t, options{NoCRDGroups: true, CoreCRDs: true})
	ctx := context.Background()
	group := p.Cluster + ".e2e.fleetup.dev"
	// Someone else's CRD of the flow's group, also in the argo-cd chart's
	// crds/: Helm would skip it, and so does fleetup.
	foreign, err := kube.DecodeYAML([]byte(crdYAML("sprockets", "Sprocket", group)))
	if err != nil {
		t.Fatal(err)
	}
	created, err := env.Client.Dynamic.Resource(kube.CRDs).Create(ctx, foreign[0], metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		env.Client.Dynamic.Resource(kube.CRDs).Delete(context.Background(), created.GetName(), metav1.DeleteOptions{})
	})
	chart, bootstrap, addon := "gadgets."+group, "doohickeys."+group, "widgets."+group

	if _, err := p.install(timeout(t, 8*time.Minute), t, nil); err != nil {
		t.Fatalf("install: %v", err)
	}
	if c := getCRD(t, chart); !actions.Owner.Owns(c) || c.GetAnnotations()[actions.ReleaseAnnotation] != "argocd/argocd-"+p.Cluster {
		t.Errorf("the chart's CRD fleetup created lacks its labels or release: %v", c)
	}
	if c := getCRD(t, created.GetName()); c == nil || actions.Owner.Owns(c) || c.GetAnnotations()[actions.ReleaseAnnotation] != "" {
		t.Errorf("the CRD that existed before was taken over: %v", c)
	}
	if getCRD(t, addon) == nil || getCRD(t, bootstrap) == nil {
		t.Fatal("install did not create the base addon's or the bootstrap CRD")
	}

	out, err := p.uninstall(timeout(t, 5*time.Minute), t, func(u *cli.Uninstall) { u.PurgeCRDs = true })
	if err != nil {
		t.Fatalf("uninstall --purge-crds: %v", err)
	}
	for _, name := range []string{chart, bootstrap, addon} {
		if getCRD(t, name) != nil {
			t.Errorf("CRD %s survived --purge-crds", name)
		}
	}
	if c := getCRD(t, created.GetName()); c == nil || c.GetUID() != created.GetUID() {
		t.Errorf("someone else's CRD %s was deleted", created.GetName())
	}
	if !strings.Contains(out, "3 CRDs deleted") {
		t.Error("purge-crds does not report the three CRDs")
	}
	requireGone(t, p)
}

// TestUninstallKilledThenPurgeCRDs: an uninstall without --purge-crds
// killed right after it removed the addons has lost their Applications,
// the one record of which CRDs they applied; the rerun with --purge-crds
// still removes the base addon's CRD, from the install record.
func TestUninstallKilledThenPurgeCRDs(t *testing.T) {
	env.Need(t)
	bin := fleetupBinary(t)
	p := newPlatform(t, options{NoCRDGroups: true})
	if _, err := p.install(timeout(t, 8*time.Minute), t, nil); err != nil {
		t.Fatalf("install: %v", err)
	}
	addon := "widgets." + p.Cluster + ".e2e.fleetup.dev"
	if !killAt(t, bin, p, "step  detach ", "uninstall") {
		t.Fatal("uninstall finished before remove-addons did")
	}
	if st, _ := p.status(t); st.Phase != status.PhaseUninstalling {
		t.Errorf("status after the kill: phase %s", st.Phase)
	}
	_, err := env.Client.Dynamic.Resource(kube.Applications).Namespace("argocd").Get(context.Background(), "base-"+p.Cluster, metav1.GetOptions{})
	if exists(t, err) {
		t.Fatal("the base addon's Application survived remove-addons")
	}
	if getCRD(t, addon) == nil {
		t.Fatal("the base addon's CRD went with its Application")
	}

	if _, err := p.uninstall(timeout(t, 5*time.Minute), t, func(u *cli.Uninstall) { u.PurgeCRDs = true }); err != nil {
		t.Fatalf("rerun --purge-crds: %v", err)
	}
	if getCRD(t, addon) != nil {
		t.Errorf("CRD %s survived the rerun with --purge-crds", addon)
	}
	requireGone(t, p)
}
