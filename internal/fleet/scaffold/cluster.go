package scaffold

import (
	"bytes"
	"fmt"
	"strconv"

	"gopkg.in/yaml.v3"
	"helm.sh/helm/v4/pkg/strvals"
)

// Cluster is a cluster file as users write it.
type Cluster struct {
	Name    string
	Profile string
	// Layers is the cluster's value of each layer, by layer.
	Layers map[string]string
	// Wave is nil for none.
	Wave *int
	// Overrides are values as Helm types them; nil or empty for none.
	Overrides map[string]any
}

// Encode writes c as fleet/clusters/<name>.yaml: a comment, name,
// profile, one key per layer in the order of layers, wave and overrides.
func (c Cluster) Encode(layers []string) ([]byte, error) {
	root := &yaml.Node{Kind: yaml.MappingNode}
	add := func(key string, v *yaml.Node) {
		root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
	}
	str := func(s string) *yaml.Node {
		n := &yaml.Node{}
		n.SetString(s)
		return n
	}
	add("name", str(c.Name))
	add("profile", str(c.Profile))
	for _, l := range layers {
		add(l, str(c.Layers[l]))
	}
	if c.Wave != nil {
		add("wave", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(*c.Wave)})
	}
	if len(c.Overrides) > 0 {
		v := &yaml.Node{}
		if err := v.Encode(c.Overrides); err != nil {
			return nil, fmt.Errorf("cluster %s: overrides: %w", c.Name, err)
		}
		add("overrides", v)
	}
	root.HeadComment = fmt.Sprintf("Cluster %s, made from profile %s. Written by `fleetup cluster create`:\n"+
		"edit it freely (docs/fleet.md); `fleetup fleet render %s` shows its values.", c.Name, c.Profile, c.Name)
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}); err != nil {
		return nil, fmt.Errorf("cluster %s: %w", c.Name, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("cluster %s: %w", c.Name, err)
	}
	return b.Bytes(), nil
}

// ParseSet reads --set and --set-string arguments as helm does: each in
// order into one map, a later one winning, the --set-string ones after
// the --set ones. Dotted paths, lists in braces, a[0] indexes, escaped
// dots and commas; --set types values as Helm does (true, false, null,
// integers; anything else, 1.5 included, is a string), --set-string
// keeps them all strings.
func ParseSet(set, setString []string) (map[string]any, error) {
	out := map[string]any{}
	for _, a := range set {
		if err := strvals.ParseInto(a, out); err != nil {
			return nil, fmt.Errorf("--set %q: %w", a, err)
		}
	}
	for _, a := range setString {
		if err := strvals.ParseIntoString(a, out); err != nil {
			return nil, fmt.Errorf("--set-string %q: %w", a, err)
		}
	}
	return out, nil
}
