package fleet

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/fleetup/fleetup/internal/decode"
	"gopkg.in/yaml.v3"
	"k8s.io/apimachinery/pkg/util/validation"
)

// maxWave bounds waves to something a rollout can walk through.
const maxWave = 1000

// clusterKeys are a cluster file's own keys; the layers come on top.
var clusterKeys = []string{"name", "profile", "wave", "revision", "decommission", "overrides"}

// parseCluster reads fleet/clusters/<base>.yaml. It checks the file on its
// own; references to profiles and layer values are checked by the loader.
func parseCluster(file, base string, data []byte, layers []string, known knownAddons) (*Cluster, decode.Errors) {
	root, err := decode.Parse(file, data)
	if err != nil {
		return nil, asErrors(file, err)
	}
	if root.Kind != yaml.MappingNode {
		return nil, decode.Errors{errAt(file, root, "", "the file is not a mapping", "a mapping with name, profile and one key per layer", "")}
	}
	hv, err := helmValues(root, data)
	if err != nil {
		return nil, decode.Errors{helmError(file, err)}
	}
	// pos keeps only positions: the parsed tree is garbage once read.
	c := &Cluster{File: file, Layers: map[string]string{}, pos: map[string]*yaml.Node{"": at(root)}}
	p := &clusterParser{c: c, file: file, layers: layers}
	identity := &Value{Map: map[string]*Value{}, Origin: originOf(file, "cluster", root)}
	layerVals := &Value{Map: map[string]*Value{}, Origin: originOf(file, "cluster", root)}
	var overrides *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		key, ok := p.key(k)
		if !ok {
			continue
		}
		if key == "name" { // where a duplicate name is shown
			c.pos[key] = at(k)
		}
		switch {
		case key == "name":
			p.nameNode = v
			if s, ok := p.name(key, v, "the cluster's name"); ok {
				c.Name = s
				identity.Map["name"] = &Value{Leaf: s, Origin: originOf(file, "cluster", v)}
			}
		case key == "profile":
			if s, ok := p.name(key, v, "a profile of fleet/profiles/"); ok {
				c.Profile = s
				identity.Map["profile"] = &Value{Leaf: s, Origin: originOf(file, "cluster", v)}
			}
		case key == "wave":
			p.wave(v, identity)
		case key == "revision":
			p.revision(v)
		case key == "decommission":
			p.decommission(v, identity)
		case key == "overrides":
			overrides = v
		default: // a layer
			if s, ok := p.name(key, v, "a name in fleet/inventory/"+key+"/"); ok {
				c.Layers[key] = s
				layerVals.Map[key] = &Value{Leaf: s, Origin: originOf(file, "cluster", v)}
			}
		}
	}
	if len(layers) > 0 {
		identity.Map["layers"] = layerVals
	}
	p.required(root, base)
	c.Own = &Value{Map: map[string]*Value{"cluster": identity}, Origin: originOf(file, "cluster", root)}
	if overrides != nil {
		p.overrides(overrides, hv, known)
	}
	return c, p.errs
}

// at is n's position alone, for errAt.
func at(n *yaml.Node) *yaml.Node { return &yaml.Node{Line: n.Line, Column: n.Column} }

type clusterParser struct {
	c      *Cluster
	file   string
	layers []string
	seen   map[string]bool
	errs   decode.Errors
	// nameNode is the value of name, where a wrong name is shown.
	nameNode *yaml.Node
}

func (p *clusterParser) fail(n *yaml.Node, path, msg, expected, hint string) {
	p.errs = append(p.errs, errAt(p.file, n, path, msg, expected, hint))
}

// key checks a top-level key: known, once.
func (p *clusterParser) key(k *yaml.Node) (string, bool) {
	if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
		p.fail(k, "", "a "+kindName(k)+" key", "name, profile, wave, revision, decommission, overrides or a layer", "write each key out: merge keys and complex keys are not read here")
		return "", false
	}
	key := k.Value
	if p.seen == nil {
		p.seen = map[string]bool{}
	}
	switch {
	case !slices.Contains(clusterKeys, key) && !slices.Contains(p.layers, key):
		all := append(slices.Clone(clusterKeys), p.layers...)
		hint := decode.DidYouMean(key, all)
		if hint == "" {
			hint = "layers are listed in fleet/fleet.yaml"
		}
		p.fail(k, key, fmt.Sprintf("unknown key %q", key), "one of "+strings.Join(all, ", "), hint)
		return "", false
	case p.seen[key]:
		p.fail(k, key, fmt.Sprintf("duplicate key %q", key), "each key once", "")
		return "", false
	}
	p.seen[key] = true
	return key, true
}

