package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/gitrepo/gitrepotest"
	"github.com/fleetup/fleetup/test/chartrepo"
	"github.com/fleetup/fleetup/test/ociregistry"
)

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// catalogRepo writes a platform repository: config.yaml and a packages
// tree whose catalog is body (after the header comment); it returns the
// config's path and the catalog's.
func catalogRepo(t *testing.T, body string) (cfg, catalogFile string) {
	t.Helper()
	dir := t.TempDir()
	cfg = filepath.Join(dir, "config.yaml")
	writeTestFile(t, cfg, `repo:
  url: https://github.com/example-org/platform
  revision: main
  basepath: packages
cluster_name: hub
domain: hub.example.test
target: kubeconfig
`)
	catalogFile = filepath.Join(dir, "packages", "addons", "values.yaml")
	writeTestFile(t, catalogFile, "# The catalog; the pins below are checked by fleetup catalog outdated.\n"+body)
	writeTestFile(t, filepath.Join(dir, "packages", "local", "Chart.yaml"), "apiVersion: v2\nname: local\nversion: 0.1.0\n")
	// plan renders the catalog with fleetup's ApplicationSet chart.
	if err := os.CopyFS(filepath.Join(dir, "packages", "appset-chart"), os.DirFS("../../packages/appset-chart")); err != nil {
		t.Fatal(err)
	}
	return cfg, catalogFile
}

type outdatedJSON struct {
	File   string
	Addons []struct {
		Addon                              string
		Source                             struct{ Kind, URL, Chart, Path string }
		Pinned, Minor, Major, Status, Note string
	}
	Updated []struct{ Addon, From, To string }
}

func runOutdated(t *testing.T, cfg string, args ...string) (int, outdatedJSON, string) {
	t.Helper()
	code, out, errOut := fleetup(t, append([]string{"catalog", "outdated", "--config", cfg, "-o", "json"}, args...)...)
	var res outdatedJSON
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("catalog outdated %v: exit %d, not JSON (%v): %s %s", args, code, err, out, errOut)
	}
	return code, res, errOut
}

func byAddon(res outdatedJSON) map[string]string {
	m := map[string]string{}
	for _, a := range res.Addons {
		m[a.Addon] = strings.Join([]string{a.Pinned, a.Minor, a.Major, a.Status}, " ")
	}
	return m
}

