package plan

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"

	"github.com/fleetup/fleetup/internal/argocd"
	"github.com/fleetup/fleetup/internal/catalog"
	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/decode"
	"github.com/fleetup/fleetup/internal/helm"
)

// How the catalog reaches Argo CD.
const (
	// ShapeFleetup is one Application rendering packages/appset-chart.
	ShapeFleetup = "fleetup"
	// ShapeCNOE is a CNOE fork's own bootstrap: the ApplicationSets its
	// appset chart renders from packages/bootstrap/values.yaml, which make
	// the Application that renders the catalog.
	ShapeCNOE = "cnoe"

	// CatalogApp names fleetup's catalog Application (with the cluster).
	CatalogApp = "fleetup-catalog"
	// BootstrapValues is a CNOE fork's bootstrap catalog in the packages tree.
	BootstrapValues = "bootstrap/values.yaml"
	// BootstrapRelease is the release name CNOE's install.sh renders the
	// bootstrap with (labels may carry it).
	BootstrapRelease = "addons-appset"
	// PathRoutingValues is laid over the catalog when path_routing is on.
	PathRoutingValues = "addons/path-routing-values.yaml"
)

// GitOps is how the catalog is handed to Argo CD: the objects install
// applies, after which Argo CD renders the ApplicationSets from Git (a
// commit reaches the cluster with no fleetup run), and the Application
// whose health says it did.
type GitOps struct {
	Shape string `json:"shape"`
	// Objects are what install applies: the catalog Application, or the
	// fork's bootstrap ApplicationSets.
	Objects []helm.Manifest `json:"objects"`
	// Application renders the appset chart from Git; hand-off waits on it.
	Application string `json:"application"`
	// Source is the repository, revision and chart Argo CD renders.
	Source string `json:"source"`
	// ValueFiles are the catalog files, in order, Argo CD renders with.
	ValueFiles []string `json:"valueFiles"`
}

// catalogValues are the appset chart's values as Argo CD will see them:
// the catalog, the path-routing file over it when path routing is on (as
// CNOE's addons-appset-pr), and config.yaml's overrides. It also returns
// the catalog files in order, relative to the packages tree.
func catalogValues(cfg *config.Config, cat *catalog.Catalog) (map[string]any, []string, error) {
	files := []string{catalog.CatalogFile}
	vals := cat.Values
	if cfg.PathRouting {
		full := filepath.Join(cat.PackagesDir, PathRoutingValues)
		pr, err := readValues(cfg, full)
		if err != nil {
			return nil, nil, err
		}
		if pr != nil {
			files = append(files, PathRoutingValues)
			vals = catalog.MergeValues(vals, pr)
			// config.yaml's addons section still has the last word.
			vals = catalog.MergeValues(vals, cat.Overrides)
		}
	}
	return vals, files, nil
}

