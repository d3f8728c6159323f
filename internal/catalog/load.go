package catalog

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/decode"
	"gopkg.in/yaml.v3"
)

// Catalog is the loaded addon catalog with config.yaml's overrides applied.
type Catalog struct {
	PackagesDir string // local packages tree
	RepoRoot    string // local checkout root that addon paths are relative to
	File        string // packages/addons/values.yaml
	Globals     Globals
	Addons      []*Addon       // every entry, in file order
	Values      map[string]any // the file as plain values, overrides applied: the AppSet chart's input
	// Overrides are the entries' keys config.yaml's addons section sets
	// (enabled, defaultVersion, valuesObject, healthTimeout), by addon.
	Overrides map[string]any
	// Fleet is whether the repository has a fleet directory next to
	// config.yaml: the hub then carries LabelFleet, which switches on the
	// addons that manage workload clusters (Cluster API).
	Fleet bool
}

// FleetDir is the fleet's directory next to config.yaml.
const FleetDir = "fleet"

// CatalogFile is the catalog's path inside the packages tree.
const CatalogFile = "addons/values.yaml"

// Load reads the catalog of cfg's packages tree, applies cfg's addon
// overrides and validates the result against the hub cluster's labels.
func Load(cfg *config.Config) (*Catalog, error) {
	file := filepath.Join(cfg.PackagesDir(), CatalogFile)
	data, err := os.ReadFile(file)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, &decode.Error{File: cfg.File, Line: cfg.Pos("repo.basepath").Line, Column: cfg.Pos("repo.basepath").Column, Path: "repo.basepath",
				Msg: fmt.Sprintf("no catalog at %s", file), Expected: "a packages tree with " + CatalogFile, Hint: "run fleetup from your fork's checkout, or fix repo.basepath"}
		}
		return nil, fmt.Errorf("read catalog: %w", err)
	}
	rel := file
	if r, err := filepath.Rel(cfg.Dir, file); err == nil && !strings.HasPrefix(r, "..") {
		rel = r
	}
	c, err := Parse(rel, data)
	if err != nil {
		return nil, err
	}
	c.PackagesDir, c.RepoRoot, c.File = cfg.PackagesDir(), cfg.Dir, rel
	if c.Fleet, err = hasFleet(cfg.Dir); err != nil {
		return nil, err
	}
	if err := c.applyOverrides(cfg); err != nil {
		return nil, err
	}
	if err := c.validate(selectionLabels(cfg, c)); err != nil {
		return nil, err
	}
	return c, nil
}

// hasFleet reports whether dir has a fleet directory; a file of that name
// is not a fleet, as plan's fleet wiring also reads it.
func hasFleet(dir string) (bool, error) {
	st, err := os.Stat(filepath.Join(dir, FleetDir))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("fleet directory: %w", err)
	}
	return st.IsDir(), nil
}

var globalKeys = decode.Fields(reflect.TypeOf(Globals{}))

// Parse decodes catalog data; it checks structure only, not references.
func Parse(file string, data []byte) (*Catalog, error) {
	root, err := decode.Parse(file, data)
	if err != nil {
		return nil, err
	}
	res := &decode.Result{File: file}
	if root.Kind != yaml.MappingNode {
		return nil, &decode.Error{File: file, Line: root.Line, Column: root.Column, Msg: "the catalog is not a mapping", Expected: "a mapping of addon names to entries"}
	}
	c := &Catalog{File: file}
	globals := &yaml.Node{Kind: yaml.MappingNode, Line: root.Line, Column: root.Column}
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			res.Errors = append(res.Errors, &decode.Error{File: file, Line: k.Line, Column: k.Column, Msg: "a non-string key", Expected: "an addon name"})
			continue
		}
		name := k.Value
		if seen[name] {
			res.Errors = append(res.Errors, &decode.Error{File: file, Line: k.Line, Column: k.Column, Path: name, Msg: fmt.Sprintf("duplicate key %q", name), Expected: "each addon once"})
			continue
		}
		seen[name] = true
		if slices.Contains(globalKeys, name) {
			globals.Content = append(globals.Content, k, v)
			continue
		}
		entry := v
		for entry.Kind == yaml.AliasNode && entry.Alias != nil {
			entry = entry.Alias
		}
		if entry.Kind != yaml.MappingNode || !hasKey(entry, "enabled") {
			hint := decode.DidYouMean(name, globalKeys)
			if hint == "" {
				hint = "an addon entry is a mapping with at least `enabled`"
			}
			res.Errors = append(res.Errors, &decode.Error{File: file, Line: k.Line, Column: k.Column, Path: name,
				Msg: fmt.Sprintf("%q is neither a catalog setting nor an addon entry", name), Expected: "an addon (a mapping with enabled) or one of " + strings.Join(globalKeys, ", "), Hint: hint})
			continue
		}
		a := &Addon{Name: name, Pos: decode.Pos{Line: k.Line, Column: k.Column}, node: entry}
		decode.Into(res, name, entry, a)
		c.Addons = append(c.Addons, a)
	}
	decode.Into(res, "", globals, &c.Globals)
	if !hasKey(globals, "valueFiles") {
		// CNOE's appset chart reads packages/<addon>/values.yaml when the
		// catalog names no value files; so do the Helm releases.
		c.Globals.ValueFiles = DefaultValueFiles()
	}
	if len(res.Errors) == 0 {
		vals, _ := decode.Generic(res, "", root).(map[string]any)
		c.Values = vals
	}
	if len(res.Errors) > 0 {
		return nil, res.Errors
	}
	for _, a := range c.Addons {
		a.depPos = map[int]decode.Pos{}
		for i := range a.DependsOn {
			a.depPos[i] = res.Positions[fmt.Sprintf("%s.dependsOn[%d]", a.Name, i)]
		}
		if p, ok := res.Positions[a.Name+".path"]; ok {
			a.depPos[-1] = p
		}
	}
	return c, nil
}

// DefaultValueFiles are the value files of CNOE's appset chart's defaults.
func DefaultValueFiles() []string { return []string{"values.yaml"} }

func hasKey(n *yaml.Node, key string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return true
		}
	}
	return false
}

// Get returns the addon with this catalog key.
func (c *Catalog) Get(name string) *Addon {
	for _, a := range c.Addons {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// ByChart finds the addon whose chart has this name (argo-cd is keyed
// "argocd" in CNOE's catalog but its chart is argo-cd).
func (c *Catalog) ByChart(chart string) *Addon {
	for _, a := range c.Addons {
		if a.Chart() == chart {
			return a
		}
	}
	return c.Get(chart)
}

// Names lists every addon name in file order.
func (c *Catalog) Names() []string {
	out := make([]string, len(c.Addons))
	for i, a := range c.Addons {
		out[i] = a.Name
	}
	return out
}
