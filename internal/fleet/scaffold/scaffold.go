// Package scaffold makes fleet files as users write them: the fleet that
// `fleetup fleet init` starts with and a cluster file for `fleetup cluster
// create`, a view of the fleet with those files in place for the loader to
// check before anything is written, and the writes themselves, undone
// when what follows them fails.
package scaffold

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"text/template"

	"github.com/fleetup/fleetup/packages"
)

// files holds what init writes, paths relative to the fleet directory;
// a .tmpl file is a text/template of InitOptions.
//
//go:embed files
var files embed.FS

// InitOptions shape the scaffold.
type InitOptions struct {
	// Addons are the catalog's addon names, listed (switched off) in the
	// example profile's bundle; nil when the catalog did not load.
	Addons []string
}

// File is one file to write.
type File struct {
	// Path is slash-separated, relative to the fleet directory (InitFiles)
	// or to the repository (ChartFiles).
	Path string
	Data []byte
}

// InitFiles is the fleet `fleetup fleet init` writes: fleet.yaml with the
// default layers and chart, an example profile and one example file per
// layer, commented, sorted by path.
func InitFiles(opts InitOptions) ([]File, error) {
	var out []File
	err := fs.WalkDir(files, "files", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(p, "files/")
		if strings.HasSuffix(rel, ".tmpl") {
			rel = strings.TrimSuffix(rel, ".tmpl")
			if data, err = execute(rel, data, opts); err != nil {
				return err
			}
		}
		out = append(out, File{Path: rel, Data: data})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scaffold: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

func execute(name string, text []byte, opts InitOptions) ([]byte, error) {
	t, err := template.New(path.Base(name)).Option("missingkey=error").Parse(string(text))
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", name, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, opts); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	return b.Bytes(), nil
}

// ChartFiles is the fleet's chart (fleetup's packages/fleet-cluster) as
// files under dir, a slash-separated path relative to the repository:
// what `fleet init` writes where fleet.yaml's chart is missing.
func ChartFiles(dir string) ([]File, error) {
	var out []File
	err := fs.WalkDir(packages.FleetCluster, "fleet-cluster", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(packages.FleetCluster, p)
		if err != nil {
			return err
		}
		out = append(out, File{Path: path.Join(dir, strings.TrimPrefix(p, "fleet-cluster/")), Data: data})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scaffold the chart: %w", err)
	}
	return out, nil
}
