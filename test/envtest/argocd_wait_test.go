package envtest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/argocd"
	"github.com/fleetup/fleetup/internal/kube"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// judgedApp is an Application whose status says Argo CD compared its
// current spec and found it Synced with the given health. It lives in a
// namespace Argo CD does not watch, so only the test writes its status.
func judgedApp(t *testing.T, ns, health string) *unstructured.Unstructured {
	t.Helper()
	doc := `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: catalog, namespace: ` + ns + `}
spec:
  project: default
  source: {repoURL: "https://git.example.invalid/platform.git", path: packages, targetRevision: main}
  destination: {server: "https://kubernetes.default.svc", namespace: ` + ns + `}
status:
  reconciledAt: "2026-12-02T10:00:00Z"
  sync:
    status: Synced
    revision: 0123456789abcdef
    comparedTo:
      source: {repoURL: "https://git.example.invalid/platform.git", path: packages, targetRevision: main}
      destination: {server: "https://kubernetes.default.svc", namespace: ` + ns + `}
  health: {status: ` + health + `}
`
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
		t.Fatal(err)
	}
	return u
}

// TestWaitHealthyDegradedGrace: argocd.WaitHealthy, the wait of the
// gitops and hand-off steps, lets an Application be Degraded for the
// grace (an ApplicationSet reports an error after an API server outage
// until its next reconcile) and fails it once the grace is over.
func TestWaitHealthyDegradedGrace(t *testing.T) {
	env.Need(t)
	apps := env.Client.Dynamic.Resource(kube.Applications)

	t.Run("clears within the grace", func(t *testing.T) {
		ns := env.Namespace(t)
		c := ctx(t, time.Minute)
		if _, err := apps.Namespace(ns).Create(c, judgedApp(t, ns, "Degraded"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			_, err := argocd.WaitHealthy(c, env.Client, ns, "catalog", "the catalog", time.Hour)
			done <- err
		}()
		cur, err := apps.Namespace(ns).Get(c, "catalog", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		healthy := judgedApp(t, ns, "Healthy")
		healthy.SetResourceVersion(cur.GetResourceVersion())
		if _, err := apps.Namespace(ns).Update(c, healthy, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatalf("WaitHealthy on an Application Degraded, then Healthy: %v", err)
		}
	})

	t.Run("outlasts the grace", func(t *testing.T) {
		ns := env.Namespace(t)
		c := ctx(t, time.Minute)
		if _, err := apps.Namespace(ns).Create(c, judgedApp(t, ns, "Degraded"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		_, err := argocd.WaitHealthy(c, env.Client, ns, "catalog", "the catalog", 500*time.Millisecond)
		if err == nil || !strings.Contains(err.Error(), "Degraded for 500ms") || !strings.Contains(err.Error(), "health Degraded") {
			t.Fatalf("WaitHealthy on an Application that stays Degraded: %v, want an error saying it was Degraded for 500ms and its last state", err)
		}
		if c.Err() != nil {
			t.Fatalf("the wait ended by the test's deadline, not the grace: %v", err)
		}
	})

	t.Run("no Application", func(t *testing.T) {
		ns := env.Namespace(t)
		c, cancel := context.WithTimeout(ctx(t, time.Minute), time.Second)
		defer cancel()
		if _, err := argocd.WaitHealthy(c, env.Client, ns, "catalog", "the catalog", time.Hour); err == nil || !strings.Contains(err.Error(), "absent") {
			t.Fatalf("WaitHealthy on no Application: %v, want a deadline error saying it is absent", err)
		}
	})
}
