// Package golden checks that fleetup renders a CNOE-shaped fork's own
// ApplicationSet chart exactly as Helm does: the fork under
// test/e2e/testdata/cnoe-fork, rendered by `fleetup plan` (plan.Build) on
// one side and by the real helm CLI (`helm template`, the binary the test
// environment builds) with CNOE's value files on the other, compared
// object by object, name by name. It needs no API server.
package golden

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/catalog"
	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/helm"
	"github.com/fleetup/fleetup/internal/plan"
	"github.com/fleetup/fleetup/internal/redact"
	"github.com/fleetup/fleetup/test/envtest"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/engine"
	sigsyaml "sigs.k8s.io/yaml"
)

// forkDir is the CNOE-shaped fork, with placeholders.
const forkDir = "../e2e/testdata/cnoe-fork"

// The fork's files, relative to its root.
const (
	chartDir        = "packages/appset-chart"
	catalogFile     = "packages/addons/values.yaml"
	pathRoutingFile = "packages/addons/path-routing-values.yaml"
	bootstrapFile   = "packages/bootstrap/values.yaml"
)

// cluster is the hub's name in the filled-in fork.
const cluster = "hub1"

// fill are the values of the fork's placeholders (see its README.md).
var fill = map[string]string{
	"__REPO_URL__":    "https://git.example.test/platform/cnoe-fork",
	"__CLUSTER__":     cluster,
	"__NS__":          "golden",
	"__REGION__":      "eu-west-1",
	"__CHART_REPO__":  "http://127.0.0.1:8879",
	"__ESO_VERSION__": "0.20.4",
}

// modes are the two routing modes of CNOE's bootstrap: addons-appset
// (domain routing) and addons-appset-pr (path routing, with
// path-routing-values.yaml laid over the catalog).
var modes = []struct {
	name        string
	pathRouting bool
}{
	{"path_routing=false", false},
	{"path_routing=true", true},
}

// TestCatalogApplicationSetsAreHelms: the ApplicationSets fleetup's plan
// shows for the fork are, object by object, what `helm template` makes of
// the fork's appset chart with packages/addons/values.yaml (and
// path-routing-values.yaml for path routing), as the fork's bootstrap
// Application has Argo CD render them (release name "addons").
func TestCatalogApplicationSetsAreHelms(t *testing.T) {
	bin := helmBinary(t)
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			dir := prepareFork(t, m.pathRouting)
			p := buildPlan(t, dir)

			files := []string{catalogFile}
			if m.pathRouting {
				files = append(files, pathRoutingFile)
			}
			want := helmTemplate(t, bin, dir, chartDir, "addons", "argocd", files...)

			// Both must hold exactly the enabled entries of the value
			// files: a document glued to another or lost on either side
			// shows here even if both lost it alike.
			expected := enabledEntries(t, dir, files...)
			if got := names(want); !reflect.DeepEqual(got, expected) {
				t.Fatalf("helm template made ApplicationSets %v; the value files enable %v", got, expected)
			}
			compare(t, objects(t, "fleetup", p.ApplicationSets), want)

			// What plan shows is what Argo CD renders from Git: the value
			// files of the bootstrap Application that selects the hub.
			if !reflect.DeepEqual(p.GitOps.ValueFiles, files) {
				t.Errorf("plan's gitops.valueFiles = %v, want %v", p.GitOps.ValueFiles, files)
			}
		})
	}
}

// TestBootstrapApplicationSetsAreHelms: the fork's bootstrap (the appset
// chart with packages/bootstrap/values.yaml, as CNOE's install.sh installs
// it: `helm upgrade --install addons-appset packages/appset-chart
// --namespace argocd --values packages/bootstrap/values.yaml`) renders in
// fleetup as in Helm: addons-appset and addons-appset-pr, equal object by
// object; and the Application fleetup waits for is the one the entry that
// selects the hub makes, rendering the catalog with the value files the
// plan used.
func TestBootstrapApplicationSetsAreHelms(t *testing.T) {
	bin := helmBinary(t)
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			dir := prepareFork(t, m.pathRouting)
			p := buildPlan(t, dir)
			if p.GitOps.Shape != plan.ShapeCNOE {
				t.Fatalf("plan's gitops.shape = %q, want %q (the fork has %s)", p.GitOps.Shape, plan.ShapeCNOE, bootstrapFile)
			}
			want := helmTemplate(t, bin, dir, chartDir, "addons-appset", "argocd", bootstrapFile)
			expected := []string{"argoproj.io/v1alpha1/ApplicationSet argocd/addons-appset", "argoproj.io/v1alpha1/ApplicationSet argocd/addons-appset-pr"}
			if got := names(want); !reflect.DeepEqual(got, expected) {
				t.Fatalf("helm template of the bootstrap made %v, want %v", got, expected)
			}
			compare(t, objects(t, "fleetup", p.GitOps.Objects), want)

			entry, app := "addons-appset", "addons-appset-"+cluster
			if m.pathRouting {
				entry, app = "addons-appset-pr", "addons-appset-pr-"+cluster
			}
			if p.GitOps.Application != app {
				t.Errorf("plan's gitops.application = %q, want %q", p.GitOps.Application, app)
			}
			// The catalog Application's value files, as Argo CD reads them.
			set := want["argoproj.io/v1alpha1/ApplicationSet argocd/"+entry]
			var fromGit []string
			sources, _ := dig(set, "spec", "template", "spec", "sources").([]any)
			for _, src := range sources {
				vf, _ := dig(src, "helm", "valueFiles").([]any)
				for _, f := range vf {
					s := strings.TrimPrefix(f.(string), "$values/")
					fromGit = append(fromGit, strings.ReplaceAll(s, "{{.metadata.annotations.addons_repo_basepath}}", "packages"))
				}
			}
			if !reflect.DeepEqual(fromGit, p.GitOps.ValueFiles) {
				t.Errorf("%s's Application renders the catalog with %v; plan rendered it with %v", entry, fromGit, p.GitOps.ValueFiles)
			}
		})
	}
}

