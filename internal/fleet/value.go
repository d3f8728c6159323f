package fleet

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Value is one node of a values tree as Helm reads it, with where it was
// set. Trees are never changed once built: merges share the subtrees they
// do not touch, which keeps ten thousand clusters cheap.
type Value struct {
	// Map is set (possibly empty) for a mapping.
	Map map[string]*Value
	// Leaf is a scalar or a list exactly as Helm reads it (numbers are
	// float64); nil with no Map is YAML null.
	Leaf   any
	Origin Origin
}

// IsMap says whether v is a mapping.
func (v *Value) IsMap() bool { return v.Map != nil }

// IsNull says whether v is YAML null.
func (v *Value) IsNull() bool { return v.Map == nil && v.Leaf == nil }

// emptyMap is a mapping with nothing in it.
func emptyMap() *Value { return &Value{Map: map[string]*Value{}} }

// Get follows keys down from v; nil when a key is missing.
func (v *Value) Get(keys ...string) *Value {
	for _, k := range keys {
		if v == nil || v.Map == nil {
			return nil
		}
		v = v.Map[k]
	}
	return v
}

// Plain is v as the values Helm hands to templates (.Values).
func (v *Value) Plain() any {
	if v.Map == nil {
		return v.Leaf
	}
	m := make(map[string]any, len(v.Map))
	for k, c := range v.Map {
		m[k] = c.Plain()
	}
	return m
}

// Leaf is one value of a tree with its path and origin: a scalar, a list,
// null or an empty mapping.
type Leaf struct {
	Path   []string `json:"path"`
	Key    string   `json:"key"`
	Value  any      `json:"value"`
	Origin Origin   `json:"origin"`
}

// Leaves lists v's leaves sorted by path.
func (v *Value) Leaves() []Leaf {
	var out []Leaf
	var walk func(path []string, v *Value)
	walk = func(path []string, v *Value) {
		if v.Map == nil || len(v.Map) == 0 {
			var val any = v.Leaf
			if v.Map != nil {
				val = map[string]any{}
			}
			p := append([]string(nil), path...)
			out = append(out, Leaf{Path: p, Key: FormatPath(p), Value: val, Origin: v.Origin})
			return
		}
		keys := make([]string, 0, len(v.Map))
		for k := range v.Map {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			walk(append(path, k), v.Map[k])
		}
	}
	if v != nil {
		walk(nil, v)
	}
	return out
}

var plainKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// FormatPath writes a path as a.b.c, with keys that hold dots or other
// signs quoted in brackets: tags["kubernetes.io/role"].
func FormatPath(path []string) string {
	var b strings.Builder
	for i, k := range path {
		if plainKey.MatchString(k) {
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(k)
			continue
		}
		b.WriteString("[" + strconv.Quote(k) + "]")
	}
	return b.String()
}
