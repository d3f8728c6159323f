package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/gitrepo/gitrepotest"
)

// diffRepo is a repository whose HEAD holds the shipped fleet.
func diffRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	gitrepotest.Init(t, dir)
	gitrepotest.CopyDir(t, "../../fleet", filepath.Join(dir, "fleet"))
	gitrepotest.CommitAll(t, dir, "the shipped fleet")
	return dir
}

func editFile(t *testing.T, p, old, new string) {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s lacks %q", p, old)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFleetDiffExitCodes(t *testing.T) {
	dir := diffRepo(t)
	fleetDir := filepath.Join(dir, "fleet")
	diff := func(args ...string) (int, string, string) {
		return fleetup(t, append([]string{"fleet", "diff", "--config", shipped, "--fleet-dir", fleetDir}, args...)...)
	}
	code, out, errOut := diff("--exit-code")
	if code != 0 || !strings.Contains(out, "no cluster changes (3 clusters)") || errOut != "" {
		t.Fatalf("unchanged: exit %d\n%s%s", code, out, errOut)
	}
	editFile(t, filepath.Join(fleetDir, "profiles", "gpu.yaml"), "      maxSize: 4", "      maxSize: 8")
	code, out, errOut = diff()
	if code != 0 || !strings.Contains(out, "~ prod-globex-iad") || !strings.Contains(out, "nodePools.gpu.scaling.maxSize  4 → 8") {
		t.Fatalf("changed: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, _ = diff("--exit-code"); code != 3 {
		t.Errorf("--exit-code with a change: exit %d, want 3", code)
	}
	code, out, _ = diff("-o", "json", "--exit-code")
	var d struct {
		Changed bool
		Base    struct{ Revision, Commit string }
		Head    struct{ WorkingTree bool }
		Summary struct{ Changed, Unchanged int }
		Waves   []struct {
			Wave     *int
			Clusters []struct{ Name string }
		}
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if code != 3 || !d.Changed || d.Base.Revision != "HEAD" || len(d.Base.Commit) != 40 || !d.Head.WorkingTree ||
		d.Summary.Changed != 1 || d.Summary.Unchanged != 2 || len(d.Waves) != 1 || *d.Waves[0].Wave != 2 {
		t.Errorf("exit %d, %+v", code, d)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"nope"}, `unknown revision "nope"`},
		{[]string{"HEAD", "HEAD", "HEAD"}, "accepts at most 2 arg(s)"},
	} {
		code, _, errOut := diff(tc.args...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d: %s", tc.args, code, errOut)
		}
	}
}

