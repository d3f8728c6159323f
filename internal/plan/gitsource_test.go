package plan

import (
	"os"
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/config"
)

// gitSourceCatalog is two addons from Git repositories of their own, as
// a user adds an operator published as manifests (the Keycloak operator's
// keycloak-k8s-resources at a release tag) and a chart kept in a Git
// repository rather than a chart repository.
const gitSourceCatalog = `
sso-operator:
  enabled: true
  namespace: keycloak
  gitRepository: https://github.com/keycloak/keycloak-k8s-resources
  path: kubernetes
  defaultVersion: "26.4.5"
  type: manifests
  dependsOn: [cert-manager]
  crdGroups: [k8s.keycloak.org]
in-git-chart:
  enabled: true
  gitRepository: git@git.example.test:platform/charts.git
  path: charts/in-git
  defaultVersion: v1.2.3
  valuesObject: {replicas: 2}
`

// TestGitSourceApplications: an addon from a Git repository of its own
// is rendered from that repository at its pinned tag, plain manifests
// without a helm block, a chart with its values; the plan lists the
// source.
func TestGitSourceApplications(t *testing.T) {
	dir, file, b := packagesCopy(t)
	if err := os.WriteFile(file, append(b, gitSourceCatalog...), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse("config.yaml", dir, []byte("repo:\n  url: https://github.com/org/platform\ncluster_name: hub\nregion: eu-central-1\ndomain: platform.example.org\nauto_mode: true\n"))
	if err != nil {
		t.Fatal(err)
	}
	p := planOf(t, cfg)
	cl := HubCluster(cfg, p.Catalog)
	found := 0
	for _, m := range p.ApplicationSets {
		if m.Name != "sso-operator" && m.Name != "in-git-chart" {
			continue
		}
		found++
		var cat []any
		for _, s := range dig(appSetApplication(t, m.Object, cl), "spec", "sources").([]any) {
			cat = append(cat, s)
		}
		src := cat[1].(map[string]any)
		switch m.Name {
		case "sso-operator":
			if src["repoURL"] != "https://github.com/keycloak/keycloak-k8s-resources" || src["targetRevision"] != "26.4.5" || src["path"] != "kubernetes" {
				t.Errorf("sso-operator source: %v", src)
			}
			if _, ok := src["helm"]; ok {
				t.Errorf("plain manifests rendered with a helm block: %v", src)
			}
			if v := dig(m.Object, "spec", "template", "metadata", "labels", "addonVersion"); v != "26.4.5" {
				t.Errorf("sso-operator addonVersion label %v, want its tag", v)
			}
		case "in-git-chart":
			if src["repoURL"] != "git@git.example.test:platform/charts.git" || src["targetRevision"] != "v1.2.3" || src["path"] != "charts/in-git" {
				t.Errorf("in-git-chart source: %v", src)
			}
			if dig(src, "helm", "valuesObject", "replicas") == nil {
				t.Errorf("a chart from Git without its values: %v", src)
			}
		}
	}
	if found != 2 {
		t.Fatalf("%d of the 2 Git-source addons have an ApplicationSet", found)
	}
	var text strings.Builder
	if err := p.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "git https://github.com/keycloak/keycloak-k8s-resources kubernetes@26.4.5") {
		t.Errorf("plan does not show the Git source:\n%s", text.String())
	}
}

// TestChartResourceSource: an additional chart of the repository (CNOE's
// additionalResources with a path and helm) is one more source of the
// addon's Application: that directory at the repository's revision, its
// release <cluster>-<releaseName>, its valuesObject resolved for the
// cluster like the addon's own.
func TestChartResourceSource(t *testing.T) {
	dir, _, _ := packagesCopy(t)
	cfg, err := config.Parse("config.yaml", dir, []byte("repo:\n  url: https://github.com/org/platform\ncluster_name: hub\nregion: eu-central-1\ndomain: platform.example.org\npath_routing: \"false\"\nauto_mode: true\n"))
	if err != nil {
		t.Fatal(err)
	}
	p := planOf(t, cfg)
	cl := HubCluster(cfg, p.Catalog)
	for _, m := range p.ApplicationSets {
		if m.Name != "keycloak" {
			continue
		}
		sources := dig(appSetApplication(t, m.Object, cl), "spec", "sources").([]any)
		if len(sources) != 3 {
			t.Fatalf("keycloak's sources %v: want the values ref, packages/keycloak and its route", sources)
		}
		route := sources[2].(map[string]any)
		if route["repoURL"] != "https://github.com/org/platform" || route["path"] != "packages/platform-route" || route["targetRevision"] != "HEAD" {
			t.Errorf("route source %v", route)
		}
		if got := dig(route, "helm", "releaseName"); got != "hub-keycloak-route" {
			t.Errorf("route release %v, want hub-keycloak-route", got)
		}
		want := map[string]any{"name": "keycloak", "service": "keycloak-service", "port": 8080, "path": "/keycloak", "host": "keycloak",
			"domain": "platform.example.org", "pathRouting": "false"}
		if got := dig(route, "helm", "valuesObject"); normal(t, got) != normal(t, want) {
			t.Errorf("route values %v, want %v", got, want)
		}
		return
	}
	t.Fatal("no keycloak ApplicationSet")
}
