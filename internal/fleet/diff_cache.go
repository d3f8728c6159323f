package fleet

import (
	"crypto/sha1" //nolint:gosec // Git's blob ids, to match a commit's files, not for security
	"encoding/hex"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"

	"github.com/fleetup/fleetup/internal/decode"
)

// LoadCache lets a Load reuse what an earlier Load parsed and merged:
// `fleet diff` loads two revisions that mostly agree, and parsing and
// merging every file twice was most of its time. A file with the same
// path and bytes is not parsed again, and a cluster whose file and value
// files are all reused keeps its merged values (the same *Value, which
// Compare then skips). Only problem-free results are kept, and only for a
// later load whose addon check is the same or none (what was valid stays
// valid). Safe for concurrent use; share it through Options.Cache.
type LoadCache struct {
	mu       sync.Mutex
	values   map[cacheKey]cachedValues
	clusters map[cacheKey]*cachedCluster
	// merged finds a cluster's entry by its parsed identity tree, which
	// every copy of the parsed cluster shares.
	merged map[*Value]*cachedCluster
}

// NewLoadCache makes an empty cache.
func NewLoadCache() *LoadCache {
	return &LoadCache{values: map[cacheKey]cachedValues{}, clusters: map[cacheKey]*cachedCluster{}, merged: map[*Value]*cachedCluster{}}
}

// cacheKey is a file by path and Git blob id (and the layers a cluster
// file is read against).
type cacheKey struct {
	file, blob, layers string
}

type cachedValues struct {
	known knownAddons
	vf    *ValueFile
	tree  *Value // the chart's values.yaml, which has no ValueFile yet
}

type cachedCluster struct {
	known knownAddons
	// parsed is the cluster as parseCluster made it, before any merge.
	parsed *Cluster
	// inputs are the trees it was merged from (chart, profile, layers);
	// sources and effective what that merge gave.
	inputs    []*Value
	sources   []Source
	effective *Value
}

// blobHasher is a file system that knows a file's Git blob id without
// reading it: a commit's tree (gitrepo.TreeFS).
type blobHasher interface {
	BlobHash(name string) (string, error)
}

// blobID is data's Git blob id, as git hash-object computes it, so a file
// on disk and the same file in a commit have the same key.
func blobID(data []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// key finds a file's key: from its tree when fsys knows blob ids (data is
// then nil: read it only on a miss), else from its bytes.
func key(fsys fs.FS, file string, layers []string) (cacheKey, []byte, error) {
	k := cacheKey{file: file, layers: strings.Join(layers, "\x00")}
	if bh, ok := fsys.(blobHasher); ok {
		id, err := bh.BlobHash(file)
		if err == nil {
			k.blob = id
			return k, nil, nil
		}
	}
	data, err := readFile(fsys, file)
	if err != nil {
		return k, nil, err
	}
	k.blob = blobID(data)
	return k, data, nil
}

// read is data, or the file when data was not read yet.
func read(fsys fs.FS, file string, data []byte) ([]byte, error) {
	if data != nil {
		return data, nil
	}
	return readFile(fsys, file)
}

// usable: a result checked against addons `was` holds for a load that
// checks against `now`.
func usable(was, now knownAddons) bool { return now == nil || slices.Equal(was, now) }

// lookup finds a value file's entry.
func (c *LoadCache) lookup(k cacheKey, known knownAddons) (cachedValues, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.values[k]
	return e, ok && usable(e.known, known)
}

func (c *LoadCache) store(k cacheKey, e cachedValues) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.values[k] = e
}

// readChart is the chart's values.yaml read as the loader reads it,
// through the cache (c may be nil).
func (c *LoadCache) readChart(file string, data []byte) (*Value, decode.Errors) {
	if c == nil {
		_, tree, errs := readValues(file, "chart", data, true)
		return tree, errs
	}
	k := cacheKey{file: file, blob: blobID(data)}
	if e, ok := c.lookup(k, nil); ok {
		return e.tree, nil
	}
	_, tree, errs := readValues(file, "chart", data, true)
	if len(errs) == 0 && tree != nil {
		c.store(k, cachedValues{tree: tree})
	}
	return tree, errs
}

// valueFile reads and parses a profile or inventory file, through the
// cache (c may be nil).
func (c *LoadCache) valueFile(fsys fs.FS, file, layer, name string, known knownAddons) (*ValueFile, decode.Errors, error) {
	var k cacheKey
	var data []byte
	var err error
	if c != nil {
		if k, data, err = key(fsys, file, nil); err != nil {
			return nil, nil, err
		}
		if e, ok := c.lookup(k, known); ok && e.vf != nil {
			return e.vf, nil, nil
		}
	}
	if data, err = read(fsys, file, data); err != nil {
		return nil, nil, err
	}
	vf, errs := parseValueFile(file, layer, name, data, known)
	if c != nil && len(errs) == 0 {
		c.store(k, cachedValues{known: known, vf: vf})
	}
	return vf, errs, nil
}

// cluster reads and parses a cluster file through the cache: a fresh
// copy of the parsed cluster each time, since merging fills it in.
func (c *LoadCache) cluster(fsys fs.FS, file, base string, layers []string, known knownAddons) (*Cluster, decode.Errors, error) {
	var k cacheKey
	var data []byte
	var err error
	if c != nil {
		if k, data, err = key(fsys, file, layers); err != nil {
			return nil, nil, err
		}
		c.mu.Lock()
		e, ok := c.clusters[k]
		c.mu.Unlock()
		if ok && usable(e.known, known) {
			cp := *e.parsed
			return &cp, nil, nil
		}
	}
	if data, err = read(fsys, file, data); err != nil {
		return nil, nil, err
	}
	parsed, errs := parseCluster(file, base, data, layers, known)
	if c == nil || parsed == nil || len(errs) > 0 {
		return parsed, errs, nil
	}
	e := &cachedCluster{known: known, parsed: parsed}
	c.mu.Lock()
	c.clusters[k] = e
	c.merged[parsed.Own] = e
	c.mu.Unlock()
	cp := *parsed
	return &cp, nil, nil
}

// merge is the loader's merge through the cache: when the cluster's file
// and every tree it merges are the ones merged before, the result is
// reused.
func (c *LoadCache) merge(l *fleetLoader, cl *Cluster) decode.Errors {
	if c == nil {
		return l.merge(cl)
	}
	inputs := mergeInputs(l.f, cl)
	c.mu.Lock()
	e := c.merged[cl.Own]
	hit := e != nil && e.effective != nil && slices.Equal(e.inputs, inputs)
	if hit {
		cl.Sources, cl.Effective = e.sources, e.effective
	}
	c.mu.Unlock()
	if hit || e == nil {
		if hit {
			return nil
		}
		return l.merge(cl)
	}
	errs := l.merge(cl)
	if len(errs) == 0 && cl.Effective != nil {
		c.mu.Lock()
		e.inputs, e.sources, e.effective = inputs, cl.Sources, cl.Effective
		c.mu.Unlock()
	}
	return errs
}

// mergeInputs are the trees a cluster's merge reads, in order.
func mergeInputs(f *Fleet, cl *Cluster) []*Value {
	out := make([]*Value, 0, len(f.Settings.Layers)+2)
	if f.Chart != nil {
		out = append(out, f.Chart.Tree)
	} else {
		out = append(out, nil)
	}
	if p := f.Profiles[cl.Profile]; p != nil {
		out = append(out, p.Tree)
	}
	for _, layer := range f.Settings.Layers {
		if vf := f.Inventory[layer][cl.Layers[layer]]; vf != nil {
			out = append(out, vf.Tree)
		}
	}
	return out
}
