// Package removeaddons removes the addons Argo CD installed, in reverse
// dependency order: an addon goes only once everything that depends on it
// is gone. Deleting an addon's ApplicationSet lets Kubernetes delete its
// Application, whose resources finalizer makes Argo CD delete the addon's
// resources first; the step waits, with a watch, until the Application is
// gone, then deletes the PVCs the catalog declares for the addon.
package removeaddons

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/kube"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ResourcesFinalizer makes Argo CD delete an Application's resources
// before the Application itself.
const ResourcesFinalizer = "resources-finalizer.argocd.argoproj.io"

// Action is the addons removal step.
type Action struct{}

// Name implements actions.Action.
func (Action) Name() string { return "remove-addons" }

// Execute implements actions.Action.
func (Action) Execute(ac *actions.Context) error {
	p := ac.Plan
	levels := p.Graph.Levels
	for l := len(levels) - 1; l >= 0; l-- {
		var wg sync.WaitGroup
		errs := make([]error, len(levels[l]))
		for i, name := range levels[l] {
			if actions.IsCore(p, name) {
				continue // detached, not deleted: see the detach step
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				did, err := removeAddon(ac, name)
				if err != nil {
					errs[i] = fmt.Errorf("remove %s: %w", name, err)
				}
				if did {
					ac.Removal.Count("addons", 1)
				}
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			// Its dependencies stay: removing them now could break it.
			return err
		}
	}
	ac.Summary = fmt.Sprintf("%d addons removed in reverse dependency order", ac.Removal.Removed["addons"])
	return nil
}

// removeAddon deletes one addon and waits until it is gone; it reports
// whether there was anything to delete.
func removeAddon(ac *actions.Context, name string) (bool, error) {
	p := ac.Plan
	a := p.Catalog.Get(name)
	ctx, cancel := context.WithTimeoutCause(ac.Ctx, a.Timeout(p.Config.Timeouts.Addon.D()), fmt.Errorf("addon %s not removed within its timeout", name))
	defer cancel()
	start := time.Now()
	report := func(st actions.AddonState, msg string) {
		ac.Report.Addon(actions.AddonStatus{Name: name, State: st, Message: msg, Since: time.Now(), Started: start})
	}
	app := actions.ApplicationRef(p, name)
	cur, err := ac.Kube.Get(ctx, app)
	if err != nil && !kube.IsNoMatch(err) {
		return false, err
	}
	did := false
	if cur != nil && actions.Owner.Owns(cur) {
		report(actions.AddonRemoving, "deleting its Application and resources")
		// An Application without the finalizer would orphan its resources.
		if cur.GetDeletionTimestamp() == nil && !slices.Contains(cur.GetFinalizers(), ResourcesFinalizer) {
			if err := ac.Kube.AddFinalizer(ctx, cur, ResourcesFinalizer); err != nil {
				return false, err
			}
		}
	}
	if set := actions.ApplicationSetOf(p, name); set != nil {
		d, err := ac.Delete(ctx, set, metav1.DeletePropagationBackground)
		if err != nil {
			return false, err
		}
		did = did || d
	}
	if cur != nil {
		// Also delete it directly: it may have lost its ApplicationSet.
		d, err := ac.Delete(ctx, app, metav1.DeletePropagationBackground)
		if err != nil {
			return false, fmt.Errorf("%w (Argo CD deletes the addon's resources first: `kubectl -n %s get application %s -o yaml` shows what is left)", err, app.GetNamespace(), app.GetName())
		}
		did = did || d
	}
	n, err := removePVCs(ctx, ac, name)
	if err != nil {
		return did, err
	}
	if did || n > 0 {
		msg := "Application and resources deleted"
		if n > 0 {
			msg += fmt.Sprintf(", %d PVCs", n)
		}
		report(actions.AddonRemoved, msg)
	}
	return did || n > 0, nil
}

// removePVCs deletes the PVCs the catalog declares for the addon (Argo CD
// does not delete a StatefulSet's claims), unless --keep-pvcs.
func removePVCs(ctx context.Context, ac *actions.Context, name string) (int, error) {
	if ac.Removal.KeepPVCs {
		return 0, nil
	}
	pvcs, err := actions.AddonPVCs(ctx, ac.Kube, ac.Plan.Catalog.Get(name))
	if err != nil {
		return 0, err
	}
	for _, pvc := range pvcs {
		ns := pvc.Namespace
		ref := actions.Ref("v1", "PersistentVolumeClaim", ns, pvc.Name)
		if err := ac.Kube.Typed.CoreV1().PersistentVolumeClaims(ns).Delete(ctx, pvc.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &pvc.UID}}); err != nil {
			return 0, fmt.Errorf("delete %s: %w", kube.Describe(ref), err)
		}
		if err := ac.Kube.WaitGone(ctx, ref); err != nil {
			return 0, err
		}
	}
	ac.Removal.Count("PVCs", len(pvcs))
	return len(pvcs), nil
}
