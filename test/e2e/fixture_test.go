package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/fleetup/fleetup/internal/catalog"
	"github.com/fleetup/fleetup/internal/cli"
	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/gitrepo/gitrepotest"
	"github.com/fleetup/fleetup/internal/plan"
	"github.com/fleetup/fleetup/internal/redact"
	"github.com/fleetup/fleetup/test/chartrepo"
	"github.com/fleetup/fleetup/test/envtest"
	"github.com/fleetup/fleetup/test/ociregistry"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
)

// platform is one flow's packages repository, chart repository and config.
type platform struct {
	Cluster string // cluster_name, unique per flow
	NS      string // namespace prefix of the flow's addons
	RepoDir string // Git working directory, also where config.yaml lives
	Config  string // path of config.yaml
	Charts  *chartrepo.Server
	OCI     *ociregistry.Registry
}

// options shape the fixture.
type options struct {
	Strategy string
	// Annotations on the pods of an addon's workload (kwok stages).
	PodAnnotations map[string]string
	// AWS uses the aws-secretsmanager backend against the package's AWS
	// test server, in its region.
	AWS bool
	// GitHubToken is the token of a credential file, when set.
	GitHubToken string
	// NoCRDGroups: the catalog declares no crdGroups, as CNOE's forks.
	NoCRDGroups bool
	// CoreCRDs: the argo-cd chart has two CRDs of the flow's group in its
	// crds/ (gadgets, sprockets) and argo-cd's bootstrap manifests a third
	// (doohickeys).
	CoreCRDs bool
	// GitBase: base comes from a Git repository of its own (gitRepository)
	// at its tag v0.1.0, whose branch has moved on since.
	GitBase bool
	// ChartResource: top also has a chart of the repository among its
	// additionalResources (CNOE's path + helm form, as the shipped UIs'
	// routes): packages/extra, a ConfigMap named after its release with
	// the domain its valuesObject template resolves to.
	ChartResource bool
}

