package envtest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/kube"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

// appHealthy is fleetup's definition of a healthy addon: Synced, Healthy
// and the last operation Succeeded.
func appHealthy(obj *unstructured.Unstructured) (bool, error) {
	if obj == nil {
		return false, nil
	}
	sync, _, _ := unstructured.NestedString(obj.Object, "status", "sync", "status")
	health, _, _ := unstructured.NestedString(obj.Object, "status", "health", "status")
	phase, _, _ := unstructured.NestedString(obj.Object, "status", "operationState", "phase")
	if phase == "Failed" || phase == "Error" {
		msg, _, _ := unstructured.NestedString(obj.Object, "status", "operationState", "message")
		return false, fmt.Errorf("sync operation %s: %s", phase, msg)
	}
	return sync == "Synced" && health == "Healthy" && phase == "Succeeded", nil
}

const chartYAML = "apiVersion: v2\nname: demo\nversion: 0.1.0\n"

const chartDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels: {app: {{ .Release.Name }}-web}
  template:
    metadata:
      labels: {app: {{ .Release.Name }}-web}
    spec:
      containers:
        - name: web
          image: example.invalid/web:{{ .Values.tag }}
`

const plainManifests = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  greeting: hello
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: plain-web
spec:
  replicas: 1
  selector:
    matchLabels: {app: plain-web}
  template:
    metadata:
      labels: {app: plain-web}
    spec:
      containers:
        - name: web
          image: example.invalid/plain:1
`

