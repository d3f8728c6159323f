package plan

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/config"
)

func dig2(t *testing.T, obj map[string]any, path ...string) any {
	t.Helper()
	v := dig(obj, path...)
	if v == nil {
		t.Fatalf("%s missing", strings.Join(path, "."))
	}
	return v
}

func TestCatalogApplicationRendersFromGit(t *testing.T) {
	p := build(t, nil)
	g := p.GitOps
	if g.Shape != ShapeFleetup || g.Application != "fleetup-catalog-hub" || len(g.Objects) != 1 {
		t.Fatalf("gitops: %+v", g)
	}
	app := g.Objects[0].Object
	srcs := dig2(t, app, "spec", "sources").([]any)
	chart, ref := srcs[0].(map[string]any), srcs[1].(map[string]any)
	if chart["repoURL"] != "https://github.com/org/platform" || chart["targetRevision"] != "HEAD" || chart["path"] != "packages/appset-chart" {
		t.Errorf("chart source: %v", chart)
	}
	helm := chart["helm"].(map[string]any)
	if helm["releaseName"] != AppSetRelease || !reflect.DeepEqual(helm["valueFiles"], []any{"$values/packages/addons/values.yaml"}) {
		t.Errorf("helm: %v", helm)
	}
	if _, ok := helm["valuesObject"]; ok {
		t.Errorf("valuesObject without overrides: %v", helm["valuesObject"])
	}
	if ref["ref"] != "values" || ref["repoURL"] != chart["repoURL"] {
		t.Errorf("values source: %v", ref)
	}
	if dig(app, "spec", "syncPolicy", "automated", "prune") != true {
		t.Error("the catalog Application does not prune: an addon removed from Git would keep its ApplicationSet")
	}
	if dig(app, "metadata", "finalizers") != nil {
		t.Error("the catalog Application has finalizers: deleting it would cascade to the ApplicationSets")
	}
	if p.ClusterSecret.Object == nil || dig(p.ClusterSecret.Object, "metadata", "labels", "fleetup.dev/hub") != "true" {
		t.Error("the hub cluster secret lacks fleetup.dev/hub")
	}
}

// config.yaml's addons section reaches Argo CD's render as valuesObject,
// so the ApplicationSets from Git equal the plan's.
func TestCatalogApplicationCarriesOverrides(t *testing.T) {
	p := build(t, func(s string) string {
		return s + "addons:\n  cert-manager:\n    version: v9.9.9\n    values: {replicaCount: 2}\n"
	})
	helm := dig(p.GitOps.Objects[0].Object, "spec", "sources").([]any)[0].(map[string]any)["helm"].(map[string]any)
	want := map[string]any{"cert-manager": map[string]any{"defaultVersion": "v9.9.9", "valuesObject": map[string]any{"replicaCount": int64(2)}}}
	got := helm["valuesObject"]
	if asJSON(t, got) != asJSON(t, want) {
		t.Errorf("valuesObject %#v, want %#v", got, want)
	}
	for _, m := range p.ApplicationSets {
		if m.Name == "cert-manager" {
			srcs := dig(m.Object, "spec", "template", "spec", "sources").([]any)
			if v := srcs[1].(map[string]any)["targetRevision"]; v != "v9.9.9" {
				t.Errorf("local render of cert-manager: version %v", v)
			}
		}
	}
}

// asJSON compares values whatever the Go types of their numbers.
func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// path_routing: "true" lays addons/path-routing-values.yaml over the
// catalog, as CNOE's addons-appset-pr: in the local render and in the
// value files Argo CD gets; with "false" the file is not used.
func TestPathRoutingValues(t *testing.T) {
	root, _ := filepath.Abs("../..")
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "packages"), os.DirFS(filepath.Join(root, "packages"))); err != nil {
		t.Fatal(err)
	}
	pr := "cert-manager:\n  valuesObject:\n    routedBy: path\n"
	if err := os.WriteFile(filepath.Join(dir, "packages", PathRoutingValues), []byte(pr), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, routing := range []string{"true", "false"} {
		cfg, err := config.Parse("config.yaml", dir, []byte("repo:\n  url: https://github.com/org/platform\ncluster_name: hub\nregion: eu-central-1\ndomain: platform.example.org\nauto_mode: false\npath_routing: \""+routing+"\"\n"))
		if err != nil {
			t.Fatal(err)
		}
		p := planOf(t, cfg)
		want := []string{"packages/addons/values.yaml"}
		if routing == "true" {
			want = append(want, "packages/"+PathRoutingValues)
		}
		if !reflect.DeepEqual(p.GitOps.ValueFiles, want) {
			t.Errorf("path_routing %s: value files %v, want %v", routing, p.GitOps.ValueFiles, want)
		}
		helm := dig(p.GitOps.Objects[0].Object, "spec", "sources").([]any)[0].(map[string]any)["helm"].(map[string]any)
		if n := len(helm["valueFiles"].([]any)); n != len(want) {
			t.Errorf("path_routing %s: the Application has %d value files", routing, n)
		}
		routed := false
		for _, m := range p.ApplicationSets {
			if m.Name == "cert-manager" {
				routed = strings.Contains(asJSON(t, m.Object), `"routedBy":"path"`)
			}
		}
		if routed != (routing == "true") {
			t.Errorf("path_routing %s: the path-routing values applied: %v", routing, routed)
		}
	}
}
