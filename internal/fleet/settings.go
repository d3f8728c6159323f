package fleet

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/fleetup/fleetup/internal/decode"
	"k8s.io/apimachinery/pkg/util/validation"
)

// SettingsFile is fleet.yaml, inside the fleet directory.
const SettingsFile = "fleet.yaml"

// reserved are the keys of a cluster file, and path, the parameter Argo
// CD's Git files generator adds beside a cluster file's keys: a layer may
// not take them.
var reserved = []string{"name", "profile", "wave", "revision", "decommission", "overrides", "cluster", "chart", "path"}

// parseSettings reads fleet.yaml; data nil means the file is absent.
// layersOK is false when the layers could not be read: checks that need
// them would only repeat the same mistake.
func parseSettings(file string, data []byte) (s Settings, layersOK bool, errs decode.Errors) {
	if data == nil || isEmptyYAML(data) {
		return defaults(s), true, nil
	}
	root, err := decode.Parse(file, data)
	if err != nil {
		return defaults(s), false, asErrors(file, err)
	}
	res := &decode.Result{File: file}
	decode.Into(res, "", root, &s)
	if len(res.Errors) == 0 {
		validateSettings(res, s)
	}
	layersOK = true
	for _, e := range res.Errors {
		if e.Path != "chart" { // the file may not say what its author meant
			layersOK = false
		}
	}
	if !layersOK {
		s.Layers = nil
	}
	return defaults(s), layersOK, res.Errors
}

func defaults(s Settings) Settings {
	if s.Layers == nil {
		s.Layers = DefaultLayers()
	}
	if s.Chart == "" {
		s.Chart = DefaultChart
	}
	return s
}

func validateSettings(res *decode.Result, s Settings) {
	add := func(p, msg, expected, hint string) {
		res.Add(p, &decode.ValueError{Msg: msg, Expected: expected, Hint: hint})
	}
	seen := map[string]bool{}
	for i, l := range s.Layers {
		p := fmt.Sprintf("layers[%d]", i)
		switch {
		case len(validation.IsDNS1123Label(l)) > 0:
			add(p, fmt.Sprintf("%q is not a layer name", l), "a DNS-1123 label (it is a directory and a key of cluster files)", lowerHint(l))
		case slices.Contains(reserved, l):
			what := "a key of cluster files"
			if l == "path" {
				what = "the parameter Argo CD's Git files generator adds to a cluster file's keys"
			}
			add(p, fmt.Sprintf("%q is %s", l, what), "a layer name other than "+strings.Join(reserved, ", "), "")
		case seen[l]:
			add(p, fmt.Sprintf("layer %q is listed twice", l), "each layer once", "")
		}
		seen[l] = true
	}
	if c := s.Chart; c != "" {
		clean := path.Clean(c)
		if path.IsAbs(c) || strings.Contains(c, "\\") || clean == "." || clean == ".." || strings.HasPrefix(clean, "../") {
			add("chart", fmt.Sprintf("%q is not a path inside the repository", c), `a relative path such as "packages/fleet-cluster"`, "")
		}
	}
}

// lowerHint offers the DNS-1123 spelling of a name when it has one.
func lowerHint(s string) string {
	l := strings.ToLower(strings.ReplaceAll(s, "_", "-"))
	if l != s && len(validation.IsDNS1123Label(l)) == 0 {
		return fmt.Sprintf("did you mean %q?", l)
	}
	return ""
}
