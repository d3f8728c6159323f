package envtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"

	"github.com/fleetup/fleetup/internal/kube"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// startArgoCD runs redis and the Argo CD repo-server, application-controller
// and applicationset-controller against the environment, after installing
// the CRDs and the configuration objects they read at start.
func (e *Env) startArgoCD(ctx context.Context) error {
	if _, err := e.run("redis", e.bins.Redis, []string{"--port", strconv.Itoa(e.ports["redis"]), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"}, nil); err != nil {
		return err
	}
	if err := e.applyFiles(ctx, e.bins.ArgoCRDs); err != nil {
		return fmt.Errorf("Argo CD CRDs: %w", err)
	}
	ns := e.ArgoNamespace
	partOf := map[string]any{"app.kubernetes.io/part-of": "argocd"}
	cm, params, err := shippedArgoSettings()
	if err != nil {
		return err
	}
	// Reconcile Git state often: tests commit and expect reaction.
	cm["timeout.reconciliation"] = "10s"
	objs := []*unstructured.Unstructured{
		object("v1", "Namespace", "", ns, nil, nil),
		object("v1", "ConfigMap", ns, "argocd-cm", partOf, map[string]any{"data": cm}),
		object("v1", "ConfigMap", ns, "argocd-cmd-params-cm", partOf, map[string]any{"data": params}),
		object("v1", "ConfigMap", ns, "argocd-rbac-cm", partOf, nil),
		object("v1", "Secret", ns, "argocd-secret", partOf, map[string]any{"stringData": map[string]any{"server.secretkey": randomHex(16)}}),
		object("argoproj.io/v1alpha1", "AppProject", ns, "default", nil, map[string]any{"spec": map[string]any{
			"sourceRepos":              []any{"*"},
			"destinations":             []any{map[string]any{"server": "*", "namespace": "*"}},
			"clusterResourceWhitelist": []any{map[string]any{"group": "*", "kind": "*"}},
		}}),
	}
	if err := e.Client.ApplyAll(ctx, objs); err != nil {
		return err
	}
	if err := e.waitTCP(ctx, "redis", e.ports["redis"]); err != nil {
		return err
	}
	data := filepath.Join(e.Dir, "argocd")
	for _, d := range []string{"tls", "ssh", "gpg", "tmp", "home"} {
		if err := os.MkdirAll(filepath.Join(data, d), 0o700); err != nil {
			return err
		}
	}
	redis := addr(e.ports["redis"])
	repo := addr(e.ports["repo"])
	env := func(binary string) []string {
		return []string{
			"ARGOCD_BINARY_NAME=" + binary,
			"ARGOCD_FAKE_IN_CLUSTER=true",
			"KUBECONFIG=" + e.Kubeconfig,
			"ARGOCD_TLS_DATA_PATH=" + filepath.Join(data, "tls"),
			"ARGOCD_SSH_DATA_PATH=" + filepath.Join(data, "ssh"),
			"ARGOCD_GPG_ENABLED=false",
			"ARGOCD_GNUPGHOME=" + filepath.Join(data, "gpg"),
			"TMPDIR=" + filepath.Join(data, "tmp"),
			"HOME=" + filepath.Join(data, "home"),
			// The repo-server shells out to helm and kustomize (and git).
			"PATH=" + filepath.Dir(e.bins.Helm) + string(os.PathListSeparator) + filepath.Dir(e.bins.Kustomize) + string(os.PathListSeparator) + os.Getenv("PATH"),
		}
	}
	if _, err := e.run("argocd-repo-server", e.bins.ArgoCD, []string{
		"--address", "127.0.0.1", "--port", strconv.Itoa(e.ports["repo"]), "--disable-tls",
		"--metrics-address", "127.0.0.1", "--metrics-port", strconv.Itoa(e.ports["repo-metrics"]),
		"--redis", redis, "--logformat", "text",
		// A branch is resolved again after this long (as the 10 s
		// reconciliation above; real installs take 3 min without webhook).
		"--revision-cache-expiration", "5s",
	}, env("argocd-repo-server")); err != nil {
		return err
	}
	if _, err := e.run("argocd-application-controller", e.bins.ArgoCD, []string{
		"--namespace", ns, "--redis", redis, "--repo-server", repo, "--repo-server-plaintext",
		"--metrics-port", strconv.Itoa(e.ports["app-metrics"]), "--logformat", "text",
		"--app-resync", "10", "--app-resync-jitter", "0",
		// Self-heal quickly in tests; the defaults back off for minutes.
		"--self-heal-timeout-seconds", "2", "--self-heal-backoff-cap-seconds", "5",
	}, append(env("argocd-application-controller"), controllerParams(params)...)); err != nil {
		return err
	}
	if _, err := e.run("argocd-applicationset-controller", e.bins.ArgoCD, []string{
		"--namespace", ns, "--argocd-repo-server", repo, "--repo-server-plaintext",
		"--metrics-addr", addr(e.ports["appset-metrics"]), "--probe-addr", addr(e.ports["appset-probe"]),
		"--webhook-addr", addr(e.ports["appset-webhook"]), "--logformat", "text",
	}, env("argocd-applicationset-controller")); err != nil {
		return err
	}
	if err := e.waitTCP(ctx, "argocd-repo-server", e.ports["repo"]); err != nil {
		return err
	}
	if err := e.waitTCP(ctx, "argocd-application-controller", e.ports["app-metrics"]); err != nil {
		return err
	}
	// Its probe server registers no checks (404), so serving is the signal.
	return e.waitTCP(ctx, "argocd-applicationset-controller", e.ports["appset-probe"])
}

// shippedArgoSettings reads configs.cm and configs.params of the shipped
// catalog's Argo CD values (packages/argo-cd/values.yaml): the
// environment's Argo CD runs with the settings fleetup installs on real
// clusters.
func shippedArgoSettings() (cm, params map[string]any, err error) {
	_, self, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(self), "..", "..", "packages", "argo-cd", "values.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read the shipped Argo CD values: %w", err)
	}
	var v struct {
		Configs struct {
			CM     map[string]any `json:"cm"`
			Params map[string]any `json:"params"`
		} `json:"configs"`
	}
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	str := func(m map[string]any) map[string]any {
		out := map[string]any{}
		for k, val := range m {
			out[k] = fmt.Sprint(val)
		}
		return out
	}
	return str(v.Configs.CM), str(v.Configs.Params), nil
}