// name reads a string that names something: a DNS-1123 label.
func (p *clusterParser) name(key string, v *yaml.Node, what string) (string, bool) {
	if v.Kind != yaml.ScalarNode || v.Tag != "!!str" {
		hint := ""
		if v.Kind == yaml.ScalarNode && v.Tag != "!!null" {
			hint = fmt.Sprintf("quote it: %q", v.Value)
		}
		p.fail(v, key, "got "+describeNode(v), what+" (a string)", hint)
		return "", false
	}
	if errs := validation.IsDNS1123Label(v.Value); len(errs) > 0 {
		p.fail(v, key, fmt.Sprintf("%q is not a DNS-1123 label", v.Value), "lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters", lowerHint(v.Value))
		return "", false
	}
	return v.Value, true
}

func (p *clusterParser) wave(v *yaml.Node, identity *Value) {
	var w int
	expected := fmt.Sprintf("a whole number from 0 to %d", maxWave)
	if v.Kind != yaml.ScalarNode || v.Tag != "!!int" || v.Decode(&w) != nil {
		p.fail(v, "wave", "got "+describeNode(v), expected, "")
		return
	}
	if w < 0 || w > maxWave {
		p.fail(v, "wave", fmt.Sprintf("%d is out of range", w), expected, "")
		return
	}
	p.c.Wave = &w
	identity.Map["wave"] = &Value{Leaf: float64(w), Origin: originOf(p.file, "cluster", v)}
}

// commitHash is a full SHA-1 or SHA-256 commit name, as Git prints it.
var commitHash = regexp.MustCompile(`^([0-9a-f]{40}|[0-9a-f]{64})$`)

// revision reads the pin `fleet rollout` writes: a full commit hash, so
// that Argo CD renders exactly that commit (a branch or tag would move).
func (p *clusterParser) revision(v *yaml.Node) {
	if v.Kind != yaml.ScalarNode || v.Tag != "!!str" || !commitHash.MatchString(v.Value) {
		msg := "got " + describeNode(v)
		if v.Kind == yaml.ScalarNode {
			msg = fmt.Sprintf("%q is not a commit hash", v.Value)
		}
		p.fail(v, "revision", msg, "a full commit hash (40 lowercase hex digits)", "fleetup fleet rollout writes it; remove the key to follow the branch")
		return
	}
	p.c.Revision = v.Value
}

// decommission reads the marker `fleetup cluster delete` writes before it
// removes the file: a boolean, so that Helm and the chart read it alike.
func (p *clusterParser) decommission(v *yaml.Node, identity *Value) {
	if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" || (v.Value != "true" && v.Value != "false") {
		hint := ""
		if v.Kind == yaml.ScalarNode && (strings.EqualFold(v.Value, "true") || strings.EqualFold(v.Value, "false")) {
			hint = "write true or false, lower-case and unquoted"
		}
		p.fail(v, "decommission", "got "+describeNode(v), "true or false (fleetup cluster delete writes it)", hint)
		return
	}
	p.c.Decommission = v.Value == "true"
	identity.Map["decommission"] = &Value{Leaf: p.c.Decommission, Origin: originOf(p.file, "cluster", v)}
}

// required reports what a cluster file must have, and a name that is not
// its file's.
func (p *clusterParser) required(root *yaml.Node, base string) {
	c := p.c
	switch {
	case !p.seen["name"]:
		p.fail(root, "name", "missing", "the cluster's name, the file's name without .yaml", fmt.Sprintf("add name: %s", base))
	case c.Name != "" && c.Name != base:
		p.fail(p.nameNode, "name", fmt.Sprintf("%q differs from the file name %q", c.Name, base+".yaml"), "the file's name without .yaml", fmt.Sprintf("rename the file to %s.yaml or write name: %s", c.Name, base))
	}
	if !p.seen["profile"] {
		p.fail(root, "profile", "missing", "the profile the cluster is made from (fleet/profiles/<profile>.yaml)", "")
	}
	for _, l := range p.layers {
		if !p.seen[l] {
			p.fail(root, l, "missing", fmt.Sprintf("the cluster's %s (a name in fleet/inventory/%s/)", l, l), "")
		}
	}
}

// overrides reads the cluster's own values, the highest layer.
func (p *clusterParser) overrides(n *yaml.Node, hv map[string]any, known knownAddons) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	if n.Kind != yaml.MappingNode {
		p.fail(n, "overrides", "got "+describeNode(n), "a mapping of values", "")
		return
	}
	b := &builder{file: p.file, layer: "cluster"}
	tree := b.value("overrides", n, n, hv["overrides"])
	p.errs = append(p.errs, b.errs...)
	spec := &Values{}
	p.errs = append(p.errs, checkValues(p.file, "overrides", n, spec, known)...)
	p.c.Overrides = spec
	if tree == nil {
		return
	}
	for k, v := range tree.Map {
		if k != "cluster" { // the schema refuses it: the identity is the cluster file's own
			p.c.Own.Map[k] = v
		}
	}
}

func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	if n.Tag == "!!null" {
		return "null"
	}
	return fmt.Sprintf("%s (%s)", shortValue(n.Value), strings.TrimPrefix(n.Tag, "!!"))
}
