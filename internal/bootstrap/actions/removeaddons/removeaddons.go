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

	"github.com/fleetup/fleetup/internal/argocd"
	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	"github.com/fleetup/fleetup/internal/report"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Action is the addons removal step.
type Action struct{ keepPVCs bool }

// New makes the step; with keepPVCs the addons' PVCs stay.
func New(o actions.RemoveOptions) Action { return Action{keepPVCs: o.KeepPVCs} }

// Name implements actions.Action.
func (Action) Name() string { return "remove-addons" }

// Describe implements actions.Action.
func (Action) Describe(*plan.Plan) string {
	return "delete each addon's ApplicationSet and Application in reverse dependency order, waiting until Argo CD deleted its resources"
}

// Run implements actions.Action.
func (a Action) Run(ctx context.Context, env *actions.Env) (actions.Outcome, error) {
	var t actions.Tally
	p := env.Plan
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
				did, err := a.removeAddon(ctx, env, &t, name)
				if err != nil {
					errs[i] = fmt.Errorf("remove %s: %w", name, err)
				}
				if did {
					t.Count("addons", 1)
				}
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			// Its dependencies stay: removing them now could break it.
			return t.Outcome(""), err
		}
	}
	if err := removeUnselected(ctx, env, &t); err != nil {
		return t.Outcome(""), err
	}
	return t.Outcome(fmt.Sprintf("%d addons removed in reverse dependency order", t.Removed("addons"))), nil
}

// removeUnselected deletes the catalog's ApplicationSets that belong to no
// installed addon (actions.UnselectedApplicationSets). They make no
// Application for the hub; any they made for other clusters is orphaned,
// as the addons' are.
func removeUnselected(ctx context.Context, env *actions.Env, t *actions.Tally) error {
	for _, set := range actions.UnselectedApplicationSets(env.Plan) {
		if _, err := env.Delete(ctx, t, set, metav1.DeletePropagationOrphan); err != nil {
			return fmt.Errorf("remove ApplicationSet %s: %w", set.GetName(), err)
		}
	}
	return nil
}

// removeAddon deletes one addon and waits until it is gone; it reports
// whether there was anything to delete.
func (a Action) removeAddon(ctx context.Context, env *actions.Env, t *actions.Tally, name string) (bool, error) {
	p := env.Plan
	ad := p.Catalog.Get(name)
	ctx, cancel := context.WithTimeoutCause(ctx, ad.Timeout(p.Config.Timeouts.Addon.D()), fmt.Errorf("addon %s not removed within its timeout", name))
	defer cancel()
	start := time.Now()
	tell := func(st report.AddonState, msg string) {
		env.Report.Addon(report.AddonStatus{Name: name, State: st, Message: msg, Since: time.Now(), Started: start})
	}
	app := actions.ApplicationRef(p, name)
	cur, err := env.Kube.Get(ctx, app)
	if err != nil && !kube.IsNoMatch(err) {
		return false, err
	}
	did := false
	// Whether the Application is fleetup's is decided now: a CNOE fork's
	// is fleetup's only through its owner reference to the ApplicationSet,
	// which the orphaning delete below removes, and the label claimed here
	// may be reset by the ApplicationSet controller until that is gone.
	var claim actions.Claimed
	if cur != nil && env.Owner().Owns(cur) {
		claim = actions.Claimed{UID: cur.GetUID()}
		if cur.GetDeletionTimestamp() == nil {
			tell(report.AddonRemoving, "deleting its Application and resources")
			if cur, err = env.Claim(ctx, cur); err != nil {
				return false, err
			}
		}
	}
	// The ApplicationSet goes first, orphaning the Application: it would
	// make the Application again, and with preserveResourcesOnDeletion it
	// strips the resources finalizer added below.
	if set := actions.ApplicationSetOf(p, name); set != nil {
		d, err := env.Delete(ctx, t, set, metav1.DeletePropagationOrphan)
		if err != nil {
			return false, err
		}
		did = did || d
	}
	if claim.UID != "" {
		// Nothing resets the label now: claimed again for a rerun.
		if cur, err = env.Kube.Get(ctx, app); err != nil {
			return false, err
		}
		if cur != nil && claim.Owns(cur) && cur.GetDeletionTimestamp() == nil {
			if cur, err = env.Claim(ctx, cur); err != nil {
				return false, err
			}
			// An Application without the finalizer would orphan its resources.
			if cur != nil && !slices.Contains(cur.GetFinalizers(), argocd.ResourcesFinalizer) {
				if err := env.Kube.AddFinalizer(ctx, cur, argocd.ResourcesFinalizer); err != nil {
					return false, err
				}
			}
		}
		if a.keepPVCs {
			if err := orphanPVCs(ctx, env, name); err != nil {
				return false, err
			}
		}
		d, err := env.DeleteAs(ctx, t, app, claim, metav1.DeletePropagationBackground)
		if err != nil {
			return false, fmt.Errorf("%w (Argo CD deletes the addon's resources first: `kubectl -n %s get application %s -o yaml` shows what is left)", err, app.GetNamespace(), app.GetName())
		}
		did = did || d
	} else if cur != nil {
		t.Foreign(kube.Describe(cur) + ": exists without fleetup's labels and not made by the catalog")
	}
	n, err := a.removePVCs(ctx, env, name)
	if err != nil {
		return did, err
	}
	if n > 0 {
		t.Count("PVCs", n)
	}
	if did || n > 0 {
		msg := "Application and resources deleted"
		if n > 0 {
			msg += fmt.Sprintf(", %d PVCs", n)
		}
		tell(report.AddonRemoved, msg)
	}
	return did || n > 0, nil
}

