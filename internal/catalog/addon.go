package catalog

import (
	"cmp"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// Chart is the chart name: chartName, or the entry's key.
func (a *Addon) Chart() string {
	if a.ChartName != "" {
		return a.ChartName
	}
	return a.Name
}

// Release is the Helm release name: releaseName, or the chart name.
func (a *Addon) Release() string {
	if a.ReleaseName != "" {
		return a.ReleaseName
	}
	return a.Chart()
}

// TargetNamespace is where the addon is installed (its key when unset).
func (a *Addon) TargetNamespace() string {
	if a.Namespace != "" {
		return a.Namespace
	}
	return a.Name
}

// LabelName is the addon's name as used in cluster secret labels:
// enable_<addon> with '-' turned into '_' (the gitops-bridge convention).
func (a *Addon) LabelName() string { return EnableLabel(a.Name) }

// EnableLabel is the cluster secret label that switches an addon on.
func EnableLabel(addon string) string {
	return "enable_" + strings.ReplaceAll(addon, "-", "_")
}

// Timeout is the addon's health timeout, or def when it sets none.
func (a *Addon) Timeout(def time.Duration) time.Duration {
	if a.HealthTimeout > 0 {
		return a.HealthTimeout.D()
	}
	return def
}

// IsManifest reports whether a path addon is plain manifests.
func (a *Addon) IsManifest() bool { return strings.HasPrefix(a.Type, "manifest") }

// IsHelm reports whether Argo CD renders the addon with Helm: a chart
// repository always; a directory unless its type says manifests or
// kustomize (CNOE's rule: a path is a chart by default).
func (a *Addon) IsHelm() bool {
	if a.Path == "" && a.GitRepository == "" {
		return true
	}
	return !a.IsManifest() && a.Type != "kustomize"
}

// Source classifies where the addon comes from.
func (a *Addon) Source() Source {
	if a.GitRepository != "" {
		return Source{Kind: SourceGit, URL: a.GitRepository, Path: a.Path, Version: a.DefaultVersion}
	}
	if a.Path != "" {
		// CNOE's rule: a path is a chart unless type says manifest(s).
		kind := SourceGitChart
		if !a.IsHelm() {
			kind = SourceManifests
		}
		return Source{Kind: kind, Path: a.Path}
	}
	repo := a.ChartRepository
	kind := SourceHelmRepo
	switch {
	case strings.HasPrefix(repo, "oci://"):
		kind = SourceOCI
	case !strings.HasPrefix(repo, "https://") && !strings.HasPrefix(repo, "http://"):
		// CNOE writes OCI registries as bare hosts (public.ecr.aws) with chartNamespace.
		kind = SourceOCI
		repo = "oci://" + strings.TrimSuffix(repo, "/")
		if a.ChartNamespace != "" {
			repo += "/" + a.ChartNamespace
		}
	}
	return Source{Kind: kind, URL: repo, Chart: a.Chart(), Version: a.DefaultVersion}
}

// ManifestDirs lists the packages-tree directories of the addon's
// additionalResources of type manifests (CNOE: packages/<chartName>/manifests).
func (a *Addon) ManifestDirs() []string {
	var out []string
	for _, r := range a.AdditionalResources {
		if r.Type == "manifests" && r.ManifestPath != "" {
			out = append(out, filepath.Join(a.Chart(), r.ManifestPath))
		}
	}
	return out
}

// ChartResource is an additional source of CNOE's other kind: a chart
// directory of the repository with Helm settings of its own.
type ChartResource struct {
	// Path is the chart directory, relative to the repository root.
	Path string
	// ReleaseSuffix is helm.releaseName: the release is
	// <cluster>-<ReleaseSuffix>; empty, Argo CD names it after the
	// Application.
	ReleaseSuffix string
	// ValuesObject is helm.valuesObject, still holding the cluster
	// generator's templates.
	ValuesObject map[string]any
}

// Release is the resource's Helm release on cluster, as Argo CD names it:
// <cluster>-<helm.releaseName>, or the Application's name (<addon>-<cluster>)
// without one.
func (r ChartResource) Release(addon, cluster string) string {
	if r.ReleaseSuffix == "" {
		return addon + "-" + cluster
	}
	return cluster + "-" + r.ReleaseSuffix
}

// ChartResources lists the addon's additional chart sources.
func (a *Addon) ChartResources() []ChartResource {
	var out []ChartResource
	for _, r := range a.AdditionalResources {
		p, ok := r.Path.(string)
		if !ok || p == "" || r.Type == "manifests" {
			continue
		}
		cr := ChartResource{Path: p}
		cr.ReleaseSuffix, _ = r.Helm["releaseName"].(string)
		cr.ValuesObject, _ = r.Helm["valuesObject"].(map[string]any)
		out = append(out, cr)
	}
	return out
}

// Loopback reports whether the chart repository is on this machine
// (127.0.0.1, localhost, [::1]): such registries speak plain HTTP, for
// fleetup's Helm client and for Argo CD alike.
func (s Source) Loopback() bool {
	host := s.URL
	if i := strings.Index(host, "://"); i >= 0 {
		host = host[i+3:]
	}
	for _, h := range []string{"127.0.0.1", "localhost", "[::1]"} {
		if strings.HasPrefix(host, h) {
			return true
		}
	}
	return false
}

// String is a one-line description: "helm-repository argo-cd 9.5.11" or
// "git-chart packages/platform-gateway".
func (s Source) String() string {
	if s.Kind == SourceGit {
		return fmt.Sprintf("git %s %s@%s", s.URL, cmp.Or(s.Path, "."), s.Version)
	}
	if s.Path != "" {
		return string(s.Kind) + " " + s.Path
	}
	return string(s.Kind) + " " + s.Chart + " " + s.Version
}

// argoCDAdmin is Argo CD's initial admin password, which its server
// writes on first start (and an admin may delete once changed).
func argoCDAdmin() Credential {
	return Credential{Name: "admin", Username: "admin", Secret: "argocd-initial-admin-secret", PasswordKey: "password"}
}

// InitialCredentials are the addon's credentials entries; Argo CD's
// initial admin password when the argo-cd chart declares none (a CNOE
// catalog knows no such key).
func (a *Addon) InitialCredentials() []Credential {
	if len(a.Credentials) == 0 && a.Chart() == "argo-cd" {
		return []Credential{argoCDAdmin()}
	}
	return a.Credentials
}

// SecretNamespace is where the credential's Secret is.
func (c Credential) SecretNamespace(a *Addon) string {
	if c.Namespace != "" {
		return c.Namespace
	}
	return a.TargetNamespace()
}
