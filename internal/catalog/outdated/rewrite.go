package outdated

import (
	"bytes"
	"fmt"
	"slices"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// versionKey is the catalog entry's key of the pinned chart version.
const versionKey = "defaultVersion"

// edit replaces the bytes [start, end) of the file.
type edit struct {
	start, end int
	text       string
}

// Rewrite returns data with the defaultVersion of each addon in pins set
// to its new version. Only the scalars change: comments, quoting, order,
// indentation and every other byte stay as they are, since the file is
// edited at the positions yaml.v3 reports, never re-encoded.
func Rewrite(file string, data []byte, pins map[string]string) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: not a mapping of addons", file)
	}
	lines := lineStarts(data)
	var edits []edit
	for _, name := range sortedKeys(pins) {
		n := pinNode(doc.Content[0], name)
		if n == nil {
			return nil, fmt.Errorf("%s: addon %s has no %s to rewrite", file, name, versionKey)
		}
		e, err := scalarEdit(data, lines, n, pins[name])
		if err != nil {
			return nil, fmt.Errorf("%s:%d:%d: %s.%s: %w", file, n.Line, n.Column, name, versionKey, err)
		}
		edits = append(edits, e)
	}
	// From the end, so that earlier offsets stay valid.
	slices.SortFunc(edits, func(a, b edit) int { return b.start - a.start })
	out := slices.Clone(data)
	for _, e := range edits {
		out = slices.Concat(out[:e.start], []byte(e.text), out[e.end:])
	}
	if err := verify(out, pins); err != nil {
		return nil, fmt.Errorf("%s: rewrite check: %w", file, err)
	}
	return out, nil
}

// pinNode is the defaultVersion scalar of addon name, or nil. An entry
// reached through an alias is not rewritten: the anchor is shared.
func pinNode(root *yaml.Node, name string) *yaml.Node {
	entry := value(root, name)
	if entry == nil || entry.Kind != yaml.MappingNode {
		return nil
	}
	v := value(entry, versionKey)
	if v == nil || v.Kind != yaml.ScalarNode {
		return nil
	}
	return v
}

func value(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// scalarEdit replaces the scalar n, written at its line and column, by
// text in the same quoting style.
func scalarEdit(data []byte, lines []int, n *yaml.Node, text string) (edit, error) {
	if n.Line < 1 || n.Line > len(lines) {
		return edit{}, fmt.Errorf("line %d is outside the file", n.Line)
	}
	// yaml.v3 counts columns in characters.
	start := lines[n.Line-1]
	for c := 1; c < n.Column; c++ {
		if start >= len(data) || data[start] == '\n' {
			return edit{}, fmt.Errorf("column %d is outside line %d", n.Column, n.Line)
		}
		_, size := utf8.DecodeRune(data[start:])
		start += size
	}
	var open, close string
	switch n.Style {
	case 0:
	case yaml.DoubleQuotedStyle:
		open, close = `"`, `"`
	case yaml.SingleQuotedStyle:
		open, close = `'`, `'`
	default:
		return edit{}, fmt.Errorf("a block or tagged scalar; write the version as a plain or quoted string")
	}
	// The text must read as the value, unescaped: versions need no
	// escapes, and anything else is not edited blind.
	written := open + n.Value + close
	if !bytes.HasPrefix(data[start:], []byte(written)) {
		return edit{}, fmt.Errorf("the version %q is not written plainly at this position", n.Value)
	}
	return edit{start: start, end: start + len(written), text: open + text + close}, nil
}

// lineStarts are the byte offsets of each line's start.
func lineStarts(data []byte) []int {
	starts := []int{0}
	for i, b := range data {
		if b == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// verify re-reads the rewritten file: each pin must read back as the new
// version, a string.
func verify(data []byte, pins map[string]string) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return err
	}
	for name, want := range pins {
		n := pinNode(doc.Content[0], name)
		if n == nil || n.Value != want || n.ShortTag() != "!!str" {
			return fmt.Errorf("%s.%s does not read back as the string %q", name, versionKey, want)
		}
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
