package detachcatalog

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/fleetup/fleetup/internal/argocd"
	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// detachStages stops Argo CD delivering addons to the workload clusters and
// leaves their addons running: the stages ApplicationSet goes orphaning the
// stages Applications, each of which is deleted without cascade (its
// finalizer removed first, else Argo CD would delete the addon Applications
// and, through theirs, the addons), then the addon Applications they made
// lose their finalizer and are deleted. It runs once the catalog's
// Application is gone, which would make the ApplicationSet again, and
// finds what an interrupted run left by name, so a rerun converges. It
// returns how many workload clusters were detached.
func detachStages(ctx context.Context, env *actions.Env, t *actions.Tally) (int, error) {
	set := stagesSet(env.Plan)
	if set == nil {
		return 0, nil
	}
	prefix, _, _ := unstructured.NestedString(set.Object, "spec", "template", "metadata", "name")
	prefix = strings.TrimSpace(prefix[:strings.Index(prefix+"{{", "{{")])
	if prefix == "" {
		return 0, fmt.Errorf("detach the workload clusters' addons: ApplicationSet %s names its Applications %q", set.GetName(), prefix)
	}
	if _, err := env.Delete(ctx, t, actions.Ref(set.GetAPIVersion(), set.GetKind(), set.GetNamespace(), set.GetName()), metav1.DeletePropagationOrphan); err != nil {
		return 0, fmt.Errorf("detach the workload clusters' addons: %w", err)
	}
	apps, err := env.Kube.Dynamic.Resource(kube.Applications).Namespace(env.Plan.ArgoNamespace()).List(ctx, metav1.ListOptions{})
	if err != nil {
		if kube.IsNoMatch(err) {
			return 0, nil
		}
		return 0, fmt.Errorf("detach the workload clusters' addons: list Applications: %w", err)
	}
	// A stages Application's addon Applications carry Argo CD's tracking
	// annotation naming it: "<stages Application>:argoproj.io/Application:<ns>/<name>".
	var stages, staged []*unstructured.Unstructured
	for i := range apps.Items {
		app := &apps.Items[i]
		switch {
		case app.GetLabels()[plan.StagesLabel] == "true" && strings.HasPrefix(app.GetName(), prefix):
			stages = append(stages, app)
		case strings.HasPrefix(app.GetAnnotations()[actions.TrackingAnnotation], prefix) &&
			strings.Contains(app.GetAnnotations()[actions.TrackingAnnotation], ":argoproj.io/Application:"):
			staged = append(staged, app)
		}
	}
	for _, app := range append(stages, staged...) {
		if !env.Owner().Owns(app) {
			t.Foreign(kube.Describe(app) + ": exists without fleetup's labels")
			continue
		}
		if err := detachApplication(ctx, env, t, app); err != nil {
			return 0, fmt.Errorf("detach the workload clusters' addons: %w", err)
		}
	}
	return len(stages), nil
}

// detachApplication deletes an Application the caller judged fleetup's
// without cascade: its resources finalizer goes first; it is deleted by
// its UID, as uninstall deletes what it claimed.
func detachApplication(ctx context.Context, env *actions.Env, t *actions.Tally, app *unstructured.Unstructured) error {
	if slices.Contains(app.GetFinalizers(), argocd.ResourcesFinalizer) {
		if _, err := env.Kube.RemoveFinalizers(ctx, app, argocd.ResourcesFinalizer); err != nil {
			return err
		}
	}
	_, err := env.DeleteAs(ctx, t, app, actions.Claimed{UID: app.GetUID()}, metav1.DeletePropagationBackground)
	return err
}

// stagesSet is the catalog's stages ApplicationSet in the plan; nil when
// the catalog's chart has none.
func stagesSet(p *plan.Plan) *unstructured.Unstructured {
	for _, m := range p.ApplicationSets {
		u := &unstructured.Unstructured{Object: m.Object}
		if u.GetKind() == "ApplicationSet" && u.GetLabels()[plan.StagesLabel] == "true" {
			return u
		}
	}
	return nil
}
