package rollout

import (
	"context"
	"fmt"

	"github.com/fleetup/fleetup/internal/kube"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
)

// capiKinds are what a Cluster API rollout changes in a cluster's
// namespace: any change is a moment to judge the cluster again.
var capiKinds = []schema.GroupVersionResource{
	kube.GVR("cluster.x-k8s.io", "v1beta2", "clusters"),
	kube.GVR("cluster.x-k8s.io", "v1beta2", "machines"),
	kube.GVR("cluster.x-k8s.io", "v1beta2", "machinedeployments"),
	kube.GVR("cluster.x-k8s.io", "v1beta2", "machinepools"),
	kube.GVR("controlplane.cluster.x-k8s.io", "v1beta2", "kubeadmcontrolplanes"),
	kube.GVR("controlplane.cluster.x-k8s.io", "v1beta2", "awsmanagedcontrolplanes"),
}

// waitConverged judges Cluster API at each change of the cluster's
// Cluster API objects (its namespace), until Converged says yes. The
// watches start before the first judgement, so no change is missed.
func (g Gate) waitConverged(ctx context.Context, cluster string) error {
	events := make(chan struct{}, 1)
	for _, gvr := range capiKinds {
		ri := g.Kube.Dynamic.Resource(gvr).Namespace(cluster)
		start := func() (watch.Interface, error) { return ri.Watch(ctx, metav1.ListOptions{}) }
		w, err := start()
		if kube.IsNoMatch(err) || apierrors.IsNotFound(err) {
			continue // a provider this hub does not run
		}
		if err != nil {
			return fmt.Errorf("cluster %s: watch %s: %w", cluster, gvr.Resource, err)
		}
		go forward(ctx, w, start, events)
	}
	var reason string
	for {
		ok, why, err := g.Converged(ctx, cluster)
		if err != nil {
			return fmt.Errorf("cluster %s: read Cluster API: %w", cluster, err)
		}
		if ok {
			return nil
		}
		reason = why
		select {
		case <-events:
		case <-ctx.Done():
			return &ClusterError{Cluster: cluster, Step: "Cluster API", Reason: fmt.Sprintf("%v; last seen: %s", context.Cause(ctx), reason)}
		}
	}
}

// forward signals each event of w (coalesced: one pending signal is
// enough) until ctx ends, watching again when the API server closes the
// watch (a restarted watch's first events are the objects as they are,
// so nothing is missed in between).
func forward(ctx context.Context, w watch.Interface, start func() (watch.Interface, error), events chan<- struct{}) {
	for {
		for open := true; open; {
			select {
			case _, ok := <-w.ResultChan():
				open = ok
				if ok {
					select {
					case events <- struct{}{}:
					default:
					}
				}
			case <-ctx.Done():
				w.Stop()
				return
			}
		}
		w.Stop()
		var err error
		if w, err = start(); err != nil {
			return // ctx ended, or the API server is gone: the deadline ends the wait
		}
	}
}
