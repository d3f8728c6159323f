package chart

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestDecommissionedClusterSecret: with the marker `cluster delete`
// commits first, the shipped clusters render the same objects, the
// registration and the Cluster API objects kept, but every addon switch of
// the cluster secret is "false" and it carries fleetup.dev/decommission;
// the other labels stay.
func TestDecommissionedClusterSecret(t *testing.T) {
	root := copyRepo(t)
	f0, ch0 := loadRepo(t, root)
	for _, name := range []string{"dev-acme-fra", "prod-acme-fra", "prod-globex-iad"} {
		file := "fleet/clusters/" + name + ".yaml"
		write(t, root, file, string(readFile(t, root, file))+"decommission: true\n")
	}
	f, ch := loadRepo(t, root)
	for _, name := range []string{"dev-acme-fra", "prod-acme-fra", "prod-globex-iad"} {
		t.Run(name, func(t *testing.T) {
			before, after := render(t, ch0, f0, name), render(t, ch, f, name)
			if !reflect.DeepEqual(kinds(after), kinds(before)) {
				t.Errorf("objects\n got %v\nwant %v", kinds(after), kinds(before))
			}
			labelsOf := func(ms any) map[string]any {
				l, _ := dig(ms, "spec", "target", "template", "metadata", "labels").(map[string]any)
				return l
			}
			was := labelsOf(find(t, before, "ExternalSecret", "fleet-"+name))
			now := labelsOf(find(t, after, "ExternalSecret", "fleet-"+name))
			switches := 0
			for k, v := range was {
				if strings.HasPrefix(k, "enable_") {
					switches++
					if now[k] != "false" {
						t.Errorf("%s = %v, want \"false\"", k, now[k])
					}
				} else if now[k] != v {
					t.Errorf("%s = %v, want %v as before", k, now[k], v)
				}
			}
			if switches == 0 || was["enable_cert_manager"] != "true" {
				t.Fatalf("the shipped cluster has no addon switched on to switch off: %v", was)
			}
			if now["fleetup.dev/decommission"] != "true" || len(now) != len(was)+1 {
				t.Errorf("labels %v: want the ones before, switched off, and fleetup.dev/decommission", now)
			}
			// Everything else is as before: the cluster stays registered
			// and Cluster API keeps it while its addons go.
			for i := range before {
				if before[i].Kind == "ExternalSecret" {
					continue
				}
				if !reflect.DeepEqual(before[i].Object, after[i].Object) {
					t.Errorf("%s %s changed", before[i].Kind, before[i].Name)
				}
			}
		})
	}
	// decommission: false is no marker.
	write(t, root, "fleet/clusters/dev-acme-fra.yaml", strings.Replace(string(readFile(t, root, "fleet/clusters/dev-acme-fra.yaml")), "decommission: true", "decommission: false", 1))
	f, ch = loadRepo(t, root)
	if !reflect.DeepEqual(render(t, ch, f, "dev-acme-fra"), render(t, ch0, f0, "dev-acme-fra")) {
		t.Error("decommission: false renders otherwise than no marker")
	}
}

func readFile(t *testing.T, root, rel string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	return data
}
