// Package detachcatalog is uninstall's first step: Argo CD stops rendering
// the catalog from Git, so it cannot re-create the ApplicationSets that
// uninstall then removes in reverse dependency order. The catalog's
// Application is deleted without cascade (no resources finalizer); for a
// CNOE fork, the bootstrap ApplicationSets that make it are deleted
// orphaning it first.
package detachcatalog

import (
	"context"
	"fmt"
	"path"
	"slices"

	"github.com/fleetup/fleetup/internal/argocd"
	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Action is the detach-catalog step.
type Action struct{}

// New makes the step.
func New() Action { return Action{} }

// Name implements actions.Action.
func (Action) Name() string { return "detach-catalog" }

// Describe implements actions.Action.
func (Action) Describe(p *plan.Plan) string {
	fleet := ""
	if f := p.Fleet; f != nil {
		fleet = "; detach the fleet: delete ApplicationSet " + f.ApplicationSet + " and its cluster Applications without cascade, the workload clusters stay"
	}
	if stagesSet(p) != nil {
		fleet += "; detach the workload clusters' addons: delete ApplicationSet " + stagesSet(p).GetName() + ", the stages Applications and the addon Applications they made without cascade, the addons stay"
	}
	return "make Argo CD stop rendering the catalog from Git: delete Application " + p.GitOps.Application + " without cascade, the ApplicationSets stay for the next step" + fleet
}

// Run implements actions.Action.
func (Action) Run(ctx context.Context, env *actions.Env) (actions.Outcome, error) {
	var t actions.Tally
	clusters, err := detachFleet(ctx, env, &t)
	if err != nil {
		return t.Outcome(""), fmt.Errorf("detach-catalog: %w", err)
	}
	fleetNote := ""
	if clusters > 0 {
		fleetNote = fmt.Sprintf("; the fleet detached: %s left as they are", plan.Count(clusters, "workload cluster"))
	}
	msg, err := detachCatalogApp(ctx, env, &t)
	if err != nil || msg == "" {
		return t.Outcome(""), err
	}
	// The catalog's Application is gone: nothing makes the stages
	// ApplicationSet again.
	workloads, err := detachStages(ctx, env, &t)
	if err != nil {
		return t.Outcome(""), fmt.Errorf("detach-catalog: %w", err)
	}
	if workloads > 0 {
		msg += fmt.Sprintf("; the addons of %s left running", plan.Count(workloads, "workload cluster"))
	}
	return t.Outcome(msg + fleetNote), nil
}

// detachCatalogApp deletes the catalog's Application without cascade
// (for a CNOE fork, its bootstrap ApplicationSets orphaning it first) and
// says what it did; empty when the Application is foreign (recorded in t).
func detachCatalogApp(ctx context.Context, env *actions.Env, t *actions.Tally) (string, error) {
	p := env.Plan
	var sets []string
	for _, m := range p.GitOps.Objects {
		u := &unstructured.Unstructured{Object: m.Object}
		if u.GetKind() != "ApplicationSet" {
			continue
		}
		sets = append(sets, u.GetName())
		// Orphan: the Application it made must not take the catalog's
		// ApplicationSets with it.
		if _, err := env.Delete(ctx, t, actions.Ref(u.GetAPIVersion(), u.GetKind(), u.GetNamespace(), u.GetName()), metav1.DeletePropagationOrphan); err != nil {
			return "", fmt.Errorf("detach-catalog: %w", err)
		}
	}
	ref := argocd.ApplicationRef(p.ArgoNamespace(), p.GitOps.Application)
	cur, err := env.Kube.Get(ctx, ref)
	if err != nil && !kube.IsNoMatch(err) {
		return "", fmt.Errorf("detach-catalog: %w", err)
	}
	if cur == nil {
		return "the catalog's Application is not there", nil
	}
	if !actions.Owner.Owns(cur) && !madeBy(cur, sets, p) {
		t.Foreign(kube.Describe(cur) + ": exists without fleetup's labels and was not made by its bootstrap ApplicationSets")
		return "", nil
	}
	if _, err := env.Kube.RemoveFinalizers(ctx, cur, cur.GetFinalizers()...); err != nil {
		return "", fmt.Errorf("detach-catalog: %w", err)
	}
	ri, _, err := env.Kube.Resource(cur.DeepCopy())
	if err != nil {
		return "", fmt.Errorf("detach-catalog: %w", err)
	}
	uid := cur.GetUID()
	if err := ri.Delete(ctx, cur.GetName(), metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}}); err != nil && !apierrors.IsNotFound(err) {
		return "", fmt.Errorf("detach-catalog: delete %s: %w", kube.Describe(cur), err)
	}
	if err := env.Kube.WaitGone(ctx, ref); err != nil {
		return "", fmt.Errorf("detach-catalog: %w", err)
	}
	t.Changed()
	return "Application " + p.GitOps.Application + " deleted; Argo CD no longer renders the catalog, its ApplicationSets stay", nil
}

// madeBy reports whether one of the fork's bootstrap ApplicationSets made
// obj: it names one as owner or, orphaned by an earlier run's delete
// above, renders the appset chart from the plan's repository.
func madeBy(obj *unstructured.Unstructured, sets []string, p *plan.Plan) bool {
	if len(sets) == 0 {
		return false
	}
	refs := obj.GetOwnerReferences()
	for _, r := range refs {
		if r.Kind == "ApplicationSet" && slices.Contains(sets, r.Name) {
			return true
		}
	}
	if len(refs) > 0 {
		return false
	}
	srcs, _, _ := unstructured.NestedSlice(obj.Object, "spec", "sources")
	if src, ok, _ := unstructured.NestedMap(obj.Object, "spec", "source"); ok {
		srcs = append(srcs, src)
	}
	chart := path.Join(p.Config.Repo.BasePath, plan.AppSetChartDir)
	for _, s := range srcs {
		m, _ := s.(map[string]any)
		if m["repoURL"] == p.Config.Repo.URL && m["path"] == chart {
			return true
		}
	}
	return false
}
