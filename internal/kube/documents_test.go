package kube

import (
	"sort"
	"strings"
	"testing"

	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"
)

// helmSplit is Helm's own splitter, the reference.
func helmSplit(s string) []string {
	m := releaseutil.SplitManifests(s)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Sort(releaseutil.BySplitManifestsOrder(keys))
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

// Streams as templates write them, CNOE's appset chart among them: its
// range ends each document with "---" right before "{{- end }}", which
// glues the next document to the marker.
var streams = map[string]string{
	"cnoe glued": "---\napiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {name: a}\n---apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {name: b}\n---",
	"plain":      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n",
	"comments":   "# Source: x/templates/a.yaml\n---\n# Source: x/templates/b.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n--- \n\n---\t\n",
	"indented":   "a: |\n  ---\n  text\n---\nb: 1\n",
	"marker doc": "--- # first\nkind: A\n---   \nkind: B",
	"empty":      "\n\n  \n",
	"lead space": " ---0\n\n ---\nkind: A\n",
}

func TestDocumentsSplitLikeHelm(t *testing.T) {
	for name, s := range streams {
		t.Run(name, func(t *testing.T) {
			got := SplitDocuments(s)
			want := helmSplit(s)
			if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
				t.Errorf("fleetup %q\nhelm    %q", got, want)
			}
		})
	}
}

func FuzzDocumentsSplitLikeHelm(f *testing.F) {
	for _, s := range streams {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, want := SplitDocuments(s), helmSplit(s)
		if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
			t.Errorf("fleetup %q\nhelm    %q", got, want)
		}
		for _, d := range Documents(s) {
			if d.Line < 1 || d.Line > strings.Count(s, "\n")+1 {
				t.Errorf("document at line %d of a %d-line stream", d.Line, strings.Count(s, "\n")+1)
			}
		}
	})
}

func TestDecodeGluedDocuments(t *testing.T) {
	objs, err := DecodeYAML([]byte(streams["cnoe glued"]))
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 2 || objs[0].GetName() != "a" || objs[1].GetName() != "b" {
		t.Errorf("got %d objects: %v", len(objs), objs)
	}
}

func TestDecodeSameKeyTwiceWithTheSameValue(t *testing.T) {
	// CNOE's appset chart renders ignoreDifferences twice, alike.
	objs, err := DecodeYAML([]byte("apiVersion: v1\nkind: X\nmetadata: {name: a}\nspec:\n  ignoreDifferences:\n    - {kind: Secret, jsonPointers: [/data]}\n  ignoreDifferences:\n  - kind: Secret\n    jsonPointers: [/data]\n"))
	if err != nil || len(objs) != 1 {
		t.Fatalf("%v %v", objs, err)
	}
}

func TestDecodeErrorsSayWhere(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"duplicate key", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  name: c\n", `m.yaml:9:3: key "name" given twice with different values (first at line 8)`},
		{"duplicate top key in glued doc", "kind: A\napiVersion: v1\nmetadata: {name: a}\n---apiVersion: v1\nkind: B\nkind: C\n", `m.yaml:6:1: key "kind" given twice with different values (first at line 5)`},
		{"syntax", "apiVersion: v1\nkind: A\nmetadata: {name: a}\n---\nkind: B\napiVersion: v1\nc: d: e\n", "m.yaml:7:1: mapping values are not allowed"},
		{"no kind", "---\n\nmetadata: {name: a}\n", "m.yaml:3:1: no apiVersion or kind"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeFile("m.yaml", []byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}
