package scaffold

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

func TestOverlayFS(t *testing.T) {
	base := fstest.MapFS{
		"fleet/fleet.yaml":                   {Data: []byte("layers: [env]\n")},
		"fleet/clusters/a.yaml":              {Data: []byte("name: a\n")},
		"fleet/clusters/b.yaml":              {Data: []byte("name: b\n")},
		"fleet/inventory/env/dev.yaml":       {Data: []byte("{}\n")},
		"packages/fleet-cluster/values.yaml": {Data: []byte("x: 1\n")},
	}
	o := &Overlay{Base: base,
		Files:   map[string][]byte{"fleet/clusters/b.yaml": []byte("name: b\nwave: 1\n"), "fleet/clusters/c.yaml": []byte("name: c\n"), "fleet/profiles/new/deep.yaml": []byte("{}\n")},
		Removed: map[string]bool{"fleet/clusters/a.yaml": true},
	}
	// fstest.TestFS checks Open, ReadFile, ReadDir and Stat agree.
	if err := fstest.TestFS(o, "fleet/fleet.yaml", "fleet/clusters/b.yaml", "fleet/clusters/c.yaml", "fleet/profiles/new/deep.yaml", "packages/fleet-cluster/values.yaml"); err != nil {
		t.Fatal(err)
	}
	es, err := fs.ReadDir(o, "fleet/clusters")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "b.yaml c.yaml" {
		t.Errorf("clusters: %v", names)
	}
	if data, _ := fs.ReadFile(o, "fleet/clusters/b.yaml"); string(data) != "name: b\nwave: 1\n" {
		t.Errorf("b.yaml: %q", data)
	}
	if _, err := fs.ReadFile(o, "fleet/clusters/a.yaml"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("removed a.yaml: %v", err)
	}
}

// tree lists a directory's files and their contents, and its directories.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			out[rel+"/"] = ""
			return nil
		}
		data, err := os.ReadFile(p)
		st, _ := d.Info()
		out[rel] = string(data) + " " + st.Mode().String()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestApplyAndUndo(t *testing.T) {
	dir := t.TempDir()
	keep := filepath.Join(dir, "fleet", "clusters", "keep.yaml")
	gone := filepath.Join(dir, "fleet", "clusters", "gone.yaml")
	for _, f := range []string{keep, gone} {
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte("old "+filepath.Base(f)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	before := tree(t, dir)
	added := filepath.Join(dir, "fleet", "inventory", "site", "lab.yaml")
	a, err := Apply([]Change{{File: keep, Data: []byte("new")}, {File: gone, Remove: true}, {File: added, Data: []byte("lab")}})
	if err != nil {
		t.Fatal(err)
	}
	after := tree(t, dir)
	if after["fleet/clusters/keep.yaml"] != "new -rw-------" || after["fleet/inventory/site/lab.yaml"] != "lab -rw-r--r--" {
		t.Errorf("after Apply: %v", after)
	}
	if _, ok := after["fleet/clusters/gone.yaml"]; ok {
		t.Error("gone.yaml still there")
	}
	if err := a.Undo(); err != nil {
		t.Fatal(err)
	}
	if got := tree(t, dir); !equalMaps(got, before) {
		t.Errorf("after Undo:\n%v\nwant\n%v", got, before)
	}
}

func TestApplyUndoesOnFailure(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := tree(t, dir)
	// The second change needs a directory where a file is.
	_, err := Apply([]Change{{File: filepath.Join(dir, "a", "b.yaml"), Data: []byte("b")}, {File: filepath.Join(blocker, "c.yaml"), Data: []byte("c")}})
	if err == nil {
		t.Fatal("Apply into a file must fail")
	}
	if got := tree(t, dir); !equalMaps(got, before) {
		t.Errorf("a failed Apply left %v, want %v", got, before)
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
