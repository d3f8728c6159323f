package golden

import (
	"context"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/fleet"
	"github.com/fleetup/fleetup/internal/fleet/chart"
	sigsyaml "sigs.k8s.io/yaml"
)

// The fleet's chart: `fleetup fleet render` makes of each cluster what the
// real `helm template` makes of the chart with the cluster's value files in
// the order Argo CD passes them (the chart's values.yaml, the profile, each
// layer's file, the cluster's own level, then the platform), object by
// object. The value files Helm gets are built here from the fleet's files
// directly, not from fleetup's model of them.

// repoDir is the repository root: the shipped fleet/ and packages/.
const repoDir = "../.."

const fleetChart = "packages/fleet-cluster"

var goldenPlatform = chart.Platform{RepoURL: "https://git.example.test/platform", Revision: "v1.4.0", BasePath: "packages"}

func TestFleetClustersAreHelms(t *testing.T) {
	bin := helmBinary(t)
	dir := copyFleetRepo(t, nil)
	checkFleet(t, bin, dir, []string{"dev-acme-fra", "prod-acme-fra", "prod-globex-iad"})
}

// TestFleetNullsAreHelms: nulls as Helm treats them, in the chart's
// manifests: a pool a layer sets to null where the chart has no default
// (it stays a null entry: no pool), a pool the chart defines and a layer
// deletes with null (the key goes), and a top-level null over the chart's
// tags (they go; the chart's empty default does not come back).
func TestFleetNullsAreHelms(t *testing.T) {
	bin := helmBinary(t)
	dir := copyFleetRepo(t, map[string]func(string) string{
		"fleet/inventory/customer/globex.yaml": func(s string) string {
			return s + "\nnodePools:\n  gpu: null\n"
		},
		"packages/fleet-cluster/values.yaml": func(s string) string {
			return strings.Replace(s, "nodePools: {}\n", "nodePools:\n  canary:\n    instanceType: t3.medium\n    replicas: 1\n    scaling: {minSize: 1, maxSize: 1}\n", 1)
		},
		"fleet/inventory/environment/prod.yaml": func(s string) string {
			return strings.Replace(s, "nodePools:\n", "nodePools:\n  canary: null\n", 1)
		},
		"fleet/clusters/prod-acme-fra.yaml": func(s string) string {
			return s + "  tags: null\n"
		},
	})
	rendered := checkFleet(t, bin, dir, []string{"dev-acme-fra", "prod-acme-fra", "prod-globex-iad"})
	for _, tc := range []struct{ key, why string }{
		{"infrastructure.cluster.x-k8s.io/v1beta2/AWSManagedMachinePool prod-globex-iad/prod-globex-iad-gpu", "gpu: null"},
		{"infrastructure.cluster.x-k8s.io/v1beta2/AWSManagedMachinePool prod-acme-fra/prod-acme-fra-canary", "canary: null over the chart's default"},
	} {
		if _, ok := rendered[tc.key]; ok {
			t.Errorf("%s rendered despite %s", tc.key, tc.why)
		}
	}
	if _, ok := rendered["cluster.x-k8s.io/v1beta2/MachineDeployment dev-acme-fra/dev-acme-fra-canary"]; !ok {
		t.Error("the chart's canary pool must stay where no layer deletes it")
	}
	cp := rendered["controlplane.cluster.x-k8s.io/v1beta2/AWSManagedControlPlane prod-acme-fra/prod-acme-fra-control-plane"]
	if tags := dig(cp, "spec", "additionalTags"); !reflect.DeepEqual(tags, map[string]any{}) {
		t.Errorf("tags: null left additionalTags %v", tags)
	}
}

