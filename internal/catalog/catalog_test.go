package catalog

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/decode"
)

const baseConfig = `repo:
  url: https://github.com/org/platform
cluster_name: hub
region: us-west-2
auto_mode: "true"
`

// tree writes files (path -> content) under a temp repository root and
// returns the root.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, content := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func load(t *testing.T, root, cfgYAML string) (*Catalog, error) {
	t.Helper()
	cfg, err := config.Parse("config.yaml", root, []byte(cfgYAML))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return Load(cfg)
}

func TestShippedCatalog(t *testing.T) {
	root, _ := filepath.Abs("../..")
	c, err := load(t, root, baseConfig)
	if err != nil {
		t.Fatalf("shipped catalog rejected:\n%v", err)
	}
	var names []string
	for _, a := range c.Installed() {
		names = append(names, a.Name)
	}
	// The repository has fleet/, so Cluster API is on.
	want := []string{"argocd", "external-secrets", "envoy-gateway", "cert-manager", "external-dns", "platform-gateway", "cluster-api-operator",
		"storage-class", "cloudnative-pg", "keycloak-operator", "keycloak", "backstage", "argo-workflows", "crossplane", "crossplane-aws"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("auto mode installs %v, want %v", names, want)
	}
	if a := c.Get("aws-load-balancer-controller"); a.Selected || !strings.Contains(a.Skip, "auto_mode in (false)") {
		t.Errorf("aws-load-balancer-controller in auto mode: selected=%v skip=%q", a.Selected, a.Skip)
	}
	if c.ByChart("argo-cd").Name != "argocd" || c.ByChart("gateway-helm").Name != "envoy-gateway" {
		t.Error("ByChart does not find argocd / envoy-gateway")
	}
	g, err := c.Graph()
	if err != nil {
		t.Fatal(err)
	}
	if deps := g.Deps("envoy-gateway"); len(deps) != 0 {
		t.Errorf("envoy-gateway in auto mode depends on %v", deps)
	}

	// Without Auto Mode the AWS load balancer controller comes first.
	c, err = load(t, root, strings.Replace(baseConfig, `auto_mode: "true"`, `auto_mode: "false"`, 1))
	if err != nil {
		t.Fatal(err)
	}
	g, _ = c.Graph()
	if !c.Get("aws-load-balancer-controller").Selected || !reflect.DeepEqual(g.Deps("envoy-gateway"), []string{"aws-load-balancer-controller"}) {
		t.Errorf("non-auto mode: envoy-gateway deps %v", g.Deps("envoy-gateway"))
	}
	for _, a := range c.Installed() {
		src := a.Source()
		if src.Kind != SourceGitChart && src.Version == "" {
			t.Errorf("%s is not pinned", a.Name)
		}
		if strings.Contains(src.URL, "ingress-nginx") || strings.Contains(src.URL, "bitnami") {
			t.Errorf("%s uses a retired source %s", a.Name, src.URL)
		}
	}
}

const okChart = "apiVersion: v2\nname: local\nversion: 0.1.0\n"

func catalogTree(t *testing.T, catalog string, extra map[string]string) string {
	files := map[string]string{"packages/addons/values.yaml": catalog, "packages/local/Chart.yaml": okChart, "packages/plain/cm.yaml": "kind: ConfigMap\n"}
	for k, v := range extra {
		files[k] = v
	}
	return tree(t, files)
}

