package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/gitrepo/gitrepotest"
	"github.com/fleetup/fleetup/test/chartrepo"
	"github.com/fleetup/fleetup/test/envtest"
	"github.com/fleetup/fleetup/test/ociregistry"
	"gopkg.in/yaml.v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// stubCRDs are the CRDs each stub chart brings where the shipped catalog
// uses its kinds, and how: "crds" (the chart's crds/, as Envoy Gateway's),
// or the value that switches the chart's CRD templates on, which the
// catalog must set (cert-manager's crds.enabled, CloudNativePG's
// crds.create). Real CRDs where a Go module ships them (Gateway API,
// CloudNativePG, Crossplane), stubs of the same group, version and kind
// otherwise.
type stubCRDSet struct {
	when string
	real []envtest.CRDSource
	stub []string
}

func shippedStubCRDs() map[string]stubCRDSet {
	return map[string]stubCRDSet{
		"gateway-helm":   {when: "crds", real: envtest.GatewayAPICRDs()},
		"cloudnative-pg": {when: "crds.create", real: envtest.PlatformCRDs()[:1]},
		// Crossplane makes its CRDs itself when it starts, before it is
		// healthy: what crds/ does here.
		"crossplane": {when: "crds", real: envtest.PlatformCRDs()[1:]},
		"cert-manager": {when: "crds.enabled", stub: []string{
			stubCRD("cert-manager.io", "v1", "Certificate", "certificates", "Namespaced"),
			stubCRD("cert-manager.io", "v1", "Issuer", "issuers", "Namespaced"),
			stubCRD("cert-manager.io", "v1", "ClusterIssuer", "clusterissuers", "Cluster"),
		}},
	}
}

// stubChart writes a chart named name at version: one Deployment named
// after the release, and the CRDs of set.
func stubChart(ctx context.Context, t *testing.T, dir, name, version string, set stubCRDSet) {
	t.Helper()
	files := map[string]string{
		"Chart.yaml":                fmt.Sprintf("apiVersion: v2\nname: %s\nversion: %s\n", name, version),
		"templates/deployment.yaml": deploymentYAML("{{ .Release.Name }}", "example.invalid/{{ .Chart.Name }}:{{ .Chart.Version }}"),
	}
	var crds []string
	if len(set.real) > 0 {
		objs, err := envtest.LoadCRDs(ctx, set.real...)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			b, err := sigsyaml.Marshal(o.Object)
			if err != nil {
				t.Fatal(err)
			}
			crds = append(crds, string(b))
		}
	}
	crds = append(crds, set.stub...)
	for i, c := range crds {
		if set.when == "crds" {
			files[fmt.Sprintf("crds/crd-%03d.yaml", i)] = c
			continue
		}
		// Templates switched on by the chart's value, the CRD text read
		// with .Files.Get so that none of it is parsed as a template.
		file := fmt.Sprintf("crd-files/crd-%03d.yaml", i)
		files[file] = c
		files[fmt.Sprintf("templates/crd-%03d.yaml", i)] = fmt.Sprintf("{{- if .Values.%s }}\n{{ .Files.Get %q }}\n{{- end }}\n", set.when, file)
	}
	if set.when != "" && set.when != "crds" {
		// The chart's default, as upstream: off unless the catalog says.
		key, leaf, _ := strings.Cut(set.when, ".")
		files["values.yaml"] = fmt.Sprintf("%s:\n  %s: false\n", key, leaf)
	}
	for p, c := range files {
		writeFile(t, filepath.Join(dir, p), c)
	}
}

