// Package envtest runs a real Kubernetes control plane with Argo CD and
// External Secrets as local processes on 127.0.0.1, with no container
// runtime: etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
// kwok (fake nodes that make pods run), redis, the Argo CD repo-server,
// application-controller and applicationset-controller, and the External
// Secrets controller. Binaries come from the cache scripts/testenv-build.sh
// fills (`make testenv`).
package envtest

import (
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

//go:embed versions.env
var versionsEnv string

// Versions are the pinned component versions, from versions.env.
type Versions map[string]string

func parseVersions() Versions {
	v := Versions{}
	for _, line := range strings.Split(versionsEnv, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if k, val, ok := strings.Cut(line, "="); ok {
			v[k] = val
		}
	}
	return v
}

// CacheDir is where the built binaries live: $FLEETUP_TESTENV_CACHE, else
// $XDG_CACHE_HOME/fleetup/testenv, else ~/.cache/fleetup/testenv (the same
// rule as the build script).
func CacheDir() string {
	if d := os.Getenv("FLEETUP_TESTENV_CACHE"); d != "" {
		return d
	}
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, _ := os.UserHomeDir()
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "fleetup", "testenv")
}

// Binaries are the paths of every component.
type Binaries struct {
	Etcd, APIServer, ControllerManager, Scheduler, Kwok, ArgoCD, Helm, Kustomize, ESO, Redis string
	// ArgoCRDs and ESOCRDs are the CRD manifests shipped in the modules.
	ArgoCRDs, ESOCRDs string
}

// FindBinaries locates the binaries in the cache, or says how to build them.
func FindBinaries() (*Binaries, error) {
	v := parseVersions()
	dir := CacheDir()
	comp := func(name, key string) string { return filepath.Join(dir, name+"-"+v[key]) }
	b := &Binaries{
		Etcd:              filepath.Join(comp("etcd", "ETCD_VERSION"), "bin", "etcd"),
		APIServer:         filepath.Join(comp("kubernetes", "KUBERNETES_VERSION"), "bin", "kube-apiserver"),
		ControllerManager: filepath.Join(comp("kubernetes", "KUBERNETES_VERSION"), "bin", "kube-controller-manager"),
		Scheduler:         filepath.Join(comp("kubernetes", "KUBERNETES_VERSION"), "bin", "kube-scheduler"),
		Kwok:              filepath.Join(comp("kwok", "KWOK_VERSION"), "bin", "kwok"),
		ArgoCD:            filepath.Join(comp("argocd", "ARGOCD_VERSION"), "bin", "argocd"),
		Helm:              filepath.Join(comp("helm", "HELM_VERSION"), "bin", "helm"),
		Kustomize:         filepath.Join(comp("kustomize", "KUSTOMIZE_VERSION"), "bin", "kustomize"),
		ESO:               filepath.Join(comp("external-secrets", "ESO_VERSION"), "bin", "external-secrets"),
		ArgoCRDs:          filepath.Join(comp("argocd", "ARGOCD_VERSION"), "crds"),
		ESOCRDs:           filepath.Join(comp("external-secrets", "ESO_VERSION"), "crds", "bundle.yaml"),
	}
	var missing []string
	for _, p := range []string{b.Etcd, b.APIServer, b.ControllerManager, b.Scheduler, b.Kwok, b.ArgoCD, b.Helm, b.Kustomize, b.ESO, b.ArgoCRDs, b.ESOCRDs} {
		if _, err := os.Stat(p); err != nil {
			missing = append(missing, p)
		}
	}
	redis, err := exec.LookPath("redis-server")
	if err != nil {
		missing = append(missing, "redis-server (Debian package redis-server)")
	}
	b.Redis = redis
	if len(missing) > 0 {
		return nil, fmt.Errorf("test environment not built (missing %s): run `make testenv` (about 30 minutes the first time)", strings.Join(missing, ", "))
	}
	return b, nil
}

// ESOChart is the directory of the upstream External Secrets chart that the
// build script's eso-chart component copies into the cache (without its
// bitwarden-sdk-server dependency and without CRDs, which the environment
// applies itself), for tests that install the real chart.
func ESOChart() (string, error) {
	dir := filepath.Join(CacheDir(), "eso-chart-"+parseVersions()["ESO_VERSION"], "external-secrets")
	if _, err := os.Stat(filepath.Join(dir, "Chart.yaml")); err != nil {
		return "", fmt.Errorf("the External Secrets chart is not in the test environment cache (run `make testenv`): %w", err)
	}
	return dir, nil
}
