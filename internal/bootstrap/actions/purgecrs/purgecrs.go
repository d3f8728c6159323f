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
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Action is the custom resources step.
type Action struct{}

// Name implements actions.Action.
func (Action) Name() string { return "purge-custom-resources" }

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

// Execute implements actions.Action.
func (Action) Execute(ac *actions.Context) error {
	if !ac.Removal.PurgeCRDs {
		ac.Summary = "skipped: CRDs and their resources are kept (--purge-crds removes them)"
		return nil
	}
	crds, err := CRDs(ac.Ctx, ac.Kube, actions.CRDGroups(ac.Plan))
	if err != nil {
		return err
	}
	objs, err := Resources(ac.Ctx, ac.Kube, crds)
	if err != nil {
		return err
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make([]error, len(objs))
	for i := range objs {
		o := &objs[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			stuck, forced, err := purge(ac, o)
			mu.Lock()
			defer mu.Unlock()
			errs[i] = err
			if stuck != nil {
				ac.Removal.Stuck = append(ac.Removal.Stuck, *stuck)
			}
			if forced != nil {
				ac.Removal.ForcedOff = append(ac.Removal.ForcedOff, *forced)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	ac.Removal.Count("custom resources", len(objs)-len(ac.Removal.Stuck))
	ac.Summary = fmt.Sprintf("%d custom resources of %d CRDs deleted", len(objs)-len(ac.Removal.Stuck), len(crds))
	if len(ac.Removal.Stuck) > 0 {
		ac.Summary += fmt.Sprintf("; %d blocked by finalizers (kept; --force removes them)", len(ac.Removal.Stuck))
	}
	if len(ac.Removal.ForcedOff) > 0 {
		ac.Summary += fmt.Sprintf("; finalizers removed with --force from %d", len(ac.Removal.ForcedOff))
	}
	return nil
}

// purge deletes one custom resource and waits; past the timeout it reports
// the object stuck or, with --force, removes its finalizers.
func purge(ac *actions.Context, o *unstructured.Unstructured) (stuck, forced *actions.Finalizers, err error) {
	ri, _, err := ac.Kube.Resource(o.DeepCopy())
	if err != nil {
		return nil, nil, err
	}
	if err := ri.Delete(ac.Ctx, o.GetName(), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return nil, nil, fmt.Errorf("delete %s: %w", kube.Describe(o), err)
	}
	wait := func() error {
		ctx, cancel := context.WithTimeout(ac.Ctx, ac.Removal.FinalizerTimeout)
		defer cancel()
		return ac.Kube.WaitGone(ctx, o)
	}
	werr := wait()
	if werr == nil {
		return nil, nil, nil
	}
	if ac.Ctx.Err() != nil {
		return nil, nil, werr
	}
	last, err := ac.Kube.Get(ac.Ctx, o)
	if err != nil || last == nil {
		return nil, nil, err // gone just now, or cannot tell
	}
	f := &actions.Finalizers{Object: kube.Describe(last), Finalizers: last.GetFinalizers()}
	if !ac.Removal.Force {
		return f, nil, nil
	}
	removed, err := ac.Kube.RemoveFinalizers(ac.Ctx, last)
	if err != nil {
		return nil, nil, err
	}
	f.Finalizers = removed
	if err := wait(); err != nil {
		return nil, f, err
	}
	return nil, f, nil
}
