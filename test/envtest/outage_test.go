package envtest

import (
	"slices"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/kube"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestAPIServerOutage: after a 5 s outage kube-apiserver serves the same
// data again from a new process that Stop and Tails know, and the other
// components reconnected by themselves: an Argo CD Application created
// afterwards is synced, its Deployment scheduled and made Available by kwok.
func TestAPIServerOutage(t *testing.T) {
	env.Need(t)
	ns := env.Namespace(t)
	_, url := GitRepo(t, map[string]string{"plain/manifests.yaml": plainManifests})
	c := ctx(t, 4*time.Minute)
	before := env.PIDs()
	if err := env.Outage(c, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	after := env.PIDs()
	if len(after) != len(before) {
		t.Errorf("%d processes after the outage, %d before", len(after), len(before))
	}
	if changed := slices.DeleteFunc(after, func(pid int) bool { return slices.Contains(before, pid) }); len(changed) != 1 {
		t.Errorf("new processes %v, want only the restarted kube-apiserver", changed)
	}
	if _, err := env.Client.Typed.CoreV1().Namespaces().Get(c, ns, metav1.GetOptions{}); err != nil {
		t.Fatalf("namespace made before the outage: %v", err)
	}
	app := ns + "-after"
	apply(t, application(app, ns, url, "plain"))
	t.Cleanup(func() { deleteApps(app) })
	if _, err := env.Client.WaitFor(c, kube.Applications, "argocd", app, "Application "+app+" Synced/Healthy/Succeeded after the outage", appHealthy); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Client.WaitFor(c, kube.Deployments, ns, "plain-web", "Deployment plain-web to be Available", condition("Available", "True", "")); err != nil {
		t.Fatal(err)
	}
}
