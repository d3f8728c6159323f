// Package removenamespaces deletes the namespaces fleetup created (those
// with its labels; a namespace that existed before the install is kept
// and reported), then the install record and fleetup's own namespace.
package removenamespaces

import (
	"fmt"

	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/kube"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Action is the namespaces removal step.
type Action struct{}

// Name implements actions.Action.
func (Action) Name() string { return "remove-namespaces" }

// Execute implements actions.Action.
func (Action) Execute(ac *actions.Context) error {
	ctx, cancel := ac.WithTimeout(ac.Plan.Config.Timeouts.Addon.D())
	defer cancel()
	var deleting []*unstructured.Unstructured
	for _, name := range actions.OwnedNamespaces(ac.Plan) {
		if ac.Removal.KeepPVCs {
			pvcs, err := ac.Kube.Typed.CoreV1().PersistentVolumeClaims(name).List(ctx, metav1.ListOptions{Limit: 1})
			if err != nil {
				return fmt.Errorf("remove-namespaces: list PVCs in %s: %w", name, err)
			}
			if len(pvcs.Items) > 0 {
				// Deleting the namespace would delete the claims.
				ac.Removal.NoteForeign("Namespace " + name + ": kept, it holds PVCs kept by --keep-pvcs")
				continue
			}
		}
		// All deletes first, then the waits: the namespace controller takes
		// seconds per namespace, in parallel.
		ref := actions.Ref("v1", "Namespace", "", name)
		res, err := ac.Kube.DeleteOwned(ctx, ref, actions.Owner, metav1.DeletePropagationBackground)
		if err != nil {
			return fmt.Errorf("remove-namespaces: %w", err)
		}
		switch res {
		case kube.Foreign:
			ac.Removal.NoteForeign("Namespace " + name + ": exists without fleetup's labels")
		case kube.Deleted, kube.Deleting:
			deleting = append(deleting, ref)
		}
	}
	for _, ref := range deleting {
		if err := ac.Kube.WaitGone(ctx, ref); err != nil {
			return fmt.Errorf("remove-namespaces: %w (a resource in it may be blocked by a finalizer: `kubectl get namespace %s -o yaml` lists them)", err, ref.GetName())
		}
		ac.Changed = true
	}
	n := len(deleting)
	if ac.Progress != nil {
		if err := ac.Progress.Remove(ctx, actions.Owner); err != nil {
			return err
		}
	}
	ac.Removal.Count("namespaces", n)
	ac.Summary = fmt.Sprintf("%d namespaces deleted; install record removed", n)
	return nil
}