// workloadChart is a chart with one Deployment whose pod annotations come
// from values, so kwok stages can make it slow or broken.
func workloadChart(dir, name string) error {
	files := map[string]string{
		"Chart.yaml":  fmt.Sprintf("apiVersion: v2\nname: %s\nversion: 0.1.0\n", name),
		"values.yaml": "podAnnotations: {}\nreplicas: 1\nprogressDeadlineSeconds: 600\n",
		"templates/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicas }}
  progressDeadlineSeconds: {{ .Values.progressDeadlineSeconds }}
  selector:
    matchLabels: {app: {{ .Release.Name }}}
  template:
    metadata:
      labels: {app: {{ .Release.Name }}}
      annotations:
        {{- toYaml .Values.podAnnotations | nindent 8 }}
    spec:
      containers:
        - name: main
          image: example.invalid/{{ .Chart.Name }}:1
`,
	}
	for p, c := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// baseFiles are base's manifests: the CRD right uses, and a ConfigMap.
func baseFiles(group string) map[string]string {
	return map[string]string{
		"crd.yaml":      crdYAML("widgets", "Widget", group),
		"settings.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: base-settings}\ndata: {ready: \"yes\"}\n",
	}
}

// baseSource is base's source keys: a directory of the platform
// repository, or with git a Git repository of its own, its manifests
// under deploy/ at the tag v0.1.0, and a later commit on its branch that
// the tag must keep out (its ConfigMap says "moved").
func baseSource(t testing.TB, p *platform, git bool) string {
	t.Helper()
	if !git {
		return "  path: packages/base\n  type: manifest"
	}
	dir := t.TempDir()
	gitrepotest.Init(t, dir)
	for name, data := range baseFiles(p.Cluster + ".e2e.fleetup.dev") {
		gitrepotest.Write(t, dir, "deploy/"+name, data)
	}
	gitrepotest.CommitAll(t, dir, "base v0.1.0")
	gitrepotest.Tag(t, dir, "v0.1.0")
	gitrepotest.Write(t, dir, "deploy/settings.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: base-settings}\ndata: {ready: \"moved\"}\n")
	gitrepotest.CommitAll(t, dir, "after v0.1.0")
	return fmt.Sprintf("  gitRepository: file://%s\n  path: deploy\n  defaultVersion: v0.1.0\n  type: manifests", dir)
}

// newPlatform builds the diamond catalog: base (plain manifests in Git,
// installs a CRD) <- left (chart repository), right (chart in Git, uses the
// CRD) <- top (chart repository); plus argo-cd (chart repository) and
// external-secrets that fleetup installs itself. external-secrets is the
// upstream chart in the flow's chart repository, as a CNOE fork has it: a
// stub that always needs a sync hid how the real one behaves once Argo CD
// adopts fleetup's Helm release.
func newPlatform(t testing.TB, o options) *platform {
	t.Helper()
	ns := env.Namespace(t)
	p := &platform{Cluster: "c" + ns[len(ns)-6:], NS: ns}
	charts := t.TempDir()
	for _, c := range []string{"argo-cd", "left", "top"} {
		if err := workloadChart(filepath.Join(charts, c), c); err != nil {
			t.Fatal(err)
		}
	}
	if o.CoreCRDs {
		for _, c := range [][2]string{{"gadgets", "Gadget"}, {"sprockets", "Sprocket"}} {
			writeFile(t, filepath.Join(charts, "argo-cd", "crds", c[0]+".yaml"), crdYAML(c[0], c[1], p.Cluster+".e2e.fleetup.dev"))
		}
	}
	eso, esoVersion := esoChart(t)
	p.Charts = chartrepo.Start(t, filepath.Join(charts, "argo-cd"), filepath.Join(charts, "left"), eso)
	// top comes from an OCI registry.
	p.OCI = ociregistry.Start(t)
	p.OCI.AddChart(t, "charts", filepath.Join(charts, "top"))

	group := p.Cluster + ".e2e.fleetup.dev"
	// A crash-looping addon's Deployment fails after 5 s instead of 10 min.
	deadline := func(annotation string) string {
		if annotation == envtest.FailAnnotation {
			return "    progressDeadlineSeconds: 5\n"
		}
		return ""
	}
	// values are the addon's pod annotation values lines (under valuesObject).
	values := func(addon string) string {
		v, ok := o.PodAnnotations[addon]
		if !ok {
			return ""
		}
		k, val, _ := strings.Cut(v, "=")
		return fmt.Sprintf("    podAnnotations: {%q: %q}\n%s", k, val, deadline(k))
	}
	ann := func(addon string) string {
		if v := values(addon); v != "" {
			return "  valuesObject:\n" + v
		}
		return ""
	}
	// argocd already has a valuesObject: add podAnnotations under it.
	annExtra := values
	catalog := fmt.Sprintf(`globalSelectors:
  clusterName: %[1]s
appsetPrefix: %[1]s-
syncPolicy:
  automated: {selfHeal: true, prune: true}
  syncOptions: [CreateNamespace=true]
argocd:
  enabled: true
  chartName: argo-cd
  namespace: argocd
  releaseName: argocd-%[1]s
  chartRepository: %[2]s
  defaultVersion: "0.1.0"
  valuesObject:
    domainSeen: '{{ .metadata.annotations.domain }}'
%[7]sexternal-secrets:
  enabled: true
  chartName: external-secrets
  namespace: %[3]s-eso
  releaseName: eso-%[1]s
  chartRepository: %[2]s
  defaultVersion: %[9]q
base:
  enabled: true
  namespace: %[3]s-base
%[10]s
  crdGroups: [%[1]s.e2e.fleetup.dev]
left:
  enabled: true
  namespace: %[3]s-left
  chartRepository: %[2]s
  defaultVersion: "0.1.0"
  dependsOn: [base]
  stateful:
    pvcSelector: {app: left}
%[4]sright:
  enabled: true
  namespace: %[3]s-right
  path: packages/right
  type: chart
  dependsOn: [base]
%[5]stop:
  enabled: true
  namespace: %[3]s-top
  chartRepository: oci://%[8]s/charts
  defaultVersion: "0.1.0"
  dependsOn: [left, right]
%[6]s`, p.Cluster, p.Charts.URL, ns, ann("left"), ann("right"), ann("top"), annExtra("argocd"), p.OCI.Host, esoVersion, baseSource(t, p, o.GitBase))
	if o.ChartResource { // top is the catalog's last entry
		catalog += "  additionalResources:\n    - path: packages/extra\n      helm:\n        releaseName: extra\n        valuesObject:\n          domain: '{{ .metadata.annotations.domain }}'\n"
	}
	catalog = coreCRDs(t, noCRDGroups(t, catalog, o.NoCRDGroups), o.CoreCRDs)

	root, _ := filepath.Abs("../..")
	files := map[string]string{
		"packages/addons/values.yaml":  catalog,
		"packages/argo-cd/values.yaml": "replicas: 1\n",
		// The environment applies ESO's CRDs itself (flows claiming them
		// would fight) and kwok's pods cannot answer webhooks.
		"packages/external-secrets/values.yaml": `installCRDs: false
crds:
  conversion:
    enabled: false
webhook:
  create: false
certController:
  create: false
`,
		"packages/right/templates/widget.yaml": fmt.Sprintf("apiVersion: %s/v1\nkind: Widget\nmetadata: {name: {{ .Release.Name }}}\nspec: {size: 3}\n", group),
	}
	if o.ChartResource {
		files["packages/extra/Chart.yaml"] = "apiVersion: v2\nname: extra\nversion: 0.1.0\n"
		files["packages/extra/values.yaml"] = "domain: unset\n"
		files["packages/extra/templates/configmap.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Release.Name }}}\ndata: {domain: {{ .Values.domain | quote }}}\n"
	}
	if !o.GitBase {
		for name, data := range baseFiles(group) {
			files["packages/base/"+name] = data
		}
	}
	if o.CoreCRDs {
		files["packages/argo-cd/manifests/doohickeys.yaml"] = crdYAML("doohickeys", "Doohickey", group)
	}
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "packages", "appset-chart"), os.DirFS(filepath.Join(root, "packages", "appset-chart"))); err != nil {
		t.Fatal(err)
	}
	// right is the workload chart plus a Widget, the CRD base installs.
	if err := workloadChart(filepath.Join(dir, "packages", "right"), "right"); err != nil {
		t.Fatal(err)
	}
	for p, c := range files {
		full := filepath.Join(dir, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	strategy := o.Strategy
	if strategy == "" {
		strategy = "gated"
	}
	secretsCfg := fmt.Sprintf(`secrets:
  backend: kubernetes
  prefix: %[1]s
  namespace: %[2]s-secrets
  store_name: %[1]s-store
  kubernetes_api_url: %[3]s
`, p.Cluster, ns, env.Server)
	if o.AWS {
		secretsCfg = fmt.Sprintf(`region: %[2]s
tags: {project: fleetup-e2e}
secrets:
  backend: aws-secretsmanager
  prefix: %[1]s
  store_name: %[1]s-store
`, p.Cluster, awsSrv.Region)
	}
	if o.GitHubToken != "" {
		file := filepath.Join(dir, "private", "token.yaml")
		os.MkdirAll(filepath.Dir(file), 0o700)
		if err := os.WriteFile(file, []byte("url: https://github.com/example-org\ntoken: "+o.GitHubToken+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		secretsCfg += "  github_token: {name: ci-token, file: private/token.yaml}\n"
	}
	// addon: Argo CD's controllers see changes up to ~100 s late after an
	// API server outage (their watches back off); a loaded CI machine adds
	// to that.
	cfg := fmt.Sprintf(`repo:
  url: file://%[1]s
  revision: main
  basepath: packages
cluster_name: %[2]s
domain: %[2]s.e2e.example.test
target: kubeconfig
strategy: %[3]s
%[4]stimeouts:
  install: 8m
  addon: 5m
  helm: 2m
  degraded_grace: 10s
`, dir, p.Cluster, strategy, secretsCfg)
	if err := os.WriteFile(filepath.Join(dir, ".gitignore"), []byte("private/\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p.RepoDir = dir
	p.RepoDir = dir
	p.Config = filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(p.Config, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	envtest.GitInit(t, dir)
	return p
}

// esoChart is the environment's upstream External Secrets chart (its
// directory and version), which flows install as a CNOE fork has it.
func esoChart(t testing.TB) (dir, version string) {
	t.Helper()
	dir, err := envtest.ESOChart()
	if err != nil {
		t.Fatal(err)
	}
	c, err := chartutil.LoadChartfile(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return dir, c.Version
}

// syncBuffer is a goroutine-safe output buffer.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// install runs `fleetup install --yes` in-process and returns its output.
func (p *platform) install(ctx context.Context, t testing.TB, extra func(*cli.Install)) (string, error) {
	t.Helper()
	out := &syncBuffer{}
	g := &cli.Global{ConfigFile: p.Config, Kubeconfig: env.Kubeconfig, Output: "text", LogFormat: "text", Yes: true, Stdin: strings.NewReader(""), Stdout: out, Stderr: out}
	in := &cli.Install{Global: g}
	if extra != nil {
		extra(in)
	}
	err := in.Run(ctx)
	t.Logf("fleetup install (%s):\n%s", p.Cluster, out.String())
	return out.String(), err
}

// plan is the plan fleetup builds for the flow (`fleetup plan`).
func (p *platform) plan(t *testing.T) *plan.Plan {
	t.Helper()
	cfg, err := config.Load(p.Config)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := plan.Build(cfg, cat, &redact.Redactor{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return pl
}
