package plan

import (
	"encoding/base64"
	"fmt"

	"github.com/fleetup/fleetup/internal/helm"
)

// LabelSecretType is the label Argo CD finds its cluster secrets by.
const LabelSecretType = "argocd.argoproj.io/secret-type"

// HubSecret is the Argo CD cluster secret of the hub: the one the
// ApplicationSets' cluster generator reads and the addons step puts the
// enable_<addon> switches on.
type HubSecret struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	// MadeBy is "fleetup", or the bootstrap manifest whose object makes it.
	MadeBy string `json:"madeBy"`
	// Warnings are what may keep the switches from holding.
	Warnings []string `json:"warnings"`
}

// Fleetup reports whether fleetup makes the hub secret itself.
func (h HubSecret) Fleetup() bool { return h.MadeBy == "fleetup" }

// forkHubSecret finds a hub cluster secret among the bootstrap manifests:
// an ExternalSecret whose target template carries the cluster secret-type
// label, or such a plain Secret. A second one from fleetup would give
// Argo CD two clusters with one server, and every addon twice.
func forkHubSecret(bootstrap []helm.Manifest) (HubSecret, bool) {
	for _, m := range bootstrap {
		md, _ := m.Object["metadata"].(map[string]any)
		switch {
		case m.Kind == "Secret" && m.APIVersion == "v1":
			if str(dig(md, "labels", LabelSecretType)) != "cluster" || !inCluster(m.Object, "stringData") || !inCluster(decoded(m.Object), "data") {
				continue
			}
			return HubSecret{Name: m.Name, Namespace: m.Namespace, MadeBy: m.Source, Warnings: []string{}}, true
		case m.Kind == "ExternalSecret":
			target, _ := dig(m.Object, "spec", "target").(map[string]any)
			tpl, _ := target["template"].(map[string]any)
			if str(dig(tpl, "metadata", "labels", LabelSecretType)) != "cluster" || !inCluster(tpl, "data") {
				continue
			}
			// ESO names the target after the ExternalSecret when unset.
			name := str(target["name"])
			if name == "" {
				name = m.Name
			}
			h := HubSecret{Name: name, Namespace: m.Namespace, MadeBy: fmt.Sprintf("ExternalSecret %s/%s (%s)", m.Namespace, m.Name, m.Source), Warnings: []string{}}
			// With the default mergePolicy Replace, ESO rewrites the
			// Secret's labels from the template on every reconcile,
			// dropping labels others set on it.
			if mp := str(tpl["mergePolicy"]); mp != "Merge" {
				h.Warnings = append(h.Warnings, fmt.Sprintf("%s: spec.target.template.mergePolicy is %q, not Merge: External Secrets replaces the labels of Secret %s on each refresh, so enable_<addon> switches set by fleetup may be removed; set mergePolicy: Merge", m.Source, orDefault(mp, "Replace (default)"), name))
			}
			return h, true
		}
	}
	return HubSecret{}, false
}

// inCluster reports whether a cluster secret's data (under any of the
// given keys) points at the hub, or does not say (templated).
func inCluster(obj map[string]any, keys ...string) bool {
	for _, k := range keys {
		if s := str(dig(obj, k, "server")); s != "" {
			return s == InClusterServer
		}
	}
	return true
}

// decoded is a Secret with its data values base64-decoded, for inCluster.
func decoded(obj map[string]any) map[string]any {
	out := map[string]any{}
	data, _ := obj["data"].(map[string]any)
	for k, v := range data {
		if b, err := base64.StdEncoding.DecodeString(str(v)); err == nil {
			out[k] = string(b)
		}
	}
	return map[string]any{"data": out}
}

func dig(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[p]
	}
	return v
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
