package detachcatalog

import (
	"context"
	"fmt"

	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/fleet"
	"github.com/fleetup/fleetup/internal/kube"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// detachFleet stops Argo CD rendering the fleet and leaves the workload
// clusters as they are: the fleet's ApplicationSet goes orphaning its
// Applications, whose resources finalizer is removed before they are
// deleted. Removing the platform must not delete the clusters it serves;
// `fleetup cluster delete` does that, one cluster at a time. It returns
// how many cluster Applications were detached.
func detachFleet(ctx context.Context, env *actions.Env, t *actions.Tally) (int, error) {
	f := env.Plan.Fleet
	if f == nil {
		return 0, nil
	}
	for _, m := range f.Objects {
		u := &unstructured.Unstructured{Object: m.Object}
		if _, err := env.Delete(ctx, t, actions.Ref(u.GetAPIVersion(), u.GetKind(), u.GetNamespace(), u.GetName()), metav1.DeletePropagationOrphan); err != nil {
			return 0, fmt.Errorf("detach the fleet: %w", err)
		}
	}
	ns := env.Plan.ArgoNamespace()
	list, err := env.Kube.Dynamic.Resource(kube.Applications).Namespace(ns).List(ctx, metav1.ListOptions{LabelSelector: fleet.FleetLabel + "=true"})
	if err != nil {
		if kube.IsNoMatch(err) {
			return 0, nil
		}
		return 0, fmt.Errorf("detach the fleet: list Applications: %w", err)
	}
	n := 0
	for i := range list.Items {
		app := &list.Items[i]
		if !madeByFleet(app, f.ApplicationSet) {
			continue
		}
		if err := detachApplication(ctx, env, t, app); err != nil {
			return n, fmt.Errorf("detach the fleet: %w", err)
		}
		n++
	}
	return n, nil
}

// madeByFleet: the fleet's ApplicationSet made app, or made it before an
// earlier run orphaned it (the fleet's labels, no owner left).
func madeByFleet(app *unstructured.Unstructured, set string) bool {
	refs := app.GetOwnerReferences()
	for _, r := range refs {
		if r.Kind == "ApplicationSet" && r.Name == set {
			return true
		}
	}
	return len(refs) == 0 && app.GetLabels()["app.kubernetes.io/managed-by"] == "fleetup"
}
