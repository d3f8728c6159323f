package actions

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fleetup/fleetup/internal/catalog"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
)

// Owner is fleetup's ownership label: uninstall deletes only objects that
// carry it (the catalog's PVCs, and with --purge-crds the CRDs of its
// crdGroups and of the addons' Applications, are selected otherwise).
var Owner = kube.Owner{Key: plan.LabelManaged, Value: "true"}

// TrackingAnnotation is how Argo CD marks what an Application applied:
// "<application>:<group>/<kind>:<namespace>/<name>".
const TrackingAnnotation = "argocd.argoproj.io/tracking-id"

// PlanOwner is what fleetup owns on a plan's cluster: objects with its
// label, the ApplicationSets Argo CD applied for its catalog Application
// (a CNOE fork's chart labels them with nothing of fleetup's), and the
// Applications those ApplicationSets generate.
type PlanOwner struct{ Plan *plan.Plan }

// Owner is the ownership for env's plan.
func (env *Env) Owner() PlanOwner { return PlanOwner{Plan: env.Plan} }

// Owns implements kube.Ownership.
func (o PlanOwner) Owns(obj *unstructured.Unstructured) bool {
	if obj == nil {
		return false
	}
	if Owner.Owns(obj) {
		return true
	}
	if app := o.Plan.GitOps.Application; app != "" && strings.HasPrefix(obj.GetAnnotations()[TrackingAnnotation], app+":") {
		return true
	}
	if obj.GetKind() != "Application" || obj.GetNamespace() != o.Plan.ArgoNamespace() {
		return false
	}
	for _, r := range obj.GetOwnerReferences() {
		if r.Kind != "ApplicationSet" {
			continue
		}
		for _, m := range o.Plan.ApplicationSets {
			if m.Name == r.Name {
				return true
			}
		}
	}
	return false
}

// RemoveOptions are uninstall's flags.
type RemoveOptions struct {
	KeepPVCs  bool
	PurgeCRDs bool
	// Force removes finalizers that block past FinalizerTimeout.
	Force bool
	// FinalizerTimeout is how long a custom resource may take to go.
	FinalizerTimeout time.Duration
}

// Finalizers names an object and finalizers on it.
type Finalizers struct {
	Object     string   `json:"object"`
	Finalizers []string `json:"finalizers"`
}

func (f Finalizers) String() string { return fmt.Sprintf("%s (finalizers %v)", f.Object, f.Finalizers) }

// Claimed owns one object, by UID: an Application judged fleetup's
// before the ApplicationSet that made it so went away. A CNOE fork's
// Applications carry nothing of fleetup's; they are fleetup's through their
// owner reference to one of the plan's ApplicationSets, which the orphaning
// delete of that ApplicationSet removes, and the label fleetup adds first
// may be reset by the ApplicationSet controller (it writes the template's
// labels) until the ApplicationSet is gone.
type Claimed struct{ UID types.UID }

// Owns implements kube.Ownership.
func (c Claimed) Owns(obj *unstructured.Unstructured) bool {
	return obj != nil && c.UID != "" && obj.GetUID() == c.UID
}

// Claim puts fleetup's label on obj unless it carries it, so a rerun after
// an interruption still knows it once nothing else says it is fleetup's.
// It retries when the object changed since it was read (Argo CD writes its
// Applications often) and returns the object as labelled; nil when it is
// gone or was replaced (another UID).
func (env *Env) Claim(ctx context.Context, obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	uid := obj.GetUID()
	cur := obj
	for attempt := 0; ; attempt++ {
		if cur == nil || cur.GetUID() != uid {
			return nil, nil
		}
		if Owner.Owns(cur) {
			return cur, nil
		}
		out, err := env.Kube.Label(ctx, cur, Owner.Key, Owner.Value)
		if err == nil {
			return out, nil
		}
		if !apierrors.IsConflict(err) || attempt == 4 {
			return nil, err
		}
		if cur, err = env.Kube.Get(ctx, obj); err != nil {
			return nil, err
		}
	}
}

// Delete deletes obj if fleetup owns it and waits until it is gone. A
// foreign object is recorded in t and left alone. It reports whether
// anything was deleted.
func (env *Env) Delete(ctx context.Context, t *Tally, obj *unstructured.Unstructured, propagation metav1.DeletionPropagation) (bool, error) {
	return env.DeleteAs(ctx, t, obj, env.Owner(), propagation)
}

// DeleteAs is Delete with the given ownership (a Claimed object).
func (env *Env) DeleteAs(ctx context.Context, t *Tally, obj *unstructured.Unstructured, owner kube.Ownership, propagation metav1.DeletionPropagation) (bool, error) {
	res, err := env.Kube.DeleteOwned(ctx, obj, owner, propagation)
	if err != nil {
		return false, err
	}
	switch res {
	case kube.Absent:
		return false, nil
	case kube.Foreign:
		t.Foreign(kube.Describe(obj) + ": exists without fleetup's labels")
		return false, nil
	}
	t.Changed()
	return true, env.Kube.WaitGone(ctx, obj)
}

// AddonPVCs lists the PVCs the catalog declares for an addon
// (stateful.pvcSelector in its namespace); none when it declares none.
func AddonPVCs(ctx context.Context, k *kube.Client, a *catalog.Addon) ([]corev1.PersistentVolumeClaim, error) {
	if a.Stateful == nil || len(a.Stateful.PVCSelector) == 0 {
		return nil, nil
	}
	list, err := k.Typed.CoreV1().PersistentVolumeClaims(a.TargetNamespace()).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(a.Stateful.PVCSelector).String()})
	if err != nil {
		return nil, fmt.Errorf("list PVCs of %s: %w", a.Name, err)
	}
	return list.Items, nil
}

