package plan

import (
	"fmt"
	"sort"
	"strings"

	"github.com/fleetup/fleetup/internal/catalog"
	"github.com/fleetup/fleetup/internal/helm"
)

// Gating says which installed addons the enable_<addon> switches hold
// back: only those whose ApplicationSet's cluster generator selects on
// the label. The others get their Application as soon as the
// ApplicationSets are applied, whatever the switches say.
type Gating struct {
	Switched []string `json:"switched"`
	// Ungated addons are not selected on their switch: fleetup can only
	// wait for them in graph order, not hold them back.
	Ungated []string `json:"ungated"`
}

// Note is the one-line account of ungated addons, empty when all are gated.
func (g Gating) Note() string {
	if len(g.Ungated) == 0 {
		return ""
	}
	return fmt.Sprintf("the ApplicationSets do not select on enable_<addon> for %s: fleetup cannot hold them back and only waits for them in graph order", strings.Join(g.Ungated, ", "))
}

// gatingOf reads which enable_<addon> labels the rendered ApplicationSets'
// cluster generators select on, nested matrix and merge generators
// included.
func gatingOf(cat *catalog.Catalog, sets []helm.Manifest) Gating {
	selected := map[string]bool{}
	for _, s := range sets {
		gens, _ := dig(s.Object, "spec", "generators").([]any)
		selectorLabels(gens, selected)
	}
	g := Gating{Switched: []string{}, Ungated: []string{}}
	for _, a := range cat.Installed() {
		if selected[a.LabelName()] {
			g.Switched = append(g.Switched, a.Name)
		} else {
			g.Ungated = append(g.Ungated, a.Name)
		}
	}
	sort.Strings(g.Switched)
	sort.Strings(g.Ungated)
	return g
}

func selectorLabels(gens []any, into map[string]bool) {
	for _, gen := range gens {
		gm, _ := gen.(map[string]any)
		sel, _ := dig(gm, "clusters", "selector").(map[string]any)
		ml, _ := sel["matchLabels"].(map[string]any)
		for k := range ml {
			into[k] = true
		}
		exprs, _ := sel["matchExpressions"].([]any)
		for _, e := range exprs {
			em, _ := e.(map[string]any)
			if k := str(em["key"]); k != "" {
				into[k] = true
			}
		}
		for _, kind := range []string{"matrix", "merge"} {
			nested, _ := dig(gm, kind, "generators").([]any)
			selectorLabels(nested, into)
		}
	}
}
