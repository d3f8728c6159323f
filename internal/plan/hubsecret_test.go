package plan

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/catalog"
	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/redact"
)

func TestForkHubSecret(t *testing.T) {
	for _, tc := range []struct {
		dir, name, madeBy string
		warn              bool
	}{
		{dir: "argo-cd", name: "hub-target", madeBy: "ExternalSecret argocd/hub-es", warn: true},
		{dir: "plain", name: "in-cluster", madeBy: "packages/plain/manifests/hub.yaml"},
		{dir: "spoke"},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			ms, err := ReadManifests("testdata/hubsecret/packages", []string{tc.dir + "/manifests"})
			if err != nil {
				t.Fatal(err)
			}
			h, ok := forkHubSecret(ms)
			if ok != (tc.name != "") || h.Name != tc.name {
				t.Fatalf("forkHubSecret = %+v, %v; want name %q", h, ok, tc.name)
			}
			if !ok {
				return
			}
			if h.Namespace != "argocd" || !strings.Contains(h.MadeBy, tc.madeBy) || h.Fleetup() {
				t.Errorf("hub secret %+v", h)
			}
			if got := len(h.Warnings) > 0; got != tc.warn {
				t.Errorf("warnings %v, want some: %v", h.Warnings, tc.warn)
			}
		})
	}
}

// A packages tree that makes its own hub secret gets none from fleetup, and
// the plan names the fork's as the one to switch on, in text and JSON.
func TestPlanUsesForkHubSecret(t *testing.T) {
	root, _ := filepath.Abs("../..")
	tmp := t.TempDir()
	if err := os.CopyFS(filepath.Join(tmp, "packages"), os.DirFS(filepath.Join(root, "packages"))); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("testdata/hubsecret/packages/argo-cd/manifests/hub.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(tmp, "packages", "argo-cd", "manifests")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "hub.yaml"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse("config.yaml", tmp, []byte("repo:\n  url: https://github.com/org/platform\ncluster_name: hub\nregion: eu-central-1\ndomain: platform.example.org\npath_routing: \"false\"\nauto_mode: false\n"))
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if a := cat.ByChart(ArgoCDChart); a == nil || len(a.ManifestDirs()) == 0 {
		t.Skip("the shipped argo-cd addon reads no manifests directory")
	}
	p, err := Build(cfg, cat, &redact.Redactor{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.ClusterSecret.Object != nil || p.HubSecret.Name != "hub-target" || p.HubSecret.Namespace != "argocd" {
		t.Fatalf("cluster secret %v, hub %+v", p.ClusterSecret.Object, p.HubSecret)
	}
	js, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(js), `"clusterSecret"`) || !strings.Contains(string(js), `"hubClusterSecret":{"name":"hub-target"`) {
		t.Errorf("JSON plan: %s", js)
	}
	var b strings.Builder
	if err := p.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "Secret argocd/hub-target, made by the packages tree's ExternalSecret argocd/hub-es") {
		t.Errorf("text plan:\n%s", b.String())
	}
}

// The shipped tree has no hub secret of its own: fleetup makes it.
func TestPlanMakesHubSecret(t *testing.T) {
	p := build(t, nil)
	if !p.HubSecret.Fleetup() || p.HubSecret.Name != ClusterSecretName("hub") || p.ClusterSecret.Object == nil {
		t.Errorf("hub %+v", p.HubSecret)
	}
}

// The CNOE reference implementation, when unpacked at /tmp/cnoe.
func TestCNOEHubSecret(t *testing.T) {
	p := cnoePlan(t)
	if p.ClusterSecret.Object != nil || p.HubSecret.Name != "hub-cluster" {
		t.Errorf("hub %+v", p.HubSecret)
	}
	// Its own ClusterSecretStore replaces fleetup's.
	if p.Secrets.StoreFrom == "" || len(p.Secrets.Store) != 0 {
		t.Errorf("store %v from %q", p.Secrets.Store, p.Secrets.StoreFrom)
	}
}
