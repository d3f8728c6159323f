// Package purgecrs deletes, with --purge-crds, every custom resource of
// the CRD groups the catalog declares, in all namespaces, while their
// controllers still run to process finalizers. A finalizer that still
// blocks after the timeout is reported with its object; only --force
// removes it, and each one removed is listed.
package purgecrs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Action is the custom resources step.
type Action struct{ opts actions.RemoveOptions }

// New makes the step; it does nothing without o.PurgeCRDs.
func New(o actions.RemoveOptions) Action { return Action{opts: o} }

// Name implements actions.Action.
func (Action) Name() string { return "purge-custom-resources" }

// Describe implements actions.Action.
func (Action) Describe(*plan.Plan) string {
	return "with --purge-crds: delete every custom resource of the platform's CRDs, while their controllers still run"
}

// CRD is one CustomResourceDefinition of a purged group.
type CRD struct {
	Name string
	GVR  schema.GroupVersionResource
	Kind string
}

// CRDs lists the cluster's CRDs in the given groups.
func CRDs(ctx context.Context, k *kube.Client, groups []string) ([]CRD, error) {
	list, err := k.Dynamic.Resource(kube.CRDs).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list CRDs: %w", err)
	}
	var out []CRD
	for _, c := range list.Items {
		group, _, _ := unstructured.NestedString(c.Object, "spec", "group")
		if !slices.Contains(groups, group) {
			continue
		}
		plural, _, _ := unstructured.NestedString(c.Object, "spec", "names", "plural")
		kind, _, _ := unstructured.NestedString(c.Object, "spec", "names", "kind")
		versions, _, _ := unstructured.NestedSlice(c.Object, "spec", "versions")
		version := ""
		for _, v := range versions {
			vm, _ := v.(map[string]any)
			if served, _ := vm["served"].(bool); served {
				version, _ = vm["name"].(string)
				if storage, _ := vm["storage"].(bool); storage {
					break
				}
			}
		}
		if version == "" {
			continue
		}
		out = append(out, CRD{Name: c.GetName(), Kind: kind, GVR: kube.GVR(group, version, plural)})
	}
	return out, nil
}

// Resources lists every custom resource of the CRDs.
func Resources(ctx context.Context, k *kube.Client, crds []CRD) ([]unstructured.Unstructured, error) {
	var out []unstructured.Unstructured
	for _, c := range crds {
		list, err := k.Dynamic.Resource(c.GVR).List(ctx, metav1.ListOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", c.Name, err)
		}
		out = append(out, list.Items...)
	}
	return out, nil
}

// Run implements actions.Action.
func (a Action) Run(ctx context.Context, env *actions.Env) (actions.Outcome, error) {
	var t actions.Tally
	if !a.opts.PurgeCRDs {
		out := t.Outcome("CRDs and their resources are kept (--purge-crds removes them)")
		out.Skipped = true
		return out, nil
	}
	crds, err := CRDs(ctx, env.Kube, actions.CRDGroups(env.Plan))
	if err != nil {
		return t.Outcome(""), err
	}
	objs, err := Resources(ctx, env.Kube, crds)
	if err != nil {
		return t.Outcome(""), err
	}
	var wg sync.WaitGroup
	errs := make([]error, len(objs))
	stuck := make([]bool, len(objs))
	for i := range objs {
		o := &objs[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, forced, err := a.purge(ctx, env, o)
			errs[i] = err
			if s != nil {
				stuck[i] = true
				t.Stuck(*s)
			}
			if forced != nil {
				t.ForcedOff(*forced)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return t.Outcome(""), err
	}
	nStuck, nForced := 0, 0
	for i := range objs {
		if stuck[i] {
			nStuck++
		}
	}
	out := t.Outcome("")
	nForced = len(out.Findings.ForcedOff)
	deleted := len(objs) - nStuck
	t.Count("custom resources", deleted)
	if deleted > 0 {
		t.Changed()
	}
	summary := fmt.Sprintf("%d custom resources of %d CRDs deleted", deleted, len(crds))
	if nStuck > 0 {
		summary += fmt.Sprintf("; %d blocked by finalizers (kept; --force removes them)", nStuck)
	}
	if nForced > 0 {
		summary += fmt.Sprintf("; finalizers removed with --force from %d", nForced)
	}
	return t.Outcome(summary), nil
}

// purge deletes one custom resource and waits; past the timeout it reports
// the object stuck or, with --force, removes its finalizers.
func (a Action) purge(ctx context.Context, env *actions.Env, o *unstructured.Unstructured) (stuck, forced *actions.Finalizers, err error) {
	ri, _, err := env.Kube.Resource(o.DeepCopy())
	if err != nil {
		return nil, nil, err
	}
	if err := ri.Delete(ctx, o.GetName(), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return nil, nil, fmt.Errorf("delete %s: %w", kube.Describe(o), err)
	}
	wait := func() error {
		wctx, cancel := context.WithTimeout(ctx, a.opts.FinalizerTimeout)
		defer cancel()
		return env.Kube.WaitGone(wctx, o)
	}
	werr := wait()
	if werr == nil {
		return nil, nil, nil
	}
	if ctx.Err() != nil {
		return nil, nil, werr
	}
	last, err := env.Kube.Get(ctx, o)
	if err != nil || last == nil {
		return nil, nil, err // gone just now, or cannot tell
	}
	f := &actions.Finalizers{Object: kube.Describe(last), Finalizers: last.GetFinalizers()}
	if !a.opts.Force {
		return f, nil, nil
	}
	removed, err := env.Kube.RemoveFinalizers(ctx, last)
	if err != nil {
		return nil, nil, err
	}
	f.Finalizers = removed
	if err := wait(); err != nil {
		return nil, f, err
	}
	return nil, f, nil
}
