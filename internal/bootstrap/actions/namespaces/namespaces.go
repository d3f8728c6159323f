// Package namespaces creates the addons' namespaces before anything is
// installed into them, labelled as fleetup's. A namespace that already
// exists is left as it is: it is not fleetup's, and uninstall keeps it.
package namespaces

import (
	"context"
	"fmt"
	"strings"

	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/plan"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Action is the namespaces step.
type Action struct{}

// New makes the step.
func New() Action { return Action{} }

// Name implements actions.Action.
func (Action) Name() string { return "namespaces" }

// Describe implements actions.Action.
func (Action) Describe(p *plan.Plan) string {
	return "create the addons' namespaces that do not exist yet (" + strings.Join(p.Namespaces, ", ") + "), labelled as fleetup's"
}

// Run implements actions.Action.
func (Action) Run(ctx context.Context, env *actions.Env) (actions.Outcome, error) {
	var out actions.Outcome
	var created, ours, foreign int
	for _, name := range env.Plan.Namespaces {
		// One left terminating by an uninstall just before is waited for,
		// then created again.
		if err := env.Kube.WaitNotTerminating(ctx, actions.Ref("v1", "Namespace", "", name)); err != nil {
			return out, fmt.Errorf("namespaces: %w", err)
		}
		cur, err := env.Kube.Typed.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
		switch {
		case err == nil:
			if cur.Labels[actions.Owner.Key] == actions.Owner.Value {
				ours++
			} else {
				foreign++
			}
			continue
		case !apierrors.IsNotFound(err):
			return out, fmt.Errorf("namespaces: read %s: %w", name, err)
		}
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: plan.ManagedLabelSet()}}
		// Create, never apply: an existing namespace must not be taken over.
		if _, err := env.Kube.Typed.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{FieldManager: "fleetup"}); err != nil && !apierrors.IsAlreadyExists(err) {
			return out, fmt.Errorf("namespaces: create %s: %w", name, err)
		}
		created++
		out.Changed = true
	}
	out.Summary = fmt.Sprintf("%d created, %d already fleetup's, %d existing left as they are", created, ours, foreign)
	return out, nil
}
