package fleet

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/fleetup/fleetup/internal/decode"
)

// Options change what Load checks.
type Options struct {
	// Addons are the catalog's addon names: a bundle naming another addon
	// is an error. nil: not checked.
	Addons []string
	// Cache, when set, is shared with other loads of the same fleet (a
	// diff's two sides): unchanged files are not parsed again.
	Cache *LoadCache
}

// fleetLoader is one Load: what has been read so far and every problem found.
type fleetLoader struct {
	ctx  context.Context
	fsys fs.FS
	opts Options
	f    *Fleet
	errs decode.Errors
	// bad are files with problems: clusters using them are not merged,
	// which would only repeat the problem.
	bad map[string]bool
	// memo shares merge work between clusters.
	memo *mergeMemo
}

// Load reads the fleet directory dir of fsys, a view of the repository
// (dir is "fleet" for <repo>/fleet; file names in errors and origins are
// paths in fsys), checks everything and merges every cluster's values.
// Every problem comes back at once as decode.Errors; other errors are I/O.
func Load(ctx context.Context, fsys fs.FS, dir string, opts Options) (*Fleet, error) {
	l := &fleetLoader{ctx: ctx, fsys: fsys, opts: opts, bad: map[string]bool{}, memo: &mergeMemo{overlays: map[string]*Value{}},
		f: &Fleet{Dir: dir, Profiles: map[string]*ValueFile{}, Inventory: map[string]map[string]*ValueFile{}}}
	if err := l.load(); err != nil {
		return nil, err
	}
	if len(l.errs) > 0 {
		sortErrors(l.errs)
		return nil, l.errs
	}
	return l.f, nil
}

