package plan

import (
	"path/filepath"
	"testing"

	"github.com/fleetup/fleetup/internal/config"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"
)

// TestStagesSelectorLeavesDecommissioned: the stages ApplicationSet's
// cluster generator, as the shipped plan renders it, selects a workload
// cluster's secret, but neither the hub's nor one that `cluster delete`
// marked (fleetup.dev/decommission): that cluster's stages Application,
// and with it its addons, goes while the cluster is still registered.
func TestStagesSelectorLeavesDecommissioned(t *testing.T) {
	cfg, err := config.Load(filepath.Join("..", "..", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p := planOf(t, cfg)
	var sel labels.Selector
	for _, m := range p.ApplicationSets {
		if labelOf(m, StagesLabel) != "true" {
			continue
		}
		gens := m.Object["spec"].(map[string]any)["generators"].([]any)
		raw, err := yaml.Marshal(gens[0].(map[string]any)["clusters"].(map[string]any)["selector"])
		if err != nil {
			t.Fatal(err)
		}
		var ls metav1.LabelSelector
		if err := yaml.UnmarshalStrict(raw, &ls); err != nil {
			t.Fatalf("the generator's selector: %v\n%s", err, raw)
		}
		if sel, err = metav1.LabelSelectorAsSelector(&ls); err != nil {
			t.Fatal(err)
		}
	}
	if sel == nil {
		t.Fatal("the plan has no stages ApplicationSet")
	}
	w := workload(cfg).Labels
	for k, v := range cfg.ClusterLabels {
		w[k] = v // the catalog's globalSelectors, as a registered cluster carries them
	}
	if !sel.Matches(labels.Set(w)) {
		t.Fatalf("the stages generator (%s) does not select a workload cluster %v", sel, w)
	}
	w["fleetup.dev/decommission"] = "true"
	if sel.Matches(labels.Set(w)) {
		t.Errorf("the stages generator (%s) still selects a decommissioned cluster", sel)
	}
	hub := HubCluster(cfg, p.Catalog).Labels
	if sel.Matches(labels.Set(hub)) {
		t.Errorf("the stages generator (%s) selects the hub", sel)
	}
}
