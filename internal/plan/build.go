package plan

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/fleetup/fleetup/internal/catalog"
	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/decode"
	"github.com/fleetup/fleetup/internal/helm"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/redact"
	"github.com/fleetup/fleetup/internal/secrets"
)

// Chart names of the two addons fleetup installs itself before handing
// them to Argo CD.
const (
	ArgoCDChart          = "argo-cd"
	ExternalSecretsChart = "external-secrets"
	// AppSetChartDir is the ApplicationSet chart inside the packages tree.
	AppSetChartDir = "appset-chart"
	// AppSetRelease names the rendered AppSet chart.
	AppSetRelease = "addons"
	// InClusterServer is the hub's API server as Argo CD sees it.
	InClusterServer = "https://kubernetes.default.svc"
)

// Describe lists the steps that carry a plan out, with what each will do.
// The pipeline owns its steps; the plan only shows them.
type Describe func(*Plan) []Step

// Build computes the plan for a loaded config and catalog. red receives
// every secret value read, so callers can mask them in any output;
// describe, when not nil, fills the plan's step list.
func Build(cfg *config.Config, cat *catalog.Catalog, red *redact.Redactor, describe Describe) (*Plan, error) {
	dag, err := cat.Graph()
	if err != nil {
		return nil, err
	}
	p := &Plan{
		ConfigFile: cfg.File,
		Target:     Target{Kind: string(cfg.Target), Cluster: cfg.ClusterName, Region: cfg.Region, Account: "not checked (offline plan)"},
		Strategy:   string(cfg.Strategy),
		Repository: cfg.Repo,
		Config:     cfg, Catalog: cat, DAG: dag,
	}
	if cfg.Target != config.TargetEKS {
		p.Target.Account = "none (no cloud account used)"
		if cfg.Secrets.Backend == config.BackendAWS {
			p.Target.Account = "not checked (offline plan)"
		}
	}

	desired, err := secrets.Desired(cfg, red)
	if err != nil {
		return nil, err
	}
	p.Secrets = Secrets{Backend: string(cfg.Secrets.Backend), Store: StoreObjects(cfg), Warnings: []string{}}
	for _, s := range desired {
		name := s.Name
		if cfg.Secrets.Backend == config.BackendKubernetes {
			name = cfg.Secrets.Namespace + "/" + s.KubernetesName
		}
		p.Secrets.Items = append(p.Secrets.Items, SecretItem{Name: name, Keys: s.Keys(), Action: "create or update"})
	}

	hub := HubCluster(cfg, cat)
	argo, eso, err := coreAddons(cat)
	if err != nil {
		return nil, err
	}
	for _, a := range []*catalog.Addon{argo, eso} {
		r, err := release(cfg, cat, a, hub)
		if err != nil {
			return nil, err
		}
		p.Releases = append(p.Releases, r)
		ms, err := ReadManifests(cat.PackagesDir, a.ManifestDirs())
		if err != nil {
			return nil, err
		}
		p.Bootstrap = append(p.Bootstrap, ms...)
	}

	useForkStore(cfg, &p.Secrets, p.Bootstrap)
	if h, ok := forkHubSecret(p.Bootstrap); ok {
		p.HubSecret = h
	} else {
		p.ClusterSecret = ClusterSecret(cfg, cat, argo.TargetNamespace())
		p.HubSecret = HubSecret{Name: ClusterSecretName(cfg.ClusterName), Namespace: argo.TargetNamespace(), MadeBy: "fleetup", Warnings: []string{}}
	}
	p.RepoSecrets = RepoSecrets(cat, argo.TargetNamespace())
	vals, files, err := catalogValues(cfg, cat)
	if err != nil {
		return nil, err
	}
	// Rendered here for review with the engine Argo CD's repo-server
	// uses; Argo CD renders them from Git.
	sets, err := helm.Render(filepath.Join(cat.PackagesDir, AppSetChartDir), AppSetRelease, argo.TargetNamespace(), vals)
	if err != nil {
		return nil, fmt.Errorf("packages/%s: %w", AppSetChartDir, err)
	}
	p.ApplicationSets = sets
	if p.GitOps, err = gitOpsOf(cfg, cat, argo.TargetNamespace(), files); err != nil {
		return nil, err
	}
	if p.Fleet, err = fleetOf(cfg, cat, argo.TargetNamespace()); err != nil {
		return nil, err
	}
	if p.Fleet != nil {
		p.Fleet.deliveryOf(p.ApplicationSets)
	}
	p.Gating = gatingOf(cat, sets)
	if len(p.Gating.Switched) == 0 {
		// Nothing is held back by switches: what would drop them is moot.
		p.HubSecret.Warnings = []string{}
	}
	p.Graph = graphOf(cfg, cat)
	p.UIs = hubUIs(cat, hub, cfg.ClusterName)
	p.Namespaces = addonNamespaces(cfg, cat)
	if describe != nil {
		p.Steps = describe(p)
	}
	return p, nil
}

// coreAddons finds Argo CD and External Secrets by chart name; both must be
// enabled, since the platform is built on them.
func coreAddons(cat *catalog.Catalog) (argo, eso *catalog.Addon, err error) {
	var errs decode.Errors
	find := func(chart string) *catalog.Addon {
		a := cat.ByChart(chart)
		switch {
		case a == nil:
			errs = append(errs, &decode.Error{File: cat.File, Line: 1, Column: 1, Msg: fmt.Sprintf("no addon with chartName %s", chart), Expected: "an enabled " + chart + " entry: fleetup installs it first"})
		case !a.Selected:
			errs = append(errs, &decode.Error{File: cat.File, Line: a.Pos.Line, Column: a.Pos.Column, Path: a.Name, Msg: fmt.Sprintf("%s is not installed (%s)", a.Name, a.Skip), Expected: "enabled: the platform is built on it"})
		}
		return a
	}
	argo, eso = find(ArgoCDChart), find(ExternalSecretsChart)
	return argo, eso, errs.Err()
}

