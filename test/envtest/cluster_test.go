package envtest

import (
	"context"
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/kube"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestWorkloadCluster: a second API server is a cluster of its own (what it
// holds the hub does not see), and the hub's Argo CD, given a cluster
// secret with its server, CA and token, deploys into it: the `existing`
// flavour of the fleet, and the target of addon delivery.
func TestWorkloadCluster(t *testing.T) {
	env.Need(t)
	c, err := env.Workload(ctx(t, 3*time.Minute), "w1")
	if err != nil {
		t.Fatal(err)
	}
	again, err := env.Workload(context.Background(), "w1")
	if err != nil || again != c {
		t.Fatalf("a second Workload call started another cluster: %v", err)
	}
	ns := env.Namespace(t)
	own := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns + "-only-w1"}}
	if _, err := c.Client.Typed.CoreV1().Namespaces().Create(context.Background(), own, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Client.Typed.CoreV1().Namespaces().Get(context.Background(), own.Name, metav1.GetOptions{}); err == nil {
		t.Fatal("the hub sees a namespace made in the workload cluster")
	}

	_, url := GitRepo(t, map[string]string{"plain/manifests.yaml": plainManifests})
	secret := ns + "-w1"
	apply(t, fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata:
  name: %[1]s
  namespace: argocd
  labels: {argocd.argoproj.io/secret-type: cluster}
stringData:
  name: %[1]s
  server: %[2]s
  config: '{"bearerToken":"%[3]s","tlsClientConfig":{"caData":"%[4]s"}}'
`, secret, c.Server, c.Token, base64.StdEncoding.EncodeToString(c.CACert)))
	t.Cleanup(func() {
		_ = env.Client.Typed.CoreV1().Secrets("argocd").Delete(context.Background(), secret, metav1.DeleteOptions{})
	})
	app := ns + "-to-w1"
	apply(t, fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: %[1]s
  namespace: argocd
spec:
  project: default
  source: {repoURL: %[2]s, targetRevision: main, path: plain}
  destination: {server: %[3]s, namespace: %[4]s}
  syncPolicy:
    automated: {prune: true, selfHeal: true}
    syncOptions: [CreateNamespace=true]
`, app, url, c.Server, ns))
	t.Cleanup(func() { deleteApps(app) })
	if _, err := env.Client.WaitFor(ctx(t, 3*time.Minute), kube.Applications, "argocd", app, "Application "+app+" Synced/Healthy/Succeeded", appHealthy); err != nil {
		t.Fatal(err)
	}
	d, err := c.Client.Typed.AppsV1().Deployments(ns).Get(context.Background(), "plain-web", metav1.GetOptions{})
	if err != nil || d.Status.AvailableReplicas != 1 {
		t.Fatalf("the Deployment in the workload cluster: %v %+v", err, d.Status)
	}
	if _, err := env.Client.Typed.AppsV1().Deployments(ns).Get(context.Background(), "plain-web", metav1.GetOptions{}); err == nil {
		t.Fatal("the Deployment landed in the hub")
	}
}
