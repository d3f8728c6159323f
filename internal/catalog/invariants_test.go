package catalog

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// retired are sources the shipped catalog must not use: Bitnami's charts
// and images left the free tier, and ingress-nginx is retired (the
// platform routes with the Gateway API).
var retired = []string{"bitnami", "ingress-nginx"}

// exactVersion is a pinned chart version: no range, no "latest".
var exactVersion = regexp.MustCompile(`^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`)

// builtinGroups are API groups every Kubernetes API server serves: an
// object of another group needs the CRD of an addon.
var builtinGroups = []string{"", "apps", "batch", "policy", "autoscaling",
	"admissionregistration.k8s.io", "apiextensions.k8s.io", "apiregistration.k8s.io",
	"certificates.k8s.io", "coordination.k8s.io", "discovery.k8s.io", "events.k8s.io",
	"flowcontrol.apiserver.k8s.io", "networking.k8s.io", "node.k8s.io",
	"rbac.authorization.k8s.io", "scheduling.k8s.io", "storage.k8s.io"}

// TestCatalogInvariants keeps the shipped catalog honest, entry by entry,
// with every addon selected (Auto Mode off selects the AWS load balancer
// controller too): each chart pinned to an exact version; nothing from a
// retired source, in the sources, the values or the files Argo CD reads;
// and every object of a kind that comes with a CRD provided by the addon
// itself or by one it depends on, directly or not, so that the install
// order is the dependency order.
func TestCatalogInvariants(t *testing.T) {
	root, _ := filepath.Abs("../..")
	c, err := load(t, root, strings.Replace(baseConfig, `auto_mode: "true"`, `auto_mode: "false"`, 1))
	if err != nil {
		t.Fatalf("shipped catalog rejected:\n%v", err)
	}
	if len(c.Names()) < 5 {
		t.Fatalf("the shipped catalog has %d entries: not the shipped one", len(c.Names()))
	}
	for _, name := range c.Names() {
		a := c.Get(name)
		src := a.Source()
		if src.Kind != SourceGitChart && src.Kind != SourceManifests && !exactVersion.MatchString(src.Version) {
			t.Errorf("%s: chart version %q is not an exact version", name, src.Version)
		}
		for _, word := range retired {
			if strings.Contains(strings.ToLower(src.URL+" "+src.Chart), word) {
				t.Errorf("%s: source %s is %s", name, src, word)
			}
			for _, s := range stringsIn(a.ValuesObject) {
				if strings.Contains(strings.ToLower(s), word) {
					t.Errorf("%s: valuesObject has %q (%s)", name, s, word)
				}
			}
		}
		provided := providedGroups(c, a, map[string]bool{})
		for _, f := range addonFiles(t, root, a) {
			rel, _ := filepath.Rel(root, f)
			checkFile(t, name, f, rel, provided)
		}
	}
}

// providedGroups are the CRD groups of a and of every addon it depends
// on, directly or not.
func providedGroups(c *Catalog, a *Addon, seen map[string]bool) map[string]bool {
	out := map[string]bool{}
	if seen[a.Name] {
		return out
	}
	seen[a.Name] = true
	for _, g := range a.CRDGroups {
		out[g] = true
	}
	for _, d := range a.DependsOn {
		if dep := c.Get(d); dep != nil {
			for g := range providedGroups(c, dep, seen) {
				out[g] = true
			}
		}
	}
	return out
}

// addonFiles are the YAML files Argo CD reads for a: its directory in the
// packages tree (values and manifests) and, for a chart in the
// repository, the chart's, and its additional charts' (its route).
func addonFiles(t *testing.T, root string, a *Addon) []string {
	t.Helper()
	dirs := []string{filepath.Join(root, "packages", a.Chart())}
	if p := a.Source().Path; p != "" {
		dirs = append(dirs, filepath.Join(root, p))
	}
	for _, r := range a.ChartResources() {
		dirs = append(dirs, filepath.Join(root, r.Path))
	}
	var files []string
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".tpl")) && !slices.Contains(files, p) {
				files = append(files, p)
			}
			return nil
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
	}
	return files
}

// apiVersionLine is a top-level apiVersion of a chart template.
var apiVersionLine = regexp.MustCompile(`(?m)^apiVersion:\s*["']?([^\s"'{]+)`)

// checkFile reports retired sources in a file's values (comments aside)
// and objects whose API group no CRD the addon can count on provides.
// Templates are read line by line; plain YAML is parsed.
func checkFile(t *testing.T, addon, file, rel string, provided map[string]bool) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var values []string
	var apiVersions []string
	if strings.Contains(file, "/templates/") {
		for _, line := range strings.Split(string(data), "\n") {
			if s := strings.TrimSpace(line); !strings.HasPrefix(s, "#") && !strings.HasPrefix(s, "{{/*") && !strings.HasPrefix(s, "{{- /*") {
				values = append(values, s)
			}
		}
		for _, m := range apiVersionLine.FindAllStringSubmatch(string(data), -1) {
			apiVersions = append(apiVersions, m[1])
		}
	} else {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var doc any
			err := dec.Decode(&doc)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Errorf("%s: %v", rel, err)
				return
			}
			values = append(values, stringsIn(doc)...)
			if m, ok := doc.(map[string]any); ok && strings.Contains(file, "/manifests/") {
				if v, ok := m["apiVersion"].(string); ok {
					apiVersions = append(apiVersions, v)
				}
			}
		}
	}
	for _, s := range values {
		for _, word := range retired {
			if strings.Contains(strings.ToLower(s), word) {
				t.Errorf("%s (addon %s): %q is %s", rel, addon, s, word)
			}
		}
	}
	for _, v := range apiVersions {
		group := ""
		if i := strings.LastIndex(v, "/"); i >= 0 {
			group = v[:i]
		}
		if !slices.Contains(builtinGroups, group) && !provided[group] {
			t.Errorf("%s (addon %s): an object of %s, whose CRD neither %s nor an addon it depends on provides (crdGroups, dependsOn)", rel, addon, v, addon)
		}
	}
}

// stringsIn is every string, keys included, in a decoded YAML value.
func stringsIn(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case map[string]any:
		var out []string
		for k, x := range v {
			out = append(out, k)
			out = append(out, stringsIn(x)...)
		}
		return out
	case []any:
		var out []string
		for _, x := range v {
			out = append(out, stringsIn(x)...)
		}
		return out
	}
	return nil
}