// controllerParams are the application controller's environment
// variables for the argocd-cmd-params-cm keys the chart passes it that way
// (its StatefulSet's configMapKeyRefs); the environment runs the process
// without that StatefulSet.
func controllerParams(params map[string]any) []string {
	envs := map[string]string{"controller.diff.server.side": "ARGOCD_APPLICATION_CONTROLLER_SERVER_SIDE_DIFF"}
	var out []string
	for key, name := range envs {
		if v, ok := params[key]; ok {
			out = append(out, name+"="+fmt.Sprint(v))
		}
	}
	return out
}

// startESO installs the External Secrets CRDs and runs its controller.
func (e *Env) startESO(ctx context.Context) error {
	if err := e.applyFiles(ctx, e.bins.ESOCRDs); err != nil {
		return fmt.Errorf("External Secrets CRDs: %w", err)
	}
	if _, err := e.run("external-secrets", e.bins.ESO, []string{
		"--enable-leader-election=false",
		"--metrics-addr=" + addr(e.ports["eso-metrics"]),
		"--live-addr=" + addr(e.ports["eso-health"]),
		"--concurrent=5",
	}, append([]string{"KUBECONFIG=" + e.Kubeconfig}, e.opts.ESOEnv...)); err != nil {
		return err
	}
	return e.waitHTTP(ctx, "external-secrets", "http://"+addr(e.ports["eso-health"])+"/healthz", "", func(string) bool { return true })
}

// applyFiles applies a YAML file, or every .yaml file of a directory.
func (e *Env) applyFiles(ctx context.Context, path string) error {
	files := []string{path}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		files, _ = filepath.Glob(filepath.Join(path, "*.yaml"))
	}
	var objs []*unstructured.Unstructured
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		o, err := kube.DecodeYAML(data)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		objs = append(objs, o...)
	}
	return e.Client.ApplyAll(ctx, objs)
}

func object(apiVersion, kind, namespace, name string, labels map[string]any, rest map[string]any) *unstructured.Unstructured {
	md := map[string]any{"name": name}
	if namespace != "" {
		md["namespace"] = namespace
	}
	if labels != nil {
		md["labels"] = labels
	}
	o := map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": md}
	for k, v := range rest {
		o[k] = v
	}
	return &unstructured.Unstructured{Object: o}
}
