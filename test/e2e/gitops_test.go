package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/argocd"
	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/test/envtest"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// commitCatalog rewrites the flow's catalog with edit and commits it, as a
// user pushing to the platform repository.
func commitCatalog(t *testing.T, p *platform, msg string, edit func(string) string) {
	t.Helper()
	file := filepath.Join(p.RepoDir, "packages", "addons", "values.yaml")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	after := edit(string(data))
	if after == string(data) {
		t.Fatalf("%s: the edit changed nothing", msg)
	}
	writeFile(t, file, after)
	envtest.Commit(t, p.RepoDir, msg)
}

// waitApplication waits, with a watch, until the Application named is in
// the state cond wants (nil: gone).
func waitApplication(t testing.TB, ctx context.Context, name, what string, cond kube.Condition) {
	t.Helper()
	if _, err := env.Client.WaitFor(ctx, kube.Applications, "argocd", name, what, cond); err != nil {
		t.Fatal(err)
	}
}

// A commit after the hand-off reaches the cluster with no fleetup run: a
// chart version bump and a new addon roll out, and removing the addon from
// the catalog removes its ApplicationSet.
func TestCommitReachesClusterWithoutFleetup(t *testing.T) {
	env.Need(t)
	p := newPlatform(t, options{})
	if _, err := p.install(timeout(t, 8*time.Minute), t, nil); err != nil {
		t.Fatalf("install: %v", err)
	}
	requireHealthy(t, p)

	// left 0.2.0 in the chart repository; extra is a chart directory in
	// Git, with no `type` (a chart, as CNOE's).
	charts := t.TempDir()
	if err := workloadChart(filepath.Join(charts, "left"), "left"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(charts, "left", "Chart.yaml"), "apiVersion: v2\nname: left\nversion: 0.2.0\n")
	p.Charts.Add(t, filepath.Join(charts, "left"))
	if err := workloadChart(filepath.Join(p.RepoDir, "packages", "extra"), "extra"); err != nil {
		t.Fatal(err)
	}
	extraValues := filepath.Join(p.RepoDir, "packages", "extra", "values.yaml")
	writeFile(t, extraValues, "podAnnotations: {e2e.fleetup.dev/probe: \"1\"}\nreplicas: 1\nprogressDeadlineSeconds: 600\n")
	// extra syncs by server-side apply, so Argo CD also compares it
	// server-side (the appset chart's compare-options).
	extra := fmt.Sprintf("extra:\n  enabled: true\n  namespace: %s-extra\n  path: packages/extra\n  dependsOn: [left]\n"+
		"  syncPolicy:\n    automated: {selfHeal: true}\n    syncOptions: [CreateNamespace=true, ServerSideApply=true]\n", p.NS)
	commitCatalog(t, p, "left 0.2.0 and a new addon", func(s string) string {
		i := strings.Index(s, "\nleft:\n")
		j := i + strings.Index(s[i:], `defaultVersion: "0.1.0"`)
		return s[:j] + `defaultVersion: "0.2.0"` + s[j+len(`defaultVersion: "0.1.0"`):] + "\n" + extra
	})

	ctx := timeout(t, 4*time.Minute)
	healthyAt := func(version string) kube.Condition {
		return func(u *unstructured.Unstructured) (bool, error) {
			if u == nil {
				return false, nil
			}
			srcs, _, _ := unstructured.NestedSlice(u.Object, "spec", "sources")
			for _, s := range srcs {
				m, _ := s.(map[string]any)
				if m["chart"] != nil && m["targetRevision"] != version {
					return false, nil
				}
			}
			return argocd.Read(u).Healthy(), nil
		}
	}
	waitApplication(t, ctx, argocd.ApplicationName("left", p.Cluster), "left at chart 0.2.0, Healthy", healthyAt("0.2.0"))
	waitApplication(t, ctx, argocd.ApplicationName("extra", p.Cluster), "the new addon extra Healthy", healthyAt(""))
	if _, err := env.Client.Get(ctx, actions.Ref("apps/v1", "Deployment", p.NS+"-extra", "extra")); err != nil {
		t.Errorf("extra's Deployment: %v", err)
	}
	if app, _ := env.Client.Get(ctx, argocd.ApplicationRef("argocd", argocd.ApplicationName("extra", p.Cluster))); app == nil || app.GetAnnotations()["argocd.argoproj.io/compare-options"] != "ServerSideDiff=true" {
		t.Error("extra syncs by server-side apply but its Application is not compared server-side")
	}
	// A field removed in Git goes from the cluster: a server-side diff
	// sees the removal (the field is Argo CD's under server-side apply).
	writeFile(t, extraValues, "podAnnotations: {}\nreplicas: 1\nprogressDeadlineSeconds: 600\n")
	envtest.Commit(t, p.RepoDir, "extra without its probe annotation")
	probe := actions.Ref("apps/v1", "Deployment", p.NS+"-extra", "extra")
	if _, err := env.Client.WaitFor(ctx, kube.GVR("apps", "v1", "deployments"), p.NS+"-extra", "extra", "the removed pod annotation gone", func(u *unstructured.Unstructured) (bool, error) {
		if u == nil {
			return false, nil
		}
		_, found, _ := unstructured.NestedString(u.Object, "spec", "template", "metadata", "annotations", "e2e.fleetup.dev/probe")
		return !found, nil
	}); err != nil {
		cur, _ := env.Client.Get(context.Background(), probe)
		app, _ := env.Client.Get(context.Background(), argocd.ApplicationRef("argocd", argocd.ApplicationName("extra", p.Cluster)))
		var tpl, st any
		if cur != nil {
			tpl = cur.Object["spec"].(map[string]any)["template"]
		}
		if app != nil {
			st = app.Object["status"]
		}
		t.Fatalf("%v\nthe Deployment's pod template: %v\nthe Application's status: %v", err, tpl, st)
	}
	// and the server-side diff then finds it in sync at that commit, the
	// new pods rolled out.
	head := envtest.Head(t, p.RepoDir)
	waitApplication(t, ctx, argocd.ApplicationName("extra", p.Cluster), "extra Synced and Healthy at the commit without the annotation", func(u *unstructured.Unstructured) (bool, error) {
		ok, err := healthyAt("")(u)
		return ok && strings.Contains(argocd.Read(u).Revision, head), err
	})

	// fleetup sees the platform as it now is.
	st, code := p.status(t)
	if code != 0 || !st.HandOff || st.Catalog.State != "healthy" {
		t.Errorf("status after the commits: exit %d, handOff %v, catalog %+v", code, st.HandOff, st.Catalog)
	}

	commitCatalog(t, p, "remove extra", func(s string) string { return strings.Replace(s, "\n"+extra, "", 1) })
	set := actions.Ref(argocd.APIVersion, "ApplicationSet", "argocd", p.Cluster+"-extra")
	if err := env.Client.WaitGone(ctx, set); err != nil {
		cur, _ := env.Client.Get(context.Background(), set)
		cat, _ := env.Client.Get(context.Background(), argocd.ApplicationRef("argocd", argocd.ApplicationName("fleetup-catalog", p.Cluster)))
		var meta, catStatus any
		if cur != nil {
			meta = cur.Object["metadata"]
		}
		if cat != nil {
			catStatus = cat.Object["status"]
		}
		t.Fatalf("the ApplicationSet of the removed addon: %v\nits metadata: %v\nthe catalog's status: %v", err, meta, catStatus)
	}
	waitApplication(t, ctx, argocd.ApplicationName("extra", p.Cluster), "the Application of the removed addon to go", func(u *unstructured.Unstructured) (bool, error) { return u == nil, nil })
	// preserveResourcesOnDeletion false (the shipped default): its
	// resources go with it.
	if err := env.Client.WaitGone(ctx, actions.Ref("apps/v1", "Deployment", p.NS+"-extra", "extra")); err != nil {
		t.Errorf("the removed addon's Deployment: %v", err)
	}

	if _, err := p.uninstall(timeout(t, 6*time.Minute), t, nil); err != nil {
		t.Fatalf("uninstall: %v", err)
	}
	requireGone(t, p)
}
