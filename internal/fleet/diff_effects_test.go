package fleet

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/gitrepo"
	"github.com/fleetup/fleetup/internal/gitrepo/gitrepotest"
)

// TestDiffEffects: what Cluster API does, rule by rule, on changes to the
// shipped fleet. want lists each changing cluster's effects as
// "kind target", in order; a cluster not listed must not change.
func TestDiffEffects(t *testing.T) {
	cases := []struct {
		name  string
		edits []edit
		want  map[string][]string
		// addons are each changing cluster's "+gained -lost", when checked.
		addons map[string]string
		detail string // a piece of some effect's detail
	}{
		{
			name:  "eks downgrade refused",
			edits: []edit{replace("fleet/clusters/prod-globex-iad.yaml", `"v1.33"`, `"v1.32"`)},
			want:  map[string][]string{"prod-globex-iad": {"refused control plane"}},
		},
		{
			name:   "eks upgrade by two minors, node groups after",
			edits:  []edit{replace("fleet/clusters/prod-globex-iad.yaml", `"v1.33"`, `"v1.35"`)},
			want:   map[string][]string{"prod-globex-iad": {"control-plane-upgrade control plane", "nodes-replaced node pool gpu", "nodes-replaced node pool system", "nodes-replaced node pool workers"}},
			detail: "one minor version at a time (2 upgrades)",
		},
		{
			name:  "eks patch version is no upgrade",
			edits: []edit{replace("fleet/clusters/prod-globex-iad.yaml", `"v1.33"`, `"v1.33.4"`)},
			want:  map[string][]string{"prod-globex-iad": {"no-effect control plane"}},
		},
		{
			name:   "in-memory skipping a minor refused by KubeadmControlPlane",
			edits:  []edit{writeFile("fleet/clusters/dev-acme-fra.yaml", devCluster+"overrides:\n  kubernetesVersion: \"v1.36\"\n")},
			want:   map[string][]string{"dev-acme-fra": {"refused control plane"}},
			detail: "cannot update Kubernetes version from v1.34 to v1.36",
		},
		{
			name:  "in-memory downgrade",
			edits: []edit{writeFile("fleet/clusters/dev-acme-fra.yaml", devCluster+"overrides:\n  kubernetesVersion: \"v1.33\"\n")},
			want:  map[string][]string{"dev-acme-fra": {"review control plane"}},
		},
		{
			name:   "instance type accepted, never applied",
			edits:  []edit{replace("fleet/clusters/prod-acme-fra.yaml", "m7i.2xlarge", "m7i.4xlarge")},
			want:   map[string][]string{"prod-acme-fra": {"not-applied node pool workers"}},
			detail: "the nodes stay m7i.2xlarge",
		},
		{
			name:  "capacity type: null is CAPA's default",
			edits: []edit{replace("fleet/clusters/prod-acme-fra.yaml", "      instanceType: m7i.2xlarge\n", "      instanceType: m7i.2xlarge\n      capacityType: null\n")},
			want:  map[string][]string{"prod-acme-fra": {"no-effect node pool workers"}},
		},
		{
			name:  "capacity type to spot refused",
			edits: []edit{replace("fleet/clusters/prod-acme-fra.yaml", "      instanceType: m7i.2xlarge\n", "      instanceType: m7i.2xlarge\n      capacityType: spot\n")},
			want:  map[string][]string{"prod-acme-fra": {"refused node pool workers"}},
		},
		{
			name: "pool switched off, pool added",
			edits: []edit{replace("fleet/clusters/prod-acme-fra.yaml", "        maxSize: 20",
				"        maxSize: 20\n      enabled: false\n    batch:\n      instanceType: c7i.2xlarge\n      replicas: 1\n      scaling: {minSize: 0, maxSize: 5}\n")},
			want: map[string][]string{"prod-acme-fra": {"delete node pool workers", "create node pool batch"}},
		},
		{
			name:  "scaling, labels and taints in place",
			edits: []edit{replace("fleet/profiles/gpu.yaml", "      maxSize: 4", "      maxSize: 8"), replace("fleet/profiles/gpu.yaml", "node.fleetup.dev/pool: gpu", "node.fleetup.dev/pool: accelerated")},
			want:  map[string][]string{"prod-globex-iad": {"in-place node pool gpu"}},
		},
		{
			name:  "endpoint access in place on eks",
			edits: []edit{replace("fleet/inventory/environment/prod.yaml", `"198.51.100.16/28"`, `"198.51.100.32/28"`)},
			want:  map[string][]string{"prod-acme-fra": {"in-place control plane"}, "prod-globex-iad": {"in-place control plane"}},
		},
		{
			name:  "tags do nothing in memory",
			edits: []edit{replace("fleet/inventory/environment/dev.yaml", "environment: dev", "environment: development")},
			want:  map[string][]string{"dev-acme-fra": {"no-effect cluster"}},
		},
		{
			name:   "role and identity",
			edits:  []edit{replace("fleet/inventory/provider/eks.yaml", "fleetup-argocd-workloads", "fleetup-argocd"), replace("fleet/inventory/provider/eks.yaml", "  identity: fleet-workloads\n", "")},
			want:   map[string][]string{"prod-acme-fra": {"in-place registration", "in-place cluster"}, "prod-globex-iad": {"in-place registration", "in-place cluster"}},
			detail: "the defaulted AWSClusterControllerIdentity",
		},
		{
			name:  "wave moves the cluster, nothing else",
			edits: []edit{replace("fleet/clusters/prod-acme-fra.yaml", "wave: 1", "wave: 3")},
			want:  map[string][]string{"prod-acme-fra": {"in-place registration"}},
		},
		{
			name:   "addons only",
			edits:  []edit{replace("fleet/inventory/customer/globex.yaml", "tags:\n", "addons:\n  external-secrets:\n    enabled: false\n  argo-workflows:\n    enabled: true\ntags:\n")},
			want:   map[string][]string{"prod-globex-iad": {}},
			addons: map[string]string{"prod-globex-iad": "+argo-workflows -external-secrets"},
		},
		{
			name:   "another profile: the cluster file is the cause",
			edits:  []edit{replace("fleet/clusters/dev-acme-fra.yaml", "profile: standard", "profile: gpu")},
			want:   map[string][]string{"dev-acme-fra": {"create node pool gpu", "in-place registration", "no-effect cluster"}},
			addons: map[string]string{"dev-acme-fra": "+aws-load-balancer-controller"},
		},
		{
			name:  "comments change nothing",
			edits: []edit{replace("fleet/profiles/standard.yaml", "# A general-purpose cluster", "# A cluster for general purposes")},
			want:  map[string][]string{},
		},
		{
			name:   "the decommission marker takes every addon off",
			edits:  []edit{writeFile("fleet/clusters/dev-acme-fra.yaml", devCluster+"decommission: true\n")},
			want:   map[string][]string{"dev-acme-fra": {"delete addons"}},
			addons: map[string]string{"dev-acme-fra": "-cert-manager -envoy-gateway -external-secrets"},
			detail: "Argo CD removes all its addons from it",
		},
		{
			name:  "decommission: false: a value, no effect",
			edits: []edit{writeFile("fleet/clusters/dev-acme-fra.yaml", devCluster+"decommission: false\n")},
			want:  map[string][]string{"dev-acme-fra": {}},
		},
		{
			name:  "layers reordered without a value changing",
			edits: []edit{replace("fleet/fleet.yaml", "  - customer\n  - site\n", "  - site\n  - customer\n")},
			want:  map[string][]string{},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := shippedRepo(t)
			for _, e := range tc.edits {
				e(t, dir)
			}
			d := diffWorkingTree(t, dir)
			got := map[string][]string{}
			var details []string
			for _, w := range d.Waves {
				for _, c := range w.Clusters {
					got[c.Name] = []string{}
					for _, e := range c.Effects {
						got[c.Name] = append(got[c.Name], e.Kind+" "+e.Target)
						details = append(details, e.Detail)
					}
					if want, ok := tc.addons[c.Name]; ok {
						var have []string
						for _, a := range c.Addons.Gained {
							have = append(have, "+"+a)
						}
						for _, a := range c.Addons.Lost {
							have = append(have, "-"+a)
						}
						if strings.Join(have, " ") != want {
							t.Errorf("%s: addons %v, want %s", c.Name, have, want)
						}
					}
					for _, v := range c.Values {
						if v.Cause == "" {
							t.Errorf("%s: %s has no cause", c.Name, v.Key)
						}
					}
				}
			}
			if len(got) != len(tc.want) {
				t.Errorf("changed clusters %v, want %v", got, tc.want)
			}
			for name, want := range tc.want {
				if !slices.Equal(got[name], want) {
					t.Errorf("%s: effects %q, want %q", name, got[name], want)
				}
			}
			if tc.detail != "" && !slices.ContainsFunc(details, func(s string) bool { return strings.Contains(s, tc.detail) }) {
				t.Errorf("no effect says %q: %q", tc.detail, details)
			}
			if d.Changed != (len(tc.want) > 0) {
				t.Errorf("Changed = %v", d.Changed)
			}
		})
	}
}

