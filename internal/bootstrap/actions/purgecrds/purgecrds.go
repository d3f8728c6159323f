// Package purgecrds deletes, with --purge-crds, the CRDs of the groups the
// catalog declares, once their custom resources are gone. A CRD that still
// has a custom resource blocked by a finalizer is kept and reported.
package purgecrds

import (
	"fmt"
	"strings"

	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/bootstrap/actions/purgecrs"
	"github.com/fleetup/fleetup/internal/kube"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Action is the CRDs step.
type Action struct{}

// Name implements actions.Action.
func (Action) Name() string { return "purge-crds" }

// Execute implements actions.Action.
func (Action) Execute(ac *actions.Context) error {
	if !ac.Removal.PurgeCRDs {
		ac.Summary = "skipped: CRDs kept (--purge-crds removes them)"
		return nil
	}
	crds, err := purgecrs.CRDs(ac.Ctx, ac.Kube, actions.CRDGroups(ac.Plan))
	if err != nil {
		return err
	}
	var deleted, kept []string
	for _, c := range crds {
		left, err := purgecrs.Resources(ac.Ctx, ac.Kube, []purgecrs.CRD{c})
		if err != nil {
			return err
		}
		if len(left) > 0 {
			// Deleting the CRD would leave it Terminating behind them.
			kept = append(kept, fmt.Sprintf("%s (%d custom resources left)", c.Name, len(left)))
			continue
		}
		ref := actions.Ref("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", c.Name)
		if err := ac.Kube.Dynamic.Resource(kube.CRDs).Delete(ac.Ctx, c.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("purge-crds: delete %s: %w", c.Name, err)
		}
		ctx, cancel := ac.WithTimeout(ac.Removal.FinalizerTimeout)
		err = ac.Kube.WaitGone(ctx, ref)
		cancel()
		if err != nil {
			return fmt.Errorf("purge-crds: %w", err)
		}
		ac.Changed = true
		deleted = append(deleted, c.Name)
	}
	ac.Kube.ResetMapper()
	ac.Removal.Count("CRDs", len(deleted))
	ac.Summary = fmt.Sprintf("%d CRDs deleted", len(deleted))
	if len(kept) > 0 {
		ac.Summary += "; kept: " + strings.Join(kept, ", ")
	}
	return nil
}
