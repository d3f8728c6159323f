package decode

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Unmarshaler is implemented by types that check and decode their own node
// (booleans given as strings, durations, enums). A returned *ValueError is
// positioned at the node by the decoder.
type Unmarshaler interface {
	DecodeYAML(n *yaml.Node) error
}

// ValueError is what an Unmarshaler or validator returns for a bad value.
type ValueError struct {
	Msg, Expected, Hint string
}

func (e *ValueError) Error() string { return e.Msg }

// Pos is a position in the input file.
type Pos struct{ Line, Column int }

// Result carries the errors and the position of every decoded field, keyed
// by field path, so later validation can point at the right place.
type Result struct {
	File      string
	Errors    Errors
	Positions map[string]Pos
}

// At returns an Error positioned at path (or at the closest decoded parent).
func (r *Result) At(path string, v *ValueError) *Error {
	p := r.pos(path)
	return &Error{File: r.File, Line: p.Line, Column: p.Column, Path: path, Msg: v.Msg, Expected: v.Expected, Hint: v.Hint}
}

// Add records a validation problem at path.
func (r *Result) Add(path string, v *ValueError) { r.Errors = append(r.Errors, r.At(path, v)) }

func (r *Result) pos(path string) Pos {
	for p := path; ; {
		if pos, ok := r.Positions[p]; ok {
			return pos
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	if pos, ok := r.Positions[""]; ok {
		return pos
	}
	return Pos{1, 1}
}

// maxAliasExpansions bounds alias following so a "billion laughs" document
// cannot blow up memory.
const maxAliasExpansions = 10000

type decoder struct {
	res     *Result
	aliases int
}

// Into decodes node into out (a pointer to a struct) strictly. base is the
// path prefix for positions and errors ("" for a whole file).
func Into(res *Result, base string, node *yaml.Node, out any) {
	if res.Positions == nil {
		res.Positions = map[string]Pos{}
	}
	d := &decoder{res: res}
	d.value(base, node, reflect.ValueOf(out).Elem())
}

func (d *decoder) fail(path string, n *yaml.Node, msg, expected, hint string) {
	d.res.Errors = append(d.res.Errors, &Error{File: d.res.File, Line: n.Line, Column: n.Column, Path: path, Msg: msg, Expected: expected, Hint: hint})
}

func (d *decoder) resolve(path string, n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		d.aliases++
		if d.aliases > maxAliasExpansions {
			d.fail(path, n, "too many alias expansions", fmt.Sprintf("at most %d", maxAliasExpansions), "")
			return nil
		}
		n = n.Alias
	}
	return n
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.Tag {
	case "!!null":
		return "null"
	case "!!bool":
		return "a boolean " + n.Value
	case "!!int", "!!float":
		return "the number " + n.Value
	}
	v := n.Value
	if len(v) > 40 {
		v = v[:37] + "..."
	}
	return fmt.Sprintf("the string %q", v)
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

var unmarshalerType = reflect.TypeOf((*Unmarshaler)(nil)).Elem()

func (d *decoder) value(path string, n *yaml.Node, v reflect.Value) {
	n = d.resolve(path, n)
	if n == nil {
		return
	}
	d.res.Positions[path] = Pos{n.Line, n.Column}
	if v.CanAddr() && v.Addr().Type().Implements(unmarshalerType) {
		if err := v.Addr().Interface().(Unmarshaler).DecodeYAML(n); err != nil {
			if ve, ok := err.(*ValueError); ok {
				d.fail(path, n, ve.Msg, ve.Expected, ve.Hint)
			} else {
				d.fail(path, n, err.Error(), "", "")
			}
		}
		return
	}
	if isNull(n) {
		return // absent and null mean the same: keep the default
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.value(path, n, v.Elem())
	case reflect.Struct:
		d.structure(path, n, v)
	case reflect.Map:
		d.mapping(path, n, v)
	case reflect.Slice:
		d.sequence(path, n, v)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.fail(path, n, "got "+describe(n), "a string", "")
			return
		}
		// Any scalar's literal text is kept: `version: 1.10` stays "1.10".
		v.SetString(n.Value)
	case reflect.Bool:
		b, ok := ParseBool(n)
		if !ok {
			d.fail(path, n, "got "+describe(n), `true or false (or the strings "true"/"false")`, "")
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int32, reflect.Int64:
		i, err := strconv.ParseInt(n.Value, 0, 64)
		if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!str") || err != nil || v.OverflowInt(i) {
			d.fail(path, n, "got "+describe(n), "an integer", "")
			return
		}
		v.SetInt(i)
	case reflect.Interface:
		g, ok := d.generic(path, n)
		if ok && g != nil {
			v.Set(reflect.ValueOf(g))
		}
	default:
		d.fail(path, n, "cannot decode into "+v.Type().String(), "", "")
	}
}

// ParseBool accepts YAML booleans and the strings "true"/"false", which CNOE
// uses because its values end up as Kubernetes labels.
func ParseBool(n *yaml.Node) (bool, bool) {
	if n.Kind != yaml.ScalarNode {
		return false, false
	}
	if n.Tag != "!!bool" && n.Tag != "!!str" {
		return false, false
	}
	switch strings.ToLower(n.Value) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

type fieldInfo struct {
	index []int
	name  string
}

// Fields lists the YAML field names of a struct type in declaration order.
func Fields(t reflect.Type) []string {
	var names []string
	for _, f := range fields(t) {
		names = append(names, f.name)
	}
	return names
}

func fields(t reflect.Type) []fieldInfo {
	var out []fieldInfo
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name := strings.Split(tag, ",")[0]
		if name == "-" {
			continue
		}
		if strings.Contains(tag, ",inline") {
			for _, sub := range fields(f.Type) {
				out = append(out, fieldInfo{index: append([]int{i}, sub.index...), name: sub.name})
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out = append(out, fieldInfo{index: []int{i}, name: name})
	}
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// pairs returns a mapping's key/value pairs with YAML merge keys (<<)
// expanded, own keys after merged ones so they win.
func (d *decoder) pairs(path string, n *yaml.Node) [][2]*yaml.Node {
	var merged, own [][2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Tag == "!!merge" {
			src := d.resolve(path, val)
			if src == nil {
				continue
			}
			var srcs []*yaml.Node
			if src.Kind == yaml.SequenceNode {
				for _, s := range src.Content {
					srcs = append(srcs, d.resolve(path, s))
				}
			} else {
				srcs = []*yaml.Node{src}
			}
			for _, s := range srcs {
				if s == nil || s.Kind != yaml.MappingNode {
					d.fail(path, k, "merge key needs a mapping", "a mapping or list of mappings after <<", "")
					continue
				}
				merged = append(merged, d.pairs(path, s)...)
			}
			continue
		}
		own = append(own, [2]*yaml.Node{k, val})
	}
	return append(merged, own...)
}

func (d *decoder) keyOf(path string, k *yaml.Node) (string, bool) {
	k = d.resolve(path, k)
	if k == nil {
		return "", false
	}
	if k.Kind != yaml.ScalarNode {
		d.fail(path, k, "got "+describe(k)+" as a key", "a plain string key", "")
		return "", false
	}
	return k.Value, true
}

func (d *decoder) structure(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.fail(path, n, "got "+describe(n), "a mapping", "")
		return
	}
	fs := fields(v.Type())
	byName := map[string]fieldInfo{}
	var names []string
	for _, f := range fs {
		byName[f.name] = f
		names = append(names, f.name)
	}
	seen := map[string]bool{}
	for _, p := range d.pairs(path, n) {
		key, ok := d.keyOf(path, p[0])
		if !ok {
			continue
		}
		f, known := byName[key]
		if !known {
			d.fail(join(path, key), p[0], fmt.Sprintf("unknown key %q", key), "one of "+strings.Join(names, ", "), DidYouMean(key, names))
			continue
		}
		if seen[key] {
			d.fail(join(path, key), p[0], fmt.Sprintf("duplicate key %q", key), "each key once", "")
			continue
		}
		seen[key] = true
		d.value(join(path, key), p[1], v.FieldByIndex(f.index))
		d.keyPos(join(path, key), p[0], p[1])
	}
}

// keyPos makes a block-valued entry point at its key: "addons.x" is best
// shown where "x:" is written, a scalar at its value.
func (d *decoder) keyPos(path string, k, v *yaml.Node) {
	if v.Kind == yaml.MappingNode || v.Kind == yaml.SequenceNode {
		d.res.Positions[path] = Pos{k.Line, k.Column}
	}
}

func (d *decoder) mapping(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.fail(path, n, "got "+describe(n), "a mapping", "")
		return
	}
	if v.Type().Key().Kind() != reflect.String {
		d.fail(path, n, "cannot decode into "+v.Type().String(), "", "")
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	seen := map[string]bool{}
	for _, p := range d.pairs(path, n) {
		key, ok := d.keyOf(path, p[0])
		if !ok {
			continue
		}
		if seen[key] {
			d.fail(join(path, key), p[0], fmt.Sprintf("duplicate key %q", key), "each key once", "")
			continue
		}
		seen[key] = true
		elem := reflect.New(v.Type().Elem()).Elem()
		d.value(join(path, key), p[1], elem)
		d.keyPos(join(path, key), p[0], p[1])
		v.SetMapIndex(reflect.ValueOf(key).Convert(v.Type().Key()), elem)
	}
}

func (d *decoder) sequence(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.SequenceNode {
		d.fail(path, n, "got "+describe(n), "a list", "")
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.value(fmt.Sprintf("%s[%d]", path, i), item, s.Index(i))
	}
	v.Set(s)
}

// generic converts a node into JSON-compatible Go values (map[string]any,
// []any, string, int64, float64, bool, nil).
func (d *decoder) generic(path string, n *yaml.Node) (any, bool) {
	n = d.resolve(path, n)
	if n == nil {
		return nil, false
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for _, p := range d.pairs(path, n) {
			key, ok := d.keyOf(path, p[0])
			if !ok {
				return nil, false
			}
			val, ok := d.generic(join(path, key), p[1])
			if !ok {
				return nil, false
			}
			m[key] = val
		}
		return m, true
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for i, item := range n.Content {
			val, ok := d.generic(fmt.Sprintf("%s[%d]", path, i), item)
			if !ok {
				return nil, false
			}
			l = append(l, val)
		}
		return l, true
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return nil, true
		case "!!bool":
			b, _ := ParseBool(n)
			return b, true
		case "!!int":
			if i, err := strconv.ParseInt(n.Value, 0, 64); err == nil {
				return i, true
			}
			var out any
			if err := n.Decode(&out); err == nil {
				return out, true
			}
			return n.Value, true
		case "!!float":
			var f float64
			if err := n.Decode(&f); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
				return f, true
			}
			d.fail(path, n, "got "+describe(n), "a finite number", "")
			return nil, false
		case "!!binary", "!!timestamp":
			return n.Value, true
		}
		return n.Value, true
	}
	d.fail(path, n, "unsupported YAML node", "", "")
	return nil, false
}

// Generic decodes any node into JSON-compatible values, recording errors.
func Generic(res *Result, path string, n *yaml.Node) any {
	if res.Positions == nil {
		res.Positions = map[string]Pos{}
	}
	d := &decoder{res: res}
	v, _ := d.generic(path, n)
	return v
}

// SortedKeys returns a map's keys in order, for stable messages.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
