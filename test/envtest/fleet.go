package envtest

import (
	"context"
	"os"
	"testing"

	"github.com/fleetup/fleetup/internal/fleet"
	"github.com/fleetup/fleetup/internal/fleet/chart"
	"github.com/fleetup/fleetup/internal/helm"
)

// RenderFleetCluster loads the fleet under root (a platform repository
// with fleet/ and the fleet's chart) and renders one cluster with the
// chart, as `fleetup fleet render` does, for platform p.
func RenderFleetCluster(t testing.TB, root, name string, p *chart.Platform) (*fleet.Cluster, []helm.Manifest) {
	t.Helper()
	f, err := fleet.Load(context.Background(), os.DirFS(root), "fleet", fleet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := chart.Load(root, f)
	if err != nil {
		t.Fatal(err)
	}
	c := f.Cluster(name)
	if c == nil {
		t.Fatalf("the fleet under %s has no cluster %s", root, name)
	}
	ms, err := ch.Render(context.Background(), c, p)
	if err != nil {
		t.Fatalf("render %s: %v", name, err)
	}
	return c, ms
}
