// Package detach makes Argo CD stop managing itself and External Secrets
// before Helm removes them: their ApplicationSets are deleted orphaning the
// Applications, and the Applications lose the resources finalizer before
// they are deleted, so their resources stay for Helm's uninstall (Argo CD
// must not delete its own controllers half-way).
package detach

import (
	"context"
	"fmt"

	"github.com/fleetup/fleetup/internal/argocd"
	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	"github.com/fleetup/fleetup/internal/report"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Action is the detach step.
type Action struct{}

// New makes the step.
func New() Action { return Action{} }

// Name implements actions.Action.
func (Action) Name() string { return "detach" }

// Describe implements actions.Action.
func (Action) Describe(*plan.Plan) string {
	return "make Argo CD let go of itself and External Secrets (their Applications deleted, resources kept for Helm)"
}

// Run implements actions.Action.
func (Action) Run(ctx context.Context, env *actions.Env) (actions.Outcome, error) {
	var t actions.Tally
	p := env.Plan
	n := 0
	// Which Applications are fleetup's is decided before their
	// ApplicationSets go: a CNOE fork's are fleetup's only through their
	// owner reference to one, which the orphaning delete removes.
	claims := map[string]actions.Claimed{}
	for _, r := range p.Releases {
		cur, err := env.GetApplication(ctx, r.Addon)
		if err != nil {
			return t.Outcome(""), fmt.Errorf("detach %s: %w", r.Addon, err)
		}
		if cur != nil && env.Owner().Owns(cur) {
			claims[r.Addon] = actions.Claimed{UID: cur.GetUID()}
		}
	}
	// Both ApplicationSets first: neither Application may be recreated.
	for _, r := range p.Releases {
		if set := actions.ApplicationSetOf(p, r.Addon); set != nil {
			if _, err := env.Delete(ctx, &t, set, metav1.DeletePropagationOrphan); err != nil {
				return t.Outcome(""), fmt.Errorf("detach %s: %w", r.Addon, err)
			}
		}
	}
	for _, r := range p.Releases {
		app := actions.ApplicationRef(p, r.Addon)
		cur, err := env.GetApplication(ctx, r.Addon)
		if err != nil {
			return t.Outcome(""), fmt.Errorf("detach %s: %w", r.Addon, err)
		}
		if cur == nil {
			continue
		}
		var owner kube.Ownership = env.Owner()
		if c, ok := claims[r.Addon]; ok && c.Owns(cur) {
			owner = c
		}
		if !owner.Owns(cur) {
			t.Foreign("Application " + app.GetNamespace() + "/" + app.GetName() + ": exists without fleetup's labels")
			continue
		}
		// Labelled, so a rerun after an interruption still knows it.
		if cur, err = env.Claim(ctx, cur); err != nil {
			return t.Outcome(""), fmt.Errorf("detach %s: %w", r.Addon, err)
		}
		if cur == nil {
			continue
		}
		if _, err := env.Kube.RemoveFinalizers(ctx, cur, argocd.ResourcesFinalizer); err != nil {
			return t.Outcome(""), fmt.Errorf("detach %s: %w", r.Addon, err)
		}
		if _, err := env.DeleteAs(ctx, &t, app, owner, metav1.DeletePropagationBackground); err != nil {
			return t.Outcome(""), fmt.Errorf("detach %s: %w", r.Addon, err)
		}
		n++
		env.Report.Addon(report.AddonStatus{Name: r.Addon, State: report.AddonRemoving, Message: "Application deleted, resources kept for Helm"})
	}
	return t.Outcome(fmt.Sprintf("%d Applications detached; Helm removes what they managed", n)), nil
}