const devCluster = "name: dev-acme-fra\nprofile: standard\nenvironment: dev\ncustomer: acme\nsite: fra\nprovider: in-memory\nwave: 0\n"

// TestDiffRevisionsBeforeTheFleet: a base commit without fleet/ makes
// every cluster an added one; two revisions compare without the working
// tree.
func TestDiffRevisionsBeforeTheFleet(t *testing.T) {
	dir := t.TempDir()
	gitrepotest.Init(t, dir)
	gitrepotest.Write(t, dir, "README.md", "platform\n")
	gitrepotest.CommitAll(t, dir, "before the fleet")
	gitrepotest.CopyDir(t, filepath.Join("..", "..", "fleet"), filepath.Join(dir, "fleet"))
	gitrepotest.CommitAll(t, dir, "the fleet")
	// The working tree differs from both: it must not be read.
	if err := os.RemoveAll(filepath.Join(dir, "fleet", "clusters")); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	repo, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	load := func(rev string) *Fleet {
		snap, err := repo.Resolve(ctx, rev)
		if err != nil {
			t.Fatal(err)
		}
		f, err := Load(ctx, snap.FS, "fleet", Options{})
		if err != nil {
			t.Fatalf("%s: %v", rev, err)
		}
		return f
	}
	d := Compare(load("HEAD~1"), load("HEAD"))
	if d.Summary != (DiffSummary{Clusters: 3, Added: 3}) {
		t.Errorf("summary %+v", d.Summary)
	}
	if len(d.Waves) != 3 || *d.Waves[0].Wave != 0 || d.Waves[0].Clusters[0].Effects[0].Kind != EffectCreate {
		t.Errorf("waves %+v", d.Waves)
	}
	var added int
	for _, f := range d.Files {
		if f.Change == ChangeAdded {
			added++
		}
	}
	if added != 13 { // 2 profiles, 8 inventory files, 3 clusters
		t.Errorf("%d files added: %+v", added, d.Files)
	}
	// And back: every cluster removed.
	back := Compare(load("HEAD"), load("HEAD~1"))
	if back.Summary != (DiffSummary{Removed: 3}) {
		t.Errorf("reverse summary %+v", back.Summary)
	}
}
