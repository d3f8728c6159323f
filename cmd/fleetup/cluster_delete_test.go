package main

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestClusterDeleteWithoutHub: the shipped config's kind hub does not
// exist here, so delete says why it cannot wait and removes the file in
// one commit, as it did before it knew the hub; a file that carries the
// marker already (a run stopped after its first commit) goes the same way.
func TestClusterDeleteWithoutHub(t *testing.T) {
	dir := platformRepo(t, true)
	code, out, errOut := in(t, dir, "cluster", "delete", "dev-acme-fra", "--yes")
	if code != 0 || !strings.Contains(out, "removed fleet/clusters/dev-acme-fra.yaml") ||
		!strings.Contains(errOut, "warning: the hub cannot be reached") || !strings.Contains(errOut, "removed in one commit") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if c := head(t, dir); c.Message != "fleet: delete cluster dev-acme-fra\n" {
		t.Errorf("commit %q", c.Message)
	}
	clean(t, dir)
	// Run again: nothing of it in Git, the hub unknown: an unknown cluster.
	code, _, errOut = in(t, dir, "cluster", "delete", "dev-acme-fra", "--yes")
	if code != 2 || !strings.Contains(errOut, `no cluster "dev-acme-fra" in fleet/clusters/`) {
		t.Errorf("again: exit %d %s", code, errOut)
	}
}

// TestClusterDeleteNoCommitSteps: with --no-commit each run writes one
// step and leaves it to the user: first the marker, then the removal.
func TestClusterDeleteNoCommitSteps(t *testing.T) {
	dir := platformRepo(t, true)
	before := head(t, dir)
	file := filepath.Join(dir, "fleet", "clusters", "prod-acme-fra.yaml")
	code, out, errOut := in(t, dir, "cluster", "delete", "prod-acme-fra", "--yes", "--no-commit")
	if code != 0 || !strings.Contains(out, "wrote fleet/clusters/prod-acme-fra.yaml") || !strings.Contains(errOut, "run the command again to remove the file") {
		t.Fatalf("first run: exit %d\n%s%s", code, out, errOut)
	}
	data, err := os.ReadFile(file)
	if err != nil || !strings.HasSuffix(string(data), "\ndecommission: true\n") || !strings.Contains(string(data), "name: prod-acme-fra\n") {
		t.Fatalf("the file after the first run (%v):\n%s", err, data)
	}
	// The marked fleet is valid as validate reads it.
	if code, out, errOut := in(t, dir, "fleet", "validate"); code != 0 {
		t.Fatalf("validate with the marker: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = in(t, dir, "cluster", "delete", "prod-acme-fra", "--yes", "--no-commit")
	if code != 0 || !strings.Contains(out, "removed fleet/clusters/prod-acme-fra.yaml") {
		t.Fatalf("second run: exit %d\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(file); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the file is still there: %v", err)
	}
	if head(t, dir).Hash != before.Hash {
		t.Error("--no-commit committed")
	}
}

// TestClusterDeleteJSON: -o json is one document with every commit.
func TestClusterDeleteJSON(t *testing.T) {
	dir := platformRepo(t, true)
	code, out, errOut := in(t, dir, "cluster", "delete", "dev-acme-fra", "--yes", "-o", "json")
	var res struct {
		Command string
		Removed []string
		Commits []struct{ Hash, Message string }
	}
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if res.Command != "cluster delete" || len(res.Removed) != 1 || len(res.Commits) != 1 || res.Commits[0].Message != "fleet: delete cluster dev-acme-fra\n" || res.Commits[0].Hash != head(t, dir).Hash.String() {
		t.Errorf("%+v", res)
	}
}

// TestClusterDeleteNoRepository: without a repository delete refuses,
// unless --no-commit, which writes the marker first (the file is taken
// as committed wherever the user commits it).
func TestClusterDeleteNoRepository(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, "../../config.yaml", filepath.Join(dir, "config.yaml"))
	copyTree(t, "../../fleet", filepath.Join(dir, "fleet"))
	code, _, errOut := in(t, dir, "cluster", "delete", "dev-acme-fra", "--yes")
	if code != 2 || !strings.Contains(errOut, "no Git repository at or above") || !strings.Contains(errOut, "--no-commit") {
		t.Errorf("no repository: exit %d %s", code, errOut)
	}
	code, out, errOut := in(t, dir, "cluster", "delete", "dev-acme-fra", "--yes", "--no-commit")
	data, _ := os.ReadFile(filepath.Join(dir, "fleet", "clusters", "dev-acme-fra.yaml"))
	if code != 0 || !strings.Contains(out, "wrote fleet/clusters/dev-acme-fra.yaml") || !strings.Contains(string(data), "\ndecommission: true\n") {
		t.Errorf("--no-commit: exit %d\n%s%s\n%s", code, out, errOut, data)
	}
}
