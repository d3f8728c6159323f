package fleet

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/gitrepo/gitrepotest"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files of testdata/diff")

// shippedRepo is a Git repository whose one commit holds the shipped
// fleet, at fleet/ as in the platform repository.
func shippedRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	gitrepotest.Init(t, dir)
	gitrepotest.CopyDir(t, filepath.Join("..", "..", "fleet"), filepath.Join(dir, "fleet"))
	gitrepotest.CommitAll(t, dir, "the shipped fleet")
	return dir
}

// edit changes the working tree as a user would.
type edit func(t *testing.T, dir string)

// replace changes old to new in a file; old must be there exactly once.
func replace(file, old, new string) edit {
	return func(t *testing.T, dir string) {
		t.Helper()
		p := filepath.Join(dir, file)
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(data), old); n != 1 {
			t.Fatalf("%s: %q appears %d times", file, old, n)
		}
		if err := os.WriteFile(p, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func writeFile(file, data string) edit {
	return func(t *testing.T, dir string) { t.Helper(); gitrepotest.Write(t, dir, file, data) }
}

func remove(file string) edit {
	return func(t *testing.T, dir string) {
		t.Helper()
		if err := os.Remove(filepath.Join(dir, file)); err != nil {
			t.Fatal(err)
		}
	}
}

const zeroCommit = "0000000000000000000000000000000000000000"

// diffWorkingTree compares the repository's HEAD with its working tree,
// both read by the loader: HEAD through Git, the working tree from disk.
func diffWorkingTree(t *testing.T, dir string) *Diff {
	t.Helper()
	d, err := diffHEADWorkingTree(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	// A fixed hash: the golden files must not change with the commit's.
	d.Base = DiffSide{Revision: "HEAD", Commit: zeroCommit, FleetExists: true}
	d.Head = DiffSide{WorkingTree: true, FleetExists: true}
	return d
}

// diffUncached is diffWorkingTree with each side loaded on its own.
func diffUncached(t *testing.T, dir string, like *Diff) *Diff {
	t.Helper()
	base, head, err := loadHEADAndWorkingTree(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := Compare(base, head)
	d.Base, d.Head = like.Base, like.Head
	return d
}

// golden compares got with testdata/diff/name, or rewrites it (-update).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", "diff", name)
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (go test ./internal/fleet -run Diff -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test ./internal/fleet -run Diff -update):\n--- got\n%s\n--- want\n%s", p, got, want)
	}
}

// The golden scenarios: one change of each kind on the shipped fleet.
var goldenScenarios = []struct {
	name  string
	edits []edit
	// changed are the clusters that must change, exactly.
	changed []string
}{
	{
		// A profile change reaches exactly the clusters of that profile:
		// standard is dev-acme-fra's and prod-acme-fra's, not Globex's gpu.
		name: "profile",
		edits: []edit{
			replace("fleet/profiles/standard.yaml", `kubernetesVersion: "v1.34"`, `kubernetesVersion: "v1.35"`),
			replace("fleet/profiles/standard.yaml", "    diskSize: 50\n", "    diskSize: 80\n"),
			replace("fleet/profiles/standard.yaml", "  aws-load-balancer-controller:\n    enabled: false", "  aws-load-balancer-controller:\n    enabled: true"),
		},
		changed: []string{"dev-acme-fra", "prod-acme-fra"},
	},
	{
		// A layer change: prod's workers may grow to 16, which ACME's
		// cluster overrides (20) and Globex's takes; the tag reaches both.
		// Globex's cluster is pinned (fleet rollout): said, still changed.
		name: "layer",
		edits: []edit{
			replace("fleet/clusters/prod-globex-iad.yaml", "wave: 2", "wave: 2\nrevision: 0123456789abcdef0123456789abcdef01234567"),
			replace("fleet/inventory/environment/prod.yaml", "      maxSize: 12", "      maxSize: 16"),
			replace("fleet/inventory/environment/prod.yaml", "  environment: prod", "  environment: production"),
		},
		changed: []string{"prod-acme-fra", "prod-globex-iad"},
	},
	{
		// Null deletion: the chart's defaults exist at both sides; Globex
		// deletes the chart's team tag with null (removed: the chart has
		// it), and dev nulls the workers' capacity type (stays null: the
		// chart has none).
		name: "null",
		edits: []edit{
			replace("fleet/inventory/customer/globex.yaml", "tags:\n", "tags:\n  team: null\n"),
			replace("fleet/inventory/environment/dev.yaml", "capacityType: spot", "capacityType: null"),
		},
		changed: []string{"dev-acme-fra", "prod-globex-iad"},
	},
	{
		// A cluster added without a wave (listed last) and one removed.
		name: "added-removed",
		edits: []edit{
			writeFile("fleet/clusters/dev-globex-iad.yaml", "name: dev-globex-iad\nprofile: gpu\nenvironment: dev\ncustomer: globex\nsite: iad\nprovider: in-memory\n"),
			remove("fleet/clusters/prod-globex-iad.yaml"),
		},
		changed: []string{"dev-globex-iad", "prod-globex-iad"},
	},
	{
		// What CAPA's webhooks refuse (the region, an AMI type), and a
		// flavour change Cluster API cannot make.
		name: "immutable",
		edits: []edit{
			replace("fleet/inventory/site/fra.yaml", "region: eu-central-1", "region: eu-west-1"),
			replace("fleet/clusters/prod-acme-fra.yaml", "      instanceType: m7i.2xlarge\n", "      instanceType: m7i.2xlarge\n      amiType: AL2023_ARM_64_STANDARD\n"),
			replace("fleet/clusters/dev-acme-fra.yaml", "provider: in-memory", "provider: eks"),
		},
		changed: []string{"dev-acme-fra", "prod-acme-fra"},
	},
}

func TestDiffGolden(t *testing.T) {
	for _, sc := range goldenScenarios {
		t.Run(sc.name, func(t *testing.T) {
			dir := shippedRepo(t)
			if sc.name == "null" {
				// The chart's defaults, committed with the fleet.
				gitrepotest.Write(t, dir, "packages/fleet-cluster/values.yaml", "tags:\n  team: platform\nnodePools: {}\n")
				gitrepotest.CommitAll(t, dir, "chart defaults")
			}
			for _, e := range sc.edits {
				e(t, dir)
			}
			d := diffWorkingTree(t, dir)
			if got := changedNames(d); !slices.Equal(got, sc.changed) {
				t.Errorf("changed clusters %v, want %v", got, sc.changed)
			}
			var text, js bytes.Buffer
			if err := WriteDiffText(&text, d); err != nil {
				t.Fatal(err)
			}
			if err := WriteDiffJSON(&js, d); err != nil {
				t.Fatal(err)
			}
			golden(t, sc.name+".txt", text.Bytes())
			golden(t, sc.name+".json", js.Bytes())
			// The shared LoadCache only saves work: loaded apart, the
			// same diff.
			var apart bytes.Buffer
			if err := WriteDiffJSON(&apart, diffUncached(t, dir, d)); err != nil {
				t.Fatal(err)
			}
			if apart.String() != js.String() {
				t.Errorf("without the cache the diff differs:\n%s", apart.String())
			}
			var back Diff
			if err := json.Unmarshal(js.Bytes(), &back); err != nil {
				t.Fatalf("JSON does not read back: %v", err)
			}
		})
	}
}

func changedNames(d *Diff) []string {
	var out []string
	for _, w := range d.Waves {
		for _, c := range w.Clusters {
			out = append(out, c.Name)
		}
	}
	slices.Sort(out)
	return out
}
