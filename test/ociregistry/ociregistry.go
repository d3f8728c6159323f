// Package ociregistry serves Helm charts as OCI artifacts on 127.0.0.1,
// speaking the read side of the OCI distribution API (what `helm pull
// oci://…` uses): /v2/, manifests and blobs by tag or digest, tag lists.
package ociregistry

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
)

// Media types of Helm charts in OCI registries.
const (
	ManifestType = "application/vnd.oci.image.manifest.v1+json"
	ConfigType   = "application/vnd.cncf.helm.config.v1+json"
	ChartType    = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
)

// Registry is a running registry.
type Registry struct {
	// Host is 127.0.0.1:port; charts are at oci://Host/<repo>/<chart>.
	Host  string
	mu    sync.Mutex
	blobs map[string][]byte            // digest -> content
	tags  map[string]map[string]string // repository -> tag -> manifest digest
}

var pathRE = regexp.MustCompile(`^/v2/(.+)/(manifests|blobs)/([^/]+)$`)

// Start serves an empty registry until t ends.
func Start(t testing.TB) *Registry {
	t.Helper()
	r := &Registry{blobs: map[string][]byte{}, tags: map[string]map[string]string{}}
	srv := httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(srv.Close)
	r.Host = strings.TrimPrefix(srv.URL, "http://")
	return r
}

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

func (r *Registry) put(b []byte) string {
	d := digest(b)
	r.blobs[d] = b
	return d
}

// AddChart packages a chart directory and stores it as
// <repo>/<chart name>:<version>.
func (r *Registry) AddChart(t testing.TB, repo, chartDir string) {
	t.Helper()
	ch, err := loader.LoadDir(chartDir)
	if err != nil {
		t.Fatalf("ociregistry: %v", err)
	}
	tmp := t.TempDir()
	path, err := chartutil.Save(ch, tmp)
	if err != nil {
		t.Fatalf("ociregistry: package: %v", err)
	}
	tgz, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := json.Marshal(ch.Metadata)
	r.mu.Lock()
	defer r.mu.Unlock()
	cfgDigest, layerDigest := r.put(cfg), r.put(tgz)
	manifest, _ := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     ManifestType,
		"config":        map[string]any{"mediaType": ConfigType, "digest": cfgDigest, "size": len(cfg)},
		"layers":        []any{map[string]any{"mediaType": ChartType, "digest": layerDigest, "size": len(tgz)}},
	})
	name := strings.Trim(repo, "/") + "/" + ch.Name()
	if r.tags[name] == nil {
		r.tags[name] = map[string]string{}
	}
	r.tags[name][ch.Metadata.Version] = r.put(manifest)
}

func (r *Registry) serve(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		http.Error(w, `{"errors":[{"code":"UNSUPPORTED"}]}`, http.StatusMethodNotAllowed)
		return
	}
	if req.URL.Path == "/v2/" || req.URL.Path == "/v2" {
		w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if name, ok := strings.CutSuffix(strings.TrimPrefix(req.URL.Path, "/v2/"), "/tags/list"); ok {
		tags, found := r.tags[name]
		if !found {
			notFound(w, "NAME_UNKNOWN")
			return
		}
		list := []string{}
		for t := range tags {
			list = append(list, t)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"name": name, "tags": list})
		return
	}
	m := pathRE.FindStringSubmatch(req.URL.Path)
	if m == nil {
		notFound(w, "NAME_UNKNOWN")
		return
	}
	name, kind, ref := m[1], m[2], m[3]
	d := ref
	if kind == "manifests" && !strings.HasPrefix(ref, "sha256:") {
		d = r.tags[name][ref]
	}
	body, ok := r.blobs[d]
	if !ok {
		notFound(w, map[string]string{"manifests": "MANIFEST_UNKNOWN", "blobs": "BLOB_UNKNOWN"}[kind])
		return
	}
	if kind == "manifests" {
		w.Header().Set("Content-Type", ManifestType)
	} else {
		w.Header().Set("Content-Type", "application/octet-stream")
	}
	w.Header().Set("Docker-Content-Digest", d)
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	if req.Method == http.MethodGet {
		_, _ = bytes.NewReader(body).WriteTo(w)
	}
}

func notFound(w http.ResponseWriter, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusNotFound)
	fmt.Fprintf(w, `{"errors":[{"code":%q,"message":"not found"}]}`, code)
}
