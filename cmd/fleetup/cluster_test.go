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
	"github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// platformRepo is a Git repository in a temp dir holding the shipped
// config.yaml, packages/ and, with withFleet, fleet/, committed by a
// configured user. It returns the repository's directory.
func platformRepo(t *testing.T, withFleet bool) string {
	t.Helper()
	t.Setenv("HOME", t.TempDir()) // the machine's Git config stays out
	dir := t.TempDir()
	copyTree(t, "../../config.yaml", filepath.Join(dir, "config.yaml"))
	copyTree(t, "../../packages", filepath.Join(dir, "packages"))
	if withFleet {
		copyTree(t, "../../fleet", filepath.Join(dir, "fleet"))
	}
	gitrepotest.Seeded(t, dir, "Fleet Tester", "tester@example.com")
	return dir
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// head is the repository's HEAD commit.
func head(t *testing.T, dir string) *object.Commit {
	t.Helper()
	return gitrepotest.Commit(t, gitrepotest.Open(t, dir), plumbing.HEAD)
}

// clean fails unless the work tree and index match HEAD.
func clean(t *testing.T, dir string) {
	t.Helper()
	gitrepotest.Clean(t, gitrepotest.Open(t, dir))
}

// in runs fleetup with the repository's config.yaml.
func in(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	return fleetup(t, append(args, "--config", filepath.Join(dir, "config.yaml"))...)
}

var demo = []string{"cluster", "create", "prod-acme-muc", "--profile", "standard", "--environment", "prod", "--customer", "acme", "--site", "fra", "--provider", "eks"}

func TestClusterCreateCommits(t *testing.T) {
	dir := platformRepo(t, true)
	before := head(t, dir)
	args := append(demo, "--wave", "3", "--set", "nodePools.workers.replicas=4", "--set", "tags.team=payments", "--set-string", "tags.tier=1")
	code, out, errOut := in(t, dir, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	c := head(t, dir)
	subject := "fleet: create cluster prod-acme-muc (profile standard, environment prod, customer acme, site fra, provider eks, wave 3)"
	wantMsg := subject + "\n\nOverrides:\n  --set nodePools.workers.replicas=4\n  --set tags.team=payments\n  --set-string tags.tier=1\n"
	if c.Message != wantMsg || c.Author.Name != "Fleet Tester" || c.Author.Email != "tester@example.com" || c.ParentHashes[0] != before.Hash {
		t.Errorf("commit: %q by %s, parents %v", c.Message, c.Author, c.ParentHashes)
	}
	if !strings.Contains(out, "wrote fleet/clusters/prod-acme-muc.yaml") || !strings.Contains(out, "committed "+c.Hash.String()[:7]+" "+subject) {
		t.Errorf("output:\n%s", out)
	}
	file, ok := gitrepotest.File(t, c, "fleet/clusters/prod-acme-muc.yaml")
	want := "name: prod-acme-muc\nprofile: standard\nenvironment: prod\ncustomer: acme\nsite: fra\nprovider: eks\nwave: 3\n" +
		"overrides:\n  nodePools:\n    workers:\n      replicas: 4\n  tags:\n    team: payments\n    tier: \"1\"\n"
	if !ok || !strings.HasPrefix(file, "# Cluster prod-acme-muc, made from profile standard.") || !strings.HasSuffix(file, want) {
		t.Errorf("committed file:\n%s", file)
	}
	stats, err := c.Stats()
	if err != nil || len(stats) != 1 {
		t.Errorf("the commit changes %v, want the one cluster file (%v)", stats, err)
	}
	clean(t, dir)

	// The same again: nothing written, nothing committed.
	code, out, errOut = in(t, dir, args...)
	if code != 0 || !strings.Contains(out, "nothing changed: fleet/clusters/prod-acme-muc.yaml is already as asked") || head(t, dir).Hash != c.Hash {
		t.Errorf("rerun: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = in(t, dir, "fleet", "render", "prod-acme-muc", "-o", "json")
	var r struct {
		Clusters []struct{ Values map[string]any }
	}
	if err := json.Unmarshal([]byte(out), &r); code != 0 || err != nil {
		t.Fatalf("render: exit %d, %v", code, err)
	}
	tags := r.Clusters[0].Values["tags"].(map[string]any)
	if tags["tier"] != "1" || tags["team"] != "payments" || tags["customer"] != "acme" {
		t.Errorf("tags: %v", tags)
	}
}

func TestClusterCreateRefusals(t *testing.T) {
	dir := platformRepo(t, true)
	before := head(t, dir)
	without := func(flag string) []string {
		var out []string
		for i := 0; i < len(demo); i++ {
			if demo[i] == flag {
				i++
				continue
			}
			out = append(out, demo[i])
		}
		return out
	}
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"unknown profile", append(without("--profile"), "--profile", "standart"),
			[]string{`--profile standart: no profile "standart" (no fleet/profiles/standart.yaml) (expected one of gpu, standard); did you mean "standard"?`}},
		{"unknown layer value", append(without("--site"), "--site", "frankfurt"),
			[]string{`--site frankfurt: no site "frankfurt" (no fleet/inventory/site/frankfurt.yaml) (expected one of fra, iad)`}},
		{"missing layers", without("--customer")[:len(without("--customer"))-2],
			[]string{"missing --customer NAME: the cluster's customer, one of acme, globex", "missing --provider NAME: the cluster's provider, one of eks, in-memory"}},
		{"missing profile", without("--profile"), []string{"missing --profile: the profile the cluster is made from, one of gpu, standard"}},
		{"unknown key", append(demo, "--set", "nodePools.workers.replcas=5"),
			[]string{`--set nodePools.workers.replcas: unknown key "replcas"`, `did you mean "replicas"?`}},
		{"merged values", append(demo, "--set", "nodePools.workers.replicas=30"),
			[]string{"cluster prod-acme-muc: nodePools.workers.replicas: replicas 30 (--set) is outside minSize 3 (fleet/inventory/environment/prod.yaml:17:16) .. maxSize 12 (fleet/inventory/environment/prod.yaml:18:16)"}},
		{"a number for a string", append(demo, "--set", "tags.tier=1"),
			[]string{`--set tags.tier: Helm reads 1 as the number 1, not as a string (expected a string); give it with --set-string`}},
		{"a string for a number", append(demo, "--set-string", "nodePools.workers.replicas=4"),
			[]string{`--set-string nodePools.workers.replicas: the string "4" is not a number for Helm (expected an integer); give it with --set, not --set-string`}},
		{"wave", append(demo, "--wave", "1001"), []string{"--wave: 1001 is out of range (expected a whole number from 0 to 1000)"}},
		{"set syntax", append(demo, "--set", "nodePools.workers"), []string{`--set "nodePools.workers": key "workers" has no value`}},
		{"bad name", append([]string{"cluster", "create", "Prod_1"}, demo[3:]...), []string{`cluster name "Prod_1": not a DNS-1123 label`}},
		{"other layer", append(demo, "--layer", "regoin=x"), []string{"--layer regoin: not a layer of fleet/fleet.yaml"}},
		{"existing, other settings", []string{"cluster", "create", "prod-acme-fra", "--profile", "gpu", "--environment", "prod", "--customer", "acme", "--site", "fra", "--provider", "eks", "--wave", "1"},
			[]string{"cluster prod-acme-fra already exists (fleet/clusters/prod-acme-fra.yaml) with other settings: profile standard in the file, gpu asked, other overrides in the file than asked"}},
		{"no-commit and push", append(demo, "--no-commit", "--push"), []string{"--push pushes the commit that --no-commit leaves out"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := in(t, dir, tc.args...)
			if code != 2 || out != "" {
				t.Errorf("exit %d, stdout %q", code, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			if head(t, dir).Hash != before.Hash {
				t.Error("a commit was made")
			}
			clean(t, dir)
		})
	}
}

func TestClusterCreateExistingSame(t *testing.T) {
	dir := platformRepo(t, true)
	before := head(t, dir)
	// The shipped file, written by hand with comments: the same settings
	// are the same cluster.
	code, out, errOut := in(t, dir, "cluster", "create", "prod-acme-fra", "--profile", "standard", "--environment", "prod", "--customer", "acme", "--site", "fra", "--provider", "eks", "--wave", "1",
		"--set", "nodePools.workers.instanceType=m7i.2xlarge", "--set", "nodePools.workers.scaling.maxSize=20")
	if code != 0 || !strings.Contains(out, "nothing changed") || head(t, dir).Hash != before.Hash {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
	clean(t, dir)
}

// bareRemote gives the repository at dir a bare remote "origin" that
// its branch tracks, and returns the remote.
func bareRemote(t *testing.T, dir string) *git.Repository {
	t.Helper()
	bareDir := filepath.Join(t.TempDir(), "platform.git")
	bare, err := git.PlainInit(bareDir, true)
	if err != nil {
		t.Fatal(err)
	}
	repo, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.CreateRemote(&gitconfig.RemoteConfig{Name: "origin", URLs: []string{"file://" + bareDir}}); err != nil {
		t.Fatal(err)
	}
	ref, err := repo.Head()
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.CreateBranch(&gitconfig.Branch{Name: ref.Name().Short(), Remote: "origin", Merge: ref.Name()}); err != nil {
		t.Fatal(err)
	}
	return bare
}

func TestClusterCreateAndDeletePush(t *testing.T) {
	dir := platformRepo(t, true)
	bare := bareRemote(t, dir)
	remoteHead := func() *object.Commit {
		t.Helper()
		ref, err := bare.Reference("refs/heads/master", true)
		if err != nil {
			t.Fatal(err)
		}
		c, err := bare.CommitObject(ref.Hash())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	code, out, errOut := in(t, dir, append(demo, "--push")...)
	if code != 0 || !strings.Contains(out, "pushed master to origin refs/heads/master") {
		t.Fatalf("create --push: exit %d\n%s%s", code, out, errOut)
	}
	if c := remoteHead(); c.Hash != head(t, dir).Hash {
		t.Errorf("remote at %s, local at %s", c.Hash, head(t, dir).Hash)
	} else if _, ok := gitrepotest.File(t, c, "fleet/clusters/prod-acme-muc.yaml"); !ok {
		t.Error("the remote's commit lacks the cluster file")
	}

	code, _, errOut = in(t, dir, "cluster", "delete", "prod-acme-muc")
	if code != 2 || !strings.Contains(errOut, "no terminal to ask for approval: pass --yes") {
		t.Errorf("delete without --yes and without a terminal: exit %d %s", code, errOut)
	}
	code, _, errOut = in(t, dir, "cluster", "delete", "prod-acme-mc", "--yes")
	if code != 2 || !strings.Contains(errOut, `no cluster "prod-acme-mc" in fleet/clusters/; did you mean "prod-acme-muc"?`) {
		t.Errorf("delete of a typo: exit %d %s", code, errOut)
	}
	code, out, errOut = in(t, dir, "cluster", "delete", "prod-acme-muc", "--yes", "--push")
	if code != 0 || !strings.Contains(out, "removed fleet/clusters/prod-acme-muc.yaml") {
		t.Fatalf("delete: exit %d\n%s%s", code, out, errOut)
	}
	c := remoteHead()
	if c.Message != "fleet: delete cluster prod-acme-muc\n" || c.Hash != head(t, dir).Hash {
		t.Errorf("remote head %q", c.Message)
	}
	if _, ok := gitrepotest.File(t, c, "fleet/clusters/prod-acme-muc.yaml"); ok {
		t.Error("the cluster file is still in the remote's tree")
	}
	if _, ok := gitrepotest.File(t, c, "fleet/clusters/prod-acme-fra.yaml"); !ok {
		t.Error("another cluster went with it")
	}
	clean(t, dir)
}

func TestClusterCreateNoCommit(t *testing.T) {
	// Without a repository: refused, unless --no-commit.
	dir := t.TempDir()
	copyTree(t, "../../config.yaml", filepath.Join(dir, "config.yaml"))
	copyTree(t, "../../fleet", filepath.Join(dir, "fleet"))
	code, _, errOut := in(t, dir, demo...)
	if code != 2 || !strings.Contains(errOut, "no Git repository at or above") || !strings.Contains(errOut, "--no-commit") {
		t.Errorf("no repository: exit %d %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "fleet/clusters/prod-acme-muc.yaml")); !errors.Is(err, fs.ErrNotExist) {
		t.Error("written without a repository")
	}
	code, out, errOut := in(t, dir, append(demo, "--no-commit")...)
	if code != 0 || strings.Contains(out, "committed") {
		t.Fatalf("--no-commit: exit %d\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "fleet/clusters/prod-acme-muc.yaml")); err != nil {
		t.Error(err)
	}
}

func TestClusterCreateRefusesOtherStagedChanges(t *testing.T) {
	dir := platformRepo(t, true)
	before := head(t, dir)
	repo, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte("# half-done edit\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := wt.Add("config.yaml"); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := in(t, dir, append(demo, "--fleet-dir", filepath.Join(dir, "fleet"))...)
	if code != 2 || !strings.Contains(errOut, "the Git index has staged changes to config.yaml") {
		t.Errorf("exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "fleet/clusters/prod-acme-muc.yaml")); !errors.Is(err, fs.ErrNotExist) || head(t, dir).Hash != before.Hash {
		t.Error("written or committed with another change staged")
	}
}

func TestClusterCreateCustomLayers(t *testing.T) {
	dir := platformRepo(t, false)
	fleetDir := filepath.Join(dir, "fleet")
	for p, data := range map[string]string{
		"fleet.yaml":                   "layers: [team, output]\n",
		"profiles/small.yaml":          "kubernetesVersion: \"v1.34\"\nnodePools: {workers: {replicas: 1}}\n",
		"inventory/team/payments.yaml": "tags: {team: payments}\n",
		"inventory/output/lab.yaml":    "provider: {flavour: in-memory}\n",
	} {
		gitrepotest.Write(t, fleetDir, p, data)
	}
	for _, help := range [][]string{{"cluster", "create", "--help"}, {"help", "cluster", "create"}} {
		code, out, _ := in(t, dir, help...)
		if code != 0 || !strings.Contains(out, "--team string") || !strings.Contains(out, "--output string       output format") {
			t.Errorf("%v: the fleet's layers are flags, a layer named like a global flag is not:\n%s", help, out)
		}
	}
	code, out, errOut := in(t, dir, "cluster", "create", "pay-1", "--profile", "small")
	if code != 2 || out != "" || !strings.Contains(errOut, "missing --team NAME: the cluster's team, one of payments") || !strings.Contains(errOut, "missing --layer output=NAME: the cluster's output, one of lab") {
		t.Errorf("missing layers: exit %d %s", code, errOut)
	}
	code, out, errOut = in(t, dir, "cluster", "create", "pay-1", "--profile", "small", "--team", "payments", "--layer", "output=lab", "--no-commit")
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	data, err := os.ReadFile(filepath.Join(fleetDir, "clusters", "pay-1.yaml"))
	if err != nil || !strings.HasSuffix(string(data), "name: pay-1\nprofile: small\nteam: payments\noutput: lab\n") {
		t.Errorf("cluster file: %s %v", data, err)
	}
}

func TestClusterListAndGet(t *testing.T) {
	code, out, errOut := fleetup(t, "cluster", "list", "--config", shipped, "--offline")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"NAME             PROFILE   WAVE  ENVIRONMENT  CUSTOMER  SITE  PROVIDER   FLAVOUR    VERSION  BUNDLE",
		"dev-acme-fra     standard  0     dev          acme      fra   in-memory  in-memory  v1.34    cert-manager,envoy-gateway,external-secrets",
		"prod-globex-iad  gpu       2     prod         globex    iad   eks        eks        v1.33    aws-load-balancer-controller,cert-manager,envoy-gateway,external-dns,external-secrets",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	// No hub: the Git view, saying why.
	code, out, errOut = fleetup(t, "cluster", "get", "prod-acme-fra", "--config", shipped, "--target", "kubeconfig", "--kubeconfig", filepath.Join(t.TempDir(), "none"), "-o", "json")
	var got struct {
		Live     bool
		LiveNote string
		Clusters []struct {
			Name, Flavour, Version, Region string
			Wave                           int
			Bundle                         []string
			Live                           any
		}
	}
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil {
		t.Fatalf("get -o json: exit %d %v %s", code, err, errOut)
	}
	c := got.Clusters[0]
	if got.Live || !strings.Contains(got.LiveNote, "the hub's state was not read: load kubeconfig") || c.Live != nil ||
		c.Name != "prod-acme-fra" || c.Flavour != "eks" || c.Version != "v1.34" || c.Region != "eu-central-1" || c.Wave != 1 || strings.Join(c.Bundle, ",") != "cert-manager,envoy-gateway,external-secrets" {
		t.Errorf("get: %+v", got)
	}
	code, _, errOut = fleetup(t, "cluster", "get", "prod-acme", "--config", shipped, "--offline")
	if code != 2 || !strings.Contains(errOut, `no cluster "prod-acme" in fleet/clusters/; did you mean "prod-acme-fra"?`) {
		t.Errorf("unknown cluster: exit %d %s", code, errOut)
	}
}

func TestClusterCreatePushFails(t *testing.T) {
	dir := platformRepo(t, true)
	repo, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.CreateRemote(&gitconfig.RemoteConfig{Name: "origin", URLs: []string{"file://" + filepath.Join(t.TempDir(), "gone.git")}}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := in(t, dir, append(demo, "--push")...)
	c := head(t, dir)
	if code != 1 || !strings.Contains(errOut, "committed "+c.Hash.String()[:7]+", not pushed: push master to origin") || !strings.Contains(errOut, "run the command again with --push") || out != "" {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	if _, ok := gitrepotest.File(t, c, "fleet/clusters/prod-acme-muc.yaml"); !ok {
		t.Error("the commit is kept when only the push fails")
	}
}

// TestClusterCreateCommitsWhatNoCommitLeft: a file written with
// --no-commit is committed by the same command without it.
func TestClusterCreateCommitsWhatNoCommitLeft(t *testing.T) {
	dir := platformRepo(t, true)
	before := head(t, dir)
	if code, _, errOut := in(t, dir, append(demo, "--no-commit")...); code != 0 || head(t, dir).Hash != before.Hash {
		t.Fatalf("--no-commit: exit %d %s", code, errOut)
	}
	code, out, errOut := in(t, dir, demo...)
	c := head(t, dir)
	if code != 0 || c.Hash == before.Hash || !strings.Contains(out, "already written, not yet committed: fleet/clusters/prod-acme-muc.yaml") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if _, ok := gitrepotest.File(t, c, "fleet/clusters/prod-acme-muc.yaml"); !ok {
		t.Error("not committed")
	}
	clean(t, dir)
}