// ApplicationSetOf is the ApplicationSet the plan applies for an addon;
// nil when there is none.
func ApplicationSetOf(p *plan.Plan, addon string) *unstructured.Unstructured {
	for _, m := range p.ApplicationSets {
		u := &unstructured.Unstructured{Object: m.Object}
		// fleetup's chart labels it; a CNOE chart's names its
		// Applications '<addon>-{{ .name }}'.
		tpl, _, _ := unstructured.NestedString(u.Object, "spec", "template", "metadata", "name")
		if u.GetLabels()["fleetup.dev/addon"] == addon || strings.ReplaceAll(tpl, " ", "") == addon+"-{{.name}}" {
			return Ref(u.GetAPIVersion(), u.GetKind(), u.GetNamespace(), u.GetName())
		}
	}
	return nil
}

// UnselectedApplicationSets are the plan's ApplicationSets that belong to
// no installed addon: an entry whose selector leaves the hub out (a CNOE
// fork's external-dns with path routing) has one all the same, made by
// the catalog's Application, and no addon's removal deletes it.
func UnselectedApplicationSets(p *plan.Plan) []*unstructured.Unstructured {
	installed := map[string]bool{}
	for _, a := range p.Catalog.Installed() {
		if set := ApplicationSetOf(p, a.Name); set != nil {
			installed[set.GetNamespace()+"/"+set.GetName()] = true
		}
	}
	var out []*unstructured.Unstructured
	for _, m := range p.ApplicationSets {
		u := &unstructured.Unstructured{Object: m.Object}
		if u.GetKind() != "ApplicationSet" || installed[u.GetNamespace()+"/"+u.GetName()] {
			continue
		}
		out = append(out, Ref(u.GetAPIVersion(), u.GetKind(), u.GetNamespace(), u.GetName()))
	}
	return out
}

// IsCore reports whether fleetup installs the addon itself with Helm
// (Argo CD, External Secrets).
func IsCore(p *plan.Plan, addon string) bool {
	for _, r := range p.Releases {
		if r.Addon == addon {
			return true
		}
	}
	return false
}

// DirectObjects are the objects fleetup applied itself, in the order they
// are removed: the catalog's hand-off objects, the cluster secret, repository secrets, bootstrap manifests
// and secret store objects (CRDs and namespaces are left to their steps),
// and the platform secrets of the kubernetes backend.
func DirectObjects(p *plan.Plan) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	add := func(o map[string]any) {
		u := &unstructured.Unstructured{Object: o}
		if k := u.GetKind(); k == "CustomResourceDefinition" || k == "Namespace" {
			return
		}
		out = append(out, Ref(u.GetAPIVersion(), u.GetKind(), u.GetNamespace(), u.GetName()))
	}
	// Gone already after detach-catalog; listed for the inventory.
	for _, m := range p.GitOps.Objects {
		add(m.Object)
	}
	if p.Fleet != nil {
		for _, m := range p.Fleet.Objects {
			add(m.Object)
		}
	}
	if p.ClusterSecret.Object != nil {
		add(p.ClusterSecret.Object)
	}
	for _, m := range p.RepoSecrets {
		add(m.Object)
	}
	for i := len(p.Bootstrap) - 1; i >= 0; i-- {
		add(p.Bootstrap[i].Object)
	}
	for i := len(p.Secrets.Store) - 1; i >= 0; i-- {
		add(p.Secrets.Store[i].Object)
	}
	if p.Config.Secrets.Backend == "kubernetes" {
		for _, s := range p.Secrets.Items {
			if ns, name, ok := strings.Cut(s.Name, "/"); ok {
				out = append(out, Ref("v1", "Secret", ns, name))
			}
		}
	}
	return out
}

// OwnedNamespaces are the namespaces fleetup may have created, removed
// last: the addons' and the secrets namespace.
func OwnedNamespaces(p *plan.Plan) []string {
	out := append([]string{}, p.Namespaces...)
	if p.Config.Secrets.Backend == "kubernetes" && !slices.Contains(out, p.Config.Secrets.Namespace) {
		out = append(out, p.Config.Secrets.Namespace)
	}
	return out
}

// CRDGroups are the API groups the catalog declares for the installed
// addons: --purge-crds removes every CRD in them, the user said so. The
// CRDs fleetup installed itself are known without them (purgecrs.Select).
func CRDGroups(p *plan.Plan) []string {
	seen := map[string]bool{}
	var out []string
	for _, a := range p.Catalog.Installed() {
		for _, g := range a.CRDGroups {
			if g != "" && !seen[g] {
				seen[g] = true
				out = append(out, g)
			}
		}
	}
	return out
}

// ReleaseAnnotation, on a CRD with fleetup's labels, names the Helm release
// ("namespace/release") whose chart's crds/ fleetup created it from. Helm
// does not track those CRDs in the release, so this is how uninstall knows
// they are fleetup's, and of which platform.
const ReleaseAnnotation = "fleetup.dev/helm-release"

// ReleaseKey is a release's ReleaseAnnotation value.
func ReleaseKey(r plan.Release) string { return r.Namespace + "/" + r.Release }
