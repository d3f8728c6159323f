package catalog

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/fleetup/fleetup/internal/decode"
	"github.com/fleetup/fleetup/internal/stages"
	"k8s.io/apimachinery/pkg/util/validation"
)

func (c *Catalog) errAt(a *Addon, path string, pos decode.Pos, v *decode.ValueError) *decode.Error {
	if pos.Line == 0 {
		pos = a.Pos
	}
	return &decode.Error{File: c.File, Line: pos.Line, Column: pos.Column, Path: path, Msg: v.Msg, Expected: v.Expected, Hint: v.Hint}
}

// validate checks every enabled addon's source, paths and dependencies, and
// decides which addons the hub gets.
func (c *Catalog) validate(hub map[string]string) error {
	var errs decode.Errors
	for _, a := range c.Addons {
		switch {
		case !bool(a.Enabled):
			a.Skip = "disabled"
			continue
		}
		ok, err := a.Selects(hub)
		if err != nil {
			errs = append(errs, c.errAt(a, a.Name+".selector", a.Pos, &decode.ValueError{Msg: "invalid selector: " + err.Error(), Expected: "a Kubernetes label selector"}))
			continue
		}
		if !ok {
			a.Skip = fmt.Sprintf("its selector %q does not match the hub cluster", a.SelectorString())
			continue
		}
		a.Selected = true
		errs = append(errs, c.checkSource(a)...)
	}
	errs = append(errs, c.checkDeps()...)
	if len(errs) > 0 {
		return errs
	}
	if _, err := c.Graph(); err != nil {
		return err
	}
	return nil
}

func (c *Catalog) checkSource(a *Addon) decode.Errors {
	var errs decode.Errors
	add := func(field string, v *decode.ValueError) {
		errs = append(errs, c.errAt(a, a.Name+"."+field, a.Pos, v))
	}
	if errs := validation.IsDNS1123Label(a.TargetNamespace()); len(errs) > 0 {
		add("namespace", &decode.ValueError{Msg: fmt.Sprintf("%q is not a namespace name", a.TargetNamespace()), Expected: "a DNS-1123 label"})
	}
	if a.EnableAckPodIdentity {
		add("enableAckPodIdentity", &decode.ValueError{Msg: "ACK pod identity is not supported by fleetup's AppSet chart", Expected: "false", Hint: "grant the addon's IAM role through valuesObject (IRSA annotation) instead"})
	}
	switch {
	case a.GitRepository != "":
		errs = append(errs, c.checkGitSource(a)...)
	case a.Path != "":
		p := filepath.Clean(a.Path)
		if filepath.IsAbs(p) || strings.HasPrefix(p, "..") {
			errs = append(errs, c.errAt(a, a.Name+".path", a.depPos[-1], &decode.ValueError{Msg: fmt.Sprintf("%q leaves the repository", a.Path), Expected: "a path relative to the repository root, e.g. packages/" + a.Name}))
		} else if fi, err := os.Stat(filepath.Join(c.RepoRoot, p)); err != nil || !fi.IsDir() {
			errs = append(errs, c.errAt(a, a.Name+".path", a.depPos[-1], &decode.ValueError{
				Msg: fmt.Sprintf("%q does not exist in the packages tree (looked in %s)", a.Path, filepath.Join(c.RepoRoot, p)), Expected: "a directory holding a Helm chart or manifests, relative to the repository root",
				Hint: pathHint(c.RepoRoot, p)}))
		} else {
			_, statErr := os.Stat(filepath.Join(c.RepoRoot, p, "Chart.yaml"))
			isChart := statErr == nil
			// Argo CD renders a path with a helm block as a chart; CNOE's
			// appset chart adds one unless type is manifest.
			switch {
			case a.Type == "" && !isChart:
				add("type", &decode.ValueError{Msg: fmt.Sprintf("missing, so %s is rendered as a Helm chart (CNOE's rule), but it has no Chart.yaml", a.Path), Expected: "chart or manifest", Hint: "set type: manifest"})
			case a.Type == "chart" && !isChart:
				add("type", &decode.ValueError{Msg: fmt.Sprintf("type is chart but %s has no Chart.yaml", a.Path), Expected: "a chart directory, or type: manifest"})
			case a.Type == "kustomize" && !hasKustomization(filepath.Join(c.RepoRoot, p)):
				add("type", &decode.ValueError{Msg: fmt.Sprintf("type is kustomize but %s has no kustomization.yaml", a.Path), Expected: "a kustomization directory, or type: manifest"})
			}
		}
	case a.ChartRepository != "":
		repo := a.ChartRepository
		if strings.Contains(repo, "://") {
			u, err := url.Parse(repo)
			if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "oci") {
				add("chartRepository", &decode.ValueError{Msg: fmt.Sprintf("%q is not a chart repository URL", repo), Expected: "https://…, http://… or oci://…"})
			}
		}
		if a.DefaultVersion == "" {
			add("defaultVersion", &decode.ValueError{Msg: "missing: chart versions are pinned", Expected: "the chart version to install, e.g. \"1.2.3\""})
		}
	default:
		add("chartRepository", &decode.ValueError{Msg: "the addon has no chart source", Expected: "chartRepository (Helm or OCI) with defaultVersion, path (a directory in the Git repository), or gitRepository with defaultVersion (a tag)"})
	}
	for i, r := range a.AdditionalResources {
		if p, ok := r.Path.(string); ok && r.Type != "manifests" {
			errs = append(errs, c.checkResourceChart(a, i, p)...)
			continue
		}
		if r.Type != "manifests" || r.ManifestPath == "" {
			continue
		}
		dir := filepath.Join(c.PackagesDir, a.Chart(), r.ManifestPath)
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			add(fmt.Sprintf("additionalResources[%d].manifestPath", i), &decode.ValueError{Msg: fmt.Sprintf("%s does not exist", dir), Expected: "a directory of manifests under packages/" + a.Chart()})
		}
	}
	return errs
}

