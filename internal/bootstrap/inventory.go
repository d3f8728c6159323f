package bootstrap

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/bootstrap/actions/purgecrs"
	"github.com/fleetup/fleetup/internal/helm"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	"github.com/fleetup/fleetup/internal/record"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Inventory is what of the platform exists in the cluster: what uninstall
// will remove, what it will leave because it is not fleetup's, and what
// lives outside the cluster.
type Inventory struct {
	Addons     []string // addons with an Application or ApplicationSet
	Releases   []string // Helm releases of fleetup
	Objects    []string // objects fleetup applied
	Namespaces []string // namespaces fleetup created
	PVCs       []string // claims the catalog declares, deleted unless --keep-pvcs
	CRDs       []string // with --purge-crds
	// AddonCRDs are the CRDs the addons' Applications list now: uninstall
	// records them before it removes the Applications.
	AddonCRDs []string
	// CustomResources counts the custom resources of those CRDs.
	CustomResources int
	Record          bool // the install record
	// KeepPVCs: the PVCs stay, so they are not something to remove.
	KeepPVCs bool
	Foreign  []string
	// LoadBalancers are Services of type LoadBalancer in the addons'
	// namespaces: each may have a cloud load balancer.
	LoadBalancers []string
}

// Empty reports whether there is nothing of fleetup's to remove.
func (i *Inventory) Empty() bool {
	pvcs := len(i.PVCs)
	if i.KeepPVCs {
		pvcs = 0
	}
	return len(i.Addons)+len(i.Releases)+len(i.Objects)+len(i.Namespaces)+pvcs+len(i.CRDs) == 0 && !i.Record
}

// TakeInventory reads what exists of p's platform.
func TakeInventory(ctx context.Context, k *kube.Client, h *helm.Releaser, p *plan.Plan, o actions.RemoveOptions) (*Inventory, error) {
	inv := &Inventory{KeepPVCs: o.KeepPVCs}
	probe := func(obj *unstructured.Unstructured) (owned, foreign bool, err error) {
		cur, err := k.Get(ctx, obj)
		if kube.IsNoMatch(err) {
			return false, false, nil
		}
		if err != nil || cur == nil {
			return false, false, err
		}
		if (actions.PlanOwner{Plan: p}).Owns(cur) {
			return true, false, nil
		}
		return false, true, nil
	}
	for _, a := range p.Catalog.Installed() {
		refs := []*unstructured.Unstructured{actions.ApplicationRef(p, a.Name)}
		if s := actions.ApplicationSetOf(p, a.Name); s != nil {
			refs = append(refs, s)
		}
		for _, r := range refs {
			owned, foreign, err := probe(r)
			if err != nil {
				return nil, err
			}
			if foreign {
				inv.Foreign = append(inv.Foreign, kube.Describe(r))
			}
			if owned {
				inv.Addons = append(inv.Addons, a.Name)
				break
			}
		}
		pvcs, err := actions.AddonPVCs(ctx, k, a)
		if err != nil {
			return nil, err
		}
		for _, c := range pvcs {
			inv.PVCs = append(inv.PVCs, c.Namespace+"/"+c.Name)
		}
	}
	for _, r := range p.Releases {
		info, err := h.Get(ctx, r.Release, r.Namespace)
		if err != nil {
			return nil, err
		}
		switch {
		case info == nil:
		case info.Owned:
			inv.Releases = append(inv.Releases, fmt.Sprintf("%s/%s (%s %s)", r.Namespace, r.Release, info.Chart, info.Version))
		default:
			inv.Foreign = append(inv.Foreign, fmt.Sprintf("Helm release %s/%s", r.Namespace, r.Release))
		}
	}
	for _, o := range actions.DirectObjects(p) {
		owned, foreign, err := probe(o)
		if err != nil {
			return nil, err
		}
		if owned {
			inv.Objects = append(inv.Objects, kube.Describe(o))
		} else if foreign {
			inv.Foreign = append(inv.Foreign, kube.Describe(o))
		}
	}
	for _, ns := range actions.OwnedNamespaces(p) {
		owned, foreign, err := probe(actions.Ref("v1", "Namespace", "", ns))
		if err != nil {
			return nil, err
		}
		if owned {
			inv.Namespaces = append(inv.Namespaces, ns)
		} else if foreign {
			inv.Foreign = append(inv.Foreign, "Namespace "+ns+" (existed before fleetup)")
		}
	}
	// Load balancers of Services that go with fleetup's namespaces.
	for _, ns := range inv.Namespaces {
		svcs, err := k.Typed.CoreV1().Services(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, fmt.Errorf("list Services in %s: %w", ns, err)
		}
		for _, s := range svcs.Items {
			if s.Spec.Type == corev1.ServiceTypeLoadBalancer {
				inv.LoadBalancers = append(inv.LoadBalancers, s.Namespace+"/"+s.Name+ingress(s))
			}
		}
	}
	progress, err := record.Load(ctx, k, p.Config.ClusterName)
	if err != nil {
		return nil, err
	}
	inv.Record = progress.PlanHash != "" || len(progress.Done) > 0
	// Read whatever the flags: a run without --purge-crds that is killed
	// after removing the addons must still leave them for one with it.
	if inv.AddonCRDs, err = purgecrs.ApplicationCRDs(ctx, k, p); err != nil {
		return nil, err
	}
	if o.PurgeCRDs {
		sel := purgecrs.Select(p, record.MergeNames(progress.CRDs, inv.AddonCRDs))
		crds, err := purgecrs.CRDs(ctx, k, sel)
		if err != nil {
			return nil, err
		}
		for _, c := range crds {
			inv.CRDs = append(inv.CRDs, c.Name)
		}
		crs, err := purgecrs.Resources(ctx, k, crds)
		if err != nil {
			return nil, err
		}
		inv.CustomResources = len(crs)
	}
	sort.Strings(inv.Foreign)
	return inv, nil
}

// ingress is a LoadBalancer Service's address, if it has one.
func ingress(s corev1.Service) string {
	var addrs []string
	for _, in := range s.Status.LoadBalancer.Ingress {
		if in.Hostname != "" {
			addrs = append(addrs, in.Hostname)
		} else if in.IP != "" {
			addrs = append(addrs, in.IP)
		}
	}
	if len(addrs) == 0 {
		return ""
	}
	return " (" + strings.Join(addrs, ", ") + ")"
}
