package fleet

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"
	"sigs.k8s.io/yaml"
)

// valuesTemplate makes the chart print .Values the way a template sees them;
// the end mark keeps trailing newlines exact.
const valuesTemplate = "{{ toYaml .Values }}\n# end\n"

// helmTemplate renders, with Helm's own code, a chart whose values.yaml is
// chartValues ("" for none) and whose only template prints .Values, from
// the value files given lowest first: the files read and merged as
// `helm template -f f0 -f f1 ...` does (values.Options.MergeValues:
// loader.LoadValues and loader.MergeMaps per file), the chart loaded by
// Helm's loader, the values coalesced (util.ToRenderValues) and the
// template run by Helm's engine, as the install action does.
func helmTemplate(t testing.TB, chartValues string, files ...string) string {
	t.Helper()
	chart := filepath.Join(t.TempDir(), "probe")
	write(t, filepath.Join(chart, "Chart.yaml"), "apiVersion: v2\nname: probe\nversion: 0.1.0\n")
	write(t, filepath.Join(chart, "templates", "values.yaml"), valuesTemplate)
	if chartValues != "" {
		write(t, filepath.Join(chart, "values.yaml"), chartValues)
	}
	vals := map[string]any{}
	for i, f := range files {
		cur, err := loader.LoadValues(strings.NewReader(f))
		if err != nil {
			t.Fatalf("helm -f f%d.yaml: %v", i, err)
		}
		vals = loader.MergeMaps(vals, cur)
	}
	ch, err := loader.Load(chart)
	if err != nil {
		t.Fatalf("helm load: %v", err)
	}
	top, err := util.ToRenderValues(ch, vals, common.ReleaseOptions{Name: "x", Namespace: "default", Revision: 1, IsInstall: true}, nil)
	if err != nil {
		t.Fatalf("helm values: %v", err)
	}
	out, err := engine.Render(ch, top)
	if err != nil {
		t.Fatalf("helm render: %v", err)
	}
	rendered, ok := out["probe/templates/values.yaml"]
	if !ok {
		t.Fatalf("helm render: no output in %v", out)
	}
	end := strings.LastIndex(rendered, "\n# end\n")
	if end < 0 {
		t.Fatalf("helm render: no end mark in %q", rendered)
	}
	return rendered[:end]
}

// TestHelmReadEqualsLoadValues: fleetup reads value files as Helm's chart
// loader does, for every file the merge tests and the example use.
func TestHelmReadEqualsLoadValues(t *testing.T) {
	var inputs []string
	for _, c := range append(mergeCases(), pairCases()...) {
		inputs = append(inputs, c.chart)
		inputs = append(inputs, c.files...)
	}
	for _, f := range exampleFS(t) {
		inputs = append(inputs, string(f.Data))
	}
	inputs = append(inputs, "---\na: 1\n", "a: 1\n...\n", "--- # c\na: [1, {b: yes}]\n")
	for _, in := range inputs {
		want, err := loader.LoadValues(strings.NewReader(in))
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		got, err := helmRead([]byte(in))
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%q: got %#v, %v; Helm's loader reads %#v", in, got, err, want)
		}
	}
}

// oursTemplate is what fleetup's merge gives for the same files, printed
// with the same toYaml Helm's template function uses.
func oursTemplate(t testing.TB, chartValues string, files ...string) string {
	t.Helper()
	v := oursMerge(t, chartValues, files...)
	data, err := yaml.Marshal(v.Plain())
	if err != nil {
		t.Fatalf("toYaml: %v", err)
	}
	return strings.TrimSuffix(string(data), "\n")
}

func oursMerge(t testing.TB, chartValues string, files ...string) *Value {
	t.Helper()
	var chart *Value
	if chartValues != "" {
		_, tree, errs := readValues("values.yaml", "chart", []byte(chartValues), true)
		if len(errs) > 0 {
			t.Fatalf("chart values: %v", errs)
		}
		chart = tree
	}
	var trees []*Value
	for i, f := range files {
		_, tree, errs := readValues(fmt.Sprintf("f%d.yaml", i), fmt.Sprintf("f%d", i), []byte(f), true)
		if len(errs) > 0 {
			t.Fatalf("f%d.yaml: %v", i, errs)
		}
		trees = append(trees, tree)
	}
	return Merge(chart, trees...)
}

func write(t testing.TB, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
