package scaffold

import (
	"context"
	"os"
	"path"
	"reflect"
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/catalog"
	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/fleet"
)

// repo is the repository root, where the shipped fleet/ and catalog are.
var repo = os.DirFS("../../..")

// catalogAddons are the addons of the shipped config.yaml's catalog.
func catalogAddons(t *testing.T) []string {
	t.Helper()
	cfg, err := config.Load("../../../config.yaml")
	if err == nil {
		var c *catalog.Catalog
		if c, err = catalog.Load(cfg); err == nil {
			return c.Names()
		}
	}
	t.Fatal(err)
	return nil
}

// wantLeaves checks values of v by dotted path.
func wantLeaves(t *testing.T, v *fleet.Value, want map[string]any, context []byte) {
	t.Helper()
	for path, w := range want {
		if got := v.Get(strings.Split(path, ".")...); got == nil || got.Leaf != w {
			t.Errorf("%s: %v, want %#v\n%s", path, got, w, context)
		}
	}
}

// initOverlay is an empty repository with init's files under fleet/.
func initOverlay(t *testing.T, opts InitOptions) *Overlay {
	t.Helper()
	files, err := InitFiles(opts)
	if err != nil {
		t.Fatal(err)
	}
	o := &Overlay{Base: os.DirFS(t.TempDir()), Files: map[string][]byte{}}
	for _, f := range files {
		o.Files[path.Join("fleet", f.Path)] = f.Data
	}
	return o
}

func TestInitFilesValidate(t *testing.T) {
	addons := catalogAddons(t)
	for name, opts := range map[string]InitOptions{"with the catalog": {Addons: addons}, "without": {}} {
		t.Run(name, func(t *testing.T) {
			o := initOverlay(t, opts)
			var paths []string
			for p := range o.Files {
				paths = append(paths, p)
			}
			if len(paths) != 6 {
				t.Errorf("files: %v", paths)
			}
			f, err := fleet.Load(context.Background(), o, "fleet", fleet.Options{Addons: addons})
			if err != nil {
				t.Fatalf("init's fleet does not load:\n%v", err)
			}
			if !reflect.DeepEqual(f.Settings.Layers, fleet.DefaultLayers()) || len(f.Profiles) != 1 || len(f.Clusters) != 0 {
				t.Errorf("fleet %+v", f.Settings)
			}
			for _, layer := range fleet.DefaultLayers() {
				if len(f.Inventory[layer]) != 1 {
					t.Errorf("layer %s: %d files, want one example", layer, len(f.Inventory[layer]))
				}
			}
			bundle := f.Profiles["standard"].Spec.Addons
			if len(bundle) != len(opts.Addons) {
				t.Errorf("bundle %v, want the catalog's %d addons", bundle, len(opts.Addons))
			}
			for a, v := range bundle {
				if v.Enabled == nil || *v.Enabled {
					t.Errorf("addon %s: init switches every addon off", a)
				}
			}
		})
	}
}

// TestInitThenCluster: a cluster made of init's example names is valid
// and gets its values from every layer.
func TestInitThenCluster(t *testing.T) {
	o := initOverlay(t, InitOptions{})
	wave := 0
	c := Cluster{Name: "demo", Profile: "standard", Wave: &wave,
		Layers: map[string]string{"environment": "dev", "customer": "example", "site": "lab", "provider": "in-memory"}}
	data, err := c.Encode(fleet.DefaultLayers())
	if err != nil {
		t.Fatal(err)
	}
	o.Files["fleet/clusters/demo.yaml"] = data
	f, err := fleet.Load(context.Background(), o, "fleet", fleet.Options{})
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	wantLeaves(t, f.Cluster("demo").Effective, map[string]any{
		"provider.flavour": "in-memory", "nodePools.workers.replicas": 1.0, "nodePools.workers.scaling.maxSize": 3.0,
		"tags.customer": "example", "tags.site": "lab", "cluster.wave": 0.0,
	}, data)
}

func TestInitFilesComments(t *testing.T) {
	files, err := InitFiles(InitOptions{Addons: []string{"cert-manager"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !strings.HasPrefix(string(f.Data), "# ") {
			t.Errorf("%s does not start with a comment saying what it is", f.Path)
		}
		if strings.Contains(string(f.Data), "{{") {
			t.Errorf("%s: template left over", f.Path)
		}
	}
}

func TestLayers(t *testing.T) {
	got, err := Layers(repo, "fleet")
	if err != nil || !reflect.DeepEqual(got, fleet.DefaultLayers()) {
		t.Errorf("shipped fleet: %v %v", got, err)
	}
	o := &Overlay{Base: os.DirFS(t.TempDir()), Files: map[string][]byte{"f/fleet.yaml": []byte("# no layers\nchart: x\n")}}
	if got, err := Layers(o, "f"); err != nil || !reflect.DeepEqual(got, fleet.DefaultLayers()) {
		t.Errorf("no layers key: %v %v", got, err)
	}
	o.Files["f/fleet.yaml"] = []byte("layers: [region, team]\n")
	if got, err := Layers(o, "f"); err != nil || !reflect.DeepEqual(got, []string{"region", "team"}) {
		t.Errorf("custom layers: %v %v", got, err)
	}
	if got, err := Layers(o, "missing"); err != nil || !reflect.DeepEqual(got, fleet.DefaultLayers()) {
		t.Errorf("no fleet.yaml: %v %v", got, err)
	}
	o.Files["f/fleet.yaml"] = []byte("layers: [\n")
	if _, err := Layers(o, "f"); err == nil {
		t.Error("a broken fleet.yaml must say so")
	}
}
