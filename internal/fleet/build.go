package fleet

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/fleetup/fleetup/internal/decode"
	"gopkg.in/yaml.v3"
)

// builder makes a Value tree from a file's yaml.v3 nodes (for positions)
// and Helm's own reading of the same file (for the values). Where the two
// readers disagree (Helm's YAML is 1.1: `on`, `yes` and `y` are true) the
// file is ambiguous and that is an error, so what fleetup checks is what
// Helm renders.
type builder struct {
	file, layer string
	errs        decode.Errors
	aliases     int
	// dups reports duplicate keys; the strict decoder already does for
	// files with a schema.
	dups bool
}

const maxAliases = 10000

func (b *builder) fail(n *yaml.Node, path, msg, expected, hint string) {
	b.errs = append(b.errs, errAt(b.file, n, path, msg, expected, hint))
}

func (b *builder) resolve(path string, n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		if b.aliases++; b.aliases > maxAliases {
			b.fail(n, path, "too many alias expansions", fmt.Sprintf("at most %d", maxAliases), "")
			return nil
		}
		n = n.Alias
	}
	return n
}

// value builds the tree of node n whose Helm value is hv; at is where the
// value is shown to be set (the key of a block, the value of a scalar).
func (b *builder) value(path string, n, at *yaml.Node, hv any) *Value {
	n = b.resolve(path, n)
	if n == nil {
		return nil
	}
	if at == nil || (n.Kind == yaml.ScalarNode) {
		at = n
	}
	origin := originOf(b.file, b.layer, at)
	switch n.Kind {
	case yaml.MappingNode:
		hm, ok := hv.(map[string]any)
		if !ok {
			b.fail(n, path, "Helm reads this mapping as "+describeHelm(hv), "a mapping both YAML readers agree on", "")
			return nil
		}
		v := &Value{Map: make(map[string]*Value, len(hm)), Origin: origin}
		ps := b.pairs(path, n)
		// The last entry of a key wins: a merged entry gives way to the
		// mapping's own, and of duplicates (an error) the last is Helm's.
		win := make(map[string]int, len(ps))
		own := make(map[string]bool, len(ps))
		for i, p := range ps {
			key := p.key.Value
			if p.own && own[key] && b.dups {
				b.fail(p.key, joinPath(path, key), fmt.Sprintf("duplicate key %q", key), "each key once", "")
			}
			own[key] = own[key] || p.own
			win[key] = i
		}
		for i, p := range ps {
			key := p.key.Value
			if win[key] != i {
				continue
			}
			kp := joinPath(path, key)
			child, ok := hm[key]
			if !ok {
				b.fail(p.key, kp, fmt.Sprintf("Helm reads the key %q as another key (YAML 1.1)", key), "a key both YAML readers agree on", fmt.Sprintf("quote it: %q", key))
				continue
			}
			if c := b.value(kp, p.val, p.key, child); c != nil {
				v.Map[key] = c
			}
		}
		return v
	case yaml.SequenceNode:
		hl, ok := hv.([]any)
		if !ok || len(hl) != len(n.Content) {
			b.fail(n, path, "Helm reads this list as "+describeHelm(hv), "a list both YAML readers agree on", "")
			return nil
		}
		for i, item := range n.Content {
			b.value(fmt.Sprintf("%s[%d]", path, i), item, nil, hl[i]) // checked, not kept: lists replace whole
		}
		return &Value{Leaf: hv, Origin: origin}
	case yaml.ScalarNode:
		if msg, hint := disagree(n, hv); msg != "" {
			b.fail(n, path, msg, "a value both YAML readers agree on", hint)
		}
		return &Value{Leaf: hv, Origin: origin}
	}
	b.fail(n, path, "unsupported YAML node", "a mapping, list or scalar", "")
	return nil
}

type pair struct {
	key, val *yaml.Node
	own      bool // written in this mapping, not brought by a merge key
}

// pairs returns a mapping's entries with merge keys (<<) expanded in the
// order "the last one wins": merged entries first, of several merged
// mappings the first last, then the mapping's own (yaml.v3's rules; where
// Helm's YAML 1.1 reader differs, the values disagree and are reported).
func (b *builder) pairs(path string, n *yaml.Node) []pair {
	var merged, own []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := b.resolve(path, n.Content[i]), n.Content[i+1]
		if k == nil {
			continue
		}
		if k.Kind != yaml.ScalarNode {
			b.fail(k, path, "a "+kindName(k)+" as a key", "a plain string key", "")
			continue
		}
		if k.Tag != "!!merge" {
			own = append(own, pair{k, v, true})
			continue
		}
		src := b.resolve(path, v)
		if src == nil {
			continue
		}
		srcs := []*yaml.Node{src}
		if src.Kind == yaml.SequenceNode {
			srcs = nil
			for j := len(src.Content) - 1; j >= 0; j-- {
				srcs = append(srcs, b.resolve(path, src.Content[j]))
			}
		}
		for _, s := range srcs {
			if s == nil || s.Kind != yaml.MappingNode {
				b.fail(k, path, "merge key needs a mapping", "a mapping or list of mappings after <<", "")
				continue
			}
			for _, p := range b.pairs(path, s) {
				merged = append(merged, pair{p.key, p.val, false})
			}
		}
	}
	return append(merged, own...)
}

// disagree compares yaml.v3's reading of a scalar with Helm's.
func disagree(n *yaml.Node, hv any) (msg, hint string) {
	ours, ok := scalar(n)
	if !ok {
		return fmt.Sprintf("%s has the tag %s, which Helm does not read the same way", shortValue(n.Value), n.Tag), "remove the tag"
	}
	if sameScalar(ours, hv) {
		return "", ""
	}
	hint = fmt.Sprintf("quote it: %q", n.Value)
	if _, isBool := hv.(bool); isBool {
		hint = fmt.Sprintf("write %v, or quote it: %q", hv, n.Value)
	}
	return fmt.Sprintf("Helm reads %s as %s (YAML 1.1), not as %s", shortValue(n.Value), describeHelm(hv), describeHelm(ours)), hint
}

// scalar is yaml.v3's reading of a scalar in Helm's value types.
func scalar(n *yaml.Node) (any, bool) {
	switch n.Tag {
	case "!!null":
		return nil, true
	case "!!bool":
		b, ok := decode.ParseBool(n)
		if !ok { // YAML 1.2 spellings outside true/false
			return strings.ToLower(n.Value) == "true", true
		}
		return b, true
	case "!!int", "!!float":
		var f float64
		if err := n.Decode(&f); err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return n.Value, true
		}
		return f, true
	case "!!str", "!!timestamp", "!!binary":
		if n.Tag == "!!binary" {
			var s string
			if err := n.Decode(&s); err == nil {
				return s, true
			}
		}
		return n.Value, true
	}
	return nil, false
}

func sameScalar(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	default:
		return a == b
	}
}

func describeHelm(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "the boolean " + strconv.FormatBool(x)
	case float64:
		return "the number " + strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		return "the string " + shortValue(x)
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return fmt.Sprintf("a %T", v)
}

func shortValue(s string) string {
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return strconv.Quote(s)
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return "scalar"
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
