package fleet

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/fleetup/fleetup/internal/catalog"
	"sigs.k8s.io/yaml"
)

// exampleFS is the repository's shipped fleet/ as a MapFS.
func exampleFS(t testing.TB) fstest.MapFS {
	t.Helper()
	root := os.DirFS("../..")
	out := fstest.MapFS{}
	err := fs.WalkDir(root, "fleet", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(root, p)
		out[p] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func catalogAddons(t testing.TB) []string {
	t.Helper()
	data, err := os.ReadFile("../../packages/addons/values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := catalog.Parse("values.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	return c.Names()
}

func TestShippedExample(t *testing.T) {
	f, errs := load(t, exampleFS(t), Options{Addons: catalogAddons(t)})
	if errs != nil {
		t.Fatal(errs)
	}
	if got := strings.Join(f.Names(), " "); got != "dev-acme-fra prod-acme-fra prod-globex-iad" {
		t.Fatalf("clusters: %s", got)
	}
	waves := map[string]int{}
	flavours := map[string]any{}
	for _, c := range f.Clusters {
		waves[c.Name] = *c.Wave
		flavours[c.Name] = c.Effective.Get("provider", "flavour").Leaf
	}
	if waves["dev-acme-fra"] != 0 || waves["prod-acme-fra"] != 1 || waves["prod-globex-iad"] != 2 {
		t.Errorf("waves %v", waves)
	}
	if flavours["dev-acme-fra"] != "in-memory" || flavours["prod-acme-fra"] != "eks" {
		t.Errorf("flavours %v", flavours)
	}
}

// TestShippedExampleOrigins: where render says each value comes from.
func TestShippedExampleOrigins(t *testing.T) {
	f, errs := load(t, exampleFS(t), Options{})
	if errs != nil {
		t.Fatal(errs)
	}
	c := f.Cluster("prod-acme-fra")
	for _, want := range []struct {
		key, value, origin string
	}{
		{"nodePools.workers.scaling.maxSize", "20", "fleet/clusters/prod-acme-fra.yaml:14:18 cluster"},
		{"nodePools.workers.scaling.minSize", "3", "fleet/inventory/environment/prod.yaml:17:16 environment"},
		{"nodePools.workers.instanceType", `"m7i.2xlarge"`, "fleet/clusters/prod-acme-fra.yaml:12:21 cluster"},
		{"nodePools.workers.diskSize", "100", "fleet/profiles/standard.yaml:29:15 profile"},
		{"provider.region", `"eu-central-1"`, "fleet/inventory/site/fra.yaml:3:11 site"},
		{"provider.flavour", `"eks"`, "fleet/inventory/provider/eks.yaml:5:12 provider"},
		{"addons.external-dns.enabled", "false", "fleet/inventory/customer/acme.yaml:4:14 customer"},
		{"endpointAccess.publicCIDRs", `["203.0.113.0/24","198.51.100.16/28"]`, "fleet/inventory/environment/prod.yaml:4:3 environment"},
		{`nodePools.system.labels["node.fleetup.dev/pool"]`, `"system"`, "fleet/profiles/standard.yaml:20:30 profile"},
		{"cluster.wave", "1", "fleet/clusters/prod-acme-fra.yaml:8:7 cluster"},
		{"cluster.layers.site", `"fra"`, "fleet/clusters/prod-acme-fra.yaml:6:7 cluster"},
	} {
		found := false
		for _, l := range c.Effective.Leaves() {
			if l.Key != want.key {
				continue
			}
			found = true
			v, _ := json.Marshal(l.Value)
			got := fmt.Sprintf("%s:%d:%d %s", l.Origin.File, l.Origin.Line, l.Origin.Column, l.Origin.Layer)
			if string(v) != want.value || got != want.origin {
				t.Errorf("%s = %s from %s, want %s from %s", want.key, v, got, want.value, want.origin)
			}
		}
		if !found {
			t.Errorf("%s: not rendered", want.key)
		}
	}
}

// TestNullOrigins: a null is a value with an origin when the chart has no
// default to delete, and deletes the chart's default when it has one.
func TestNullOrigins(t *testing.T) {
	fsys := smallFleet()
	fsys["fleet/clusters/one.yaml"] = file("name: one\nprofile: small\nenvironment: dev\nprovider: eks\noverrides:\n  tags:\n    environment: null\n")
	f, errs := load(t, fsys, Options{})
	if errs != nil {
		t.Fatal(errs)
	}
	v := f.Clusters[0].Effective.Get("tags", "environment")
	if v == nil || !v.IsNull() || v.Origin.File != "fleet/clusters/one.yaml" || v.Origin.Line != 7 {
		t.Fatalf("tags.environment = %+v, want null set at fleet/clusters/one.yaml:7", v)
	}
	fsys["packages/fleet-cluster/values.yaml"] = file("tags:\n  environment: none\n  team: platform\n")
	f, errs = load(t, fsys, Options{})
	if errs != nil {
		t.Fatal(errs)
	}
	tags := f.Clusters[0].Effective.Get("tags")
	if _, ok := tags.Map["environment"]; ok {
		t.Errorf("the null must delete the chart's default: %v", tags.Plain())
	}
	if team := tags.Map["team"]; team == nil || team.Origin.File != "packages/fleet-cluster/values.yaml" || team.Origin.Layer != "chart" {
		t.Errorf("tags.team must come from the chart: %+v", team)
	}
}

// TestShippedExampleEqualsHelm: each shipped cluster's values are what
// Helm's templates see when Argo CD renders the chart with the cluster's
// value files in order (the cluster's own level as its valuesObject), with
// a chart whose values.yaml has defaults and nulls of its own.
func TestShippedExampleEqualsHelm(t *testing.T) {
	const chart = `kubernetesVersion: v1.32
endpointAccess: {public: true, private: false, publicCIDRs: ["0.0.0.0/0"]}
nodePools: {}
addons: {platform-gateway: {enabled: false}}
tags: {managed-by: null}
provider:
  flavour: null
  identity: ""
images:
  pause: registry.k8s.io/pause:3.10
`
	fsys := exampleFS(t)
	fsys["packages/fleet-cluster/values.yaml"] = file(chart)
	f, errs := load(t, fsys, Options{})
	if errs != nil {
		t.Fatal(errs)
	}
	for _, c := range f.Clusters {
		t.Run(c.Name, func(t *testing.T) {
			var files []string
			for _, s := range c.Sources[1 : len(c.Sources)-1] {
				files = append(files, string(fsys[s.File].Data))
			}
			own, err := yaml.Marshal(c.Own.Plain())
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, string(own))
			want := helmTemplate(t, chart, files...)
			got, err := yaml.Marshal(c.Effective.Plain())
			if err != nil {
				t.Fatal(err)
			}
			if g := string(bytes.TrimSuffix(got, []byte("\n"))); g != want {
				t.Errorf("differs from Helm\n--- helm\n%s\n--- fleetup\n%s", want, g)
			}
		})
	}
}
