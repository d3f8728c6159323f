package fleet

import (
	"fmt"
	"path"
	"strings"

	"github.com/fleetup/fleetup/internal/argocd"
)

// Wiring says where the fleet's ApplicationSet finds the platform
// repository and where it lives in the hub's Argo CD.
type Wiring struct {
	// Name and Namespace of the ApplicationSet.
	Name, Namespace string
	// RepoURL and Revision of the platform repository; Basepath is the
	// packages tree inside it (config.yaml's repo section).
	RepoURL, Revision, Basepath string
}

// Labels of the fleet's Applications; the Argo CD cluster secret of a
// workload cluster carries ClusterLabel too (packages/fleet-cluster).
const (
	ClusterLabel = "fleetup.dev/cluster"
	FleetLabel   = "fleetup.dev/fleet"
	// AppPrefix names a cluster's Application: fleet-<cluster>.
	AppPrefix = "fleet-"
)

// AppName is the Argo CD Application that renders cluster.
func AppName(cluster string) string { return AppPrefix + cluster }

// Platform is the `platform` value the wiring gives every cluster's chart:
// the repository the catalog comes from, for the cluster secret's
// annotations (addons_repo_*), as the hub's.
func (w Wiring) Platform() map[string]any {
	return map[string]any{"repoURL": w.RepoURL, "revision": w.Revision, "basepath": w.Basepath}
}

// ApplicationSet is the fleet's wiring: a Git files generator over
// <fleet>/clusters/*.yaml makes one Application per cluster, rendering the
// fleet's chart from Git with the cluster's profile and layer files as
// value files, in the loader's order, and the cluster level (its identity
// under `cluster`, its overrides) as valuesObject: what Argo CD renders is
// what Load merges. The cluster file's keys are the generator's
// parameters; a missing layer file is skipped as the loader reports it.
//
// The generated Applications carry Argo CD's resources finalizer, so a
// cluster file removed from Git takes the cluster's objects and its
// registration with it; uninstall strips it first so that removing the
// platform leaves the clusters. It is the background one: with the
// default (foreground), deleting the Cluster makes the garbage collector
// delete everything it owns at once, its kubeconfig and infrastructure
// included, and Cluster API can no longer take the cluster down in order.
func (f *Fleet) ApplicationSet(w Wiring) map[string]any {
	files := []any{"$values/" + path.Join(f.Dir, "profiles", "{{ .profile }}.yaml")}
	for _, l := range f.Settings.Layers {
		files = append(files, "$values/"+path.Join(f.Dir, "inventory", l, fmt.Sprintf("{{ index . %q }}.yaml", l)))
	}
	source := map[string]any{
		"repoURL": w.RepoURL, "targetRevision": w.Revision, "path": f.Settings.Chart,
		"helm": map[string]any{
			"ignoreMissingValueFiles": true,
			"valueFiles":              files,
		},
	}
	return map[string]any{
		"apiVersion": "argoproj.io/v1alpha1",
		"kind":       "ApplicationSet",
		"metadata":   map[string]any{"name": w.Name, "namespace": w.Namespace},
		"spec": map[string]any{
			"goTemplate":        true,
			"goTemplateOptions": []any{"missingkey=error"},
			"generators": []any{map[string]any{"git": map[string]any{
				"repoURL": w.RepoURL, "revision": w.Revision,
				"files": []any{map[string]any{"path": path.Join(f.Dir, "clusters", "*.yaml")}},
			}}},
			"template": map[string]any{
				"metadata": map[string]any{
					"finalizers": []any{argocd.BackgroundResourcesFinalizer},
					"name":       AppPrefix + "{{ .name }}",
					"labels":     map[string]any{ClusterLabel: "{{ .name }}", FleetLabel: "true", "app.kubernetes.io/managed-by": "fleetup"},
				},
				"spec": map[string]any{
					"project":     "default",
					"destination": map[string]any{"server": "https://kubernetes.default.svc", "namespace": "{{ .name }}"},
					"sources":     []any{source, map[string]any{"repoURL": w.RepoURL, "targetRevision": w.Revision, "ref": "values"}},
					"syncPolicy": map[string]any{
						"automated":   map[string]any{"prune": true, "selfHeal": true},
						"syncOptions": []any{"CreateNamespace=true", "ServerSideApply=true"},
						// Cluster API's CRDs may come with the catalog
						// after the fleet: retry until they are there. A
						// retry takes the latest revision (Argo CD 3.2's
						// refresh), so a fix committed or rolled out after
						// a refused change is not blocked by the retries
						// of the refused one.
						"retry": map[string]any{"limit": int64(-1), "refresh": true, "backoff": map[string]any{"duration": "5s", "factor": int64(2), "maxDuration": "3m"}},
					},
				},
			},
			// The cluster level goes in as an object, which a template
			// string cannot express: a patch, applied after the template.
			"templatePatch": f.valuesPatch(w, source),
		},
	}
}

// valuesPatch is the templatePatch giving the chart source its
// valuesObject: `platform`, the cluster's identity and its overrides. The
// patch repeats the whole sources list: a patch replaces lists.
func (f *Fleet) valuesPatch(w Wiring, source map[string]any) string {
	var b strings.Builder
	pf := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	pf("spec:\n  sources:\n")
	// A cluster pinned by `fleet rollout` renders its chart and value
	// files at its commit; the others follow the branch.
	rev := fmt.Sprintf(`{{ if hasKey . "revision" }}{{ .revision | toJson }}{{ else }}%q{{ end }}`, w.Revision)
	pf("    - repoURL: %q\n      targetRevision: %s\n      path: %q\n", w.RepoURL, rev, source["path"])
	pf("      helm:\n        ignoreMissingValueFiles: true\n        valueFiles:\n")
	for _, v := range source["helm"].(map[string]any)["valueFiles"].([]any) {
		pf("          - %s\n", v)
	}
	pf("        valuesObject:\n")
	pf("          platform: {repoURL: %q, revision: %q, basepath: %q}\n", w.RepoURL, w.Revision, w.Basepath)
	pf("          cluster:\n")
	pf("            name: {{ .name | toJson }}\n")
	pf("            profile: {{ .profile | toJson }}\n")
	pf("            {{- if hasKey . \"wave\" }}\n            wave: {{ .wave | toJson }}\n            {{- end }}\n")
	pf("            {{- if hasKey . \"decommission\" }}\n            decommission: {{ .decommission | toJson }}\n            {{- end }}\n")
	if len(f.Settings.Layers) > 0 {
		pf("            layers:\n")
		for _, l := range f.Settings.Layers {
			pf("              %s: {{ index . %q | toJson }}\n", l, l)
		}
	}
	// JSON is YAML: each override key with its value on one line, nulls
	// kept (Helm deletes the key they name).
	pf("          {{- if hasKey . \"overrides\" }}{{- with .overrides }}{{- range $k, $v := . }}\n")
	pf("          {{ $k | toJson }}: {{ $v | toJson }}\n")
	pf("          {{- end }}{{- end }}{{- end }}\n")
	pf("    - repoURL: %q\n      targetRevision: %s\n      ref: values\n", w.RepoURL, rev)
	return b.String()
}
