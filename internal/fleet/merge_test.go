package fleet

import (
	"fmt"
	"strings"
	"testing"
)

// mergeCase is a chart's values.yaml and value files, lowest first.
type mergeCase struct {
	name  string
	chart string
	files []string
}

// levels are a cluster's value files above the chart, in Helm's order.
var levels = []string{"profile", "environment", "customer", "site", "provider", "cluster"}

// TestMergeEqualsHelm: for every case, the values fleetup computes, printed
// with Helm's toYaml, are byte for byte what Helm's own `helm template -f
// ...` code renders from a chart whose template is {{ toYaml .Values }}.
func TestMergeEqualsHelm(t *testing.T) {
	for _, c := range append(mergeCases(), pairCases()...) {
		t.Run(c.name, func(t *testing.T) {
			want := helmTemplate(t, c.chart, c.files...)
			got := oursTemplate(t, c.chart, c.files...)
			if got != want {
				t.Errorf("fleetup's merge differs from Helm's\n--- helm template\n%s\n--- fleetup\n%s", want, got)
			}
		})
	}
}

// mergeCases: null deletion, nested mappings, lists and scalars, and the
// way Helm reads scalars.
func mergeCases() []mergeCase {
	return []mergeCase{
		// null
		{"null deletes a chart default at the top", "a: 1\nb: 2\n", []string{"a: null\n"}},
		{"null deletes a chart default below the top", "m: {a: 1, b: 2}\n", []string{"m: {a: null}\n"}},
		{"null with no chart default stays null at the top", "", []string{"a: 1\n", "a: null\n"}},
		{"null with no chart default stays null below the top", "", []string{"m: {a: 1, b: 2}\n", "m: {a: null}\n"}},
		{"null over the chart's null deletes at the top", "a: null\nb: 1\n", []string{"a: null\n"}},
		{"null over the chart's null stays below the top", "m: {a: null, b: 1}\n", []string{"m: {a: null}\n"}},
		{"null deletes a chart mapping", "m: {a: 1}\nk: 1\n", []string{"m: null\n"}},
		{"null deletes a chart mapping below the top", "m: {p: {a: 1}, k: 1}\n", []string{"m: {p: null}\n"}},
		{"a later value replaces a null", "a: 1\n", []string{"a: null\n", "a: 2\n"}},
		{"a later null deletes what an earlier file and the chart set", "m: {a: 1, b: 1}\n", []string{"m: {a: 2}\n", "m: {a: null}\n"}},
		{"the chart's own nulls never show", "a: null\nm: {x: null, v: {z: null, w: 1}}\n", []string{"q: 1\n"}},
		{"nulls deep in a mapping the chart lacks stay", "k: 1\n", []string{"m: {p: {a: null, b: 1}}\n"}},
		{"null in a list stays", "l: [1]\n", []string{"l: [1, null]\n"}},
		{"a mapping over a chart scalar keeps its nulls", "a: 1\n", []string{"a: {b: null, c: 1}\n"}},
		{"null over a mapping then a mapping", "m: {a: 1, b: 2}\n", []string{"m: null\n", "m: {c: 3}\n"}},
		// mappings, lists, scalars
		{"mappings merge deeply", "a: {b: {c: {d: 1, e: 2}, f: 3}}\n", []string{"a: {b: {c: {d: 10}}}\n", "a: {b: {g: 4}, h: 5}\n"}},
		{"a list replaces the chart's list", "l: [1, 2, 3]\n", []string{"l: [4]\n"}},
		{"lists of mappings replace, never merge", "", []string{"l: [{a: 1, b: 2}]\n", "l: [{a: 3}]\n"}},
		{"an empty list replaces", "l: [1]\n", []string{"l: []\n"}},
		{"a mapping replaces a scalar", "", []string{"a: 1\n", "a: {b: 2}\n"}},
		{"a scalar replaces a mapping", "", []string{"a: {b: 2}\n", "a: 1\n"}},
		{"a list replaces a mapping", "", []string{"a: {b: 1}\n", "a: [1]\n"}},
		{"a user scalar wins over a chart mapping", "a: {b: 1}\n", []string{"a: x\n"}},
		{"a user mapping wins over a chart scalar", "a: 1\nm: {k: v}\n", []string{"a: {b: 1}\n", "m: {k: [1]}\n"}},
		{"an empty mapping changes nothing", "a: {x: 1}\n", []string{"a: {b: 1}\n", "a: {}\n"}},
		{"an empty mapping replaces a scalar", "", []string{"a: 1\n", "a: {}\n"}},
		{"an empty mapping from the chart", "a: {}\nb: {c: {}}\n", nil},
		{"empty and comment-only files", "a: 1\n", []string{"", "# nothing here\n", "~\n"}},
		{"no files, no chart", "", nil},
		// scalars as Helm reads them
		{"numbers, booleans and strings", "", []string{"i: 1\nf: 1.5\ne: 1e3\nz: 1.0\nbig: 12345678901234567890\nneg: -3\nhex: 0x1F\n", "b: true\nq: \"1.30\"\ns: 'x: y'\nm: |\n  two\n  lines\nd: 2024-01-01\n"}},
		{"anchors, aliases and merge keys", "", []string{"base: &b {x: 1, w: 2}\nderived:\n  <<: *b\n  w: 3\nlist: &l [1, 2]\nagain: *l\n"}},
		{"keys with dots and slashes", "tags: {\"a.b/c\": 1}\n", []string{"tags: {\"a.b/c\": 2, \"kubernetes.io/x\": y2}\n"}},
		{"a fleet-shaped chain", "nodePools: {}\naddons: {cert-manager: {enabled: false}}\nprovider: {flavour: null}\n",
			[]string{
				"kubernetesVersion: v1.34\nnodePools: {system: {instanceType: m7i.large, scaling: {minSize: 2, maxSize: 3}}, workers: {instanceType: m7i.xlarge}}\naddons: {cert-manager: {enabled: true}}\n",
				"nodePools: {workers: {capacityType: spot, scaling: {maxSize: 3}}}\ntags: {environment: dev}\n",
				"addons: {external-dns: {enabled: false}}\n",
				"provider: {region: eu-central-1}\n",
				"provider: {flavour: eks}\nnodePools: {workers: null}\n",
				"cluster: {name: a, wave: 1}\nkubernetesVersion: v1.33\n",
			}},
	}
}

