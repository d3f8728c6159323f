package fleet

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/fleetup/fleetup/internal/decode"
)

// smallFleet is a valid fleet of one cluster, for tests to break.
func smallFleet() fstest.MapFS {
	return fstest.MapFS{
		"fleet/fleet.yaml": file("layers: [environment, provider]\n"),
		"fleet/profiles/small.yaml": file(`kubernetesVersion: "v1.34"
nodePools:
  workers:
    instanceType: m7i.large
    replicas: 1
    scaling: {minSize: 1, maxSize: 3}
addons:
  cert-manager: {enabled: true}
`),
		"fleet/inventory/environment/dev.yaml": file("tags:\n  environment: dev\n"),
		"fleet/inventory/provider/eks.yaml": file(`provider:
  flavour: eks
  region: eu-west-1
  roleARN: "arn:aws:iam::111122223333:role/argocd"
`),
		"fleet/inventory/provider/mem.yaml": file("provider:\n  flavour: in-memory\n"),
		"fleet/clusters/one.yaml":           file("name: one\nprofile: small\nenvironment: dev\nprovider: eks\n"),
	}
}

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

func load(t *testing.T, fsys fstest.MapFS, opts Options) (*Fleet, decode.Errors) {
	t.Helper()
	f, err := Load(context.Background(), fsys, "fleet", opts)
	if err == nil {
		return f, nil
	}
	var es decode.Errors
	if !errors.As(err, &es) {
		t.Fatalf("not a decode error: %T %v", err, err)
	}
	for _, e := range es {
		if e.Line < 1 || e.Column < 1 || !strings.HasPrefix(e.File, "fleet/") {
			t.Errorf("unpositioned error: %v", e)
		}
	}
	return nil, es
}

func TestSmallFleetLoads(t *testing.T) {
	f, errs := load(t, smallFleet(), Options{Addons: []string{"cert-manager"}})
	if errs != nil {
		t.Fatal(errs)
	}
	if len(f.Clusters) != 1 || f.Clusters[0].Name != "one" || f.Chart != nil {
		t.Fatalf("clusters %v, chart %v", f.Names(), f.Chart)
	}
	c := f.Clusters[0]
	if got := c.Effective.Get("provider", "region").Leaf; got != "eu-west-1" {
		t.Errorf("provider.region = %v", got)
	}
	var files []string
	for _, s := range c.Sources {
		files = append(files, s.File)
	}
	want := "packages/fleet-cluster/values.yaml fleet/profiles/small.yaml fleet/inventory/environment/dev.yaml fleet/inventory/provider/eks.yaml fleet/clusters/one.yaml"
	if strings.Join(files, " ") != want {
		t.Errorf("value files\n got %s\nwant %s", strings.Join(files, " "), want)
	}
}

