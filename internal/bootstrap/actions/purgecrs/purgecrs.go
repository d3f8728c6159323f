// Package purgecrs deletes, with --purge-crds, every custom resource of
// the platform's CRDs (Select), in all namespaces, while their
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

	"github.com/fleetup/fleetup/internal/argocd"
	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	"github.com/fleetup/fleetup/internal/record"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
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

// CRD is one CustomResourceDefinition to purge.
type CRD struct {
	Name string
	// UID is the CRD read, so its delete removes that one and no other.
	UID  types.UID
	GVR  schema.GroupVersionResource
	Kind string
}

// Selection is the one set --purge-crds removes: the CRDs fleetup
// installed, which it knows exactly, and every CRD of the catalog's
// crdGroups. Any other CRD stays, even in the same API group.
type Selection struct {
	// Groups are the catalog's crdGroups.
	Groups []string
	// Bootstrap names the CRDs of the bootstrap manifests; they count when
	// they carry fleetup's labels (it applied them).
	Bootstrap []string
	// Releases are the ReleaseAnnotation values of the plan's releases:
	// the CRDs of their charts' crds/ that fleetup created carry one, with
	// its labels.
	Releases []string
	// Applied are the CRDs the addons' Applications listed: Argo CD
	// applied them and never deletes them.
	Applied []string
}

// Select is p's Selection, with applied the addons' CRDs (ApplicationCRDs
// and what the install record kept of them).
func Select(p *plan.Plan, applied []string) Selection {
	s := Selection{Groups: actions.CRDGroups(p), Applied: applied}
	for _, m := range p.Bootstrap {
		if m.Kind == "CustomResourceDefinition" {
			s.Bootstrap = append(s.Bootstrap, m.Name)
		}
	}
	for _, r := range p.Releases {
		s.Releases = append(s.Releases, actions.ReleaseKey(r))
	}
	return s
}

// Selected is p's Selection as the cluster tells it now: the addons' CRDs
// from their Applications while they exist, and from the install record,
// where uninstall keeps them before it removes the Applications.
func Selected(ctx context.Context, k *kube.Client, p *plan.Plan) (Selection, error) {
	progress, err := record.Load(ctx, k, p.Config.ClusterName)
	if err != nil {
		return Selection{}, err
	}
	applied, err := ApplicationCRDs(ctx, k, p)
	if err != nil {
		return Selection{}, err
	}
	return Select(p, record.MergeNames(progress.CRDs, applied)), nil
}

// ApplicationCRDs are the CRDs the Applications of fleetup's addons list
// in their status. Argo CD and External Secrets are left out: fleetup
// installed them with Helm, whose CRDs are its release's or labelled by
// fleetup, and their Applications may list CRDs that existed before.
func ApplicationCRDs(ctx context.Context, k *kube.Client, p *plan.Plan) ([]string, error) {
	var out []string
	for _, a := range p.Catalog.Installed() {
		if actions.IsCore(p, a.Name) {
			continue
		}
		cur, err := k.Get(ctx, actions.ApplicationRef(p, a.Name))
		if kube.IsNoMatch(err) {
			return nil, nil // no Argo CD, no Applications
		}
		if err != nil {
			return nil, fmt.Errorf("read the Application of %s: %w", a.Name, err)
		}
		if actions.Owner.Owns(cur) {
			out = append(out, argocd.Read(cur).CRDs...)
		}
	}
	return record.MergeNames(nil, out), nil
}

// Has reports whether the CRD crd, as read, is one to purge.
func (s Selection) Has(crd *unstructured.Unstructured) bool {
	group, _, _ := unstructured.NestedString(crd.Object, "spec", "group")
	name := crd.GetName()
	switch {
	case slices.Contains(s.Groups, group), slices.Contains(s.Applied, name):
		return true
	case !actions.Owner.Owns(crd):
		return false
	case slices.Contains(s.Bootstrap, name):
		return true
	}
	rel := crd.GetAnnotations()[actions.ReleaseAnnotation]
	return rel != "" && slices.Contains(s.Releases, rel)
}

// CRDs lists the cluster's CRDs that s selects.
func CRDs(ctx context.Context, k *kube.Client, s Selection) ([]CRD, error) {
	list, err := k.Dynamic.Resource(kube.CRDs).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list CRDs: %w", err)
	}
	var out []CRD
	for _, c := range list.Items {
		if !s.Has(&c) {
			continue
		}
		group, _, _ := unstructured.NestedString(c.Object, "spec", "group")
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
		out = append(out, CRD{Name: c.GetName(), UID: c.GetUID(), Kind: kind, GVR: kube.GVR(group, version, plural)})
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
	if !a.opts.PurgeCRDs {
		return actions.Skip("CRDs and their resources are kept (--purge-crds removes them)"), nil
	}
	var t actions.Tally
	sel, err := Selected(ctx, env.Kube, env.Plan)
	if err != nil {
		return t.Outcome(""), err
	}
	crds, err := CRDs(ctx, env.Kube, sel)
	if err != nil {
		return t.Outcome(""), err
	}
	objs, err := Resources(ctx, env.Kube, crds)
	if err != nil {
		return t.Outcome(""), err
	}
	var wg sync.WaitGroup
	errs := make([]error, len(objs))
	for i := range objs {
		o := &objs[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, forced, err := a.purge(ctx, env, o)
			errs[i] = err
			if s != nil {
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
	found := t.Outcome("").Findings
	nStuck, nForced := len(found.Stuck), len(found.ForcedOff)
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
	uid := o.GetUID()
	err = ri.Delete(ctx, o.GetName(), metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
	switch {
	case apierrors.IsConflict(err):
		return nil, nil, nil // replaced since it was listed: not the one read
	case err != nil && !apierrors.IsNotFound(err):
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
