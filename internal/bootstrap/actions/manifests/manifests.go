// Package manifests applies the bootstrap manifests (packages/<chart>/
// manifests of Argo CD and External Secrets) and the ClusterSecretStore with
// server-side apply, CRDs first, and waits for the store to be Ready.
package manifests

import (
	"context"
	"fmt"
	"strings"

	"github.com/fleetup/fleetup/internal/argocd"
	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Action is the bootstrap step.
type Action struct{}

// New makes the step.
func New() Action { return Action{} }

// Name implements actions.Action.
func (Action) Name() string { return "bootstrap" }

// Describe implements actions.Action.
func (Action) Describe(p *plan.Plan) string {
	return "apply " + plan.Count(len(p.Bootstrap), "bootstrap object") + " (server-side apply), waiting for CRDs first"
}

// Run implements actions.Action.
func (Action) Run(ctx context.Context, env *actions.Env) (actions.Outcome, error) {
	var out actions.Outcome
	var objs, stores []*unstructured.Unstructured
	for _, m := range env.Plan.Bootstrap {
		o := Labelled(m.Object)
		objs = append(objs, o)
		// The packages tree's own store replaces fleetup's: wait for it too.
		if m.Kind == "ClusterSecretStore" && m.Name == env.Plan.Config.Secrets.StoreName {
			stores = append(stores, o)
		}
	}
	for _, m := range env.Plan.Secrets.Store {
		if m.Kind == "ClusterSecretStore" {
			o := Labelled(m.Object)
			objs = append(objs, o)
			stores = append(stores, o)
		}
	}
	// CRDs first (ApplyAll waits for them), then everything in order.
	var crds, rest []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == "CustomResourceDefinition" {
			crds = append(crds, o)
		} else {
			rest = append(rest, o)
		}
	}
	if err := env.Kube.ApplyAll(ctx, crds); err != nil {
		return out, fmt.Errorf("bootstrap: %w", err)
	}
	if len(crds) > 0 {
		env.Kube.ResetMapper()
	}
	counts := kube.Counts{}
	handed := map[string]bool{}
	for _, o := range rest {
		left, err := leftToArgoCD(ctx, env, o, handed)
		if err != nil {
			return out, fmt.Errorf("bootstrap: %w", err)
		}
		if left {
			counts[kube.Unchanged]++
			continue
		}
		ch, err := env.Kube.ApplyChange(ctx, o)
		if err != nil {
			return out, fmt.Errorf("bootstrap: %w", err)
		}
		counts[ch]++
	}
	for _, s := range stores {
		wctx, cancel := context.WithTimeout(ctx, env.Plan.Config.Timeouts.Helm.D())
		_, err := env.Kube.WaitFor(wctx, kube.GVR("external-secrets.io", "v1", "clustersecretstores"), "", s.GetName(), "ClusterSecretStore "+s.GetName()+" to be Ready", kube.ConditionTrue("Ready"))
		cancel()
		if err != nil {
			return out, fmt.Errorf("bootstrap: %w (External Secrets cannot read the platform secrets; check the store's provider settings)", err)
		}
	}
	out.Changed = counts.Changed()
	out.Summary = fmt.Sprintf("%d objects: %s; secret store ready", len(objs), counts)
	return out, nil
}

// leftToArgoCD reports whether Argo CD manages obj now: the Application of
// Argo CD or External Secrets applied it (its tracking annotation) and is
// healthy. Applying it again would only take fields back from Argo CD (and
// from controllers that rewrite them, as External Secrets does with
// refreshInterval), so each rerun would report a change. handed caches the
// Applications' verdicts.
func leftToArgoCD(ctx context.Context, env *actions.Env, obj *unstructured.Unstructured, handed map[string]bool) (bool, error) {
	cur, err := env.Kube.Get(ctx, obj)
	// Not fleetup's yet (a first install, --adopt): applied, to claim it.
	if err != nil || cur == nil || !actions.Owner.Owns(cur) {
		return false, err
	}
	id := cur.GetAnnotations()[actions.TrackingAnnotation]
	for _, r := range env.Plan.Releases {
		app := argocd.ApplicationName(r.Addon, env.Plan.Config.ClusterName)
		if !strings.HasPrefix(id, app+":") {
			continue
		}
		ok, seen := handed[app]
		if !seen {
			a, err := env.GetApplication(ctx, r.Addon)
			if err != nil {
				return false, err
			}
			ok = a != nil && argocd.Read(a).Healthy()
			handed[app] = ok
		}
		return ok, nil
	}
	return false, nil
}

// Labelled returns a copy of obj carrying fleetup's ownership labels.
func Labelled(obj map[string]any) *unstructured.Unstructured {
	u := (&unstructured.Unstructured{Object: obj}).DeepCopy()
	labels := u.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	for k, v := range plan.ManagedLabelSet() {
		labels[k] = v
	}
	u.SetLabels(labels)
	return u
}
