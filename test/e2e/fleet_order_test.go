package e2e

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/argocd"
	"github.com/fleetup/fleetup/internal/kube"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"
)

// appEvents follows the Applications in argocd through one watch: when
// each was first seen and first seen Healthy, as positions in the stream
// (the API server's order of changes, no clock involved) and as times.
type appEvents struct {
	mu        sync.Mutex
	n         int
	seen      map[string]int
	healthy   map[string]int
	healthyAt map[string]time.Time
	changed   chan struct{}
}

// followApps starts following until ctx ends.
func followApps(t testing.TB, ctx context.Context) *appEvents {
	t.Helper()
	w, err := env.Client.Dynamic.Resource(kube.Applications).Namespace("argocd").Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e := &appEvents{seen: map[string]int{}, healthy: map[string]int{}, healthyAt: map[string]time.Time{}, changed: make(chan struct{}, 1)}
	go func() {
		defer w.Stop()
		for ev := range w.ResultChan() {
			o, ok := ev.Object.(*unstructured.Unstructured)
			if !ok || (ev.Type != watch.Added && ev.Type != watch.Modified) {
				continue
			}
			e.record(o)
		}
	}()
	return e
}

func (e *appEvents) record(o *unstructured.Unstructured) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.n++
	name := o.GetName()
	if _, ok := e.seen[name]; !ok {
		e.seen[name] = e.n
	}
	if _, ok := e.healthy[name]; !ok && argocd.Read(o).Healthy() {
		e.healthy[name] = e.n
		e.healthyAt[name] = time.Now()
		select {
		case e.changed <- struct{}{}:
		default:
		}
	}
}

// waitHealthy waits until every named Application was seen Healthy and
// returns when each first was.
func (e *appEvents) waitHealthy(ctx context.Context, names []string) (map[string]time.Time, error) {
	for {
		e.mu.Lock()
		out := map[string]time.Time{}
		for _, n := range names {
			if at, ok := e.healthyAt[n]; ok {
				out[n] = at
			}
		}
		e.mu.Unlock()
		if len(out) == len(names) {
			return out, nil
		}
		select {
		case <-ctx.Done():
			return out, fmt.Errorf("Applications healthy so far: %v: %w", out, context.Cause(ctx))
		case <-e.changed:
		}
	}
}

// deliveredInOrder: each addon's Application on the workload cluster
// appeared only after every addon it depends on was Healthy there, and
// carries the sync wave of its dependency level.
func deliveredInOrder(t testing.TB, ctx context.Context, e *appEvents, cluster string, graph map[string][]string, level map[string]int) {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	for addon, deps := range graph {
		name := argocd.ApplicationName(addon, cluster)
		app, err := env.Client.Get(ctx, argocd.ApplicationRef("argocd", name))
		if err != nil || app == nil {
			t.Fatalf("Application %s: %v", name, err)
		}
		if got, want := app.GetAnnotations()["argocd.argoproj.io/sync-wave"], fmt.Sprint(level[addon]); got != want {
			t.Errorf("%s: sync wave %q, want %q", name, got, want)
		}
		seen, ok := e.seen[name]
		if !ok {
			t.Errorf("%s never seen by the watch", name)
			continue
		}
		for _, dep := range deps {
			healthy, ok := e.healthy[argocd.ApplicationName(dep, cluster)]
			if !ok || seen < healthy {
				t.Errorf("%s appeared (event %d) before %s was Healthy (event %d, seen %v)", name, seen, dep, healthy, ok)
			}
		}
	}
}