// pairCases: for every pair of levels (and the chart under them all), the
// higher one wins where both set a value, mappings merge key by key, and a
// value only the lower one sets survives.
func pairCases() []mergeCase {
	var out []mergeCase
	for i := range levels {
		for j := i + 1; j < len(levels); j++ {
			files := make([]string, len(levels))
			for k := range levels {
				files[k] = fmt.Sprintf("own_%s: %d\n", levels[k], k)
			}
			files[i] += fmt.Sprintf("top: %s\nshared: {leaf: %s, only_%s: x, list: [%s]}\n", levels[i], levels[i], levels[i], levels[i])
			files[j] += fmt.Sprintf("top: %s\nshared: {leaf: %s, list: [%s, again]}\n", levels[j], levels[j], levels[j])
			out = append(out, mergeCase{fmt.Sprintf("%s over %s", levels[j], levels[i]), "top: chart\nshared: {leaf: chart, only_chart: kept}\n", files})
		}
	}
	return out
}

// TestMergePrecedenceAndOrigins: every pair of levels, checked on the values
// and on where each value came from.
func TestMergePrecedenceAndOrigins(t *testing.T) {
	for _, c := range pairCases() {
		t.Run(c.name, func(t *testing.T) {
			hi, lo := strings.Split(c.name, " over ")[0], strings.Split(c.name, " over ")[1]
			v := oursMerge(t, c.chart, c.files...)
			fileOf := func(level string) string {
				for k, l := range levels {
					if l == level {
						return fmt.Sprintf("f%d.yaml", k)
					}
				}
				return "values.yaml"
			}
			for _, want := range []struct {
				path        []string
				value, from string
			}{
				{[]string{"top"}, hi, hi},
				{[]string{"shared", "leaf"}, hi, hi},
				{[]string{"shared", "only_" + lo}, "x", lo},
				{[]string{"shared", "only_chart"}, "kept", "chart"},
			} {
				got := v.Get(want.path...)
				if got == nil {
					t.Fatalf("%s: missing", FormatPath(want.path))
				}
				if got.Leaf != want.value || got.Origin.File != fileOf(want.from) {
					t.Errorf("%s = %v from %s, want %v from %s", FormatPath(want.path), got.Leaf, got.Origin.File, want.value, fileOf(want.from))
				}
			}
			list := v.Get("shared", "list")
			if l, _ := list.Leaf.([]any); len(l) != 2 || list.Origin.File != fileOf(hi) {
				t.Errorf("shared.list = %v from %s: the higher level's list must replace the lower's whole", list.Leaf, list.Origin.File)
			}
		})
	}
}
