// Package namespaces creates the addons' namespaces before anything is
// installed into them, labelled as fleetup's. A namespace that already
// exists is left as it is: it is not fleetup's, and uninstall keeps it.
package namespaces

import (
	"fmt"

	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/plan"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Action is the namespaces step.
type Action struct{}

// Name implements actions.Action.
func (Action) Name() string { return "namespaces" }

// Execute implements actions.Action.
func (Action) Execute(ac *actions.Context) error {
	var created, ours, foreign int
	for _, name := range ac.Plan.Namespaces {
		// One left terminating by an uninstall just before is waited for,
		// then created again.
		if err := ac.Kube.WaitNotTerminating(ac.Ctx, actions.Ref("v1", "Namespace", "", name)); err != nil {
			return fmt.Errorf("namespaces: %w", err)
		}
		cur, err := ac.Kube.Typed.CoreV1().Namespaces().Get(ac.Ctx, name, metav1.GetOptions{})
		switch {
		case err == nil:
			if cur.Labels[actions.Owner.Key] == actions.Owner.Value {
				ours++
			} else {
				foreign++
			}
			continue
		case !apierrors.IsNotFound(err):
			return fmt.Errorf("namespaces: read %s: %w", name, err)
		}
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: plan.ManagedLabelSet()}}
		// Create, never apply: an existing namespace must not be taken over.
		if _, err := ac.Kube.Typed.CoreV1().Namespaces().Create(ac.Ctx, ns, metav1.CreateOptions{FieldManager: "fleetup"}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("namespaces: create %s: %w", name, err)
		}
		created++
		ac.Changed = true
	}
	ac.Summary = fmt.Sprintf("%d created, %d already fleetup's, %d existing left as they are", created, ours, foreign)
	return nil
}
