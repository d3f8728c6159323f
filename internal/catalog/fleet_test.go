package catalog

import (
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/fleet"
)

// shippedRepo is a repository root with the shipped packages tree and, when
// fleet is set, the shipped fleet/; a file named fleet is not a fleet.
func shippedRepo(t *testing.T, fleet string) string {
	t.Helper()
	repo, _ := filepath.Abs("../..")
	root := t.TempDir()
	if err := os.Symlink(filepath.Join(repo, "packages"), filepath.Join(root, "packages")); err != nil {
		t.Fatal(err)
	}
	switch fleet {
	case "dir":
		if err := os.Symlink(filepath.Join(repo, FleetDir), filepath.Join(root, FleetDir)); err != nil {
			t.Fatal(err)
		}
	case "file":
		if err := os.WriteFile(filepath.Join(root, FleetDir), []byte("not a directory\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// TestClusterAPIFollowsTheFleet: the shipped Cluster API entry is on
// exactly when the repository has a fleet directory, after cert-manager,
// and skipped with its selector as the reason otherwise.
func TestClusterAPIFollowsTheFleet(t *testing.T) {
	for _, tc := range []struct {
		fleet string
		on    bool
	}{{"dir", true}, {"", false}, {"file", false}} {
		t.Run("fleet="+tc.fleet, func(t *testing.T) {
			c, err := load(t, shippedRepo(t, tc.fleet), baseConfig)
			if err != nil {
				t.Fatalf("shipped catalog rejected:\n%v", err)
			}
			if c.Fleet != tc.on {
				t.Errorf("Fleet = %v, want %v", c.Fleet, tc.on)
			}
			a := c.Get("cluster-api-operator")
			if a == nil {
				t.Fatal("no cluster-api-operator entry")
			}
			if a.Selected != tc.on {
				t.Errorf("cluster-api-operator selected = %v, want %v (skip %q)", a.Selected, tc.on, a.Skip)
			}
			if !tc.on && !strings.Contains(a.Skip, LabelFleet+"=true") {
				t.Errorf("skip reason %q does not name the selector", a.Skip)
			}
			cfg, _ := config.Parse("config.yaml", c.RepoRoot, []byte(baseConfig))
			if got := HubLabels(cfg, c)[LabelFleet]; got != map[bool]string{true: "true", false: "false"}[tc.on] {
				t.Errorf("hub label %s = %q", LabelFleet, got)
			}
			if !tc.on {
				return
			}
			g, err := c.Graph()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(g.Deps(a.Name), "cert-manager") {
				t.Errorf("cluster-api-operator waits for %v, want cert-manager", g.Deps(a.Name))
			}
			for _, grp := range []string{"operator.cluster.x-k8s.io", "cluster.x-k8s.io", "infrastructure.cluster.x-k8s.io"} {
				if !slices.Contains(a.CRDGroups, grp) {
					t.Errorf("crdGroups %v lack %s", a.CRDGroups, grp)
				}
			}
		})
	}
}

// TestBaseLabelsFleet: the fleet label is a function of its argument only,
// and a config.yaml cluster_labels entry cannot override it.
func TestBaseLabelsFleet(t *testing.T) {
	cfg, err := config.Parse("config.yaml", t.TempDir(), []byte(baseConfig+"cluster_labels:\n  fleetup.dev/fleet: \"true\"\n  team: a\n"))
	if err != nil {
		t.Fatal(err)
	}
	off, on := baseLabels(cfg, false), baseLabels(cfg, true)
	if off[LabelFleet] != "false" || on[LabelFleet] != "true" || on["team"] != "a" {
		t.Errorf("labels: without fleet %v, with fleet %v", off, on)
	}
	delete(off, LabelFleet)
	delete(on, LabelFleet)
	if !reflect.DeepEqual(off, on) {
		t.Errorf("the fleet changes other labels: %v vs %v", off, on)
	}
}

// TestClusterAPIProviders: the shipped Cluster API entry installs an
// infrastructure provider for every fleet flavour that makes clusters
// (CAPA for eks, the docker provider's in-memory backend for in-memory),
// the docker provider at the version of Cluster API's core, with which it
// is released; a flavour without one would leave its clusters' objects
// with no CRD on a real hub.
func TestClusterAPIProviders(t *testing.T) {
	c, err := load(t, shippedRepo(t, "dir"), baseConfig)
	if err != nil {
		t.Fatal(err)
	}
	a := c.Get("cluster-api-operator")
	if a == nil {
		t.Fatal("no cluster-api-operator entry")
	}
	infra, _ := a.ValuesObject["infrastructure"].(map[string]any)
	provider := map[string]string{string(fleet.FlavourEKS): "aws", string(fleet.FlavourInMemory): "docker"}
	for _, f := range fleet.Flavours() {
		if f == string(fleet.FlavourExisting) {
			continue // registered, not made
		}
		p, ok := provider[f]
		if !ok {
			t.Errorf("flavour %s: which Cluster API provider makes it? (add it to the entry and here)", f)
			continue
		}
		if _, ok := infra[p].(map[string]any); !ok {
			t.Errorf("flavour %s needs infrastructure provider %s; the entry has %v", f, p, slices.Sorted(maps.Keys(infra)))
		}
	}
	version := func(kind, name string) any {
		m, _ := a.ValuesObject[kind].(map[string]any)
		p, _ := m[name].(map[string]any)
		return p["version"]
	}
	if core, docker := version("core", "cluster-api"), version("infrastructure", "docker"); core == nil || core != docker {
		t.Errorf("the docker provider runs %v, Cluster API's core %v: they are released together", docker, core)
	}
}