// TestLoadErrors: each broken fleet gives these errors, exactly (every line
// starts with file:line:column: field:), and nothing stops at the first.
func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name  string
		edit  map[string]string // file -> content; "" removes the file
		addon []string
		want  []string
	}{
		{"unknown key with a hint", map[string]string{"fleet/profiles/small.yaml": "kubernetesVersion: \"v1.34\"\nnodepools: {}\n"},
			nil, []string{`fleet/profiles/small.yaml:2:1: nodepools: unknown key "nodepools" (expected one of kubernetesVersion, endpointAccess, nodePools, addons, tags, provider, registration); did you mean "nodePools"?`}},
		{"duplicate keys", map[string]string{"fleet/inventory/environment/dev.yaml": "tags:\n  environment: dev\n  environment: prod\ntags: {}\n"},
			nil, []string{
				`fleet/inventory/environment/dev.yaml:3:3: tags.environment: duplicate key "environment" (expected each key once)`,
				`fleet/inventory/environment/dev.yaml:4:1: tags: duplicate key "tags" (expected each key once)`}},
		{"unknown profile", map[string]string{"fleet/clusters/one.yaml": "name: one\nprofile: smal\nenvironment: dev\nprovider: eks\n"},
			nil, []string{`fleet/clusters/one.yaml:2:10: profile: no profile "smal" (no fleet/profiles/smal.yaml) (expected one of small); did you mean "small"?`}},
		{"unknown layer value", map[string]string{"fleet/clusters/one.yaml": "name: one\nprofile: small\nenvironment: dve\nprovider: eks\n"},
			nil, []string{`fleet/clusters/one.yaml:3:14: environment: no environment "dve" (no fleet/inventory/environment/dve.yaml) (expected one of dev); did you mean "dev"?`}},
		{"unknown layer key", map[string]string{"fleet/clusters/one.yaml": "name: one\nprofile: small\nenvironmnt: dev\nprovider: eks\n"},
			nil, []string{
				`fleet/clusters/one.yaml:1:1: environment: missing (expected the cluster's environment (a name in fleet/inventory/environment/))`,
				`fleet/clusters/one.yaml:3:1: environmnt: unknown key "environmnt" (expected one of name, profile, wave, revision, decommission, overrides, environment, provider); did you mean "environment"?`}},
		{"a branch as the pinned revision", map[string]string{"fleet/clusters/one.yaml": "name: one\nprofile: small\nenvironment: dev\nprovider: eks\nrevision: main\n"},
			nil, []string{`fleet/clusters/one.yaml:5:11: revision: "main" is not a commit hash (expected a full commit hash (40 lowercase hex digits)); fleetup fleet rollout writes it; remove the key to follow the branch`}},
		{"a layer not in fleet.yaml", map[string]string{"fleet/inventory/enviroment/prod.yaml": "tags: {environment: prod}\n"},
			nil, []string{`fleet/inventory/enviroment/prod.yaml:1:1: "enviroment" is not a layer of fleet.yaml (expected a file under one of environment or provider); did you mean "environment"?`}},
		{"invalid cluster file name", map[string]string{"fleet/clusters/Two_B.yaml": "name: two-b\n"},
			nil, []string{`fleet/clusters/Two_B.yaml:1:1: file name "Two_B" is not a DNS-1123 label (expected lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters); did you mean "two-b"?`}},
		{"invalid cluster name", map[string]string{"fleet/clusters/one.yaml": "name: One\nprofile: small\nenvironment: dev\nprovider: eks\n"},
			nil, []string{`fleet/clusters/one.yaml:1:7: name: "One" is not a DNS-1123 label (expected lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters); did you mean "one"?`}},
		{"name differs from the file name, and a duplicate", map[string]string{"fleet/clusters/a.yaml": "name: one\nprofile: small\nenvironment: dev\nprovider: eks\n"},
			nil, []string{
				`fleet/clusters/a.yaml:1:7: name: "one" differs from the file name "a.yaml" (expected the file's name without .yaml); rename the file to one.yaml or write name: a`,
				`fleet/clusters/one.yaml:1:1: name: cluster "one" is also defined in fleet/clusters/a.yaml (expected each cluster name once)`}},
		{"missing keys", map[string]string{"fleet/clusters/one.yaml": "environment: dev\n"},
			nil, []string{
				`fleet/clusters/one.yaml:1:1: name: missing (expected the cluster's name, the file's name without .yaml); add name: one`,
				`fleet/clusters/one.yaml:1:1: profile: missing (expected the profile the cluster is made from (fleet/profiles/<profile>.yaml))`,
				`fleet/clusters/one.yaml:1:1: provider: missing (expected the cluster's provider (a name in fleet/inventory/provider/))`}},
		{"bad layers in fleet.yaml", map[string]string{"fleet/fleet.yaml": "layers: [environment, Provider, environment, name]\nchart: ../x\n"},
			nil, []string{
				`fleet/fleet.yaml:1:23: layers[1]: "Provider" is not a layer name (expected a DNS-1123 label (it is a directory and a key of cluster files)); did you mean "provider"?`,
				`fleet/fleet.yaml:1:33: layers[2]: layer "environment" is listed twice (expected each layer once)`,
				`fleet/fleet.yaml:1:46: layers[3]: "name" is a key of cluster files (expected a layer name other than name, profile, wave, revision, decommission, overrides, cluster, chart, path)`,
				`fleet/fleet.yaml:2:8: chart: "../x" is not a path inside the repository (expected a relative path such as "packages/fleet-cluster")`}},
		{"unknown key in fleet.yaml", map[string]string{"fleet/fleet.yaml": "layer: [environment]\n"},
			nil, []string{`fleet/fleet.yaml:1:1: layer: unknown key "layer" (expected one of layers, chart); did you mean "layers"?`}},
		{"YAML syntax", map[string]string{"fleet/clusters/one.yaml": "name: one\nprofile: [small\n"},
			nil, []string{`fleet/clusters/one.yaml:1:1: invalid YAML: did not find expected ',' or ']' (expected valid YAML syntax)`}},
		{"a .yml file", map[string]string{"fleet/clusters/two.yml": "name: two\n"},
			nil, []string{`fleet/clusters/two.yml:1:1: a .yml file is not read (expected a cluster named <name>.yaml); rename it to two.yaml`}},
		{"Helm reads a key differently", map[string]string{"fleet/inventory/environment/dev.yaml": "tags:\n  on: call\n"},
			nil, []string{`fleet/inventory/environment/dev.yaml:2:3: tags.on: Helm reads the key "on" as another key (YAML 1.1) (expected a key both YAML readers agree on); quote it: "on"`}},
		{"Helm reads a value differently", map[string]string{"fleet/inventory/environment/dev.yaml": "tags:\n  environment: yes\n"},
			nil, []string{`fleet/inventory/environment/dev.yaml:2:16: tags.environment: Helm reads "yes" as the boolean true (YAML 1.1), not as the string "yes" (expected a value both YAML readers agree on); write true, or quote it: "yes"`}},
		{"a version Helm reads as a number", map[string]string{"fleet/profiles/small.yaml": "kubernetesVersion: 1.30\n"},
			nil, []string{`fleet/profiles/small.yaml:1:20: kubernetesVersion: Helm reads 1.30 as the number 1.3, not as a string (expected a string); quote it: "1.30"`}},
		{"a quoted boolean", map[string]string{"fleet/profiles/small.yaml": "kubernetesVersion: v1.34\naddons: {cert-manager: {enabled: \"false\"}}\n"},
			nil, []string{"fleet/profiles/small.yaml:2:34: addons.cert-manager.enabled: the string \"false\" is not a boolean for Helm (a template's `if` takes any non-empty string as true) (expected true or false); write it without quotes"}},
		{"an enum", map[string]string{"fleet/inventory/provider/mem.yaml": "provider:\n  flavour: in-memroy\n"},
			nil, []string{`fleet/inventory/provider/mem.yaml:2:12: provider.flavour: "in-memroy" is not allowed (expected one of eks, in-memory, existing); did you mean "in-memory"?`}},
		{"wave", map[string]string{"fleet/clusters/one.yaml": "name: one\nprofile: small\nenvironment: dev\nprovider: eks\nwave: 1001\n"},
			nil, []string{`fleet/clusters/one.yaml:5:7: wave: 1001 is out of range (expected a whole number from 0 to 1000)`}},
		{"decommission as a string", map[string]string{"fleet/clusters/one.yaml": "name: one\nprofile: small\nenvironment: dev\nprovider: eks\ndecommission: \"true\"\n"},
			nil, []string{`fleet/clusters/one.yaml:5:15: decommission: got "true" (str) (expected true or false (fleetup cluster delete writes it)); write true or false, lower-case and unquoted`}},
		{"decommission as a number", map[string]string{"fleet/clusters/one.yaml": "name: one\nprofile: small\nenvironment: dev\nprovider: eks\ndecommission: 1\n"},
			nil, []string{`fleet/clusters/one.yaml:5:15: decommission: got "1" (int) (expected true or false (fleetup cluster delete writes it))`}},
		{"a layer called decommission", map[string]string{"fleet/fleet.yaml": "layers: [environment, provider, decommission]\n"},
			nil, []string{`fleet/fleet.yaml:1:33: layers[2]: "decommission" is a key of cluster files (expected a layer name other than name, profile, wave, revision, decommission, overrides, cluster, chart, path)`}},
		{"unknown addon", map[string]string{"fleet/inventory/environment/dev.yaml": "addons:\n  cert-manger: {enabled: false}\n"},
			[]string{"cert-manager", "external-dns"}, []string{`fleet/inventory/environment/dev.yaml:2:3: addons.cert-manger: "cert-manger" is not an addon of the catalog (expected one of cert-manager, external-dns); did you mean "cert-manager"?`}},
		{"an overrides key the schema lacks", map[string]string{"fleet/clusters/one.yaml": "name: one\nprofile: small\nenvironment: dev\nprovider: eks\noverrides:\n  cluster: {name: two}\n"},
			nil, []string{`fleet/clusters/one.yaml:6:3: overrides.cluster: unknown key "cluster" (expected one of kubernetesVersion, endpointAccess, nodePools, addons, tags, provider, registration)`}},
		// Only the merged values tell these.
		{"eks without a region", map[string]string{"fleet/inventory/provider/eks.yaml": "provider:\n  flavour: eks\n  roleARN: \"arn:aws:iam::111122223333:role/argocd\"\n"},
			nil, []string{`fleet/clusters/one.yaml:1:7: provider.region: cluster "one" has no provider.region (expected the AWS region); set it in the profile, a layer's file or the cluster's overrides`}},
		{"no flavour", map[string]string{"fleet/inventory/provider/eks.yaml": "tags: {}\n"},
			nil, []string{`fleet/clusters/one.yaml:1:7: provider.flavour: cluster "one" has no provider.flavour (expected the flavour: eks, in-memory or existing); set it in the provider layer's file`}},
		{"bounds set by different files", map[string]string{"fleet/inventory/environment/dev.yaml": "nodePools:\n  workers:\n    scaling:\n      minSize: 5\n"},
			nil, []string{`fleet/clusters/one.yaml:1:7: nodePools.workers.scaling: minSize 5 (fleet/inventory/environment/dev.yaml:4:16) is above maxSize 3 (fleet/profiles/small.yaml:6:36) (expected minSize <= maxSize)`}},
		{"a null switches the only pool off", map[string]string{"fleet/clusters/one.yaml": "name: one\nprofile: small\nenvironment: dev\nprovider: eks\noverrides:\n  nodePools:\n    workers: null\n"},
			nil, []string{`fleet/clusters/one.yaml:1:7: nodePools: cluster "one" has no nodePools (expected at least one enabled node pool); add one to the profile`}},
		{"the cluster file's own value is shown where it is written", map[string]string{"fleet/clusters/one.yaml": "name: one\nprofile: small\nenvironment: dev\nprovider: eks\noverrides:\n  nodePools:\n    workers:\n      replicas: 9\n"},
			nil, []string{`fleet/clusters/one.yaml:8:17: nodePools.workers.replicas: replicas 9 (fleet/clusters/one.yaml:8:17) is outside minSize 1 (fleet/profiles/small.yaml:6:24) .. maxSize 3 (fleet/profiles/small.yaml:6:36) (expected replicas between minSize and maxSize)`}},
		{"many problems at once", map[string]string{
			"fleet/profiles/small.yaml":            "kubernetesVersion: v1\n",
			"fleet/inventory/environment/dev.yaml": "tag: {}\n",
			"fleet/clusters/one.yaml":              "name: one\nprofile: small\nenvironment: dev\nprovider: eks\nwave: x\n",
		}, nil, []string{
			`fleet/clusters/one.yaml:5:7: wave: got "x" (str) (expected a whole number from 0 to 1000)`,
			`fleet/inventory/environment/dev.yaml:1:1: tag: unknown key "tag" (expected one of kubernetesVersion, endpointAccess, nodePools, addons, tags, provider, registration); did you mean "tags"?`,
			`fleet/profiles/small.yaml:1:20: kubernetesVersion: "v1" is not a Kubernetes version (expected a version such as "v1.34")`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fsys := smallFleet()
			for name, data := range c.edit {
				if data == "" {
					delete(fsys, name)
					continue
				}
				fsys[name] = file(data)
			}
			_, errs := load(t, fsys, Options{Addons: c.addon})
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("errors\n got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

// TestDecommissionMarker: the marker `cluster delete` writes is the
// cluster's Decommission and the chart's cluster.decommission; false is
// as good as absent for the chart, but still read.
func TestDecommissionMarker(t *testing.T) {
	for _, c := range []struct {
		line string
		want bool
	}{{"decommission: true\n", true}, {"decommission: false\n", false}, {"", false}} {
		fsys := smallFleet()
		fsys["fleet/clusters/one.yaml"] = file("name: one\nprofile: small\nenvironment: dev\nprovider: eks\n" + c.line)
		f, errs := load(t, fsys, Options{})
		if errs != nil {
			t.Fatalf("%q: %v", c.line, errs)
		}
		one := f.Cluster("one")
		if one.Decommission != c.want {
			t.Errorf("%q: Decommission = %v", c.line, one.Decommission)
		}
		got := one.Effective.Get("cluster", "decommission")
		switch {
		case c.line == "" && got != nil:
			t.Errorf("no marker, but cluster.decommission = %v", got.Leaf)
		case c.line != "" && (got == nil || got.Leaf != c.want):
			t.Errorf("%q: cluster.decommission = %v", c.line, got)
		}
	}
}

func TestEmptyFilesAndDirectories(t *testing.T) {
	fsys := smallFleet()
	fsys["fleet/inventory/environment/dev.yaml"] = file("# nothing for dev yet\n")
	fsys["fleet/README.md"] = file("# notes\n")
	fsys["fleet/inventory/site/.gitkeep"] = file("")
	f, errs := load(t, fsys, Options{})
	if errs != nil {
		t.Fatal(errs)
	}
	if _, ok := f.Inventory["environment"]["dev"]; !ok {
		t.Fatal("an empty layer file is a layer value with no values")
	}
	delete(fsys, "fleet/fleet.yaml")
	fsys["fleet/clusters/one.yaml"] = file("name: one\nprofile: small\nenvironment: dev\ncustomer: a\nsite: b\nprovider: eks\n")
	if _, errs := load(t, fsys, Options{}); len(errs) != 2 || !strings.Contains(errs[0].Error(), `no customer "a"`) || !strings.Contains(errs[1].Error(), `no site "b"`) {
		t.Fatalf("without fleet.yaml the default layers apply; got %v", errs)
	}
}

func TestLoadHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Load(ctx, smallFleet(), "fleet", Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}