func TestCatalogErrors(t *testing.T) {
	helm := func(name string, extra string) string {
		return name + ":\n  enabled: true\n  chartRepository: https://charts.example.com\n  defaultVersion: \"1.0.0\"\n" + extra
	}
	cases := []struct {
		name, catalog, config string
		extra                 map[string]string
		want                  []string
	}{
		{"unknown dependency", helm("a", "  dependsOn: [cert-manger]\n") + helm("cert-manager", ""), "", nil,
			[]string{"packages/addons/values.yaml:5:15: a.dependsOn[0]: unknown addon \"cert-manger\"", `did you mean "cert-manager"?`}},
		{"disabled dependency", helm("a", "  dependsOn: [b]\n") + "b:\n  enabled: false\n", "", nil,
			[]string{"a.dependsOn[0]: depends on b, which is disabled in the catalog", "enable b or disable a"}},
		{"disabled by config", helm("a", "  dependsOn: [b]\n") + helm("b", ""), "addons:\n  b:\n    enabled: false\n", nil,
			[]string{"depends on b, which is disabled by config.yaml's addons.b.enabled"}},
		{"cycle", helm("a", "  dependsOn: [b]\n") + helm("b", "  dependsOn: [c]\n") + helm("c", "  dependsOn: [a]\n"), "", nil,
			[]string{"dependency cycle: a -> b -> c -> a"}},
		{"self dependency", helm("a", "  dependsOn: [a]\n"), "", nil, []string{"a.dependsOn[0]: a depends on itself"}},
		{"no chart source", "a:\n  enabled: true\n  namespace: a\n", "", nil, []string{"packages/addons/values.yaml:1:1: a.chartRepository: the addon has no chart source"}},
		{"unpinned chart", "a:\n  enabled: true\n  chartRepository: https://charts.example.com\n", "", nil, []string{"a.defaultVersion: missing: chart versions are pinned"}},
		{"bad chart repository", "a:\n  enabled: true\n  chartRepository: ftp://x\n  defaultVersion: \"1\"\n", "", nil, []string{"a.chartRepository: \"ftp://x\" is not a chart repository URL"}},
		{"missing path", "a:\n  enabled: true\n  path: packages/lokal\n  type: chart\n", "", nil,
			[]string{"packages/addons/values.yaml:3:9: a.path: \"packages/lokal\" does not exist in the packages tree", `did you mean "packages/local"?`}},
		{"path escapes", "a:\n  enabled: true\n  path: ../../etc\n  type: manifest\n", "", nil, []string{"a.path: \"../../etc\" leaves the repository"}},
		{"path type missing", "a:\n  enabled: true\n  path: packages/plain\n", "", nil, []string{"a.type: missing, so packages/plain is rendered as a Helm chart (CNOE's rule), but it has no Chart.yaml", "set type: manifest"}},
		{"path type wrong", "a:\n  enabled: true\n  path: packages/plain\n  type: chart\n", "", nil, []string{"a.type: type is chart but packages/plain has no Chart.yaml"}},
		{"missing manifests", helm("a", "  additionalResources:\n    - path: true\n      manifestPath: manifests\n      type: manifests\n"), "", nil,
			[]string{"a.additionalResources[0].manifestPath:", "does not exist"}},
		{"missing resource chart", helm("a", "  additionalResources:\n    - path: packages/lokal\n      helm: {releaseName: route}\n"), "", nil,
			[]string{"a.additionalResources[0].path: \"packages/lokal\" does not exist", `did you mean "packages/local"?`}},
		{"resource chart without Chart.yaml", helm("a", "  additionalResources:\n    - path: packages/plain\n"), "", nil,
			[]string{"a.additionalResources[0].path: packages/plain has no Chart.yaml: Argo CD renders this source as a Helm chart"}},
		{"resource chart outside", helm("a", "  additionalResources:\n    - path: ../elsewhere\n"), "", nil,
			[]string{"a.additionalResources[0].path: \"../elsewhere\" is not a directory of the repository"}},
		{"unknown addon key", helm("a", "  dependOn: [b]\n"), "", nil, []string{"packages/addons/values.yaml:5:3: a.dependOn: unknown key", `did you mean "dependsOn"?`}},
		{"not an addon", "syncPolicies:\n  automated: {}\n" + helm("a", ""), "", nil,
			[]string{"packages/addons/values.yaml:1:1: syncPolicies: \"syncPolicies\" is neither a catalog setting nor an addon entry", `did you mean "syncPolicy"?`}},
		{"bad selector operator", helm("a", "  selector:\n    matchExpressions:\n      - key: auto_mode\n        operator: in\n        values: [\"true\"]\n"), "", nil,
			[]string{"a.selector.matchExpressions[0].operator: \"in\" is not allowed", `did you mean "In"?`}},
		{"unknown override", helm("cert-manager", ""), "addons:\n  cert-manger:\n    enabled: false\n", nil,
			[]string{"config.yaml:7:3: addons.cert-manger: no addon \"cert-manger\" in the catalog", `did you mean "cert-manager"?`}},
		{"ack pod identity", helm("a", "  enableAckPodIdentity: true\n"), "", nil, []string{"a.enableAckPodIdentity: ACK pod identity is not supported"}},
		{"bad namespace", helm("a", "  namespace: Kube_System\n"), "", nil, []string{"a.namespace: \"Kube_System\" is not a namespace name"}},
		{"git source unpinned", "a:\n  enabled: true\n  gitRepository: https://github.com/org/op\n  path: deploy\n  type: manifests\n", "", nil,
			[]string{"packages/addons/values.yaml:1:1: a.defaultVersion: missing: a Git source is pinned to a tag or a commit"}},
		{"git source on a branch", "a:\n  enabled: true\n  gitRepository: https://github.com/org/op\n  defaultVersion: main\n  type: manifests\n", "", nil,
			[]string{"a.defaultVersion: \"main\" is a branch that moves, not a pin", "catalog outdated"}},
		{"git source not a URL", "a:\n  enabled: true\n  gitRepository: github.com/org/op\n  defaultVersion: v1.0.0\n", "", nil,
			[]string{"a.gitRepository: \"github.com/org/op\" is not a Git repository URL"}},
		{"git source and chart", helm("a", "  gitRepository: https://github.com/org/op\n"), "", nil,
			[]string{"a.gitRepository: set together with chartRepository: an addon has one source"}},
		{"git source path escapes", "a:\n  enabled: true\n  gitRepository: https://github.com/org/op\n  defaultVersion: v1.0.0\n  path: ../x\n", "", nil,
			[]string{"a.path: \"../x\" leaves the repository"}},
		{"kustomize without kustomization", "a:\n  enabled: true\n  path: packages/plain\n  type: kustomize\n", "", nil,
			[]string{"a.type: type is kustomize but packages/plain has no kustomization.yaml"}},
		{"empty catalog", "", "", nil, []string{"packages/addons/values.yaml:1:1: file is empty"}},
		{"list catalog", "- a\n", "", nil, []string{"the catalog is not a mapping"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := catalogTree(t, c.catalog, c.extra)
			_, err := load(t, root, baseConfig+c.config)
			if err == nil {
				t.Fatal("accepted")
			}
			var es decode.Errors
			var e *decode.Error
			if !errors.As(err, &es) && !errors.As(err, &e) {
				t.Fatalf("error %T is not positioned: %v", err, err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n  %v\ndoes not contain %q", strings.ReplaceAll(err.Error(), "\n", "\n  "), w)
				}
			}
		})
	}
}

