// Package purgecrds deletes, with --purge-crds, the platform's CRDs
// (purgecrs.Select), once their custom resources are gone. A CRD that still
// has a custom resource blocked by a finalizer is kept and reported.
package purgecrds

import (
	"context"
	"fmt"
	"strings"

	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/bootstrap/actions/purgecrs"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Action is the CRDs step.
type Action struct{ opts actions.RemoveOptions }

// New makes the step; it does nothing without o.PurgeCRDs.
func New(o actions.RemoveOptions) Action { return Action{opts: o} }

// Name implements actions.Action.
func (Action) Name() string { return "purge-crds" }

// Describe implements actions.Action.
func (Action) Describe(*plan.Plan) string {
	return "with --purge-crds: delete the platform's CRDs once they hold no custom resource"
}

// Run implements actions.Action.
func (a Action) Run(ctx context.Context, env *actions.Env) (actions.Outcome, error) {
	if !a.opts.PurgeCRDs {
		return actions.Skip("CRDs kept (--purge-crds removes them)"), nil
	}
	var t actions.Tally
	sel, err := purgecrs.Selected(ctx, env.Kube, env.Plan)
	if err != nil {
		return t.Outcome(""), err
	}
	crds, err := purgecrs.CRDs(ctx, env.Kube, sel)
	if err != nil {
		return t.Outcome(""), err
	}
	var deleted, kept []string
	for _, c := range crds {
		left, err := purgecrs.Resources(ctx, env.Kube, []purgecrs.CRD{c})
		if err != nil {
			return t.Outcome(""), err
		}
		if len(left) > 0 {
			// Deleting the CRD would leave it Terminating behind them.
			kept = append(kept, fmt.Sprintf("%s (%d custom resources left)", c.Name, len(left)))
			continue
		}
		ref := actions.Ref("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", c.Name)
		// Conditional on the UID selected: a CRD replaced since is not the
		// one judged to be fleetup's.
		uid := c.UID
		err = env.Kube.Dynamic.Resource(kube.CRDs).Delete(ctx, c.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
		switch {
		case apierrors.IsConflict(err):
			continue
		case err != nil && !apierrors.IsNotFound(err):
			return t.Outcome(""), fmt.Errorf("purge-crds: delete %s: %w", c.Name, err)
		}
		wctx, cancel := context.WithTimeout(ctx, a.opts.FinalizerTimeout)
		err = env.Kube.WaitGone(wctx, ref)
		cancel()
		if err != nil {
			return t.Outcome(""), fmt.Errorf("purge-crds: %w", err)
		}
		t.Changed()
		deleted = append(deleted, c.Name)
	}
	env.Kube.ResetMapper()
	t.Count("CRDs", len(deleted))
	summary := fmt.Sprintf("%d CRDs deleted", len(deleted))
	if len(deleted) > 0 {
		summary += ": " + strings.Join(deleted, ", ")
	}
	if len(kept) > 0 {
		summary += "; kept: " + strings.Join(kept, ", ")
	}
	return t.Outcome(summary), nil
}