// addonNamespaces lists the installed addons' namespaces, sorted; the
// secrets namespace is left out (the secrets step owns it).
func addonNamespaces(cfg *config.Config, cat *catalog.Catalog) []string {
	seen := map[string]bool{cfg.Secrets.Namespace: true}
	out := []string{}
	for _, a := range cat.Installed() {
		if ns := a.TargetNamespace(); !seen[ns] {
			seen[ns] = true
			out = append(out, ns)
		}
	}
	sort.Strings(out)
	return out
}

// HubCluster is the hub as the ApplicationSet cluster generator sees it.
func HubCluster(cfg *config.Config, cat *catalog.Catalog) catalog.Cluster {
	return catalog.Cluster{Name: cfg.ClusterName, Server: InClusterServer, Labels: catalog.HubLabels(cfg, cat), Annotations: catalog.HubAnnotations(cfg)}
}

func release(cfg *config.Config, cat *catalog.Catalog, a *catalog.Addon, hub catalog.Cluster) (Release, error) {
	src := a.Source()
	r := Release{Addon: a.Name, Release: a.Release(), Namespace: a.TargetNamespace(), Chart: a.Chart(), Version: a.DefaultVersion, Source: src}
	values := map[string]any{}
	files := append(append([]string(nil), cat.Globals.ValueFiles...), a.ValueFiles...)
	seen := map[string]bool{}
	for _, f := range files {
		if a.ValuesFileName != "" {
			f = a.ValuesFileName
		}
		path := filepath.Join(cat.PackagesDir, a.Chart(), f)
		if seen[path] {
			continue
		}
		seen[path] = true
		vals, err := readValues(cfg, path)
		if err != nil {
			return r, err
		}
		if vals == nil {
			continue // missing value files are skipped, as Argo CD's ignoreMissingValueFiles
		}
		r.ValueFiles = append(r.ValueFiles, rel(cfg.Dir, path))
		values = catalog.MergeValues(values, vals)
	}
	resolved, err := catalog.ResolveValues(a.Name, a.ValuesObject, hub)
	if err != nil {
		return r, fmt.Errorf("%s: %w", cat.File, err)
	}
	r.RawValues = catalog.MergeValues(values, resolved)
	r.Values, _ = redact.Values(r.RawValues).(map[string]any)
	return r, nil
}

func readValues(cfg *config.Config, path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read values: %w", err)
	}
	name := rel(cfg.Dir, path)
	root, err := decode.Parse(name, data)
	if err != nil {
		if de, ok := err.(*decode.Error); ok && de.Msg == "file is empty" {
			return map[string]any{}, nil
		}
		return nil, err
	}
	res := &decode.Result{File: name}
	v := decode.Generic(res, "", root)
	if len(res.Errors) > 0 {
		return nil, res.Errors
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, &decode.Error{File: name, Line: root.Line, Column: root.Column, Msg: "values are not a mapping", Expected: "a mapping of Helm values"}
	}
	return m, nil
}

// ReadManifests reads every .yaml/.yml file of the given directories under
// packagesDir, in name order.
func ReadManifests(packagesDir string, dirs []string) ([]helm.Manifest, error) {
	var out []helm.Manifest
	for _, d := range dirs {
		dir := filepath.Join(packagesDir, d)
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("read manifests: %w", err)
		}
		var names []string
		for _, e := range entries {
			if !e.IsDir() && (strings.HasSuffix(e.Name(), ".yaml") || strings.HasSuffix(e.Name(), ".yml")) {
				names = append(names, e.Name())
			}
		}
		sort.Strings(names)
		for _, n := range names {
			data, err := os.ReadFile(filepath.Join(dir, n))
			if err != nil {
				return nil, fmt.Errorf("read manifests: %w", err)
			}
			objs, err := kube.DecodeFile(filepath.Join(filepath.Base(packagesDir), d, n), data)
			if err != nil {
				return nil, err
			}
			for _, o := range objs {
				m := helm.FromObject(o.Object)
				m.Source = filepath.Join(filepath.Base(packagesDir), d, n)
				if m.Kind == "" || m.APIVersion == "" || m.Name == "" {
					return nil, fmt.Errorf("%s: an object without apiVersion, kind or metadata.name", m.Source)
				}
				out = append(out, m)
			}
		}
	}
	return out, nil
}

func rel(base, path string) string {
	if r, err := filepath.Rel(base, path); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return path
}

func graphOf(cfg *config.Config, cat *catalog.Catalog) Graph {
	dag, _ := cat.Graph()
	g := Graph{Levels: dag.Levels()}
	for _, a := range cat.Installed() {
		g.Addons = append(g.Addons, GraphAddon{
			Name: a.Name, Level: dag.Level(a.Name), Namespace: a.TargetNamespace(), Source: a.Source(),
			DependsOn: nonNil(dag.Deps(a.Name)), Dependents: nonNil(dag.Dependents(a.Name)),
			HealthTimeout: decode.Duration(a.Timeout(cfg.Timeouts.Addon.D())).String(),
		})
	}
	for _, a := range cat.Addons {
		if !a.Selected {
			g.Skipped = append(g.Skipped, Skipped{Name: a.Name, Reason: a.Skip})
		}
	}
	// Durations are unknown before a run; the chain with the most addons
	// is the one to watch.
	ones := map[string]time.Duration{}
	for _, n := range dag.Nodes() {
		ones[n] = time.Second
	}
	g.CriticalPath, _ = dag.CriticalPath(ones)
	if g.Skipped == nil {
		g.Skipped = []Skipped{}
	}
	return g
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
