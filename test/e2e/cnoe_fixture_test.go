package e2e

import (
	"path/filepath"
	"testing"

	"github.com/fleetup/fleetup/test/chartrepo"
	"github.com/fleetup/fleetup/test/envtest"
)

// cnoeForkDir is the CNOE-shaped fork, with placeholders (its README.md
// lists them).
const cnoeForkDir = "testdata/cnoe-fork"

// newCNOEFork makes a flow of the CNOE-shaped fork: a copy of
// testdata/cnoe-fork with its placeholders filled, committed to a Git
// repository Argo CD clones; a chart repository serving argo-cd,
// cert-manager, external-dns and keycloak (stub workload charts) and the
// real external-secrets chart; secrets in the package's AWS test server
// (the fork's config.yaml says aws-secretsmanager, read back through the
// fork's own ClusterSecretStore). Call useAWS first.
func newCNOEFork(t *testing.T) *platform {
	t.Helper()
	ns := env.Namespace(t)
	p := &platform{Cluster: "c" + ns[len(ns)-6:], NS: ns}

	charts := t.TempDir()
	dirs := []string{}
	for _, c := range []string{"argo-cd", "cert-manager", "external-dns", "keycloak"} {
		if err := workloadChart(filepath.Join(charts, c), c); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, filepath.Join(charts, c))
	}
	eso, esoVersion := esoChart(t)
	p.Charts = chartrepo.Start(t, append(dirs, eso)...)

	dir := t.TempDir()
	fill := map[string]string{
		"__REPO_URL__":    "file://" + dir,
		"__CLUSTER__":     p.Cluster,
		"__NS__":          ns,
		"__REGION__":      awsSrv.Region,
		"__CHART_REPO__":  p.Charts.URL,
		"__ESO_VERSION__": esoVersion,
	}
	if err := envtest.CopyFilled(cnoeForkDir, dir, fill, nil); err != nil {
		t.Fatal(err)
	}
	p.RepoDir = dir
	p.Config = filepath.Join(dir, "config.yaml")
	envtest.GitInit(t, dir)
	return p
}
