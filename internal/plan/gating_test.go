package plan

import (
	"slices"
	"strings"
	"testing"
)

func TestGatingShippedChart(t *testing.T) {
	p := build(t, nil)
	if len(p.Gating.Ungated) != 0 || len(p.Gating.Switched) == 0 || p.Gating.Note() != "" {
		t.Errorf("gating %+v", p.Gating)
	}
}

func TestGatingFromSelectors(t *testing.T) {
	cat := build(t, nil).Catalog
	for _, tc := range []struct {
		dir   string
		gated bool
	}{{"cnoe", false}, {"matrix", true}} {
		sets, err := ReadManifests("testdata/gating", []string{tc.dir})
		if err != nil {
			t.Fatal(err)
		}
		g := gatingOf(cat, sets)
		if slices.Contains(g.Switched, "cert-manager") != tc.gated || slices.Contains(g.Ungated, "cert-manager") == tc.gated {
			t.Errorf("%s: gating %+v", tc.dir, g)
		}
		if !tc.gated && !strings.Contains(g.Note(), "cert-manager") {
			t.Errorf("%s: note %q", tc.dir, g.Note())
		}
	}
}

// The CNOE reference implementation's chart has no switch: nothing is gated.
func TestCNOEGating(t *testing.T) {
	p := cnoePlan(t)
	if len(p.Gating.Switched) != 0 || !slices.Contains(p.Gating.Ungated, "backstage") {
		t.Errorf("gating %+v", p.Gating)
	}
}
