package plan

import (
	"context"
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/fleetup/fleetup/internal/argocd"
	"github.com/fleetup/fleetup/internal/catalog"
	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/fleet"
	"github.com/fleetup/fleetup/internal/helm"
)

// FleetDir is the fleet's directory next to config.yaml, at the root of
// the platform repository.
const FleetDir = catalog.FleetDir

// FleetApp names the fleet's ApplicationSet (with the hub's name).
const FleetApp = "fleetup-fleet"

// Fleet is the fleet's GitOps wiring, present when the repository has a
// fleet/ directory: an ApplicationSet over fleet/clusters/*.yaml that
// makes an Application per workload cluster, rendering its chart from Git.
// A cluster added, changed or removed in Git reaches the hub with no
// fleetup run.
type Fleet struct {
	// Dir is the fleet's directory in the repository.
	Dir string `json:"dir"`
	// Chart renders each cluster, from Git.
	Chart string `json:"chart"`
	// Clusters are the cluster files in Git now, by name.
	Clusters []string `json:"clusters"`
	// Objects are what install applies: the ApplicationSet.
	Objects []helm.Manifest `json:"objects"`
	// ApplicationSet is the Objects' ApplicationSet's name.
	ApplicationSet string `json:"applicationSet"`
	// Delivery is the catalog's ApplicationSet that gives workload
	// clusters their bundles (one stages Application each); empty when
	// the catalog has none, and Warnings say so.
	Delivery string   `json:"delivery"`
	Warnings []string `json:"warnings"`
}

// deliveryOf finds how the catalog's ApplicationSets serve the fleet: the
// appset chart's stages ApplicationSet, or a warning that nothing does (a
// CNOE fork's chart selects the hub alone; `stagedDelivery: false`).
func (f *Fleet) deliveryOf(sets []helm.Manifest) {
	f.Warnings = []string{}
	for _, m := range sets {
		if m.Object["kind"] == "ApplicationSet" && labelOf(m, StagesLabel) == "true" {
			f.Delivery = m.Name
			return
		}
	}
	f.Warnings = append(f.Warnings, "no ApplicationSet of the catalog delivers addons to workload clusters (fleetup's packages/appset-chart does, with stagedDelivery on; a CNOE fork's chart selects the hub alone): the fleet's clusters are registered in Argo CD and get no addons")
}

func labelOf(m helm.Manifest, key string) string {
	meta, _ := m.Object["metadata"].(map[string]any)
	labels, _ := meta["labels"].(map[string]any)
	s, _ := labels[key].(string)
	return s
}

// fleetOf builds the fleet's wiring; nil when there is no fleet/. An
// invalid fleet fails the plan with every problem positioned: Argo CD
// would render it broken. It reads local files only, as the rest of the
// plan does.
func fleetOf(cfg *config.Config, cat *catalog.Catalog, argoNS string) (*Fleet, error) {
	// The catalog looked for fleet/ already: its hub labels switch the
	// Cluster API addons on, and the wiring must agree with them.
	if !cat.Fleet {
		return nil, nil
	}
	f, err := fleet.Load(context.Background(), os.DirFS(cfg.Dir), FleetDir, fleet.Options{Addons: cat.Names()})
	if err != nil {
		return nil, err
	}
	w := FleetWiring(cfg, argoNS)
	set := helm.FromObject(f.ApplicationSet(w))
	set.Source = "fleetup"
	return &Fleet{Dir: f.Dir, Chart: f.Settings.Chart, Clusters: f.Names(), Objects: []helm.Manifest{set}, ApplicationSet: w.Name}, nil
}

// FleetWiring is where the fleet's ApplicationSet reads Git and lives.
func FleetWiring(cfg *config.Config, argoNS string) fleet.Wiring {
	return fleet.Wiring{
		Name: argocd.ApplicationName(FleetApp, cfg.ClusterName), Namespace: argoNS,
		RepoURL: cfg.Repo.URL, Revision: cfg.Repo.Revision, Basepath: cfg.Repo.BasePath,
	}
}

// Source says where Argo CD renders the clusters from.
func (f *Fleet) Source(cfg *config.Config) string {
	return fmt.Sprintf("%s @ %s, chart %s, one Application per %s", cfg.Repo.URL, cfg.Repo.Revision, f.Chart, path.Join(f.Dir, "clusters", "*.yaml"))
}

func orNoneList(names []string) string {
	if len(names) == 0 {
		return "none yet"
	}
	return strings.Join(names, ", ")
}