// TestCNOEDefaults: a catalog written for CNOE's appset chart sets no
// value files and no type on a chart path; CNOE's chart defaults apply.
func TestCNOEDefaults(t *testing.T) {
	root := catalogTree(t, "a:\n  enabled: true\n  path: packages/local\n", nil)
	c, err := load(t, root, baseConfig)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Get("a").Source().Kind; got != SourceGitChart {
		t.Errorf("a path without type is %s, want a chart", got)
	}
	if strings.Join(c.Globals.ValueFiles, ",") != "values.yaml" {
		t.Errorf("value files %v, want CNOE's default [values.yaml]", c.Globals.ValueFiles)
	}
	root = catalogTree(t, "valueFiles: []\na:\n  enabled: true\n  path: packages/local\n", nil)
	if c, err = load(t, root, baseConfig); err != nil || len(c.Globals.ValueFiles) != 0 {
		t.Errorf("an explicit empty list is kept: %v %v", c.Globals.ValueFiles, err)
	}
}

func TestMissingCatalogPointsAtBasepath(t *testing.T) {
	root := tree(t, map[string]string{"other/x": ""})
	_, err := load(t, root, baseConfig)
	if err == nil || !strings.Contains(err.Error(), "repo.basepath: no catalog at") {
		t.Fatalf("err = %v", err)
	}
}

