package plan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/catalog"
	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/redact"
)

func build(t testing.TB, edit func(string) string) *Plan {
	t.Helper()
	root, _ := filepath.Abs("../..")
	data := `repo:
  url: https://github.com/org/platform
cluster_name: hub
region: eu-central-1
domain: platform.example.org
path_routing: "false"
auto_mode: false
`
	if edit != nil {
		data = edit(data)
	}
	cfg, err := config.Parse("config.yaml", root, []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	return planOf(t, cfg)
}

// planOf loads cfg's catalog and builds its plan.
func planOf(t testing.TB, cfg *config.Config) *Plan {
	t.Helper()
	cat, err := catalog.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Build(cfg, cat, &redact.Redactor{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// cnoePlan is the plan of the CNOE reference implementation when it is
// unpacked at /tmp/cnoe (placeholders filled); the test skips otherwise.
func cnoePlan(t *testing.T) *Plan {
	t.Helper()
	const file = "/tmp/cnoe/config.yaml"
	if _, err := os.Stat(file); err != nil {
		t.Skip("no CNOE fork at /tmp/cnoe")
	}
	cfg, err := config.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	return planOf(t, cfg)
}

func TestPlanFollowsConfig(t *testing.T) {
	p := build(t, nil)
	// The region comes from config.yaml everywhere it is used.
	store := p.Secrets.Store[0].Object["spec"].(map[string]any)["provider"].(map[string]any)["aws"].(map[string]any)
	if store["region"] != "eu-central-1" {
		t.Errorf("ClusterSecretStore region = %v", store["region"])
	}
	ann := p.ClusterSecret.Object["metadata"].(map[string]any)["annotations"].(map[string]any)
	if ann["aws_region"] != "eu-central-1" || ann["domain"] != "platform.example.org" {
		t.Errorf("cluster secret annotations: %v", ann)
	}
	// Argo CD's values are the catalog templates resolved for the hub.
	argo := p.Releases[0]
	if d := argo.Values["global"].(map[string]any)["domain"]; d != "argocd.platform.example.org" {
		t.Errorf("argo-cd global.domain = %v", d)
	}
	// Without Auto Mode, the AWS load balancer controller is installed
	// first, and the cluster keeps its own StorageClass.
	if p.Graph.Levels[0][2] != "aws-load-balancer-controller" || len(p.Graph.Skipped) != 1 || p.Graph.Skipped[0].Name != "storage-class" {
		t.Errorf("levels %v skipped %v", p.Graph.Levels, p.Graph.Skipped)
	}
	if got := strings.Join(p.Graph.CriticalPath, " -> "); got != "aws-load-balancer-controller -> envoy-gateway -> cert-manager -> platform-gateway -> keycloak -> backstage" {
		t.Errorf("critical path %s", got)
	}
}

func TestKubernetesBackend(t *testing.T) {
	p := build(t, func(s string) string { return s + "target: kubeconfig\n" })
	if p.Secrets.Backend != "kubernetes" || p.Secrets.Items[0].Name != "fleetup-secrets/cnoe-ref-impl-config" {
		t.Errorf("secrets: %+v", p.Secrets)
	}
	kinds := []string{}
	for _, m := range p.Secrets.Store {
		kinds = append(kinds, m.Kind)
		labels := m.Object["metadata"].(map[string]any)["labels"].(map[string]any)
		if labels[LabelManaged] != "true" {
			t.Errorf("%s %s lacks fleetup's label", m.Kind, m.Name)
		}
	}
	if strings.Join(kinds, ",") != "Namespace,ServiceAccount,Role,RoleBinding,ClusterSecretStore" {
		t.Errorf("store objects %v", kinds)
	}
	if p.Target.Account != "none (no cloud account used)" {
		t.Errorf("account %q", p.Target.Account)
	}
}

// BenchmarkPlan measures `fleetup plan` on the shipped config minus process
// start: load config and catalog, resolve values, render the AppSet chart.
func BenchmarkPlan(b *testing.B) {
	root, _ := filepath.Abs("../..")
	for i := 0; i < b.N; i++ {
		cfg, err := config.Load(filepath.Join(root, "config.yaml"))
		if err != nil {
			b.Fatal(err)
		}
		cat, err := catalog.Load(cfg)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Build(cfg, cat, &redact.Redactor{}, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// TestCNOEStyleCatalogRenders: a catalog as CNOE writes it, with no
// top-level syncPolicy or valueFiles and a path addon without type, gets
// the defaults of CNOE's appset chart: every ApplicationSet has a real
// syncPolicy (not null, which the API server refuses) and the Helm
// releases keep their packages/<chart>/values.yaml.
func TestCNOEStyleCatalogRenders(t *testing.T) {
	dir := cnoeStyleCopy(t)
	cfg, err := config.Parse("config.yaml", dir, []byte("repo:\n  url: https://github.com/org/platform\ncluster_name: hub\nregion: eu-central-1\ndomain: platform.example.org\n"))
	if err != nil {
		t.Fatal(err)
	}
	p := planOf(t, cfg)
	for _, s := range p.ApplicationSets {
		sp, ok := s.Object["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["syncPolicy"].(map[string]any)
		if !ok || sp["automated"] == nil {
			t.Errorf("%s: template syncPolicy %v", s.Name, sp)
		}
		if sp, ok := s.Object["spec"].(map[string]any)["syncPolicy"].(map[string]any); !ok || len(sp) == 0 {
			t.Errorf("%s: ApplicationSet syncPolicy %v", s.Name, sp)
		}
	}
	for _, r := range p.Releases {
		if len(r.ValueFiles) == 0 || !strings.HasSuffix(r.ValueFiles[0], filepath.Join(r.Chart, "values.yaml")) {
			t.Errorf("release %s value files %v", r.Release, r.ValueFiles)
		}
	}
}
