package chart

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/kube"
)

func renderShipped(t *testing.T) ([]Result, Source) {
	t.Helper()
	f, ch := loadRepo(t, repoRoot)
	results, err := RenderAll(context.Background(), ch, f.Clusters, testPlatform)
	if err != nil {
		t.Fatal(err)
	}
	return results, Source{Dir: ch.Dir}
}

// TestManifestsOnlyIsAStream: --manifests-only prints every object of
// every cluster as YAML documents that decode back to the same objects.
func TestManifestsOnlyIsAStream(t *testing.T) {
	results, src := renderShipped(t)
	var b strings.Builder
	if err := WriteText(&b, results, View{Show: ShowManifests, Chart: src}); err != nil {
		t.Fatal(err)
	}
	objs, err := kube.DecodeFile("stream", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, r := range results {
		for _, m := range r.Manifests {
			want = append(want, m.Kind+" "+m.Namespace+"/"+m.Name)
		}
	}
	var got []string
	for _, o := range objs {
		got = append(got, o.GetKind()+" "+o.GetNamespace()+"/"+o.GetName())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") || len(got) < 40 {
		t.Errorf("stream holds\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if strings.Contains(b.String(), "values (key") {
		t.Error("--manifests-only printed values")
	}
}

func TestTextViews(t *testing.T) {
	results, src := renderShipped(t)
	var all, values strings.Builder
	if err := WriteText(&all, results[:1], View{Show: ShowAll, Chart: src, Platform: testPlatform}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"cluster dev-acme-fra (profile standard, wave 0)",
		`platform (config.yaml's repo, over the values): repoURL "https://git.example.test/platform", revision "main", basepath "packages"`,
		"manifests (15 objects, packages/fleet-cluster rendered as Argo CD will):\n---\n# Source: fleet-cluster/templates/cluster.yaml (cluster dev-acme-fra)\napiVersion: cluster.x-k8s.io/v1beta2\n",
	} {
		if !strings.Contains(all.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if err := WriteText(&values, results[:1], View{Show: ShowValues, Chart: src}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(values.String(), "---") || !strings.Contains(values.String(), "kubernetesVersion") {
		t.Errorf("--values-only:\n%s", values.String())
	}
	var missing strings.Builder
	noChart := []Result{{Cluster: results[0].Cluster}}
	if err := WriteText(&missing, noChart, View{Chart: Source{Dir: "packages/fleet-cluster", Missing: true}}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(missing.String(), "  manifests: none (packages/fleet-cluster is not in the repository)\n") {
		t.Errorf("missing chart:\n%s", missing.String())
	}
	var failed strings.Builder
	broken := []Result{{Cluster: results[0].Cluster, Err: errors.New("cluster dev-acme-fra: render fleet-cluster:\n  x is not set")}}
	if err := WriteText(&failed, broken, View{Chart: src}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(failed.String(), "  manifests: the chart does not render: cluster dev-acme-fra: render fleet-cluster: x is not set\n") {
		t.Errorf("failed render:\n%s", failed.String())
	}
}

func TestJSONViews(t *testing.T) {
	results, src := renderShipped(t)
	f, _ := loadRepo(t, repoRoot)
	decode := func(show Show) map[string]any {
		var b strings.Builder
		if err := WriteJSON(&b, f, results, View{Show: show, Chart: src, Platform: testPlatform}); err != nil {
			t.Fatal(err)
		}
		var out map[string]any
		if err := json.Unmarshal([]byte(b.String()), &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	all := decode(ShowAll)
	c := dig(all, "clusters", "1").(map[string]any)
	if c["name"] != "prod-acme-fra" || c["values"] == nil || c["origins"] == nil || len(c["manifests"].([]any)) != 12 {
		t.Errorf("cluster keys %v", keysOf(c))
	}
	if dig(c, "manifests", "0", "object", "kind") != "Cluster" || dig(all, "platform", "revision") != "main" || dig(all, "chart", "dir") != "packages/fleet-cluster" {
		t.Errorf("manifests[0] %v, platform %v, chart %v", dig(c, "manifests", "0"), all["platform"], all["chart"])
	}
	c = dig(decode(ShowManifests), "clusters", "1").(map[string]any)
	if c["values"] != nil || c["origins"] != nil || c["manifests"] == nil || c["name"] != "prod-acme-fra" {
		t.Errorf("--manifests-only keys %v", keysOf(c))
	}
	c = dig(decode(ShowValues), "clusters", "1").(map[string]any)
	if c["values"] == nil || c["manifests"] != nil {
		t.Errorf("--values-only keys %v", keysOf(c))
	}
}

func keysOf(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