// checkFleet compares fleetup's render of each cluster with helm's and
// returns every object by cluster-qualified name.
func checkFleet(t *testing.T, bin, dir string, want []string) map[string]map[string]any {
	t.Helper()
	f, err := fleet.Load(context.Background(), os.DirFS(dir), "fleet", fleet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Names(); !reflect.DeepEqual(got, want) {
		t.Fatalf("clusters %v, want %v", got, want)
	}
	ch, err := chart.Load(dir, f)
	if err != nil {
		t.Fatal(err)
	}
	layers := fleetLayers(t, dir)
	all := map[string]map[string]any{}
	for _, name := range want {
		t.Run(name, func(t *testing.T) {
			ms, err := ch.Render(context.Background(), f.Cluster(name), &goldenPlatform)
			if err != nil {
				t.Fatal(err)
			}
			files := argoValueFiles(t, dir, name, layers)
			helmObjs := helmTemplate(t, bin, dir, fleetChart, "fleet-"+name, name, files...)
			if len(helmObjs) < 10 {
				t.Fatalf("helm template made only %v", names(helmObjs))
			}
			compare(t, objects(t, "fleetup", ms), helmObjs)
			for k, o := range helmObjs {
				all[k] = o
			}
		})
	}
	return all
}

// argoValueFiles writes the cluster's own level and the platform as value
// files and returns every value file after the chart's, lowest first, as
// paths in dir.
func argoValueFiles(t *testing.T, dir, cluster string, layers []string) []string {
	t.Helper()
	var file map[string]any
	readYAML(t, filepath.Join(dir, "fleet", "clusters", cluster+".yaml"), &file)
	identity := map[string]any{"name": file["name"], "profile": file["profile"], "layers": map[string]any{}}
	if w, ok := file["wave"]; ok {
		identity["wave"] = w
	}
	files := []string{path.Join("fleet", "profiles", file["profile"].(string)+".yaml")}
	for _, l := range layers {
		identity["layers"].(map[string]any)[l] = file[l]
		files = append(files, path.Join("fleet", "inventory", l, file[l].(string)+".yaml"))
	}
	own := map[string]any{}
	if o, ok := file["overrides"].(map[string]any); ok {
		own = o
	}
	own["cluster"] = identity
	platform := map[string]any{"platform": map[string]any{"repoURL": goldenPlatform.RepoURL, "revision": goldenPlatform.Revision, "basepath": goldenPlatform.BasePath}}
	for name, v := range map[string]any{"cluster-" + cluster + ".yaml": own, "platform.yaml": platform} {
		data, err := sigsyaml.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return append(files, "cluster-"+cluster+".yaml", "platform.yaml")
}

// fleetLayers reads fleet.yaml's layers.
func fleetLayers(t *testing.T, dir string) []string {
	t.Helper()
	var s struct{ Layers []string }
	readYAML(t, filepath.Join(dir, "fleet", "fleet.yaml"), &s)
	if len(s.Layers) == 0 {
		t.Fatal("fleet.yaml has no layers")
	}
	return s.Layers
}

func readYAML(t *testing.T, file string, v any) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := sigsyaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

// copyFleetRepo copies fleet/ and the chart into a temporary repository,
// each file edited by edits when named there.
func copyFleetRepo(t *testing.T, edits map[string]func(string) string) string {
	t.Helper()
	dir := t.TempDir()
	for _, sub := range []string{"fleet", fleetChart} {
		if err := os.CopyFS(filepath.Join(dir, sub), os.DirFS(filepath.Join(repoDir, sub))); err != nil {
			t.Fatal(err)
		}
	}
	editFiles(t, dir, edits)
	return dir
}

// editFiles rewrites files of dir: each path, relative to dir, gets what
// its function makes of the old content; in path order.
func editFiles(t *testing.T, dir string, edits map[string]func(string) string) {
	t.Helper()
	rels := make([]string, 0, len(edits))
	for rel := range edits {
		rels = append(rels, rel)
	}
	sort.Strings(rels)
	for _, rel := range rels {
		p := filepath.Join(dir, rel)
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(edits[rel](string(data))), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
