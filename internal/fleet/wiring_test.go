package fleet

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"sigs.k8s.io/yaml"
)

// argoTemplate renders an ApplicationSet goTemplate string as the
// ApplicationSet controller does: sprig's functions (toJson, hasKey),
// the generator's parameters as dot, missing keys an error.
func argoTemplate(t *testing.T, text string, params map[string]any) string {
	t.Helper()
	tpl, err := template.New("patch").Funcs(sprig.TxtFuncMap()).Option("missingkey=error").Parse(text)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	var b bytes.Buffer
	if err := tpl.Execute(&b, params); err != nil {
		t.Fatalf("execute: %v", err)
	}
	return b.String()
}

// plainJSON normalises a value the way both sides reach Helm: JSON.
func plainJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(out)
	return string(b)
}

// TestWiringValuesObject: for each shipped cluster, and for cluster files
// written with nulls, no wave and no overrides, the valuesObject the
// ApplicationSet gives the chart is the cluster level Load merged last
// (plus platform), and the value files are the cluster's sources in order.
func TestWiringValuesObject(t *testing.T) {
	fsys := exampleFS(t)
	fsys["fleet/clusters/bare.yaml"] = file("name: bare\nprofile: standard\nenvironment: dev\ncustomer: acme\nsite: fra\nprovider: in-memory\n")
	fsys["fleet/clusters/nulls.yaml"] = file("name: nulls\nprofile: gpu\nenvironment: prod\ncustomer: globex\nsite: iad\nprovider: eks\nwave: 3\noverrides:\n  tags:\n    managed-by: null\n  nodePools:\n    system: null\n    workers: {replicas: 4, labels: {\"a.b/c\": \"yes\"}}\n")
	fsys["fleet/clusters/pinned.yaml"] = file("name: pinned\nprofile: standard\nenvironment: dev\ncustomer: acme\nsite: fra\nprovider: in-memory\nwave: 2\nrevision: 0123456789abcdef0123456789abcdef01234567\n")
	fsys["fleet/clusters/leaving.yaml"] = file("name: leaving\nprofile: standard\nenvironment: dev\ncustomer: acme\nsite: fra\nprovider: in-memory\nwave: 0\ndecommission: true\n")
	fsys["fleet/clusters/empty-overrides.yaml"] = file("name: empty-overrides\nprofile: standard\nenvironment: dev\ncustomer: acme\nsite: fra\nprovider: in-memory\noverrides:\n")
	f, errs := load(t, fsys, Options{})
	if errs != nil {
		t.Fatal(errs)
	}
	w := Wiring{Name: "fleetup-fleet-hub", Namespace: "argocd", RepoURL: "https://git.example.com/platform.git", Revision: "main", Basepath: "packages"}
	set := f.ApplicationSet(w)
	spec := set["spec"].(map[string]any)
	patch := spec["templatePatch"].(string)
	gen := spec["generators"].([]any)[0].(map[string]any)["git"].(map[string]any)
	if got := gen["files"].([]any)[0].(map[string]any)["path"]; got != "fleet/clusters/*.yaml" {
		t.Errorf("generator path %v", got)
	}
	for _, c := range f.Clusters {
		t.Run(c.Name, func(t *testing.T) {
			// The files generator's parameters: the file as sigs.k8s.io/yaml reads it.
			var params map[string]any
			if err := yaml.Unmarshal(fsys[c.File].Data, &params); err != nil {
				t.Fatal(err)
			}
			params["path"] = map[string]any{"path": "fleet/clusters", "basename": "clusters", "filename": c.Name + ".yaml"}
			out := argoTemplate(t, patch, params)
			var app struct {
				Spec struct {
					Sources []struct {
						RepoURL        string `json:"repoURL"`
						TargetRevision string `json:"targetRevision"`
						Path           string `json:"path"`
						Ref            string `json:"ref"`
						Helm           struct {
							IgnoreMissingValueFiles bool           `json:"ignoreMissingValueFiles"`
							ValueFiles              []string       `json:"valueFiles"`
							ValuesObject            map[string]any `json:"valuesObject"`
						} `json:"helm"`
					} `json:"sources"`
				} `json:"spec"`
			}
			if err := yaml.UnmarshalStrict([]byte(out), &app); err != nil {
				t.Fatalf("patch is not an Application spec: %v\n%s", err, out)
			}
			if len(app.Spec.Sources) != 2 || app.Spec.Sources[1].Ref != "values" || app.Spec.Sources[0].Path != DefaultChart {
				t.Fatalf("sources: %+v", app.Spec.Sources)
			}
			// A pinned cluster renders chart and value files at its
			// commit; the others follow the branch.
			wantRev := w.Revision
			if c.Revision != "" {
				wantRev = c.Revision
			}
			for _, s := range app.Spec.Sources {
				if s.TargetRevision != wantRev {
					t.Errorf("source %s%s targetRevision %q, want %q", s.Path, s.Ref, s.TargetRevision, wantRev)
				}
			}
			// The files Argo CD passes: Load's sources between the chart
			// (implicit) and the cluster level (valuesObject).
			var want []string
			for _, s := range c.Sources[1 : len(c.Sources)-1] {
				want = append(want, "$values/"+s.File)
			}
			var got []string
			for _, v := range app.Spec.Sources[0].Helm.ValueFiles {
				got = append(got, argoTemplate(t, v, params))
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("value files\n got %v\nwant %v", got, want)
			}
			own := c.Own.Plain().(map[string]any)
			own["platform"] = w.Platform()
			if g, w := plainJSON(t, app.Spec.Sources[0].Helm.ValuesObject), plainJSON(t, own); g != w {
				t.Errorf("valuesObject\n got %s\nwant %s", g, w)
			}
		})
	}
	if f.Cluster("pinned").Revision == "" {
		t.Error("the test must carry a pinned cluster")
	}
	if !strings.Contains(plainJSON(t, f.Cluster("leaving").Own.Plain()), `"decommission":true`) {
		t.Error("the decommission marker is not in the cluster level")
	}
	if !strings.Contains(plainJSON(t, f.Cluster("nulls").Own.Plain()), `"system":null`) {
		t.Error("the test must carry a null override")
	}
}
