// Package detach makes Argo CD stop managing itself and External Secrets
// before Helm removes them: their ApplicationSets are deleted orphaning the
// Applications, and the Applications lose the resources finalizer before
// they are deleted, so their resources stay for Helm's uninstall (Argo CD
// must not delete its own controllers half-way).
package detach

import (
	"fmt"

	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/bootstrap/actions/removeaddons"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Action is the detach step.
type Action struct{}

// Name implements actions.Action.
func (Action) Name() string { return "detach" }

// Execute implements actions.Action.
func (Action) Execute(ac *actions.Context) error {
	p := ac.Plan
	n := 0
	// Both ApplicationSets first: neither Application may be recreated.
	for _, r := range p.Releases {
		if set := actions.ApplicationSetOf(p, r.Addon); set != nil {
			if _, err := ac.Delete(ac.Ctx, set, metav1.DeletePropagationOrphan); err != nil {
				return fmt.Errorf("detach %s: %w", r.Addon, err)
			}
		}
	}
	for _, r := range p.Releases {
		app := actions.ApplicationRef(p, r.Addon)
		cur, err := ac.GetApplication(r.Addon)
		if err != nil {
			return fmt.Errorf("detach %s: %w", r.Addon, err)
		}
		if cur == nil {
			continue
		}
		if !actions.Owner.Owns(cur) {
			ac.Removal.NoteForeign("Application " + app.GetNamespace() + "/" + app.GetName() + ": exists without fleetup's labels")
			continue
		}
		if _, err := ac.Kube.RemoveFinalizers(ac.Ctx, cur, removeaddons.ResourcesFinalizer); err != nil {
			return fmt.Errorf("detach %s: %w", r.Addon, err)
		}
		if _, err := ac.Delete(ac.Ctx, app, metav1.DeletePropagationBackground); err != nil {
			return fmt.Errorf("detach %s: %w", r.Addon, err)
		}
		n++
		ac.Report.Addon(actions.AddonStatus{Name: r.Addon, State: actions.AddonRemoving, Message: "Application deleted, resources kept for Helm"})
	}
	ac.Summary = fmt.Sprintf("%d Applications detached; Helm removes what they managed", n)
	return nil
}