func pathHint(root, p string) string {
	entries, err := os.ReadDir(filepath.Join(root, filepath.Dir(p)))
	if err != nil {
		return ""
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, filepath.Join(filepath.Dir(p), e.Name()))
		}
	}
	return decode.DidYouMean(p, names)
}

func (c *Catalog) checkDeps() decode.Errors {
	var errs decode.Errors
	names := c.Names()
	for _, a := range c.Addons {
		if !a.Selected {
			continue
		}
		for i, d := range a.DependsOn {
			dep := c.Get(d)
			switch {
			case d == a.Name:
				errs = append(errs, c.depErr(a, i, &decode.ValueError{Msg: a.Name + " depends on itself", Expected: "another addon"}))
			case dep == nil:
				errs = append(errs, c.depErr(a, i, &decode.ValueError{Msg: fmt.Sprintf("unknown addon %q", d), Expected: "the name of an addon in this catalog", Hint: decode.DidYouMean(d, names)}))
			case !bool(dep.Enabled):
				how := "disabled in the catalog"
				if dep.Overridden("enabled") {
					how = "disabled by config.yaml's addons." + d + ".enabled"
				}
				errs = append(errs, c.depErr(a, i, &decode.ValueError{Msg: fmt.Sprintf("depends on %s, which is %s", d, how), Expected: "a dependency on an enabled addon", Hint: "enable " + d + " or disable " + a.Name}))
			}
		}
	}
	return errs
}

// Installed lists the addons the hub gets, in catalog order.
func (c *Catalog) Installed() []*Addon {
	var out []*Addon
	for _, a := range c.Addons {
		if a.Selected {
			out = append(out, a)
		}
	}
	return out
}

// Graph is the dependency graph of the installed addons. A dependency on an
// addon whose selector leaves it out of this cluster is dropped: the edge
// only holds where both run (aws-load-balancer-controller in Auto Mode).
func (c *Catalog) Graph() (*stages.Graph, error) {
	var nodes []string
	deps := map[string][]string{}
	for _, a := range c.Installed() {
		nodes = append(nodes, a.Name)
		for _, d := range a.DependsOn {
			if dep := c.Get(d); dep != nil && dep.Selected {
				deps[a.Name] = append(deps[a.Name], d)
			}
		}
	}
	g, err := stages.New(nodes, deps)
	var cyc *stages.CycleError
	if errors.As(err, &cyc) {
		a := c.Get(cyc.Cycle[0])
		return nil, c.depErr(a, 0, &decode.ValueError{Msg: "dependency cycle: " + strings.Join(cyc.Cycle, " -> "), Expected: "dependencies without cycles", Hint: "remove one of these dependsOn edges"})
	}
	if err != nil {
		return nil, fmt.Errorf("addon graph: %w", err)
	}
	return g, nil
}

// checkResourceChart checks an additional source of CNOE's other kind: a
// chart directory of the repository, rendered with the resource's helm
// settings.
func (c *Catalog) checkResourceChart(a *Addon, i int, p string) decode.Errors {
	field := fmt.Sprintf("%s.additionalResources[%d].path", a.Name, i)
	clean := filepath.Clean(p)
	switch {
	case p == "" || filepath.IsAbs(clean) || strings.HasPrefix(clean, ".."):
		return decode.Errors{c.errAt(a, field, a.Pos, &decode.ValueError{Msg: fmt.Sprintf("%q is not a directory of the repository", p), Expected: "a chart directory relative to the repository root, e.g. packages/platform-route"})}
	}
	dir := filepath.Join(c.RepoRoot, clean)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return decode.Errors{c.errAt(a, field, a.Pos, &decode.ValueError{Msg: fmt.Sprintf("%q does not exist (looked in %s)", p, dir), Expected: "a chart directory relative to the repository root", Hint: pathHint(c.RepoRoot, clean)})}
	}
	if _, err := os.Stat(filepath.Join(dir, "Chart.yaml")); err != nil {
		return decode.Errors{c.errAt(a, field, a.Pos, &decode.ValueError{Msg: fmt.Sprintf("%s has no Chart.yaml: Argo CD renders this source as a Helm chart", p), Expected: "a chart directory, or type: manifests with manifestPath for plain YAML under packages/" + a.Chart()})}
	}
	return nil
}