// deploymentYAML is a one-replica Deployment of one container.
func deploymentYAML(name, image string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
spec:
  replicas: 1
  selector:
    matchLabels: {app: %[1]s}
  template:
    metadata:
      labels: {app: %[1]s}
    spec:
      containers:
        - name: main
          image: %[2]s
`, name, image)
}

// keycloakOperatorRepo is the Keycloak Operator's own Git repository as
// the catalog reads it: kubernetes/ at the tag, a kustomization of its
// CRDs and its Deployment.
func keycloakOperatorRepo(t *testing.T, tag string) string {
	t.Helper()
	dir := t.TempDir()
	gitrepotest.Init(t, dir)
	gitrepotest.Write(t, dir, "kubernetes/kustomization.yaml", "resources:\n  - keycloaks.yaml\n  - keycloakrealmimports.yaml\n  - operator.yaml\n")
	gitrepotest.Write(t, dir, "kubernetes/keycloaks.yaml", stubCRD("k8s.keycloak.org", "v2beta1", "Keycloak", "keycloaks", "Namespaced"))
	gitrepotest.Write(t, dir, "kubernetes/keycloakrealmimports.yaml", stubCRD("k8s.keycloak.org", "v2beta1", "KeycloakRealmImport", "keycloakrealmimports", "Namespaced"))
	gitrepotest.Write(t, dir, "kubernetes/operator.yaml", deploymentYAML("keycloak-operator", "example.invalid/keycloak-operator:"+tag))
	gitrepotest.CommitAll(t, dir, "keycloak-operator "+tag)
	gitrepotest.Tag(t, dir, tag)
	return dir
}

// newShipped is a flow of the shipped packages/ tree as it is, but for
// what this environment needs: every chart served by the loopback chart
// repository or OCI registry as a stub of the same name and version (the
// real external-secrets chart at the environment's version, with its
// webhooks and CRDs left to the environment), the Keycloak Operator from a
// local Git repository at the pinned tag, the ApplicationSets limited to
// this flow's hub (globalSelectors, appsetPrefix: other flows' hubs are
// the same API server), and Keycloak's secret store pointed at this API
// server (External Secrets runs outside the cluster).
func newShipped(t *testing.T) *platform {
	t.Helper()
	ctx := context.Background()
	ns := env.Namespace(t)
	p := &platform{Cluster: "c" + ns[len(ns)-6:], NS: ns}
	root, _ := filepath.Abs("../..")
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "packages"), os.DirFS(filepath.Join(root, "packages"))); err != nil {
		t.Fatal(err)
	}
	catalogFile := filepath.Join(dir, "packages", "addons", "values.yaml")
	raw, err := os.ReadFile(catalogFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	top := doc.Content[0]

	eso, esoVersion := esoChart(t)
	p.Charts = chartrepo.Start(t, eso)
	p.OCI = ociregistry.Start(t)
	charts := t.TempDir()
	crdSets := shippedStubCRDs()
	for i := 0; i+1 < len(top.Content); i += 2 {
		name, entry := top.Content[i].Value, top.Content[i+1]
		if entry.Kind != yaml.MappingNode || mapValue(entry, "enabled") == nil {
			continue
		}
		if git := mapValue(entry, "gitRepository"); git != nil && name == "keycloak-operator" {
			git.Value = "file://" + keycloakOperatorRepo(t, mapValue(entry, "defaultVersion").Value)
		}
		repo := mapValue(entry, "chartRepository")
		if repo == nil {
			continue
		}
		chart, version := name, mapValue(entry, "defaultVersion").Value
		if c := mapValue(entry, "chartName"); c != nil {
			chart = c.Value
		}
		if name == "external-secrets" {
			mapValue(entry, "defaultVersion").Value = esoVersion
			repo.Value = p.Charts.URL
			continue
		}
		cdir := filepath.Join(charts, chart+"-"+version)
		stubChart(ctx, t, cdir, chart, version, crdSets[chart])
		if path, ok := strings.CutPrefix(repo.Value, "oci://"); ok {
			_, ociRepo, _ := strings.Cut(path, "/")
			p.OCI.AddChart(t, ociRepo, cdir)
			repo.Value = "oci://" + p.OCI.Host + "/" + ociRepo
			continue
		}
		p.Charts.Add(t, cdir)
		repo.Value = p.Charts.URL
	}
	keycloak := mapValue(top, "keycloak")
	setPath(keycloak, []string{"valuesObject", "secretStore", "server"}, env.Server)
	top.Content = append([]*yaml.Node{
		scalar("globalSelectors"), {Kind: yaml.MappingNode, Content: []*yaml.Node{scalar("clusterName"), scalar(p.Cluster)}},
		scalar("appsetPrefix"), scalar(p.Cluster + "-"),
	}, top.Content...)
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, catalogFile, string(out))
	// The environment applies ESO's CRDs itself and kwok's pods cannot
	// answer webhooks (as the other flows' external-secrets).
	writeFile(t, filepath.Join(dir, "packages", "external-secrets", "values.yaml"),
		"installCRDs: false\ncrds:\n  conversion:\n    enabled: false\nwebhook:\n  create: false\ncertController:\n  create: false\n")

	cfg := fmt.Sprintf(`repo:
  url: file://%[1]s
  revision: main
  basepath: packages
cluster_name: %[2]s
auto_mode: "true"
domain: %[2]s.e2e.example.test
route53_hosted_zone_id: Z0123456789ABCDEFGHIJ
path_routing: "true"
target: kubeconfig
strategy: gated
secrets:
  backend: kubernetes
  prefix: %[2]s
  namespace: %[3]s-secrets
  store_name: %[2]s-store
  kubernetes_api_url: %[4]s
timeouts:
  install: 15m
  addon: 5m
  helm: 2m
  degraded_grace: 10s
`, dir, p.Cluster, ns, env.Server)
	p.RepoDir = dir
	p.Config = filepath.Join(dir, "config.yaml")
	writeFile(t, p.Config, cfg)
	envtest.GitInit(t, dir)
	return p
}

func scalar(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: v} }

// mapValue is the value of key in mapping m, or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// setPath sets the scalar at path under m, making the mappings on the way.
func setPath(m *yaml.Node, path []string, value string) {
	for i, key := range path {
		next := mapValue(m, key)
		if next == nil {
			next = &yaml.Node{Kind: yaml.MappingNode}
			if i == len(path)-1 {
				next = scalar("")
			}
			m.Content = append(m.Content, scalar(key), next)
		}
		if i == len(path)-1 {
			*next = *scalar(value)
			return
		}
		m = next
	}
}
