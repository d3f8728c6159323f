package scaffold

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/fleet"
)

// TestEncodeShippedClusters writes every shipped cluster again from its
// parts, overrides given as --set flags, and checks that each loads to
// exactly the values of the file a person wrote.
func TestEncodeShippedClusters(t *testing.T) {
	ctx := context.Background()
	orig, err := fleet.Load(ctx, repo, "fleet", fleet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sets := map[string][]string{
		"prod-acme-fra":   {"nodePools.workers.instanceType=m7i.2xlarge", "nodePools.workers.scaling.maxSize=20"},
		"prod-globex-iad": {"kubernetesVersion=v1.33"},
	}
	o := &Overlay{Base: repo, Files: map[string][]byte{}}
	for _, c := range orig.Clusters {
		overrides, err := ParseSet(sets[c.Name], nil)
		if err != nil {
			t.Fatal(err)
		}
		data, err := Cluster{Name: c.Name, Profile: c.Profile, Layers: c.Layers, Wave: c.Wave, Overrides: overrides}.Encode(orig.Settings.Layers)
		if err != nil {
			t.Fatal(err)
		}
		o.Files[c.File] = data
	}
	again, err := fleet.Load(ctx, o, "fleet", fleet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range orig.Clusters {
		d := again.Cluster(c.Name)
		if !reflect.DeepEqual(d.Effective.Plain(), c.Effective.Plain()) {
			t.Errorf("%s: values differ:\n%v\n%v\n%s", c.Name, d.Effective.Plain(), c.Effective.Plain(), o.Files[c.File])
		}
	}
	want := `# Cluster prod-acme-fra, made from profile standard. Written by ` + "`fleetup cluster create`" + `:
# edit it freely (docs/fleet.md); ` + "`fleetup fleet render prod-acme-fra`" + ` shows its values.
name: prod-acme-fra
profile: standard
environment: prod
customer: acme
site: fra
provider: eks
wave: 1
overrides:
  nodePools:
    workers:
      instanceType: m7i.2xlarge
      scaling:
        maxSize: 20
`
	if got := string(o.Files["fleet/clusters/prod-acme-fra.yaml"]); got != want {
		t.Errorf("prod-acme-fra.yaml:\n%s\nwant:\n%s", got, want)
	}
}

func TestParseSetTypes(t *testing.T) {
	got, err := ParseSet([]string{
		"nodePools.workers.replicas=5",
		"addons.external-dns.enabled=false",
		"kubernetesVersion=1.30",
		"tags.team=platform,tags.cost-center=0042",
		"endpointAccess.publicCIDRs={10.0.0.0/8,192.168.0.0/16}",
		`nodePools.gpu.labels.nvidia\.com/gpu=true`,
		"nodePools.workers.replicas=6",
		"provider.identity=null",
		"tags.tier=1",
	}, []string{"tags.tier=1", "addons.cert-manager.enabled=true"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"nodePools": map[string]any{
			"workers": map[string]any{"replicas": int64(6)},
			"gpu":     map[string]any{"labels": map[string]any{"nvidia.com/gpu": true}},
		},
		"addons":            map[string]any{"external-dns": map[string]any{"enabled": false}, "cert-manager": map[string]any{"enabled": "true"}},
		"kubernetesVersion": "1.30",
		"tags":              map[string]any{"team": "platform", "cost-center": "0042", "tier": "1"},
		"endpointAccess":    map[string]any{"publicCIDRs": []any{"10.0.0.0/8", "192.168.0.0/16"}},
		"provider":          map[string]any{"identity": nil},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseSet:\n%#v\nwant\n%#v", got, want)
	}
	if _, err := ParseSet([]string{"nodePools.workers"}, nil); err == nil || !strings.Contains(err.Error(), `--set "nodePools.workers"`) {
		t.Errorf("no value: %v", err)
	}
}

// TestEncodeQuotesAsHelmReads: strings that YAML 1.1 (Helm) would read
// as something else are quoted, so the loader, which refuses any value
// its two readers disagree on, reads what --set meant.
func TestEncodeQuotesAsHelmReads(t *testing.T) {
	o := initOverlay(t, InitOptions{})
	c := Cluster{Name: "quoted", Profile: "standard",
		Layers: map[string]string{"environment": "dev", "customer": "example", "site": "lab", "provider": "in-memory"},
		Overrides: map[string]any{
			"kubernetesVersion": "1.30",
			"tags":              map[string]any{"yes": "on", "owner": "y", "flag": "true", "number": "0042", "octal": "0o17"},
		}}
	data, err := c.Encode(fleet.DefaultLayers())
	if err != nil {
		t.Fatal(err)
	}
	o.Files["fleet/clusters/quoted.yaml"] = data
	f, err := fleet.Load(context.Background(), o, "fleet", fleet.Options{})
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	wantLeaves(t, f.Cluster("quoted").Effective, map[string]any{
		"kubernetesVersion": "1.30", "tags.yes": "on", "tags.owner": "y", "tags.flag": "true", "tags.number": "0042", "tags.octal": "0o17",
	}, data)
}
