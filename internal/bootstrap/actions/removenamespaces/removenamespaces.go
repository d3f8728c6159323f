// Package removenamespaces deletes the namespaces fleetup created (those
// with its labels; a namespace that existed before the install is kept
// and reported). The install record goes last, after every step (see
// bootstrap.Uninstall.Execute).
package removenamespaces

import (
	"context"
	"fmt"

	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Action is the namespaces removal step.
type Action struct{ keepPVCs bool }

// New makes the step; with keepPVCs a namespace holding PVCs is kept.
func New(o actions.RemoveOptions) Action { return Action{keepPVCs: o.KeepPVCs} }

// Name implements actions.Action.
func (Action) Name() string { return "remove-namespaces" }

// Describe implements actions.Action.
func (Action) Describe(*plan.Plan) string {
	return "delete the namespaces fleetup created; then the install record, unless a resource is stuck (it remembers the addons' CRDs for a rerun)"
}

// Run implements actions.Action.
func (a Action) Run(ctx context.Context, env *actions.Env) (actions.Outcome, error) {
	var t actions.Tally
	ctx, cancel := context.WithTimeout(ctx, env.Plan.Config.Timeouts.Addon.D())
	defer cancel()
	var deleting []*unstructured.Unstructured
	for _, name := range actions.OwnedNamespaces(env.Plan) {
		if a.keepPVCs {
			pvcs, err := env.Kube.Typed.CoreV1().PersistentVolumeClaims(name).List(ctx, metav1.ListOptions{Limit: 1})
			if err != nil {
				return t.Outcome(""), fmt.Errorf("remove-namespaces: list PVCs in %s: %w", name, err)
			}
			if len(pvcs.Items) > 0 {
				// Deleting the namespace would delete the claims.
				t.Foreign("Namespace " + name + ": kept, it holds PVCs kept by --keep-pvcs")
				continue
			}
		}
		// All deletes first, then the waits: the namespace controller takes
		// seconds per namespace, in parallel.
		ref := actions.Ref("v1", "Namespace", "", name)
		res, err := env.Kube.DeleteOwned(ctx, ref, actions.Owner, metav1.DeletePropagationBackground)
		if err != nil {
			return t.Outcome(""), fmt.Errorf("remove-namespaces: %w", err)
		}
		switch res {
		case kube.Foreign:
			t.Foreign("Namespace " + name + ": exists without fleetup's labels")
		case kube.Deleted, kube.Deleting:
			deleting = append(deleting, ref)
		}
	}
	for _, ref := range deleting {
		if err := env.Kube.WaitGone(ctx, ref); err != nil {
			return t.Outcome(""), fmt.Errorf("remove-namespaces: %w (a resource in it may be blocked by a finalizer: `kubectl get namespace %s -o yaml` lists them)", err, ref.GetName())
		}
		t.Changed()
	}
	t.Count("namespaces", len(deleting))
	return t.Outcome(fmt.Sprintf("%d namespaces deleted", len(deleting))), nil
}