// TestForkChartGluesDocuments: the fork's chart has the trim-dash document
// ends of CNOE's ("---" then "{{- end }}"), so its raw output glues the
// documents ("---apiVersion: ..."): the tests above only mean something if
// a splitter that cuts at lines equal to "---" would get them wrong.
func TestForkChartGluesDocuments(t *testing.T) {
	dir := prepareFork(t, false)
	ch, err := helm.LoadChart(filepath.Join(dir, chartDir))
	if err != nil {
		t.Fatal(err)
	}
	var vals map[string]any
	data, err := os.ReadFile(filepath.Join(dir, catalogFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := sigsyaml.Unmarshal(data, &vals); err != nil {
		t.Fatal(err)
	}
	rv, err := util.ToRenderValues(ch, vals, common.ReleaseOptions{Name: "addons", Namespace: "argocd", IsInstall: true}, common.DefaultCapabilities)
	if err != nil {
		t.Fatal(err)
	}
	out, err := engine.Render(ch, rv)
	if err != nil {
		t.Fatal(err)
	}
	raw := out[ch.Name()+"/templates/application-sets.yaml"]
	n := len(enabledEntries(t, dir, catalogFile))
	if glued := strings.Count(raw, "\n---apiVersion: argoproj.io/v1alpha1"); glued != n-1 {
		t.Errorf("raw output has %d glued document starts, want %d (one per ApplicationSet after the first):\n%s", glued, n-1, raw)
	}
}

// helmBinary is the helm CLI of the test environment's cache. Missing, the
// test skips, unless FLEETUP_TESTENV=required (make test), when it fails.
func helmBinary(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../envtest/versions.env")
	if err != nil {
		t.Fatal(err)
	}
	var version string
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "HELM_VERSION="); ok {
			version = v
		}
	}
	if version == "" {
		t.Fatal("../envtest/versions.env has no HELM_VERSION")
	}
	bin := filepath.Join(envtest.CacheDir(), "helm-"+version, "bin", "helm")
	if _, err := os.Stat(bin); err != nil {
		msg := fmt.Sprintf("no helm %s binary at %s: build it with `make testenv` (or FLEETUP_TESTENV_COMPONENTS=helm scripts/testenv-build.sh)", version, bin)
		if os.Getenv(envtest.RequiredEnv) == "required" {
			t.Fatalf("%s (%s=required)", msg, envtest.RequiredEnv)
		}
		t.Skipf("%s; %s=required makes this a failure", msg, envtest.RequiredEnv)
	}
	return bin
}