// TestCatalogOutdatedLoopback publishes several versions of charts in a
// loopback Helm repository and OCI registry, reports the pins, moves them
// to the newest minor and then major versions, and checks the file
// changes only on those lines and that plan still loads the catalog.
func TestCatalogOutdatedLoopback(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	repo := chartrepo.Start(t)
	for _, v := range []string{"1.0.0", "1.1.0", "1.2.0", "2.0.0", "2.1.0-rc.1"} {
		repo.Add(t, chartrepo.Stub(t, "web", v))
	}
	for _, v := range []string{"v1.19.4", "v1.20.0"} {
		repo.Add(t, chartrepo.Stub(t, "cm", v))
	}
	for _, c := range []string{"argo-cd", "external-secrets"} {
		repo.Add(t, chartrepo.Stub(t, c, "1.0.0"))
	}
	reg := ociregistry.Start(t)
	for _, v := range []string{"0.9.0", "0.10.0", "1.0.0"} {
		reg.AddChart(t, "charts", chartrepo.Stub(t, "gw", v))
	}
	cfg, file := catalogRepo(t, fmt.Sprintf(`argocd:
  enabled: true
  chartName: argo-cd
  namespace: argocd
  defaultVersion: "1.0.0"
  chartRepository: %[1]s
external-secrets:
  enabled: true
  defaultVersion: "1.0.0"   # current
  chartRepository: %[1]s
web:
  enabled: true
  # an old pin
  defaultVersion: "1.0.0"
  chartRepository: %[1]s
gw: {enabled: true, chartRepository: "oci://%[2]s/charts", defaultVersion: 0.9.0}
cm:
  enabled: true
  defaultVersion: 'v1.20.0'
  chartRepository: %[1]s
local:
  enabled: true
  path: packages/local
  type: chart
`, repo.URL, reg.Host))
	before, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}

	code, res, errOut := runOutdated(t, cfg)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (behind): %s", code, errOut)
	}
	want := map[string]string{
		"argocd": "1.0.0 1.0.0 1.0.0 current", "external-secrets": "1.0.0 1.0.0 1.0.0 current",
		"web": "1.0.0 1.2.0 2.0.0 behind", "gw": "0.9.0 0.10.0 1.0.0 behind",
		"cm": "v1.20.0 v1.20.0 v1.20.0 current", "local": "   path",
	}
	checkStatuses(t, res, want)

	code, out, _ := fleetup(t, "catalog", "outdated", "--config", cfg)
	if code != 1 {
		t.Fatalf("text: exit %d, want 1", code)
	}
	for _, line := range []string{"ADDON", "web", "gw", "local"} {
		if !hasRow(out, line) {
			t.Errorf("text output lacks a row for %s:\n%s", line, out)
		}
	}
	if !strings.Contains(out, "oci://"+reg.Host+"/charts/gw") || !strings.Contains(out, "path: a chart in this repository") {
		t.Errorf("text output:\n%s", out)
	}

	// --update: the newest minor of each addon behind.
	code, res, errOut = runOutdated(t, cfg, "--update")
	if code != 0 {
		t.Fatalf("--update: exit %d: %s", code, errOut)
	}
	if got := fmt.Sprint(res.Updated); got != "[{web 1.0.0 1.2.0} {gw 0.9.0 0.10.0}]" {
		t.Errorf("updated %s", got)
	}
	after, _ := os.ReadFile(file)
	webLine, gwLine := lineIndex(t, string(before), "  # an old pin")+1, lineIndex(t, string(before), "gw:")
	checkOnlyLines(t, string(before), string(after), map[int]string{
		webLine: `  defaultVersion: "1.2.0"`,
		gwLine:  fmt.Sprintf(`gw: {enabled: true, chartRepository: "oci://%s/charts", defaultVersion: 0.10.0}`, reg.Host),
	})

	// Still behind by a major: exit 1, the minor is the pin.
	code, res, _ = runOutdated(t, cfg)
	want["web"], want["gw"] = "1.2.0 1.2.0 2.0.0 behind", "0.10.0 0.10.0 1.0.0 behind"
	if code != 1 {
		t.Errorf("after --update: exit %d, want 1", code)
	}
	checkStatuses(t, res, want)
	// Nothing left in the majors: a second --update changes nothing.
	if code, out, _ := fleetup(t, "catalog", "outdated", "--config", cfg, "--update"); code != 0 || !strings.Contains(out, "no pin to update") {
		t.Errorf("second --update: exit %d:\n%s", code, out)
	}

	code, res, errOut = runOutdated(t, cfg, "--update", "--major")
	if code != 0 {
		t.Fatalf("--update --major: exit %d: %s", code, errOut)
	}
	if got := fmt.Sprint(res.Updated); got != "[{web 1.2.0 2.0.0} {gw 0.10.0 1.0.0}]" {
		t.Errorf("updated %s", got)
	}
	code, res, _ = runOutdated(t, cfg)
	want["web"], want["gw"] = "2.0.0 2.0.0 2.0.0 current", "1.0.0 1.0.0 1.0.0 current"
	if code != 0 {
		t.Errorf("after --update --major: exit %d, want 0", code)
	}
	checkStatuses(t, res, want)
	after, _ = os.ReadFile(file)
	checkOnlyLines(t, string(before), string(after), map[int]string{
		webLine: `  defaultVersion: "2.0.0"`,
		gwLine:  fmt.Sprintf(`gw: {enabled: true, chartRepository: "oci://%s/charts", defaultVersion: 1.0.0}`, reg.Host),
	})

	if code, _, errOut := fleetup(t, "plan", "--config", cfg); code != 0 {
		t.Errorf("plan after --update: exit %d: %s", code, errOut)
	}
}

// An unreachable repository is that addon's error; the others are
// reported and --update still moves them, with exit 1.
func TestCatalogOutdatedUnreachable(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	repo := chartrepo.Start(t)
	for _, v := range []string{"1.0.0", "1.0.1"} {
		repo.Add(t, chartrepo.Stub(t, "web", v))
	}
	cfg, _ := catalogRepo(t, fmt.Sprintf(`web:
  enabled: true
  defaultVersion: "1.0.0"
  chartRepository: %s
gone:
  enabled: true
  defaultVersion: "1.0.0"
  chartRepository: http://127.0.0.1:1/charts
lost:
  enabled: true
  defaultVersion: "1.0.0"
  chartRepository: oci://127.0.0.1:1/charts
`, repo.URL))
	code, res, _ := runOutdated(t, cfg, "--update")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	st := map[string]string{}
	for _, a := range res.Addons {
		st[a.Addon] = a.Status
		if a.Status == "error" && !strings.Contains(a.Note, "127.0.0.1:1") {
			t.Errorf("%s: note %q does not name the repository", a.Addon, a.Note)
		}
	}
	if st["web"] != "behind" || st["gone"] != "error" || st["lost"] != "error" {
		t.Errorf("statuses %v", st)
	}
	if fmt.Sprint(res.Updated) != "[{web 1.0.0 1.0.1}]" {
		t.Errorf("updated %v", res.Updated)
	}
}