func TestOverridesApply(t *testing.T) {
	cat := "a:\n  enabled: true\n  chartRepository: https://c.example.com\n  defaultVersion: \"1.0.0\"\n  valuesObject:\n    keep: 1\n    nested: {x: 1, y: 2}\nb:\n  enabled: false\n  chartRepository: https://c.example.com\n  defaultVersion: \"2\"\n"
	root := catalogTree(t, cat, nil)
	c, err := load(t, root, baseConfig+"addons:\n  a:\n    version: \"1.1.0\"\n    health_timeout: 3m\n    values:\n      nested: {y: 3, z: 4}\n  b:\n    enabled: true\n")
	if err != nil {
		t.Fatal(err)
	}
	a := c.Get("a")
	if a.DefaultVersion != "1.1.0" || a.HealthTimeout.String() != "3m" || !a.Overridden("version") {
		t.Errorf("typed override: %+v", a)
	}
	want := map[string]any{"keep": int64(1), "nested": map[string]any{"x": int64(1), "y": int64(3), "z": int64(4)}}
	if !reflect.DeepEqual(a.ValuesObject, want) {
		t.Errorf("values = %v, want %v", a.ValuesObject, want)
	}
	entry := c.Values["a"].(map[string]any)
	if entry["defaultVersion"] != "1.1.0" || !reflect.DeepEqual(entry["valuesObject"], want) {
		t.Errorf("chart values not overridden: %v", entry)
	}
	if !c.Get("b").Selected || c.Values["b"].(map[string]any)["enabled"] != true {
		t.Error("b not enabled by override")
	}
}

func TestSourceKinds(t *testing.T) {
	cases := []struct {
		a    Addon
		want Source
	}{
		{Addon{Name: "x", ChartRepository: "https://charts.example.com", DefaultVersion: "1"}, Source{Kind: SourceHelmRepo, URL: "https://charts.example.com", Chart: "x", Version: "1"}},
		{Addon{Name: "x", ChartName: "gateway-helm", ChartRepository: "oci://docker.io/envoyproxy", DefaultVersion: "1"}, Source{Kind: SourceOCI, URL: "oci://docker.io/envoyproxy", Chart: "gateway-helm", Version: "1"}},
		{Addon{Name: "x", ChartName: "iam-chart", ChartRepository: "public.ecr.aws", ChartNamespace: "aws-controllers-k8s", DefaultVersion: "1"}, Source{Kind: SourceOCI, URL: "oci://public.ecr.aws/aws-controllers-k8s", Chart: "iam-chart", Version: "1"}},
		{Addon{Name: "x", Path: "packages/x", Type: "chart"}, Source{Kind: SourceGitChart, Path: "packages/x"}},
		{Addon{Name: "x", Path: "packages/x", Type: "manifest"}, Source{Kind: SourceManifests, Path: "packages/x"}},
		{Addon{Name: "x", Path: "packages/x", Type: "kustomize"}, Source{Kind: SourceManifests, Path: "packages/x"}},
		{Addon{Name: "x", GitRepository: "https://github.com/org/op", Path: "deploy", DefaultVersion: "v1.2.3", Type: "manifests"}, Source{Kind: SourceGit, URL: "https://github.com/org/op", Path: "deploy", Version: "v1.2.3"}},
	}
	for _, c := range cases {
		if got := c.a.Source(); got != c.want {
			t.Errorf("%+v: got %+v, want %+v", c.a, got, c.want)
		}
	}
	if got := EnableLabel("aws-load-balancer-controller"); got != "enable_aws_load_balancer_controller" {
		t.Errorf("EnableLabel = %s", got)
	}
}

func TestResolveValuesLikeArgoCD(t *testing.T) {
	cl := Cluster{Name: "hub", Server: "https://kubernetes.default.svc", Labels: map[string]string{"path_routing": "false"}, Annotations: map[string]string{"domain": "example.com"}}
	in := map[string]any{
		"host": `{{ if eq .metadata.labels.path_routing "true" }}{{ .metadata.annotations.domain }}{{ else }}argocd.{{ .metadata.annotations.domain }}{{ end }}`,
		"list": []any{"{{ .name }}", int64(3)},
		"up":   "{{ upper .name }}",
	}
	out, err := ResolveValues("argocd", in, cl)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"host": "argocd.example.com", "list": []any{"hub", int64(3)}, "up": "HUB"}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("got %v, want %v", out, want)
	}
	_, err = ResolveValues("argocd", map[string]any{"x": "{{ .metadata.annotations.missing }}"}, cl)
	if err == nil || !strings.Contains(err.Error(), "argocd.valuesObject.x") {
		t.Errorf("missing key: %v", err)
	}
	if _, err := ResolveValues("a", map[string]any{"x": `{{ env "HOME" }}`}, cl); err == nil {
		t.Error("env is available to templates")
	}
}
