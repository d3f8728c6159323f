package rollout

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/fleet"
	"gopkg.in/yaml.v3"
)

const sha1 = "0123456789abcdef0123456789abcdef01234567"
const sha2 = "89abcdef0123456789abcdef0123456789abcdef"

func TestPin(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"after wave", "name: a\nprofile: p\nwave: 2\nenvironment: dev\n", "name: a\nprofile: p\nwave: 2\nrevision: " + sha1 + "\nenvironment: dev\n"},
		{"no wave: at the end", "# the edge site\nname: a\nprofile: p\noverrides:\n  tags: {x: y}\n", "# the edge site\nname: a\nprofile: p\noverrides:\n  tags: {x: y}\nrevision: " + sha1 + "\n"},
		{"no final newline", "name: a\nwave: 1", "name: a\nwave: 1\nrevision: " + sha1 + "\n"},
		{"replaced, comment kept", "name: a\nrevision: " + sha2 + "  # pinned by fleet rollout\nwave: 1\n", "name: a\nrevision: " + sha1 + "  # pinned by fleet rollout\nwave: 1\n"},
		{"replaced, quoted", "name: a\nrevision: \"" + sha2 + "\"\r\n", "name: a\nrevision: " + sha1 + "\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Pin([]byte(tc.in), sha1)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
			var m map[string]any
			if err := yaml.Unmarshal(got, &m); err != nil || m["revision"] != sha1 {
				t.Errorf("pinned file reads revision %v (%v)", m["revision"], err)
			}
		})
	}
	if _, err := Pin([]byte("- a\n"), sha1); err == nil {
		t.Error("a list pinned")
	}
}

// TestPinShippedClusters pins every shipped cluster file; each must load
// with the pin and keep every other byte.
func TestPinShippedClusters(t *testing.T) {
	files, err := filepath.Glob("../../../fleet/clusters/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("shipped clusters: %v %v", files, err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Pin(data, sha1)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if removed := strings.Replace(string(got), "revision: "+sha1+"\n", "", 1); removed != string(data) {
			t.Errorf("%s: pin changed more than one line:\n%s", f, got)
		}
	}
}

func TestWaves(t *testing.T) {
	n := func(i int) *int { return &i }
	f := &fleet.Fleet{Clusters: []*fleet.Cluster{
		{Name: "c", Wave: n(2)}, {Name: "late"}, {Name: "b", Wave: n(0)}, {Name: "a", Wave: n(2)}, {Name: "d", Wave: n(10)},
	}}
	var got []string
	for _, w := range Waves(f) {
		var names []string
		for _, c := range w.Clusters {
			names = append(names, c.Name)
		}
		got = append(got, w.Key()+":"+strings.Join(names, ","))
	}
	if want := "0:b 2:a,c 10:d none:late"; strings.Join(got, " ") != want {
		t.Errorf("waves %q, want %q", strings.Join(got, " "), want)
	}
}
