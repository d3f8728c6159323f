package main

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/gitrepo/gitrepotest"
)

var initFiles = []string{
	"fleet/fleet.yaml", "fleet/inventory/customer/example.yaml", "fleet/inventory/environment/dev.yaml",
	"fleet/inventory/provider/in-memory.yaml", "fleet/inventory/site/lab.yaml", "fleet/profiles/standard.yaml",
}

func TestFleetInit(t *testing.T) {
	dir := platformRepo(t, false)
	before := head(t, dir)
	code, out, errOut := in(t, dir, "fleet", "init")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	_, hint, ok := strings.Cut(out, "next: fleetup ")
	if !ok {
		t.Errorf("init names no next step:\n%s", out)
	}
	c := head(t, dir)
	if !strings.HasPrefix(c.Message, "fleet: init fleet/ with fleetup fleet init\n") || c.Author.Name != "Fleet Tester" || c.ParentHashes[0] != before.Hash {
		t.Errorf("commit %q by %s", c.Message, c.Author)
	}
	for _, f := range initFiles {
		if !strings.Contains(out, "wrote "+f+"\n") {
			t.Errorf("output lacks %s:\n%s", f, out)
		}
		data, err := os.ReadFile(filepath.Join(dir, f))
		if committed, ok := gitrepotest.File(t, c, f); err != nil || !ok || committed != string(data) {
			t.Errorf("%s is not committed as written (%v)", f, err)
		}
	}
	clean(t, dir)
	// validate passes at once, with the catalog's addon names checked.
	code, out, errOut = in(t, dir, "fleet", "validate")
	if code != 0 || !strings.Contains(out, "fleet/ is valid: 1 profiles, 4 inventory files in 4 layers (environment < customer < site < provider), 0 clusters") || errOut != "" {
		t.Errorf("validate after init: exit %d\n%s%s", code, out, errOut)
	}
	profile, _ := os.ReadFile(filepath.Join(dir, "fleet/profiles/standard.yaml"))
	if !strings.Contains(string(profile), "  cert-manager:\n    enabled: false\n") {
		t.Errorf("the example bundle lists the catalog's addons, switched off:\n%s", profile)
	}

	// Rerun: nothing changes, and it says so.
	code, out, errOut = in(t, dir, "fleet", "init")
	if code != 0 || !strings.Contains(errOut, "fleet/ is already initialised") || !strings.Contains(out, "nothing changed") || head(t, dir).Hash != c.Hash {
		t.Errorf("rerun: exit %d\n%s%s", code, out, errOut)
	}

	// The next step init suggests works.
	line, _, _ := strings.Cut(hint, "\n")
	next := strings.Fields(line)
	code, out, errOut = in(t, dir, next...)
	if code != 0 || !strings.Contains(out, "wrote fleet/clusters/demo.yaml") {
		t.Errorf("%v: exit %d\n%s%s", next, code, out, errOut)
	}
	clean(t, dir)
}

