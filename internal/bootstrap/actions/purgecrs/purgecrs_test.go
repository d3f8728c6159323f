package purgecrs

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func crd(name, group string, labels, annotations map[string]string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{"group": group}}}
	u.SetName(name)
	u.SetLabels(labels)
	u.SetAnnotations(annotations)
	return u
}

// TestSelectionHas: what fleetup installed is selected by what it knows
// (its labels on bootstrap CRDs, its labels and release on a chart's
// crds/, the addons' Applications), the catalog's groups whole; nothing
// else, even in the same group.
func TestSelectionHas(t *testing.T) {
	mine := map[string]string{"fleetup.dev/managed": "true"}
	rel := func(r string) map[string]string { return map[string]string{"fleetup.dev/helm-release": r} }
	s := Selection{
		Groups:    []string{"declared.example.com"},
		Bootstrap: []string{"boots.x.example.com"},
		Releases:  []string{"argocd/argo-cd"},
		Applied:   []string{"widgets.x.example.com"},
	}
	for _, c := range []struct {
		name string
		crd  *unstructured.Unstructured
		want bool
	}{
		{"catalog group", crd("any.declared.example.com", "declared.example.com", nil, nil), true},
		{"applied by an addon", crd("widgets.x.example.com", "x.example.com", nil, nil), true},
		{"bootstrap, applied by fleetup", crd("boots.x.example.com", "x.example.com", mine, nil), true},
		{"bootstrap name, not fleetup's", crd("boots.x.example.com", "x.example.com", nil, nil), false},
		{"chart crds/, created by fleetup", crd("gadgets.x.example.com", "x.example.com", mine, rel("argocd/argo-cd")), true},
		{"chart crds/, another platform's release", crd("gadgets.x.example.com", "x.example.com", mine, rel("other/argo-cd")), false},
		{"release annotation without the label", crd("gadgets.x.example.com", "x.example.com", nil, rel("argocd/argo-cd")), false},
		{"labelled, of nothing fleetup knows", crd("stray.x.example.com", "x.example.com", mine, nil), false},
		{"foreign, same group", crd("sprockets.x.example.com", "x.example.com", nil, nil), false},
	} {
		if got := s.Has(c.crd); got != c.want {
			t.Errorf("%s: Has = %v, want %v", c.name, got, c.want)
		}
	}
}
