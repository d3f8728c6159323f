package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/kube"
)

// TestFleetRenderManifests: render prints the chart's manifests after the
// values, the platform from config.yaml; --manifests-only is a stream of
// the objects alone.
func TestFleetRenderManifests(t *testing.T) {
	code, out, errOut := fleetup(t, "fleet", "render", "--config", shipped, "prod-acme-fra")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		`platform (config.yaml's repo, over the values): repoURL "https://github.com/example-org/platform", revision "HEAD", basepath "packages"`,
		"manifests (12 objects, packages/fleet-cluster rendered as Argo CD will):",
		"eksClusterName: prod-acme-fra",
		"addons_repo_url: https://github.com/example-org/platform",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	code, out, errOut = fleetup(t, "fleet", "render", "--config", shipped, "--manifests-only", "dev-acme-fra", "prod-acme-fra")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	objs, err := kube.DecodeFile("stdout", []byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 15+12 || strings.Contains(out, "values (key") {
		t.Errorf("--manifests-only printed %d objects:\n%s", len(objs), out)
	}
	code, out, _ = fleetup(t, "fleet", "render", "--config", shipped, "--values-only", "prod-acme-fra")
	if code != 0 || strings.Contains(out, "apiVersion:") || !strings.Contains(out, "provider.region") {
		t.Errorf("--values-only: exit %d\n%s", code, out)
	}
	code, _, errOut = fleetup(t, "fleet", "render", "--config", shipped, "--values-only", "--manifests-only")
	if code != 2 || !strings.Contains(errOut, "--values-only and --manifests-only exclude each other") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

// TestFleetRenderWithoutChart: a fleet whose repository has no chart shows
// its values and says why there are no manifests; --manifests-only is then
// exit 2.
func TestFleetRenderWithoutChart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fleet")
	if err := os.CopyFS(dir, os.DirFS("../../fleet")); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := fleetup(t, "fleet", "render", "--config", shipped, "--fleet-dir", dir, "dev-acme-fra")
	if code != 0 || !strings.Contains(out, "  manifests: none (packages/fleet-cluster is not in the repository)") ||
		!strings.Contains(errOut, "note: packages/fleet-cluster is not in the repository: values only, no manifests") {
		t.Errorf("exit %d\n%s\n%s", code, out, errOut)
	}
	code, _, errOut = fleetup(t, "fleet", "render", "--config", shipped, "--fleet-dir", dir, "--manifests-only")
	if code != 2 || !strings.Contains(errOut, "no manifests to show: packages/fleet-cluster is not in the repository") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}