// gitOpsOf builds the hand-off objects for the plan's catalog.
func gitOpsOf(cfg *config.Config, cat *catalog.Catalog, argoNS string, files []string) (GitOps, error) {
	boot := filepath.Join(cat.PackagesDir, BootstrapValues)
	if _, err := os.Stat(boot); err == nil {
		return cnoeBootstrap(cfg, cat, argoNS, boot, files)
	}
	g := GitOps{Shape: ShapeFleetup, Application: argocd.ApplicationName(CatalogApp, cfg.ClusterName)}
	base := cfg.Repo.BasePath
	chartPath := path.Join(base, AppSetChartDir)
	var valueFiles []any
	for _, f := range files {
		valueFiles = append(valueFiles, "$values/"+path.Join(base, f))
		g.ValueFiles = append(g.ValueFiles, path.Join(base, f))
	}
	hv := map[string]any{"releaseName": AppSetRelease, "valueFiles": valueFiles}
	if len(cat.Overrides) > 0 {
		hv["valuesObject"] = cat.Overrides
	}
	app := map[string]any{
		"apiVersion": argocd.APIVersion,
		"kind":       "Application",
		"metadata": map[string]any{
			"name": g.Application, "namespace": argoNS,
			"labels": map[string]any{"fleetup.dev/catalog": "true"},
		},
		"spec": map[string]any{
			"project":     "default",
			"destination": map[string]any{"server": InClusterServer, "namespace": argoNS},
			"sources": []any{
				map[string]any{"repoURL": cfg.Repo.URL, "targetRevision": cfg.Repo.Revision, "path": chartPath, "helm": hv},
				map[string]any{"repoURL": cfg.Repo.URL, "targetRevision": cfg.Repo.Revision, "ref": "values"},
			},
			// prune: an addon removed from Git loses its ApplicationSet.
			// No resources finalizer: deleting this Application (uninstall
			// detaches it first) leaves the ApplicationSets in place.
			"syncPolicy": map[string]any{
				"automated":   map[string]any{"prune": true, "selfHeal": true},
				"syncOptions": []any{"ServerSideApply=true"},
				"retry":       map[string]any{"limit": int64(-1), "backoff": map[string]any{"duration": "5s", "factor": int64(2), "maxDuration": "3m"}},
			},
		},
	}
	g.Objects = []helm.Manifest{helm.FromObject(app)}
	g.Objects[0].Source = "fleetup"
	g.Source = fmt.Sprintf("%s @ %s, chart %s", cfg.Repo.URL, cfg.Repo.Revision, chartPath)
	return g, nil
}

// cnoeBootstrap renders the fork's appset chart with its bootstrap values,
// as CNOE's install.sh does: ApplicationSets (addons-appset and
// addons-appset-pr) whose Application for the hub renders the catalog.
func cnoeBootstrap(cfg *config.Config, cat *catalog.Catalog, argoNS, file string, files []string) (GitOps, error) {
	g := GitOps{Shape: ShapeCNOE}
	name := rel(cfg.Dir, file)
	data, err := os.ReadFile(file)
	if err != nil {
		return g, fmt.Errorf("read %s: %w", name, err)
	}
	bc, err := catalog.Parse(name, data)
	if err != nil {
		return g, err
	}
	vals, err := readValues(cfg, file)
	if err != nil {
		return g, err
	}
	objs, err := helm.Render(filepath.Join(cat.PackagesDir, AppSetChartDir), BootstrapRelease, argoNS, vals)
	if err != nil {
		return g, fmt.Errorf("packages/%s with %s: %w", AppSetChartDir, name, err)
	}
	g.Objects = objs
	hub := catalog.HubLabels(cfg, cat)
	var apps []string
	for _, a := range bc.Addons {
		if !bool(a.Enabled) {
			continue
		}
		ok, err := a.Selects(hub)
		if err != nil {
			return g, &decode.Error{File: name, Line: a.Pos.Line, Column: a.Pos.Column, Path: a.Name + ".selector", Msg: err.Error(), Expected: "a label selector"}
		}
		if ok {
			apps = append(apps, argocd.ApplicationName(a.Name, cfg.ClusterName))
		}
	}
	sort.Strings(apps)
	switch len(apps) {
	case 1:
		g.Application = apps[0]
	case 0:
		return g, &decode.Error{File: name, Line: 1, Column: 1, Msg: fmt.Sprintf("no entry selects the hub (labels environment=%s, path_routing=%s)", hub[catalog.LabelEnvironment], hub[catalog.LabelPathRouting]), Expected: "one enabled entry whose selector matches the hub, as CNOE's addons-appset / addons-appset-pr"}
	default:
		return g, &decode.Error{File: name, Line: 1, Column: 1, Msg: fmt.Sprintf("%d entries select the hub: %v", len(apps), apps), Expected: "exactly one: two would render the catalog twice"}
	}
	for _, f := range files {
		g.ValueFiles = append(g.ValueFiles, path.Join(cfg.Repo.BasePath, f))
	}
	g.Source = fmt.Sprintf("%s @ %s, chart %s (the fork's bootstrap, %s)", cfg.Repo.URL, cfg.Repo.Revision, path.Join(cfg.Repo.BasePath, AppSetChartDir), name)
	return g, nil
}
