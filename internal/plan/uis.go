package plan

import (
	"fmt"
	"path/filepath"

	"github.com/fleetup/fleetup/internal/catalog"
	"github.com/fleetup/fleetup/internal/helm"
	"github.com/fleetup/fleetup/internal/routes"
)

// UIs are the platform's UIs as the hub will serve them: the Gateways and
// HTTPRoutes that the repository's own charts render for the hub (the
// addons' charts in Git and their route charts, with the values Argo CD
// gives them), read as `fleetup urls` reads them from the cluster.
type UIs struct {
	UIs []routes.UI `json:"uis"`
	// Problems are charts of the repository that do not render for the
	// hub: Argo CD would fail the same way.
	Problems []string `json:"problems"`
}

// hubUIs renders the hub's charts from the repository and reads their
// routes. A chart that does not render is a problem, not an error: the
// rest of the plan still stands.
func hubUIs(cat *catalog.Catalog, hub catalog.Cluster, clusterName string) UIs {
	out := UIs{UIs: []routes.UI{}, Problems: []string{}}
	var gateways, httpRoutes []map[string]any
	render := func(from, dir, release, ns string, valuesObject map[string]any) {
		vals, err := catalog.ResolveValues(from, valuesObject, hub)
		if err == nil {
			var ms []helm.Manifest
			ms, err = helm.Render(filepath.Join(cat.RepoRoot, dir), release, ns, vals)
			for _, m := range ms {
				switch {
				case m.APIVersion == "gateway.networking.k8s.io/v1" && m.Kind == "Gateway":
					gateways = append(gateways, m.Object)
				case m.APIVersion == "gateway.networking.k8s.io/v1" && m.Kind == "HTTPRoute":
					httpRoutes = append(httpRoutes, withNamespace(m.Object, ns))
				}
			}
		}
		if err != nil {
			out.Problems = append(out.Problems, fmt.Sprintf("%s (%s): %v", from, dir, err))
		}
	}
	for _, a := range cat.Installed() {
		if src := a.Source(); src.Kind == catalog.SourceGitChart {
			render(a.Name, src.Path, a.Release(), a.TargetNamespace(), a.ValuesObject)
		}
		for i, r := range a.ChartResources() {
			render(fmt.Sprintf("%s.additionalResources[%d]", a.Name, i), r.Path, r.Release(a.Name, clusterName), a.TargetNamespace(), r.ValuesObject)
		}
	}
	if uis := routes.UIs(routes.Gateways(gateways), httpRoutes); uis != nil {
		out.UIs = uis
	}
	return out
}

// withNamespace is obj in ns when its template leaves the namespace out, as
// Argo CD places it in the Application's destination namespace.
func withNamespace(obj map[string]any, ns string) map[string]any {
	md, _ := obj["metadata"].(map[string]any)
	if md == nil || md["namespace"] != nil {
		return obj
	}
	out := make(map[string]any, len(obj))
	for k, v := range obj {
		out[k] = v
	}
	m := make(map[string]any, len(md)+1)
	for k, v := range md {
		m[k] = v
	}
	m["namespace"] = ns
	out["metadata"] = m
	return out
}
