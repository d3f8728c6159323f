package helm_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/fleetup/fleetup/internal/catalog"
	"github.com/fleetup/fleetup/internal/helm"
	"github.com/fleetup/fleetup/test/chartrepo"
	"github.com/fleetup/fleetup/test/ociregistry"
	"k8s.io/client-go/rest"
)

func chartDir(t *testing.T, name, version string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	os.MkdirAll(filepath.Join(dir, "templates"), 0o755)
	os.WriteFile(filepath.Join(dir, "Chart.yaml"), []byte("apiVersion: v2\nname: "+name+"\nversion: "+version+"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "templates", "cm.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"), 0o644)
	return dir
}

// TestLoadChartFromEverySource fetches charts the way install does: from a
// Helm repository and an OCI registry (both served on 127.0.0.1 by the
// project's test servers) and from a directory of the checkout.
func TestLoadChartFromEverySource(t *testing.T) {
	reg := ociregistry.Start(t)
	reg.AddChart(t, "charts", chartDir(t, "gateway-helm", "1.8.1"))
	repo := chartrepo.Start(t, chartDir(t, "argo-cd", "9.5.11"))
	local := chartDir(t, "platform-gateway", "0.1.0")

	r := &helm.Releaser{Config: &rest.Config{Host: "https://127.0.0.1:1"}, CacheDir: t.TempDir()}
	for _, c := range []struct {
		spec    helm.Spec
		name    string
		version string
	}{
		{helm.Spec{Name: "oci", Source: catalog.Source{Kind: catalog.SourceOCI, URL: "oci://" + reg.Host + "/charts", Chart: "gateway-helm", Version: "1.8.1"}}, "gateway-helm", "1.8.1"},
		{helm.Spec{Name: "repo", Source: catalog.Source{Kind: catalog.SourceHelmRepo, URL: repo.URL, Chart: "argo-cd", Version: "9.5.11"}}, "argo-cd", "9.5.11"},
		{helm.Spec{Name: "git", Source: catalog.Source{Kind: catalog.SourceGitChart, Path: filepath.Base(local)}, RepoRoot: filepath.Dir(local)}, "platform-gateway", "0.1.0"},
	} {
		ch, err := r.LoadChart(context.Background(), c.spec)
		if err != nil {
			t.Fatalf("%s: %v", c.spec.Name, err)
		}
		if ch.Name() != c.name || ch.Metadata.Version != c.version {
			t.Errorf("%s: got %s %s", c.spec.Name, ch.Name(), ch.Metadata.Version)
		}
	}
	// A version that does not exist is a clear error naming the source.
	_, err := r.LoadChart(context.Background(), helm.Spec{Name: "missing", Source: catalog.Source{Kind: catalog.SourceOCI, URL: "oci://" + reg.Host + "/charts", Chart: "gateway-helm", Version: "9.9.9"}})
	if err == nil {
		t.Fatal("missing OCI version loaded")
	}
	t.Log(err)
}