func TestFleetInitNeverOverwrites(t *testing.T) {
	dir := platformRepo(t, false)
	if code, _, errOut := in(t, dir, "fleet", "init"); code != 0 {
		t.Fatal(errOut)
	}
	before := head(t, dir)
	edited := filepath.Join(dir, "fleet/profiles/standard.yaml")
	if err := os.WriteFile(edited, []byte("kubernetesVersion: \"v1.35\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gone := filepath.Join(dir, "fleet/inventory/site/lab.yaml")
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := in(t, dir, "fleet", "init", "-o", "json")
	if code != 2 || out != "" || !strings.Contains(errOut, "fleet init never overwrites a file, and these exist with other content: fleet/profiles/standard.yaml") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(gone); !errors.Is(err, fs.ErrNotExist) {
		t.Error("a missing file was written although init refused")
	}
	if data, _ := os.ReadFile(edited); string(data) != "kubernetesVersion: \"v1.35\"\n" || head(t, dir).Hash != before.Hash {
		t.Error("the user's file was changed or something committed")
	}

	// An edited file on an otherwise complete fleet: initialised, kept.
	if err := os.WriteFile(gone, []byte("# site\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = in(t, dir, "fleet", "init", "-o", "json")
	var res struct {
		Written, Unchanged []string
		Commit             any
	}
	if err := json.Unmarshal([]byte(out), &res); code != 0 || err != nil || len(res.Written) != 0 || len(res.Unchanged) != 4 || res.Commit != nil {
		t.Errorf("exit %d %v: %s", code, err, out)
	}
}

// TestFleetInitWritesTheChart: a platform repository without the fleet's
// chart (a CNOE fork, a new repository) gets fleetup's with the fleet, in
// the same commit, so that Argo CD can render the clusters; the example
// cluster init suggests then renders.
func TestFleetInitWritesTheChart(t *testing.T) {
	dir := platformRepo(t, false)
	if err := os.RemoveAll(filepath.Join(dir, "packages", "fleet-cluster")); err != nil {
		t.Fatal(err)
	}
	gitrepotest.CommitAll(t, dir, "a repository without the fleet's chart")
	code, out, errOut := in(t, dir, "fleet", "init")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	c := head(t, dir)
	if !strings.Contains(c.Message, "and the chart packages/fleet-cluster that renders each cluster") {
		t.Errorf("commit message %q", c.Message)
	}
	n := 0
	err := filepath.WalkDir("../../packages/fleet-cluster", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel("../..", p)
		rel = filepath.ToSlash(rel)
		want, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if got, ok := gitrepotest.File(t, c, rel); !ok || got != string(want) || !strings.Contains(out, "wrote "+rel+"\n") {
			t.Errorf("%s is not written and committed as fleetup ships it", rel)
		}
		n++
		return nil
	})
	if err != nil || n < 8 {
		t.Fatalf("the shipped chart: %d files, %v", n, err)
	}
	clean(t, dir)
	args := []string{"cluster", "create", "demo", "--profile", "standard", "--environment", "dev", "--customer", "example", "--site", "lab", "--provider", "in-memory"}
	if code, _, errOut := in(t, dir, args...); code != 0 {
		t.Fatalf("cluster create: %s", errOut)
	}
	code, out, errOut = in(t, dir, "fleet", "render", "demo", "--manifests-only")
	if code != 0 || !strings.Contains(out, "kind: DevCluster") || !strings.Contains(out, "kind: ExternalSecret") {
		t.Errorf("render with the written chart: exit %d\n%s%s", code, out, errOut)
	}
	// Initialised, the chart there: nothing more to write.
	if code, out, _ := in(t, dir, "fleet", "init"); code != 0 || !strings.Contains(out, "nothing changed") {
		t.Errorf("rerun: exit %d\n%s", code, out)
	}
}

// TestFleetInitInstallRefusals: --install wires fleet/ next to
// config.yaml from what is committed; anything else is refused before a
// file is written (test/e2e's TestFleetInitInstall wires one).
func TestFleetInitInstallRefusals(t *testing.T) {
	dir := platformRepo(t, false)
	before := head(t, dir)
	for _, args := range [][]string{{"--install", "--no-commit"}, {"--install", "--fleet-dir", filepath.Join(dir, "other")}} {
		code, out, errOut := in(t, dir, append([]string{"fleet", "init"}, args...)...)
		if code != 2 || out != "" || !strings.Contains(errOut, "--install") || !strings.Contains(errOut, "(nothing was written)") {
			t.Errorf("fleet init %v: exit %d\n%s%s", args, code, out, errOut)
		}
	}
	for _, d := range []string{"fleet", "other"} {
		if _, err := os.Stat(filepath.Join(dir, d)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s/ was written", d)
		}
	}
	if head(t, dir).Hash != before.Hash {
		t.Error("something was committed")
	}
}

func TestFleetInitFleetDirAndNoRepository(t *testing.T) {
	dir := t.TempDir()
	fleetDir := filepath.Join(dir, "platform", "fleet")
	code, _, errOut := fleetup(t, "fleet", "init", "--config", shipped, "--fleet-dir", fleetDir)
	if code != 2 || !strings.Contains(errOut, "no Git repository at or above") {
		t.Errorf("exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(fleetDir); !errors.Is(err, fs.ErrNotExist) {
		t.Error("refused, yet the fleet directory was made")
	}
	code, out, errOut := fleetup(t, "fleet", "init", "--config", shipped, "--fleet-dir", fleetDir, "--no-commit")
	if code != 0 || !strings.Contains(out, "wrote fleet/fleet.yaml") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	code, _, errOut = fleetup(t, "fleet", "validate", "--config", shipped, "--fleet-dir", fleetDir)
	if code != 0 {
		t.Errorf("validate: %s", errOut)
	}
}

func TestProfileListAndShow(t *testing.T) {
	code, out, errOut := fleetup(t, "profile", "list", "--config", shipped)
	if code != 0 || !strings.Contains(out, "gpu       fleet/profiles/gpu.yaml       prod-globex-iad\n") ||
		!strings.Contains(out, "standard  fleet/profiles/standard.yaml  dev-acme-fra, prod-acme-fra\n") {
		t.Errorf("list: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = fleetup(t, "profile", "show", "gpu", "--config", shipped)
	if code != 0 || !strings.Contains(out, "profile gpu (fleet/profiles/gpu.yaml)\n  clusters: prod-globex-iad\n") {
		t.Errorf("show: exit %d\n%s%s", code, out, errOut)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 3 {
			rows[f[0]] = f[1] + " " + f[2]
		}
	}
	if rows["nodePools.gpu.amiType"] != `40:14 "AL2023_x86_64_NVIDIA"` || rows["nodePools.gpu.replicas"] != "42:15 0" {
		t.Errorf("show values: %v", rows)
	}
	code, out, _ = fleetup(t, "profile", "show", "standard", "--config", shipped, "-o", "json")
	var p struct {
		Name     string
		Clusters []string
		Values   struct{ KubernetesVersion string }
		Origins  []struct{ Key string }
	}
	if err := json.Unmarshal([]byte(out), &p); code != 0 || err != nil || p.Name != "standard" || len(p.Clusters) != 2 || p.Values.KubernetesVersion != "v1.34" || len(p.Origins) == 0 {
		t.Errorf("show -o json: exit %d %v %+v", code, err, p)
	}
	code, _, errOut = fleetup(t, "profile", "show", "gp", "--config", shipped)
	if code != 2 || !strings.Contains(errOut, `no profile "gp" in fleet/profiles/; did you mean "gpu"?`) {
		t.Errorf("unknown profile: exit %d %s", code, errOut)
	}
}
