package e2e

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/argocd"
	"github.com/fleetup/fleetup/internal/fleet"
	"github.com/fleetup/fleetup/test/envtest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
)

// BenchmarkFleetDelivery measures how long a new workload cluster takes to
// get its bundle with no fleetup process running: from the moment its Argo
// CD cluster secret appears (External Secrets registered it) to the moment
// the last of its addon Applications is Healthy, on the diamond bundle with
// BenchmarkInstall's kwok readiness delays, against the graph's critical
// path. Its stages Application starts each dependency level only once the
// level before it is Healthy.
//
//	FLEETUP_TESTENV=required go test ./test/e2e -run '^$' -bench FleetDelivery -benchtime 3x
func BenchmarkFleetDelivery(b *testing.B) {
	if env == nil {
		b.Skip("needs the test environment")
	}
	critical := benchDelays["base"] + benchDelays["left"] + benchDelays["top"]
	var total []time.Duration
	for i := 0; i < b.N; i++ {
		total = append(total, deliverOnce(b))
	}
	b.ReportMetric(seconds(median(total)), "s-to-healthy")
	b.ReportMetric(seconds(critical), "s-critical-path")
	b.ReportMetric(seconds(median(total)-critical), "s-over-critical")
}

// deliverOnce installs a platform with a fleet, then adds a cluster to it
// with a commit and times its delivery.
func deliverOnce(b *testing.B) time.Duration {
	b.Helper()
	p := newPlatform(b, options{PodAnnotations: benchAnnotations()})
	name := "w" + p.Cluster
	existingCluster(b, name)
	withFleet(b, p, name)
	// The cluster joins after the install, as one created later does.
	file := filepath.Join(p.RepoDir, "fleet", "clusters", name+".yaml")
	spec, err := os.ReadFile(file)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.Remove(file); err != nil {
		b.Fatal(err)
	}
	envtest.Commit(b, p.RepoDir, "no cluster yet")
	if _, err := p.install(timeout(b, 8*time.Minute), b, nil); err != nil {
		b.Fatalf("install: %v", err)
	}

	ctx := timeout(b, 5*time.Minute)
	secrets, err := env.Client.Typed.CoreV1().Secrets("argocd").Watch(ctx, metav1.ListOptions{LabelSelector: fleet.ClusterLabel + "=" + name})
	if err != nil {
		b.Fatal(err)
	}
	defer secrets.Stop()
	events := followApps(b, ctx)
	writeFile(b, file, string(spec))
	envtest.Commit(b, p.RepoDir, "add "+name)
	refreshFleet(b, p)

	var registered time.Time
	for registered.IsZero() {
		select {
		case <-ctx.Done():
			b.Fatalf("%s not registered", name)
		case ev, ok := <-secrets.ResultChan():
			if !ok {
				b.Fatal("the cluster secret watch ended")
			}
			if ev.Type == watch.Added {
				registered = time.Now()
			}
		}
	}
	var names []string
	for addon := range bundleGraph {
		names = append(names, argocd.ApplicationName(addon, name))
	}
	healthy, err := events.waitHealthy(ctx, names)
	if err != nil {
		b.Fatalf("the bundle on %s: %v", name, err)
	}
	var last time.Time
	for app, at := range healthy {
		b.Logf("%s healthy %v after registration", app, at.Sub(registered).Round(100*time.Millisecond))
		if at.After(last) {
			last = at
		}
	}
	deliveredInOrder(b, ctx, events, name, bundleGraph, bundleLevels)
	return last.Sub(registered)
}
