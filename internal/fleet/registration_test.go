package fleet

import (
	"strings"
	"testing"
)

// TestRegistrationValues: any layer may set the chart's registration keys;
// each is checked where it is written.
func TestRegistrationValues(t *testing.T) {
	fsys := smallFleet()
	fsys["fleet/inventory/environment/dev.yaml"] = file(`registration:
  argocdNamespace: gitops
  store:
    server: https://api.mgmt.example:6443
    caConfigMap: mgmt-ca
    caKey: ca.pem
  refreshInterval: 10m0s
`)
	f, errs := load(t, fsys, Options{})
	if errs != nil {
		t.Fatal(errs)
	}
	c := f.Cluster("one")
	if got := c.Effective.Get("registration", "store", "server"); got == nil || got.Leaf != "https://api.mgmt.example:6443" || got.Origin.File != "fleet/inventory/environment/dev.yaml" {
		t.Errorf("registration.store.server = %+v", got)
	}

	fsys["fleet/inventory/environment/dev.yaml"] = file(`registration:
  argocdNamespace: Argo_CD
  store:
    server: http://kubernetes.default.svc
    caConfigMap: "-ca"
    caKey: "ca/crt"
  refreshInterval: 1h
  labels:
    "bad key!": x
    team: "not ok"
    enable_top: "true"
`)
	fsys["fleet/clusters/one.yaml"] = file("name: one\nprofile: small\nenvironment: dev\nprovider: eks\noverrides:\n  registration:\n    refreshInterval: soon\n")
	_, errs = load(t, fsys, Options{})
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	want := []string{
		`fleet/clusters/one.yaml:7:22: overrides.registration.refreshInterval: "soon" is not a duration (expected a positive duration as Go writes it, e.g. 1h0m0s)`,
		`fleet/inventory/environment/dev.yaml:2:20: registration.argocdNamespace: "Argo_CD" is not a namespace name (expected a DNS-1123 label); did you mean "argo-cd"?`,
		`fleet/inventory/environment/dev.yaml:4:13: registration.store.server: "http://kubernetes.default.svc" is not an https URL (expected the API server's URL, e.g. https://kubernetes.default.svc)`,
		`fleet/inventory/environment/dev.yaml:5:18: registration.store.caConfigMap: "-ca" is not a ConfigMap name (expected a DNS-1123 subdomain)`,
		`fleet/inventory/environment/dev.yaml:6:12: registration.store.caKey: "ca/crt" is not a ConfigMap key (expected letters, digits, '-', '_' or '.')`,
		`fleet/inventory/environment/dev.yaml:7:20: registration.refreshInterval: "1h" is not written as Go writes durations (expected a duration such as 1h0m0s); write 1h0m0s`,
		`fleet/inventory/environment/dev.yaml:9:17: registration.labels.bad key!: "bad key!" is not a label key (expected a Kubernetes label key such as team or example.com/tier)`,
		`fleet/inventory/environment/dev.yaml:10:11: registration.labels.team: "not ok" is not a label value (expected at most 63 letters, digits, '-', '_' or '.')`,
		`fleet/inventory/environment/dev.yaml:11:17: registration.labels.enable_top: enable_top is set by the chart (expected a label of your own); the profile's addons switch enable_<addon>; the cluster file names the profile and layers`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors\n got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