// prepareFork copies the fork into a temporary directory with its
// placeholders filled and config.yaml's path_routing set.
func prepareFork(t *testing.T, pathRouting bool) string {
	t.Helper()
	dst := t.TempDir()
	err := envtest.CopyFilled(forkDir, dst, fill, func(rel, s string) (string, error) {
		if rel != "config.yaml" {
			return s, nil
		}
		const line = `path_routing: "true"`
		if !strings.Contains(s, line) {
			return "", fmt.Errorf("config.yaml has no line %s", line)
		}
		return strings.Replace(s, line, fmt.Sprintf("path_routing: %q", fmt.Sprint(pathRouting)), 1), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// buildPlan is `fleetup plan` on the fork's config.yaml.
func buildPlan(t *testing.T, dir string) *plan.Plan {
	t.Helper()
	cfg, err := config.Load(filepath.Join(dir, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Build(cfg, cat, &redact.Redactor{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// helmTemplate runs `helm template release chart --namespace ns -f ...`
// in the repository dir (chart and value files relative to it) and
// returns its objects by name.
func helmTemplate(t *testing.T, bin, dir, chart, release, namespace string, valueFiles ...string) map[string]map[string]any {
	t.Helper()
	args := []string{"template", release, filepath.Join(dir, chart), "--namespace", namespace}
	for _, f := range valueFiles {
		args = append(args, "-f", filepath.Join(dir, f))
	}
	cmd := exec.Command(bin, args...)
	home := t.TempDir()
	cmd.Env = append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"),
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return parseStream(t, "helm template", stdout.String())
}

var (
	docLine   = regexp.MustCompile(`(?m)^---[ \t]*$`)
	gluedLine = regexp.MustCompile(`(?m)^---\S.*$`)
)

// parseStream reads helm's output: documents separated by lines "---",
// each one object; a glued document or a key given twice is an error.
func parseStream(t *testing.T, from, s string) map[string]map[string]any {
	t.Helper()
	if g := gluedLine.FindString(s); g != "" {
		t.Fatalf("%s: a glued document: %q", from, g)
	}
	var objs []map[string]any
	for _, doc := range docLine.Split(s, -1) {
		body := strings.TrimSpace(stripComments(doc))
		if body == "" {
			continue
		}
		var obj map[string]any
		if err := sigsyaml.UnmarshalStrict([]byte(doc), &obj); err != nil {
			t.Fatalf("%s: %v in document:\n%s", from, err, doc)
		}
		objs = append(objs, obj)
	}
	out := map[string]map[string]any{}
	for _, o := range objs {
		k := key(o)
		if _, dup := out[k]; dup {
			t.Fatalf("%s: %s made twice", from, k)
		}
		out[k] = normalize(t, o)
	}
	return out
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, l := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// objects are fleetup's rendered manifests by name.
func objects(t *testing.T, from string, ms []helm.Manifest) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, m := range ms {
		k := key(m.Object)
		if _, dup := out[k]; dup {
			t.Fatalf("%s: %s made twice", from, k)
		}
		out[k] = normalize(t, m.Object)
	}
	return out
}

// key names an object: apiVersion/kind namespace/name.
func key(o map[string]any) string {
	md, _ := o["metadata"].(map[string]any)
	return fmt.Sprintf("%v/%v %v/%v", o["apiVersion"], o["kind"], md["namespace"], md["name"])
}

func names(objs map[string]map[string]any) []string {
	out := make([]string, 0, len(objs))
	for k := range objs {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// normalize makes both sides' numbers and maps the same Go types (JSON's),
// so that equal data compares equal.
func normalize(t *testing.T, o map[string]any) map[string]any {
	t.Helper()
	data, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// enabledEntries are the ApplicationSets the value files ask for: every
// top-level mapping with an enabled key whose merged enabled is "true",
// named appsetPrefix + the key with '_' made '-'.
func enabledEntries(t *testing.T, dir string, files ...string) []string {
	t.Helper()
	enabled := map[string]string{}
	prefix := ""
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		var vals map[string]any
		if err := sigsyaml.Unmarshal(data, &vals); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for k, v := range vals {
			if k == "appsetPrefix" {
				prefix = fmt.Sprint(v)
			}
			if m, ok := v.(map[string]any); ok {
				if e, ok := m["enabled"]; ok {
					enabled[k] = fmt.Sprint(e)
				}
			}
		}
	}
	var out []string
	for k, e := range enabled {
		if e == "true" {
			out = append(out, "argoproj.io/v1alpha1/ApplicationSet argocd/"+prefix+strings.ReplaceAll(k, "_", "-"))
		}
	}
	sort.Strings(out)
	return out
}

// compare fails the test for every object only one side has and every
// field where the two differ.
func compare(t *testing.T, got, want map[string]map[string]any) {
	t.Helper()
	for _, k := range names(want) {
		if _, ok := got[k]; !ok {
			t.Errorf("%s: helm template makes it, fleetup does not", k)
		}
	}
	for _, k := range names(got) {
		w, ok := want[k]
		if !ok {
			t.Errorf("%s: fleetup makes it, helm template does not", k)
			continue
		}
		var diffs []string
		diff("", got[k], w, &diffs)
		for _, d := range diffs {
			t.Errorf("%s: %s", k, d)
		}
	}
}

// diff lists the paths where a (fleetup's) and b (helm's) differ.
func diff(path string, a, b any, out *[]string) {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			*out = append(*out, fmt.Sprintf("%s: fleetup %s, helm %s", orRoot(path), show(a), show(b)))
			return
		}
		keys := map[string]bool{}
		for k := range av {
			keys[k] = true
		}
		for k := range bv {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			x, inA := av[k]
			y, inB := bv[k]
			p := path + "." + k
			switch {
			case !inA:
				*out = append(*out, fmt.Sprintf("%s: missing in fleetup's, helm has %s", p, show(y)))
			case !inB:
				*out = append(*out, fmt.Sprintf("%s: fleetup has %s, missing in helm's", p, show(x)))
			default:
				diff(p, x, y, out)
			}
		}
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			*out = append(*out, fmt.Sprintf("%s: fleetup %s, helm %s", orRoot(path), show(a), show(b)))
			return
		}
		for i := range av {
			diff(fmt.Sprintf("%s[%d]", path, i), av[i], bv[i], out)
		}
	default:
		if !reflect.DeepEqual(a, b) {
			*out = append(*out, fmt.Sprintf("%s: fleetup %s, helm %s", orRoot(path), show(a), show(b)))
		}
	}
}

func orRoot(p string) string {
	if p == "" {
		return "(object)"
	}
	return p
}

func show(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(data) > 400 {
		return string(data[:400]) + "…"
	}
	return string(data)
}

// dig walks nested maps.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
