package fleet

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/fleetup/fleetup/internal/decode"
	"gopkg.in/yaml.v3"
)

// resolve checks that a cluster's profile and layer values exist (those
// the file names well: the others are reported already).
func (l *fleetLoader) resolve(c *Cluster) decode.Errors {
	var errs decode.Errors
	if _, ok := l.f.Profiles[c.Profile]; !ok && c.Profile != "" {
		names := keys(l.f.Profiles)
		errs = append(errs, errAt(c.File, c.Own.Get("cluster", "profile").node(), "profile",
			fmt.Sprintf("no profile %q (no %s)", c.Profile, path.Join(l.f.Dir, "profiles", c.Profile+".yaml")),
			"one of "+orNone(names), decode.DidYouMean(c.Profile, names)))
	}
	for _, layer := range l.f.Settings.Layers {
		name, named := c.Layers[layer]
		if _, ok := l.f.Inventory[layer][name]; ok || !named {
			continue
		}
		names := keys(l.f.Inventory[layer])
		errs = append(errs, errAt(c.File, c.Own.Get("cluster", "layers", layer).node(), layer,
			fmt.Sprintf("no %s %q (no %s)", layer, name, path.Join(l.f.Dir, "inventory", layer, name+".yaml")),
			"one of "+orNone(names), decode.DidYouMean(name, names)))
	}
	return errs
}

// merge computes a cluster's effective values from its value files in
// Helm's order: chart < profile < each layer < the cluster itself.
func (l *fleetLoader) merge(c *Cluster) decode.Errors {
	f := l.f
	layers := f.Settings.Layers
	profile := f.Profiles[c.Profile]
	c.Sources = make([]Source, 0, len(layers)+3)
	c.Sources = append(c.Sources, Source{Layer: "chart", File: f.ChartValues, Missing: f.Chart == nil}, Source{Layer: "profile", Name: c.Profile, File: profile.File})
	files := make([]*ValueFile, 0, len(layers)+1)
	files = append(files, profile)
	var key strings.Builder // the names of the files below the cluster
	key.WriteString(c.Profile)
	for _, layer := range layers {
		vf := f.Inventory[layer][c.Layers[layer]]
		c.Sources = append(c.Sources, Source{Layer: layer, Name: vf.Name, File: vf.File})
		files = append(files, vf)
		key.WriteByte(0)
		key.WriteString(vf.Name)
	}
	c.Sources = append(c.Sources, Source{Layer: "cluster", Name: c.Name, File: c.File})
	for _, vf := range files {
		if l.bad[vf.File] {
			return nil // reported with that file
		}
	}
	if l.bad[f.ChartValues] {
		return nil
	}
	c.Effective = coalesce(overlay(l.memo.files(key.String(), files), c.Own), l.memo.chart(f.Chart))
	return checkEffective(c)
}

// mergeMemo keeps, for one Load, what many clusters' merges share: the
// chart's values prepared for coalescing, and the overlay of each
// combination of profile and layer values (10,000 clusters use a few
// hundred). Laying the cluster's own level over that overlay gives
// the same tree: Helm's first pass is a left fold.
type mergeMemo struct {
	mu       sync.Mutex
	prepared *Value
	overlays map[string]*Value
}

// chart is prepareChart(vf's tree), computed once.
func (m *mergeMemo) chart(vf *ValueFile) *Value {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.prepared == nil {
		var tree *Value
		if vf != nil {
			tree = vf.Tree
		}
		m.prepared = prepareChart(tree)
	}
	return m.prepared
}

// files is the overlay of the files' trees, computed once per key: the
// names of the profile and layer values they are, in order.
func (m *mergeMemo) files(key string, files []*ValueFile) *Value {
	m.mu.Lock()
	v, ok := m.overlays[key]
	m.mu.Unlock()
	if ok {
		return v
	}
	trees := make([]*Value, len(files))
	for i, vf := range files {
		trees[i] = vf.Tree
	}
	v = overlayAll(trees)
	m.mu.Lock()
	m.overlays[key] = v
	m.mu.Unlock()
	return v
}

// node is where v was set, as errAt takes it; nil for no value.
func (v *Value) node() *yaml.Node {
	if v == nil {
		return nil
	}
	return &yaml.Node{Line: v.Origin.Line, Column: v.Origin.Column}
}

func keys[V any](m map[string]V) []string { return decode.SortedKeys(m) }

func orNone(names []string) string {
	if len(names) == 0 {
		return "(none yet)"
	}
	return strings.Join(names, ", ")
}

func contains(list []string, s string) bool { return slices.Contains(list, s) }