func TestCatalogOutdatedUsage(t *testing.T) {
	if code, _, errOut := fleetup(t, "catalog", "outdated", "--config", shipped, "--major"); code != 2 || !strings.Contains(errOut, "--major goes with --update") {
		t.Errorf("--major alone: exit %d: %s", code, errOut)
	}
	if code, _, _ := fleetup(t, "catalog", "outdated", "--config", shipped, "extra"); code != 2 {
		t.Errorf("an argument: exit %d, want 2", code)
	}
}

func checkStatuses(t *testing.T, res outdatedJSON, want map[string]string) {
	t.Helper()
	got := byAddon(res)
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s: %q, want %q", name, got[name], w)
		}
	}
}

// hasRow reports whether a line of out starts with this word.
func hasRow(out, word string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, word+" ") {
			return true
		}
	}
	return false
}

// lineIndex is the 0-based index of the first line starting with prefix.
func lineIndex(t *testing.T, text, prefix string) int {
	t.Helper()
	for i, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			return i
		}
	}
	t.Fatalf("no line starts with %q", prefix)
	return 0
}

// checkOnlyLines compares the files line by line: the lines in changed
// (0-based) must read so, every other line must be as it was.
func checkOnlyLines(t *testing.T, before, after string, changed map[int]string) {
	t.Helper()
	b, a := strings.Split(before, "\n"), strings.Split(after, "\n")
	if len(b) != len(a) {
		t.Fatalf("%d lines became %d", len(b), len(a))
	}
	for i := range b {
		want, ok := changed[i]
		if !ok {
			want = b[i]
		}
		if a[i] != want {
			t.Errorf("line %d: %q, want %q", i+1, a[i], want)
		}
	}
}

// TestCatalogOutdatedGitTags: an addon kept in a Git repository of its own
// (an operator's manifests at a release tag) is compared with the
// repository's tags, as `git ls-remote --tags` lists them (tags that are
// not versions skipped); --update moves its pin; one pinned to a commit
// has no version to compare and is not an error.
func TestCatalogOutdatedGitTags(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	src := t.TempDir()
	gitrepotest.Init(t, src)
	gitrepotest.Write(t, src, "kubernetes/crds.yaml", "kind: CustomResourceDefinition\n")
	first := gitrepotest.CommitAll(t, src, "operator 26.3.0")
	for _, tag := range []string{"26.3.0", "26.4.5", "nightly", "26.5.0", "27.0.0-rc.1", "27.0.0"} {
		gitrepotest.Tag(t, src, tag)
		gitrepotest.CommitAll(t, src, "after "+tag)
	}
	cfg, file := catalogRepo(t, fmt.Sprintf(`argocd:
  enabled: true
  chartName: argo-cd
  namespace: argocd
  path: packages/local
  type: chart
external-secrets:
  enabled: true
  path: packages/local
  type: chart
operator:
  enabled: true
  gitRepository: file://%[1]s
  path: kubernetes
  defaultVersion: "26.4.5"
  type: manifests
operator-at-commit:
  enabled: true
  gitRepository: file://%[1]s
  defaultVersion: %[2]s
  type: manifests
`, src, first))
	code, res, errOut := runOutdated(t, cfg)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (behind): %s", code, errOut)
	}
	checkStatuses(t, res, map[string]string{
		"argocd": "   path", "external-secrets": "   path",
		"operator": "26.4.5 26.5.0 27.0.0 behind", "operator-at-commit": first + "   commit",
	})
	code, res, errOut = runOutdated(t, cfg, "--update")
	if code != 0 || fmt.Sprint(res.Updated) != "[{operator 26.4.5 26.5.0}]" {
		t.Fatalf("--update: exit %d, updated %v: %s", code, res.Updated, errOut)
	}
	data, _ := os.ReadFile(file)
	if !strings.Contains(string(data), "  defaultVersion: \"26.5.0\"\n  type: manifests\n") {
		t.Errorf("the pin was not moved in place:\n%s", data)
	}
	if code, _, errOut := fleetup(t, "plan", "--config", cfg); code != 0 {
		t.Errorf("plan after --update: exit %d: %s", code, errOut)
	}
}
