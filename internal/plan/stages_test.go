package plan

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"github.com/fleetup/fleetup/internal/catalog"
	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/helm"
	"sigs.k8s.io/yaml"
)

// workload is a workload cluster as the cluster generator sees it: its
// bundle switched on by labels, one addon (aws-load-balancer-controller)
// left out by its selector (auto_mode), cluster-api-operator by its own
// (no fleetup.dev/fleet), argocd by its switch.
func workload(cfg *config.Config) catalog.Cluster {
	labels := map[string]string{
		"argocd.argoproj.io/secret-type": "cluster", "clusterName": "edge-1", "fleetup.dev/cluster": "edge-1",
		"auto_mode": "true", "path_routing": "false", "enable_argocd": "false",
	}
	for _, a := range []string{"aws_load_balancer_controller", "cert_manager", "cluster_api_operator", "envoy_gateway", "external_dns", "external_secrets", "platform_gateway"} {
		labels["enable_"+a] = "true"
	}
	ann := catalog.HubAnnotations(cfg)
	ann["aws_cluster_name"] = "edge-1"
	return catalog.Cluster{Name: "edge-1", Server: "https://10.1.2.3:6443", Labels: labels, Annotations: ann}
}

// stagesFor does for one workload cluster what Argo CD does with the
// plan's stages ApplicationSet: the controller resolves its templatePatch
// for the cluster, the repo-server renders the appset chart with the
// resulting values.
func stagesFor(t *testing.T, p *Plan, packages string, cl catalog.Cluster) []helm.Manifest {
	t.Helper()
	var patch string
	for _, m := range p.ApplicationSets {
		if m.Object["metadata"].(map[string]any)["labels"].(map[string]any)[StagesLabel] == "true" {
			patch, _ = m.Object["spec"].(map[string]any)["templatePatch"].(string)
		}
	}
	if patch == "" {
		t.Fatal("the plan has no stages ApplicationSet with a templatePatch")
	}
	f := sprig.TxtFuncMap()
	tpl, err := template.New("templatePatch").Option("missingkey=error").Funcs(f).Parse(patch)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	labels, ann := map[string]any{}, map[string]any{}
	for k, v := range cl.Labels {
		labels[k] = v
	}
	for k, v := range cl.Annotations {
		ann[k] = v
	}
	if err := tpl.Execute(&b, map[string]any{"name": cl.Name, "server": cl.Server, "metadata": map[string]any{"labels": labels, "annotations": ann}}); err != nil {
		t.Fatal(err)
	}
	var app struct {
		Spec struct {
			Source struct {
				Path string
				Helm struct {
					ReleaseName  string         `json:"releaseName"`
					ValuesObject map[string]any `json:"valuesObject"`
				}
			}
		}
	}
	if err := yaml.Unmarshal([]byte(b.String()), &app); err != nil {
		t.Fatalf("the resolved templatePatch: %v\n%s", err, b.String())
	}
	if want := cl.Annotations["addons_repo_basepath"] + "/appset-chart"; app.Spec.Source.Path != want {
		t.Errorf("stages chart path %q, want %q", app.Spec.Source.Path, want)
	}
	ms, err := helm.Render(filepath.Join(packages, AppSetChartDir), app.Spec.Source.Helm.ReleaseName, "argocd", app.Spec.Source.Helm.ValuesObject)
	if err != nil {
		t.Fatalf("the stages render for %s: %v", cl.Name, err)
	}
	return ms
}