// removePVCs deletes the PVCs the catalog declares for the addon (Argo CD
// does not delete a StatefulSet's claims), unless --keep-pvcs.
func (a Action) removePVCs(ctx context.Context, env *actions.Env, name string) (int, error) {
	if a.keepPVCs {
		return 0, nil
	}
	pvcs, err := actions.AddonPVCs(ctx, env.Kube, env.Plan.Catalog.Get(name))
	if err != nil {
		return 0, err
	}
	for _, pvc := range pvcs {
		ns := pvc.Namespace
		ref := actions.Ref("v1", "PersistentVolumeClaim", ns, pvc.Name)
		if err := env.Kube.Typed.CoreV1().PersistentVolumeClaims(ns).Delete(ctx, pvc.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &pvc.UID}}); err != nil {
			return 0, fmt.Errorf("delete %s: %w", kube.Describe(ref), err)
		}
		if err := env.Kube.WaitGone(ctx, ref); err != nil {
			return 0, err
		}
	}
	return len(pvcs), nil
}

// orphanPVCs takes the owner references off the PVCs the catalog declares
// for the addon, so that --keep-pvcs keeps them: an operator's claims
// (CloudNativePG's) are owned by its database object, and the garbage
// collector would delete them with it once Argo CD deletes that.
func orphanPVCs(ctx context.Context, env *actions.Env, name string) error {
	pvcs, err := actions.AddonPVCs(ctx, env.Kube, env.Plan.Catalog.Get(name))
	if err != nil {
		return err
	}
	for _, pvc := range pvcs {
		if len(pvc.OwnerReferences) == 0 {
			continue
		}
		// The UID precondition: the claim read above, not a new one.
		patch := fmt.Sprintf(`{"metadata":{"uid":%q,"ownerReferences":null}}`, pvc.UID)
		_, err := env.Kube.Typed.CoreV1().PersistentVolumeClaims(pvc.Namespace).Patch(ctx, pvc.Name, types.MergePatchType, []byte(patch), metav1.PatchOptions{})
		if apierrors.IsNotFound(err) {
			continue // gone since the list: nothing left to keep
		}
		if err != nil {
			return fmt.Errorf("keep PVC %s/%s (take off its owner references): %w", pvc.Namespace, pvc.Name, err)
		}
	}
	return nil
}
