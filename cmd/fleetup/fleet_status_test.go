package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fleet status needs the hub: a kubeconfig that does not load is a
// failure (exit 1) that says so; a bad command line or fleet is exit 2.
func TestFleetStatusErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "kubeconfig")
	code, _, errOut := fleetup(t, "fleet", "status", "--fleet-dir", "../../fleet", "--config", filepath.Join(dir, "config.yaml"), "--kubeconfig", missing)
	if code != 1 || !strings.Contains(errOut, "fleet status reads the hub: ") {
		t.Errorf("no hub: exit %d, %s", code, errOut)
	}
	if code, _, errOut := fleetup(t, "fleet", "status", "dev-acme-fra", "--fleet-dir", "../../fleet"); code != 2 {
		t.Errorf("an argument: exit %d, %s", code, errOut)
	}
	if err := os.WriteFile(filepath.Join(dir, "fleet.yaml"), []byte("layers: [a, a]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := fleetup(t, "fleet", "status", "--fleet-dir", dir, "--kubeconfig", missing); code != 2 || !strings.Contains(errOut, "fleet.yaml:1:") {
		t.Errorf("an invalid fleet: exit %d, %s", code, errOut)
	}
}