// TestStagesApplications: a workload cluster's stages Application renders,
// for each addon its labels select (as the addon's selector would), the
// very Application the addon's ApplicationSet would make for it, in the
// sync wave of the addon's dependency level, with the resources finalizer.
// On the shipped catalog and on one written as CNOE writes it.
func TestStagesApplications(t *testing.T) {
	for _, shape := range []string{"shipped", "cnoe"} {
		t.Run(shape, func(t *testing.T) {
			dir := filepath.Join("..", "..")
			if shape == "cnoe" {
				dir = cnoeStyleCopy(t)
			}
			cfg, err := config.Parse("config.yaml", dir, []byte("repo:\n  url: https://github.com/org/platform\ncluster_name: hub\nregion: eu-central-1\ndomain: platform.example.org\n"))
			if err != nil {
				t.Fatal(err)
			}
			p := planOf(t, cfg)
			cl := workload(cfg)
			got := map[string]map[string]any{}
			for _, m := range stagesFor(t, p, filepath.Join(dir, "packages"), cl) {
				if m.Object["kind"] != "Application" {
					t.Errorf("the stages render made a %v", m.Object["kind"])
					continue
				}
				addon, _ := m.Object["metadata"].(map[string]any)["labels"].(map[string]any)["fleetup.dev/addon"].(string)
				got[addon] = m.Object
			}
			level := map[string]int{}
			for i, l := range p.Graph.Levels {
				for _, a := range l {
					level[a] = i
				}
			}
			for _, set := range p.ApplicationSets {
				addon, _ := set.Object["metadata"].(map[string]any)["labels"].(map[string]any)["fleetup.dev/addon"].(string)
				if addon == "" {
					continue
				}
				a := p.Catalog.Get(addon)
				selected, err := a.Selects(cl.Labels)
				if err != nil {
					t.Fatal(err)
				}
				selected = selected && cl.Labels[a.LabelName()] == "true"
				app, ok := got[addon]
				if ok != selected {
					t.Errorf("%s: in the stages render %v, selected by the cluster's labels %v", addon, ok, selected)
					continue
				}
				if !ok {
					continue
				}
				want := appSetApplication(t, set.Object, cl)
				meta := app["metadata"].(map[string]any)
				if meta["name"] != want["metadata"].(map[string]any)["name"] || normal(t, meta["labels"]) != normal(t, want["metadata"].(map[string]any)["labels"]) {
					t.Errorf("%s: metadata %v, the ApplicationSet's %v", addon, meta, want["metadata"])
				}
				if g, w := normal(t, app["spec"]), normal(t, want["spec"]); g != w {
					t.Errorf("%s: spec differs from the ApplicationSet's\n got: %v\nwant: %v", addon, g, w)
				}
				wave, _ := meta["annotations"].(map[string]any)["argocd.argoproj.io/sync-wave"].(string)
				if l, known := level[addon]; known && wave != strconv.Itoa(l) {
					t.Errorf("%s: sync wave %q, its install level is %d", addon, wave, l)
				}
				if fmt.Sprint(meta["finalizers"]) != "[resources-finalizer.argocd.argoproj.io]" {
					t.Errorf("%s: finalizers %v", addon, meta["finalizers"])
				}
			}
			t.Logf("staged on %s: %d addons", cl.Name, len(got))
			if len(got) < 3 {
				t.Errorf("only %d addons staged: %v", len(got), got)
			}
		})
	}
}

// appSetApplication is the Application an addon's ApplicationSet makes for
// cl: its template resolved with the cluster's parameters.
func appSetApplication(t *testing.T, set map[string]any, cl catalog.Cluster) map[string]any {
	t.Helper()
	tmpl := set["spec"].(map[string]any)["template"].(map[string]any)
	out, err := catalog.ResolveValues("template", tmpl, cl)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// normal is v as JSON text (keys sorted, -1 the same whether int64 or
// float64), to compare a render that went through JSON with one that did
// not.
func normal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// packagesCopy copies the repository's packages/ into a new directory; it
// returns the directory, its catalog file and the catalog's text.
func packagesCopy(t *testing.T) (dir, catalogFile string, catalog []byte) {
	t.Helper()
	root, _ := filepath.Abs("../..")
	dir = t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "packages"), os.DirFS(filepath.Join(root, "packages"))); err != nil {
		t.Fatal(err)
	}
	catalogFile = filepath.Join(dir, "packages", "addons", "values.yaml")
	catalog, err := os.ReadFile(catalogFile)
	if err != nil {
		t.Fatal(err)
	}
	return dir, catalogFile, catalog
}

// cnoeStyleCopy copies the repository's packages/ with the catalog
// written as CNOE writes it: no top-level syncPolicy, syncPolicyAppSet or
// valueFiles, so the chart's defaults apply.
func cnoeStyleCopy(t *testing.T) string {
	t.Helper()
	dir, file, b := packagesCopy(t)
	var kept []string
	skip := false
	for _, line := range strings.Split(string(b), "\n") {
		if line != "" && line[0] != ' ' && line[0] != '#' {
			skip = strings.HasPrefix(line, "syncPolicy:") || strings.HasPrefix(line, "valueFiles:") || strings.HasPrefix(line, "syncPolicyAppSet:")
		}
		if !skip {
			kept = append(kept, line)
		}
	}
	if err := os.WriteFile(file, []byte(strings.Join(kept, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestFleetDelivery: the plan says how the fleet's clusters get their
// addons, and warns when the catalog's chart has nothing for them (a CNOE
// fork's chart selects the hub alone).
func TestFleetDelivery(t *testing.T) {
	cfg, err := config.Load(filepath.Join("..", "..", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p := planOf(t, cfg)
	if p.Fleet == nil || p.Fleet.Delivery != "fleetup-stages" || len(p.Fleet.Warnings) != 0 {
		t.Fatalf("the shipped fleet's delivery: %+v", p.Fleet)
	}
	var hubOnly []helm.Manifest
	for _, m := range p.ApplicationSets {
		if labelOf(m, StagesLabel) == "" {
			hubOnly = append(hubOnly, m)
		}
	}
	f := &Fleet{}
	f.deliveryOf(hubOnly)
	if f.Delivery != "" || len(f.Warnings) != 1 || !strings.Contains(f.Warnings[0], "get no addons") {
		t.Errorf("a catalog with nothing for workload clusters: %+v", f)
	}
}
