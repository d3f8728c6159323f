package helm_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/fleetup/fleetup/internal/helm"
)

func crdDoc(name string) string {
	return "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: " + name + "}\n"
}

// TestChartCRDs: the CRDs of a chart's crds/ and of the subcharts its
// values enable, as Helm's install would create them; a disabled
// subchart's are not among them.
func TestChartCRDs(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"Chart.yaml": `apiVersion: v2
name: top
version: 0.1.0
dependencies:
  - {name: on, version: 0.1.0, condition: on.enabled}
  - {name: off, version: 0.1.0, condition: off.enabled}
`,
		"values.yaml":                 "on: {enabled: true}\noff: {enabled: true}\n",
		"crds/a.yaml":                 crdDoc("as.example.com") + "---\n" + crdDoc("bs.example.com"),
		"charts/on/Chart.yaml":        "apiVersion: v2\nname: on\nversion: 0.1.0\n",
		"charts/on/crds/c.yaml":       crdDoc("cs.example.com"),
		"charts/off/Chart.yaml":       "apiVersion: v2\nname: off\nversion: 0.1.0\n",
		"charts/off/crds/d.yaml":      crdDoc("ds.example.com"),
		"templates/configmap.yaml":    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
		"charts/on/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: y}\n",
	}
	for p, c := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ch, err := helm.LoadChart(dir)
	if err != nil {
		t.Fatal(err)
	}
	crds, err := helm.ChartCRDs(ch, map[string]any{"off": map[string]any{"enabled": false}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range crds {
		names = append(names, c.GetName())
	}
	slices.Sort(names)
	if want := []string{"as.example.com", "bs.example.com", "cs.example.com"}; !slices.Equal(names, want) {
		t.Errorf("CRDs %v, want %v", names, want)
	}
}
