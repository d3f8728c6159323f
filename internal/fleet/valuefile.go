package fleet

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"github.com/fleetup/fleetup/internal/decode"
	"gopkg.in/yaml.v3"
)

// ValueFile is one Helm value file of the fleet: the chart's values.yaml,
// a profile or an inventory entry.
type ValueFile struct {
	File  string // path from the repository root
	Layer string // chart, profile or a layer name
	Name  string // the profile's or layer value's name; "" for the chart
	// Tree is the file as Helm reads it, with positions.
	Tree *Value
	// Spec is the typed view; nil for the chart's own values.
	Spec *Values
}

// readValues parses data as Helm and as yaml.v3 do, and checks they agree.
// An empty file is an empty mapping, as for Helm. root is nil then.
func readValues(file, layer string, data []byte, dups bool) (root *yaml.Node, tree *Value, errs decode.Errors) {
	root, err := decode.Parse(file, data)
	if err != nil {
		if isEmptyYAML(data) {
			return nil, &Value{Map: map[string]*Value{}, Origin: Origin{File: file, Line: 1, Column: 1, Layer: layer}}, nil
		}
		return nil, nil, asErrors(file, err)
	}
	if root.Kind != yaml.MappingNode {
		return nil, nil, decode.Errors{errAt(file, root, "", "the file is not a mapping", "a mapping of values (key: value)", "")}
	}
	hv, err := helmValues(root, data)
	if err != nil {
		return nil, nil, decode.Errors{helmError(file, err)}
	}
	b := &builder{file: file, layer: layer, dups: dups}
	tree = b.value("", root, root, hv)
	if tree != nil {
		tree.Origin = Origin{File: file, Line: 1, Column: 1, Layer: layer}
	}
	return root, tree, b.errs
}

// parseValueFile reads a profile or inventory file: Helm's values, checked
// against the Values schema.
func parseValueFile(file, layer, name string, data []byte, known knownAddons) (*ValueFile, decode.Errors) {
	root, tree, errs := readValues(file, layer, data, false)
	vf := &ValueFile{File: file, Layer: layer, Name: name, Tree: tree, Spec: &Values{}}
	if root != nil {
		errs = append(errs, checkValues(file, "", root, vf.Spec, known)...)
	}
	return vf, errs
}

// checkValues decodes node strictly into spec and adds the checks the
// decoder's leniency leaves to us (see kinds.go).
func checkValues(file, base string, node *yaml.Node, spec *Values, known knownAddons) decode.Errors {
	res := &decode.Result{File: file}
	decode.Into(res, base, node, spec)
	errs := res.Errors
	errs = append(errs, checkKinds(file, base, node)...)
	return append(errs, validateValues(res, base, spec, known)...)
}

// isEmptyYAML: nothing but comments, blank lines or a null document.
func isEmptyYAML(data []byte) bool {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return false
	}
	if len(doc.Content) == 0 {
		return true
	}
	r := doc.Content[0]
	return len(doc.Content) == 1 && r.Kind == yaml.ScalarNode && r.Tag == "!!null"
}

var helmLineRE = regexp.MustCompile(`line (\d+): (.*)$`)

// helmError positions an error of Helm's own reader (rare: yaml.v3
// accepted the file).
func helmError(file string, err error) *decode.Error {
	msg, line := err.Error(), 1
	if m := helmLineRE.FindStringSubmatch(msg); m != nil {
		if l, convErr := strconv.Atoi(m[1]); convErr == nil && l > 0 {
			line, msg = l, m[2]
		}
	}
	return &decode.Error{File: file, Line: line, Column: 1, Msg: "Helm cannot read this file: " + msg, Expected: "YAML that Helm's reader accepts"}
}

// asErrors turns a decode error into a list.
func asErrors(file string, err error) decode.Errors {
	var es decode.Errors
	if errors.As(err, &es) {
		return es
	}
	var e *decode.Error
	if errors.As(err, &e) {
		return decode.Errors{e}
	}
	return decode.Errors{{File: file, Line: 1, Column: 1, Msg: fmt.Sprint(err)}}
}