// Two revisions: the first commit has no fleet, so every cluster is
// added; the working tree is not read.
func TestFleetDiffRevisions(t *testing.T) {
	dir := t.TempDir()
	gitrepotest.Init(t, dir)
	gitrepotest.Write(t, dir, "README.md", "platform\n")
	gitrepotest.CommitAll(t, dir, "before the fleet")
	gitrepotest.CopyDir(t, "../../fleet", filepath.Join(dir, "fleet"))
	gitrepotest.CommitAll(t, dir, "the fleet")
	gitrepotest.Tag(t, dir, "fleet-1")
	editFile(t, filepath.Join(dir, "fleet", "clusters", "dev-acme-fra.yaml"), "name: dev-acme-fra", "name: broken")
	code, out, errOut := fleetup(t, "fleet", "diff", "--config", shipped, "--fleet-dir", filepath.Join(dir, "fleet"), "HEAD~1", "fleet-1", "--exit-code")
	if code != 3 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"fleet/ diff: HEAD~1 (", ", no fleet → fleet-1 (", "clusters: 0 changed, 3 added, 0 removed, 0 unchanged",
		"wave 0\n  + dev-acme-fra  (added, profile standard, in-memory)", "wave 2\n  + prod-globex-iad"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// An invalid side: its problems, positioned in its own files, exit 2.
func TestFleetDiffInvalid(t *testing.T) {
	dir := diffRepo(t)
	fleetDir := filepath.Join(dir, "fleet")
	cluster := filepath.Join(fleetDir, "clusters", "dev-acme-fra.yaml")
	editFile(t, cluster, "profile: standard", "profile: standart")
	code, out, errOut := fleetup(t, "fleet", "diff", "--config", shipped, "--fleet-dir", fleetDir)
	if code != 2 || out != "" || !strings.Contains(errOut, "fleet/ is invalid in the working tree:") ||
		!strings.Contains(errOut, `fleet/clusters/dev-acme-fra.yaml:4:10: profile: no profile "standart"`) {
		t.Fatalf("working tree: exit %d\n%s%s", code, out, errOut)
	}
	// Committed, fixed in the working tree: now the base is the invalid side.
	gitrepotest.CommitAll(t, dir, "a typo")
	editFile(t, cluster, "profile: standart", "profile: standard")
	code, _, errOut = fleetup(t, "fleet", "diff", "--config", shipped, "--fleet-dir", fleetDir)
	if code != 2 || !strings.Contains(errOut, "fleet/ is invalid at HEAD (") || !strings.Contains(errOut, "dev-acme-fra.yaml:4:10") {
		t.Fatalf("base: exit %d\n%s", code, errOut)
	}
	code, out, _ = fleetup(t, "fleet", "diff", "--config", shipped, "--fleet-dir", fleetDir, "-o", "json")
	var js struct {
		Invalid struct{ Revision string }
		Errors  []struct {
			File         string
			Line, Column int
		}
	}
	if err := json.Unmarshal([]byte(out), &js); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if code != 2 || js.Invalid.Revision != "HEAD" || len(js.Errors) != 1 || js.Errors[0].Line != 4 || js.Errors[0].Column != 10 {
		t.Errorf("json: exit %d, %+v", code, js)
	}
}

func TestFleetDiffWithoutCommits(t *testing.T) {
	dir := t.TempDir()
	gitrepotest.Init(t, dir)
	gitrepotest.CopyDir(t, "../../fleet", filepath.Join(dir, "fleet"))
	code, out, errOut := fleetup(t, "fleet", "diff", "--config", shipped, "--fleet-dir", filepath.Join(dir, "fleet"))
	if code != 0 || !strings.Contains(errOut, "note: HEAD has no commits yet: every cluster is added") ||
		!strings.Contains(out, "HEAD (no commits yet), no fleet → working tree") || !strings.Contains(out, "3 added") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	// Not a repository at all.
	plain := t.TempDir()
	gitrepotest.CopyDir(t, "../../fleet", filepath.Join(plain, "fleet"))
	code, _, errOut = fleetup(t, "fleet", "diff", "--config", shipped, "--fleet-dir", filepath.Join(plain, "fleet"))
	if code != 2 || !strings.Contains(errOut, "not inside a Git working tree") {
		t.Fatalf("no repository: exit %d: %s", code, errOut)
	}
}

// The fleet in a subdirectory of the repository: files are named from the
// fleet's parent, as validate names them.
func TestFleetDiffSubdirectory(t *testing.T) {
	dir := t.TempDir()
	gitrepotest.Init(t, dir)
	fleetDir := filepath.Join(dir, "platform", "fleet")
	gitrepotest.CopyDir(t, "../../fleet", fleetDir)
	gitrepotest.CommitAll(t, dir, "the fleet under platform/")
	editFile(t, filepath.Join(fleetDir, "inventory", "site", "iad.yaml"), "site: iad", "site: iad1")
	code, out, errOut := fleetup(t, "fleet", "diff", "--config", shipped, "--fleet-dir", fleetDir)
	if code != 0 || !strings.Contains(out, "modified  fleet/inventory/site/iad.yaml  (read by 1 cluster)") ||
		!strings.Contains(out, `tags.site  "iad" → "iad1"  fleet/inventory/site/iad.yaml:6:9`) {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
}

// TestFleetValidateRefusedSinceHEAD: a working-tree change Cluster API's
// webhook would refuse (the standard profile skipping a minor version) is
// a validation error at the value that makes it, before it is committed;
// the same fleet committed, or a one-minor upgrade, validates.
func TestFleetValidateRefusedSinceHEAD(t *testing.T) {
	dir := diffRepo(t)
	fleetDir := filepath.Join(dir, "fleet")
	validate := func(args ...string) (int, string, string) {
		return fleetup(t, append([]string{"fleet", "validate", "--config", shipped, "--fleet-dir", fleetDir}, args...)...)
	}
	profile := filepath.Join(fleetDir, "profiles", "standard.yaml")
	editFile(t, profile, `kubernetesVersion: "v1.34"`, `kubernetesVersion: "v1.36"`)
	code, out, errOut := validate()
	want := `fleet/profiles/standard.yaml:3:20: cluster dev-acme-fra: KubeadmControlPlane control plane: spec.version: cannot update Kubernetes version from v1.34 to v1.36`
	if code != 2 || !strings.Contains(errOut, want) {
		t.Fatalf("a skipped minor version: exit %d, want 2 and %q\n%s%s", code, want, out, errOut)
	}
	code, out, _ = validate("-o", "json")
	if code != 2 || !strings.Contains(out, `"cannot update Kubernetes version`) && !strings.Contains(out, "cannot update Kubernetes version") {
		t.Errorf("-o json: exit %d\n%s", code, out)
	}
	editFile(t, profile, `kubernetesVersion: "v1.36"`, `kubernetesVersion: "v1.35"`)
	if code, out, errOut := validate(); code != 0 {
		t.Errorf("a one-minor upgrade: exit %d\n%s%s", code, out, errOut)
	}
}
