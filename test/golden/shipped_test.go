package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/catalog"
	"github.com/fleetup/fleetup/internal/helm"
	"github.com/fleetup/fleetup/internal/plan"
	sigsyaml "sigs.k8s.io/yaml"
)

// The shipped catalog as the hub gets it: the repository's own config.yaml,
// packages/ and fleet/, in one routing mode.

// shippedRepo copies config.yaml, packages/ and fleet/ with config.yaml's
// path_routing set, then applies edits (file relative to the copy's root
// -> new content from old).
func shippedRepo(t *testing.T, pathRouting bool, edits map[string]func(string) string) string {
	t.Helper()
	dir := t.TempDir()
	for _, sub := range []string{"packages", "fleet"} {
		if err := os.CopyFS(filepath.Join(dir, sub), os.DirFS(filepath.Join(repoDir, sub))); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := os.ReadFile(filepath.Join(repoDir, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	const line = `path_routing: "true"`
	if !strings.Contains(string(cfg), line) {
		t.Fatalf("config.yaml has no line %s", line)
	}
	s := strings.Replace(string(cfg), line, fmt.Sprintf("path_routing: %q", fmt.Sprint(pathRouting)), 1)
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	editFiles(t, dir, edits)
	return dir
}

// hubObjects is what the hub's addons from this repository put into the
// cluster: each chart directory rendered by fleetup's engine with the
// values its Application gets (its values.yaml, then its valuesObject as
// the cluster generator resolves it for the hub) and checked against the
// real `helm template`, and each manifests directory as written. Charts
// from chart repositories are not here: the tests cannot download them.
func hubObjects(t *testing.T, bin, dir string, p *plan.Plan) map[string]map[string]any {
	t.Helper()
	hub := plan.HubCluster(p.Config, p.Catalog)
	out := map[string]map[string]any{}
	add := func(from string, objs map[string]map[string]any) {
		for k, o := range objs {
			if _, dup := out[k]; dup {
				t.Fatalf("%s: %s is made by two addons", from, k)
			}
			out[k] = o
		}
	}
	// render renders a chart directory of the repository with valuesObject
	// resolved for the hub, by fleetup's engine and by `helm template`.
	render := func(from, chartPath, release, ns string, valuesObject map[string]any) map[string]map[string]any {
		vals, err := catalog.ResolveValues(from, valuesObject, hub)
		if err != nil {
			t.Fatal(err)
		}
		ms, err := helm.Render(filepath.Join(dir, chartPath), release, ns, vals)
		if err != nil {
			t.Fatalf("%s: %v", from, err)
		}
		got := objects(t, "fleetup", ms)
		data, err := sigsyaml.Marshal(vals)
		if err != nil {
			t.Fatal(err)
		}
		file := strings.ReplaceAll(from, "/", "_") + "-valuesObject.yaml" // helmTemplate takes it relative to dir
		if err := os.WriteFile(filepath.Join(dir, file), data, 0o644); err != nil {
			t.Fatal(err)
		}
		// The chart's values.yaml is the Application's value file and
		// the chart's own defaults at once; valuesObject goes on top.
		compare(t, got, helmTemplate(t, bin, dir, chartPath, release, ns, file))
		return got
	}
	for _, a := range p.Catalog.Installed() {
		if src := a.Source(); src.Kind == catalog.SourceGitChart {
			add(a.Name, render(a.Name, src.Path, a.Release(), a.TargetNamespace(), a.ValuesObject))
		}
		for i, r := range a.ChartResources() {
			from := fmt.Sprintf("%s/additionalResources[%d]", a.Name, i)
			add(from, render(from, r.Path, r.Release(a.Name, p.Config.ClusterName), a.TargetNamespace(), r.ValuesObject))
		}
		ms, err := plan.ReadManifests(p.Catalog.PackagesDir, a.ManifestDirs())
		if err != nil {
			t.Fatalf("%s: %v", a.Name, err)
		}
		add(a.Name, objects(t, a.Name+" manifests", ms))
	}
	return out
}

// ofKind are the objects of one kind, in name order.
func ofKind(objs map[string]map[string]any, apiVersion, kind string) []map[string]any {
	var out []map[string]any
	for _, k := range names(objs) {
		if o := objs[k]; o["apiVersion"] == apiVersion && o["kind"] == kind {
			out = append(out, o)
		}
	}
	return out
}
