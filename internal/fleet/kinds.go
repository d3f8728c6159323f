package fleet

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/fleetup/fleetup/internal/decode"
	"gopkg.in/yaml.v3"
)

// The project's decoder is lenient where config.yaml needs it: any scalar
// fills a string, "true" fills a boolean, "5" an integer. A value file goes
// to Helm as written, where `1.30` is the number 1.3 and the string "false"
// is true in an `if`. checkKinds reports exactly those cases; everything
// else the decoder itself rejects.

var (
	valuesType      = reflect.TypeOf(Values{})
	unmarshalerType = reflect.TypeOf((*decode.Unmarshaler)(nil)).Elem()
)

func checkKinds(file, base string, n *yaml.Node) decode.Errors {
	k := &kinds{file: file}
	k.walk(base, n, valuesType)
	return k.errs
}

type kinds struct {
	file    string
	errs    decode.Errors
	aliases int
}

func (k *kinds) walk(path string, n *yaml.Node, t reflect.Type) {
	for n != nil && n.Kind == yaml.AliasNode {
		if k.aliases++; k.aliases > maxAliases {
			return // the decoder reports it
		}
		n = n.Alias
	}
	if n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return // checks itself
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return
		}
		fields := fieldTypes(t)
		k.merged(path, n, t)
		for _, p := range shallowPairs(n) {
			if ft, ok := fields[p[0].Value]; ok {
				k.walk(joinPath(path, p[0].Value), p[1], ft)
			}
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return
		}
		k.merged(path, n, t)
		for _, p := range shallowPairs(n) {
			k.walk(joinPath(path, p[0].Value), p[1], t.Elem())
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, item := range n.Content {
			k.walk(fmt.Sprintf("%s[%d]", path, i), item, t.Elem())
		}
	case reflect.String:
		if n.Kind == yaml.ScalarNode && n.Tag != "!!str" {
			read := "a " + strings.TrimPrefix(n.Tag, "!!")
			if v, ok := scalar(n); ok {
				read = describeHelm(v)
			}
			k.fail(n, path, fmt.Sprintf("Helm reads %s as %s, not as a string", n.Value, read), "a string", fmt.Sprintf("quote it: %q", n.Value))
		}
	case reflect.Bool:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
			k.fail(n, path, fmt.Sprintf("the string %s is not a boolean for Helm (a template's `if` takes any non-empty string as true)", shortValue(n.Value)), "true or false", "write it without quotes")
		}
	case reflect.Int:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
			k.fail(n, path, fmt.Sprintf("the string %s is not a number for Helm", shortValue(n.Value)), "an integer", "write it without quotes")
		}
	}
}

func (k *kinds) fail(n *yaml.Node, path, msg, expected, hint string) {
	k.errs = append(k.errs, errAt(k.file, n, path, msg, expected, hint))
}

// fieldTypes maps a struct's YAML names to field types.
func fieldTypes(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if f.IsExported() && name != "" && name != "-" {
			out[name] = f.Type
		}
	}
	return out
}

// merged walks the mappings a merge key (<<) of n brings, as type t.
func (k *kinds) merged(path string, n *yaml.Node, t reflect.Type) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Tag != "!!merge" {
			continue
		}
		v := n.Content[i+1]
		for v != nil && v.Kind == yaml.AliasNode {
			if k.aliases++; k.aliases > maxAliases {
				return
			}
			v = v.Alias
		}
		if v == nil {
			continue
		}
		if v.Kind == yaml.SequenceNode {
			for _, s := range v.Content {
				k.walk(path, s, t)
			}
			continue
		}
		k.walk(path, v, t)
	}
}

// shallowPairs is a mapping's own entries, merge keys left out.
func shallowPairs(n *yaml.Node) [][2]*yaml.Node {
	var out [][2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.Tag != "!!merge" {
			out = append(out, [2]*yaml.Node{k, n.Content[i+1]})
		}
	}
	return out
}
