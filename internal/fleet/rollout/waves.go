// Package rollout takes a committed change of the fleet to its clusters
// wave by wave: each wave's clusters are pinned to the commit (their
// files' `revision`, which the fleet's ApplicationSet renders them at),
// and the next wave starts only when every cluster of this one runs it,
// healthy. Git holds the pins; the hub holds the progress (internal/record).
package rollout

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"

	"github.com/fleetup/fleetup/internal/fleet"
	"gopkg.in/yaml.v3"
)

// Wave is one step of a rollout: its number (nil for the clusters that
// set none, which go last) and its clusters, by name.
type Wave struct {
	Number   *int
	Clusters []*fleet.Cluster
}

// Label names the wave for messages.
func (w Wave) Label() string {
	if w.Number == nil {
		return "the clusters without a wave"
	}
	return fmt.Sprintf("wave %d", *w.Number)
}

// Key names the wave in the rollout's record.
func (w Wave) Key() string {
	if w.Number == nil {
		return "none"
	}
	return fmt.Sprint(*w.Number)
}

// Waves orders the fleet's clusters into waves: ascending numbers, the
// clusters without a wave last, names sorted within a wave.
func Waves(f *fleet.Fleet) []Wave {
	by := map[string]*Wave{}
	var keys []string
	for _, c := range f.Clusters {
		k := "none"
		if c.Wave != nil {
			k = fmt.Sprint(*c.Wave)
		}
		w := by[k]
		if w == nil {
			w = &Wave{Number: c.Wave}
			by[k] = w
			keys = append(keys, k)
		}
		w.Clusters = append(w.Clusters, c)
	}
	out := make([]Wave, 0, len(keys))
	for _, k := range keys {
		w := *by[k]
		sort.Slice(w.Clusters, func(i, j int) bool { return w.Clusters[i].Name < w.Clusters[j].Name })
		out = append(out, w)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Number, out[j].Number
		switch {
		case a == nil:
			return false
		case b == nil:
			return true
		}
		return *a < *b
	})
	return out
}

// trailingComment is a comment after a value on its line.
var trailingComment = regexp.MustCompile(`[ \t]+#.*$`)

// Pin returns a cluster file's text pinned to rev: the value of its
// top-level `revision` key replaced, or the key added after `wave` (at the
// end when there is none). Everything else, comments included, is kept
// byte for byte.
func Pin(data []byte, rev string) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("pin: %w", err)
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("pin: the cluster file is not a mapping")
	}
	root := doc.Content[0]
	if len(data) > 0 && data[len(data)-1] != '\n' {
		data = append(append([]byte{}, data...), '\n')
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	var after int // the line (1-based) after which a new key goes
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "revision":
			if v.Kind != yaml.ScalarNode || v.Line != k.Line {
				return nil, fmt.Errorf("pin: line %d: revision is not a one-line value", k.Line)
			}
			line := lines[k.Line-1]
			end := bytes.TrimRight(line, "\r\n")
			rest := line[len(end):]
			// Keep a trailing comment; the value is the first token after
			// the key's colon.
			prefix := end[:v.Column-1]
			tail := end[v.Column-1:]
			tail = trailingComment.Find(tail)
			lines[k.Line-1] = append(append(append(append([]byte{}, prefix...), rev...), tail...), rest...)
			return bytes.Join(lines, nil), nil
		case "wave":
			if v.Kind == yaml.ScalarNode && v.Line == k.Line && k.Column == 1 {
				after = k.Line
			}
		}
	}
	key := []byte("revision: " + rev + "\n")
	if after == 0 {
		return append(append([]byte{}, data...), key...), nil
	}
	out := append([][]byte{}, lines[:after]...)
	out = append(out, key)
	out = append(out, lines[after:]...)
	return bytes.Join(out, nil), nil
}