func application(name, ns, repo, path string) string {
	return fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: %[1]s
  namespace: argocd
spec:
  project: default
  source:
    repoURL: %[3]s
    targetRevision: main
    path: %[4]s
  destination:
    server: https://kubernetes.default.svc
    namespace: %[2]s
  syncPolicy:
    automated: {prune: true, selfHeal: true}
`, name, ns, repo, path)
}

// TestApplicationFromLocalGit: Applications over a Helm chart directory and
// a plain-manifest directory of a file:// repository become Synced and
// Healthy, their Deployments made Available by kwok.
func TestApplicationFromLocalGit(t *testing.T) {
	env.Need(t)
	ns := env.Namespace(t)
	_, url := GitRepo(t, map[string]string{
		"chart/Chart.yaml":                chartYAML,
		"chart/values.yaml":               "replicas: 2\ntag: \"1\"\n",
		"chart/templates/deployment.yaml": chartDeployment,
		"plain/manifests.yaml":            plainManifests,
	})
	helmApp, plainApp := ns+"-chart", ns+"-plain"
	apply(t, application(helmApp, ns, url, "chart")+"---\n"+application(plainApp, ns, url, "plain"))
	t.Cleanup(func() { deleteApps(helmApp, plainApp) })
	for _, app := range []string{helmApp, plainApp} {
		if _, err := env.Client.WaitFor(ctx(t, 3*time.Minute), kube.Applications, "argocd", app, "Application "+app+" Synced/Healthy/Succeeded", appHealthy); err != nil {
			t.Fatal(err)
		}
	}
	d, err := env.Client.Typed.AppsV1().Deployments(ns).Get(context.Background(), helmApp+"-web", metav1.GetOptions{})
	if err != nil || d.Status.AvailableReplicas != 2 {
		t.Fatalf("chart Deployment: %v %+v", err, d.Status)
	}
	if _, err := env.Client.Typed.CoreV1().ConfigMaps(ns).Get(context.Background(), "settings", metav1.GetOptions{}); err != nil {
		t.Fatalf("plain ConfigMap: %v", err)
	}
}

func deleteApps(names ...string) {
	for _, n := range names {
		_ = env.Client.Dynamic.Resource(kube.Applications).Namespace("argocd").Delete(context.Background(), n, metav1.DeleteOptions{})
	}
}

// TestApplicationSetClusterGenerator: one Application per matching cluster
// secret, following label changes on the secrets (the mechanism fleetup's
// gated install drives).
func TestApplicationSetClusterGenerator(t *testing.T) {
	env.Need(t)
	ns := env.Namespace(t)
	_, url := GitRepo(t, map[string]string{"plain/manifests.yaml": plainManifests})
	secret := func(name, server, enabled string) string {
		return fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata:
  name: %[1]s
  namespace: argocd
  labels:
    argocd.argoproj.io/secret-type: cluster
    fleetup.dev/test: %[4]s
    enable_demo: "%[3]s"
stringData:
  name: %[1]s
  server: %[2]s
  config: '{"bearerToken":"%[5]s","tlsClientConfig":{"insecure":true}}'
`, name, server, enabled, ns, env.Token)
	}
	one, two := ns+"-one", ns+"-two"
	apply(t, secret(one, "https://kubernetes.default.svc", "true")+"---\n"+secret(two, env.Server, "true"))
	t.Cleanup(func() {
		for _, s := range []string{one, two} {
			_ = env.Client.Typed.CoreV1().Secrets("argocd").Delete(context.Background(), s, metav1.DeleteOptions{})
		}
	})
	appset := ns + "-demo"
	apply(t, fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: %[1]s
  namespace: argocd
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
    - clusters:
        selector:
          matchLabels:
            fleetup.dev/test: %[2]s
            enable_demo: "true"
  template:
    metadata:
      name: 'demo-{{ .name }}'
      labels: {fleetup.dev/test: %[2]s}
    spec:
      project: default
      source: {repoURL: %[3]s, targetRevision: main, path: plain}
      destination: {server: '{{ .server }}', namespace: %[2]s}
`, appset, ns, url))
	t.Cleanup(func() {
		_ = env.Client.Dynamic.Resource(kube.ApplicationSets).Namespace("argocd").Delete(context.Background(), appset, metav1.DeleteOptions{})
	})
	exists := func(obj *unstructured.Unstructured) (bool, error) { return obj != nil, nil }
	gone := func(obj *unstructured.Unstructured) (bool, error) { return obj == nil, nil }
	for _, c := range []string{one, two} {
		if _, err := env.Client.WaitFor(ctx(t, 2*time.Minute), kube.Applications, "argocd", "demo-"+c, "Application for cluster "+c, exists); err != nil {
			t.Fatal(err)
		}
	}
	// Switching the label off removes that cluster's Application only.
	patch := func(name, v string) {
		p := fmt.Sprintf(`{"metadata":{"labels":{"enable_demo":%q}}}`, v)
		if _, err := env.Client.Typed.CoreV1().Secrets("argocd").Patch(context.Background(), name, types.MergePatchType, []byte(p), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	patch(two, "false")
	if _, err := env.Client.WaitFor(ctx(t, 2*time.Minute), kube.Applications, "argocd", "demo-"+two, "Application demo-"+two+" to be deleted", gone); err != nil {
		t.Fatal(err)
	}
	if obj, err := env.Client.Dynamic.Resource(kube.Applications).Namespace("argocd").Get(context.Background(), "demo-"+one, metav1.GetOptions{}); err != nil || obj == nil {
		t.Fatalf("demo-%s went away too: %v", one, err)
	}
	patch(two, "true")
	if _, err := env.Client.WaitFor(ctx(t, 2*time.Minute), kube.Applications, "argocd", "demo-"+two, "Application demo-"+two+" to come back", exists); err != nil {
		t.Fatal(err)
	}
	list, err := env.Client.Dynamic.Resource(kube.Applications).Namespace("argocd").List(context.Background(), metav1.ListOptions{LabelSelector: "fleetup.dev/test=" + ns})
	if err != nil || len(list.Items) != 2 {
		var names []string
		for _, i := range list.Items {
			names = append(names, i.GetName())
		}
		t.Fatalf("want 2 Applications, got %v (%v)", strings.Join(names, ","), err)
	}
}