func (l *fleetLoader) load() error {
	file := path.Join(l.f.Dir, SettingsFile)
	data, err := readFile(l.fsys, file)
	if err != nil {
		return err
	}
	settings, layersOK, errs := parseSettings(file, data)
	l.f.Settings = settings
	l.add(file, errs)
	steps := []func() error{l.chart, l.profiles}
	if layersOK { // without the layers, inventory and cluster files cannot be read
		steps = append(steps, l.inventory, l.clusters)
	}
	for _, step := range steps {
		if err := l.ctx.Err(); err != nil {
			return err
		}
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// add records problems of file.
func (l *fleetLoader) add(file string, errs decode.Errors) {
	if len(errs) > 0 {
		l.bad[file] = true
		l.errs = append(l.errs, errs...)
	}
}

func (l *fleetLoader) known() knownAddons {
	if l.opts.Addons == nil {
		return nil
	}
	return knownAddons(l.opts.Addons)
}

// chart reads the chart's values.yaml, the lowest layer, when it exists.
func (l *fleetLoader) chart() error {
	file := path.Join(l.f.Settings.Chart, "values.yaml")
	l.f.ChartValues = file
	if !fs.ValidPath(file) {
		return nil // fleet.yaml's chart is reported
	}
	data, err := readFile(l.fsys, file)
	if err != nil || data == nil {
		return err
	}
	tree, errs := l.opts.Cache.readChart(file, data)
	l.add(file, errs)
	if tree != nil {
		l.f.Chart = &ValueFile{File: file, Layer: "chart", Tree: tree}
	}
	return nil
}

func (l *fleetLoader) profiles() error {
	dir := path.Join(l.f.Dir, "profiles")
	entries, errs, err := listYAML(l.fsys, dir, "a profile")
	if err != nil {
		return err
	}
	l.errs = append(l.errs, errs...)
	for _, e := range entries {
		vf, err := l.valueFile(e, "profile")
		if err != nil {
			return err
		}
		l.f.Profiles[e.name] = vf
	}
	return nil
}

func (l *fleetLoader) valueFile(e entry, layer string) (*ValueFile, error) {
	if err := l.ctx.Err(); err != nil {
		return nil, err
	}
	vf, errs, err := l.opts.Cache.valueFile(l.fsys, e.file, layer, e.name, l.known())
	if err != nil {
		return nil, err
	}
	l.add(e.file, errs)
	return vf, nil
}

// inventory reads fleet/inventory/<layer>/<name>.yaml.
func (l *fleetLoader) inventory() error {
	dir := path.Join(l.f.Dir, "inventory")
	des, err := fs.ReadDir(l.fsys, dir)
	if err != nil && !isNotExist(err) {
		return fmt.Errorf("read %s: %w", dir, err)
	}
	layers := l.f.Settings.Layers
	for _, de := range des {
		sub := path.Join(dir, de.Name())
		if !de.IsDir() {
			if isYAML(de.Name()) {
				l.errs = append(l.errs, &decode.Error{File: sub, Line: 1, Column: 1, Msg: "a file directly under inventory/",
					Expected: "fleet/inventory/<layer>/<name>.yaml", Hint: "move it into the directory of its layer"})
			}
			continue
		}
		entries, errs, err := listYAML(l.fsys, sub, "an inventory file")
		if err != nil {
			return err
		}
		l.errs = append(l.errs, errs...)
		layer := de.Name()
		if !contains(layers, layer) {
			for _, e := range entries {
				l.errs = append(l.errs, &decode.Error{File: e.file, Line: 1, Column: 1, Msg: fmt.Sprintf("%q is not a layer of fleet.yaml", layer),
					Expected: "a file under one of " + joinOr(layers), Hint: layerHint(layer, layers)})
			}
			continue
		}
		files := map[string]*ValueFile{}
		for _, e := range entries {
			vf, err := l.valueFile(e, layer)
			if err != nil {
				return err
			}
			files[e.name] = vf
		}
		l.f.Inventory[layer] = files
	}
	return nil
}

func layerHint(layer string, layers []string) string {
	if h := decode.DidYouMean(layer, layers); h != "" {
		return h
	}
	return "add it to layers in fleet/fleet.yaml"
}

// clusters reads every cluster file and merges its values, in parallel:
// each cluster is independent once profiles and inventory are read.
func (l *fleetLoader) clusters() error {
	dir := path.Join(l.f.Dir, "clusters")
	entries, errs, err := listYAML(l.fsys, dir, "a cluster")
	if err != nil {
		return err
	}
	l.errs = append(l.errs, errs...)
	out := make([]*Cluster, len(entries))
	outErrs := make([]decode.Errors, len(entries))
	var ioErr error
	var once sync.Once
	parallel(len(entries), func(i int) {
		if err := l.ctx.Err(); err != nil {
			once.Do(func() { ioErr = err })
			return
		}
		c, errs, err := l.cluster(entries[i])
		if err != nil {
			once.Do(func() { ioErr = err })
			return
		}
		out[i], outErrs[i] = c, errs
	})
	if ioErr != nil {
		return ioErr
	}
	byName := map[string]*Cluster{}
	for i, c := range out {
		l.errs = append(l.errs, outErrs[i]...)
		if c == nil {
			continue
		}
		if first, dup := byName[c.Name]; dup && c.Name != "" {
			l.errs = append(l.errs, errAt(c.File, c.pos["name"], "name", fmt.Sprintf("cluster %q is also defined in %s", c.Name, first.File), "each cluster name once", ""))
			continue
		}
		byName[c.Name] = c
		if len(outErrs[i]) == 0 {
			l.f.Clusters = append(l.f.Clusters, c)
		}
	}
	sort.Slice(l.f.Clusters, func(i, j int) bool { return l.f.Clusters[i].Name < l.f.Clusters[j].Name })
	return nil
}

// cluster reads one cluster file, resolves its references and merges it.
func (l *fleetLoader) cluster(e entry) (*Cluster, decode.Errors, error) {
	c, errs, err := l.opts.Cache.cluster(l.fsys, e.file, e.name, l.f.Settings.Layers, l.known())
	if err != nil {
		return nil, nil, err
	}
	if c == nil {
		return nil, errs, nil
	}
	errs = append(errs, l.resolve(c)...)
	if len(errs) > 0 {
		return c, errs, nil
	}
	return c, l.opts.Cache.merge(l, c), nil
}

// parallel runs fn for 0..n-1 on every CPU.
func parallel(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				fn(i)
			}
		}()
	}
	wg.Wait()
}
