// Package chartrepo serves a Helm chart repository on 127.0.0.1 for tests:
// chart directories are packaged and indexed with the Helm SDK, then served
// over HTTP, as a real repository would be.
package chartrepo

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	repo "helm.sh/helm/v4/pkg/repo/v1"
)

// Server is a running chart repository.
type Server struct {
	URL string
	dir string
	// Requests counts the requests served (tests check caching and reuse).
	Requests atomic.Int64
}

// Start packages every chart directory and serves them until t ends.
func Start(t testing.TB, chartDirs ...string) *Server {
	t.Helper()
	s := &Server{dir: t.TempDir()}
	fs := http.FileServer(http.Dir(s.dir))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Requests.Add(1)
		fs.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	s.Add(t, chartDirs...)
	return s
}

// Add packages more charts (or new versions) and rewrites the index.
func (s *Server) Add(t testing.TB, chartDirs ...string) {
	t.Helper()
	for _, d := range chartDirs {
		ch, err := loader.LoadDir(d)
		if err != nil {
			t.Fatalf("chartrepo: load %s: %v", d, err)
		}
		if _, err := chartutil.Save(ch, s.dir); err != nil {
			t.Fatalf("chartrepo: package %s: %v", d, err)
		}
	}
	idx, err := repo.IndexDirectory(s.dir, s.URL)
	if err != nil {
		t.Fatalf("chartrepo: index: %v", err)
	}
	idx.SortEntries()
	if err := idx.WriteFile(filepath.Join(s.dir, "index.yaml"), 0o644); err != nil {
		t.Fatalf("chartrepo: write index: %v", err)
	}
}

// Stub writes a minimal chart (one ConfigMap) of this name and version
// into a new directory and returns it, for publishing several versions.
func Stub(t testing.TB, name, version string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	for file, content := range map[string]string{
		"Chart.yaml":        "apiVersion: v2\nname: " + name + "\nversion: " + version + "\n",
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + "}\n",
	} {
		path := filepath.Join(dir, file)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
