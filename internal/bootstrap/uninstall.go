package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/bootstrap/actions/detach"
	"github.com/fleetup/fleetup/internal/bootstrap/actions/detachcatalog"
	"github.com/fleetup/fleetup/internal/bootstrap/actions/purgecrds"
	"github.com/fleetup/fleetup/internal/bootstrap/actions/purgecrs"
	"github.com/fleetup/fleetup/internal/bootstrap/actions/removeaddons"
	"github.com/fleetup/fleetup/internal/bootstrap/actions/removenamespaces"
	"github.com/fleetup/fleetup/internal/bootstrap/actions/removeobjects"
	"github.com/fleetup/fleetup/internal/bootstrap/actions/removereleases"
	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/helm"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	"github.com/fleetup/fleetup/internal/record"
	"github.com/fleetup/fleetup/internal/redact"
	"github.com/fleetup/fleetup/internal/report"
)

// ErrNothingToRemove is returned by Prepare on a cluster without the
// platform; it is not a failure.
var ErrNothingToRemove = errors.New("nothing to remove: no part of the platform is installed in this cluster")

// ErrUninstallNotApproved is returned when the user answers no.
var ErrUninstallNotApproved = errors.New("uninstall not approved; nothing was changed")

// Uninstall is `fleetup uninstall`.
type Uninstall struct {
	Plan     *plan.Plan
	Kube     *kube.Client
	Helm     *helm.Releaser
	Report   report.Reporter
	Options  actions.RemoveOptions
	Approve  func(summary string) (bool, error)
	Redactor *redact.Redactor

	inv *Inventory
}

// UninstallSteps are the removal steps for o, in order: Argo CD stops
// rendering the catalog from Git, addons in reverse
// dependency order while Argo CD still runs, then Argo CD and External
// Secrets let go of themselves, then what fleetup applied, custom
// resources while their controllers still run, the Helm releases, CRDs,
// and namespaces last.
func UninstallSteps(o actions.RemoveOptions) []actions.Action {
	return []actions.Action{
		detachcatalog.New(),
		removeaddons.New(o),
		detach.New(),
		removeobjects.New(),
		purgecrs.New(o),
		removereleases.New(o),
		purgecrds.New(o),
		removenamespaces.New(o),
	}
}

// UninstallStepNames lists the removal steps, for views.
func UninstallStepNames() []string {
	var names []string
	for _, s := range UninstallSteps(actions.RemoveOptions{}) {
		names = append(names, s.Name())
	}
	return names
}

// UninstallResult is what a finished uninstall leaves for the user to know.
type UninstallResult struct {
	Removed   map[string]int
	Foreign   []string
	Stuck     []actions.Finalizers
	ForcedOff []actions.Finalizers
	// Outside lists what remains outside the cluster.
	Outside []string
}

// Prepare takes the inventory and asks for approval. It returns
// ErrNothingToRemove when the platform is not there at all.
func (u *Uninstall) Prepare(ctx context.Context) error {
	inv, err := TakeInventory(ctx, u.Kube, u.Helm, u.Plan, u.Options)
	if err != nil {
		return err
	}
	u.inv = inv
	if inv.Empty() {
		return ErrNothingToRemove
	}
	if u.Approve != nil {
		ok, err := u.Approve(u.Summary())
		if err != nil {
			return err
		}
		if !ok {
			return ErrUninstallNotApproved
		}
	}
	return nil
}

// Summary is what the approval prompt shows.
func (u *Uninstall) Summary() string {
	inv, p := u.inv, u.Plan
	var b strings.Builder
	fmt.Fprintf(&b, "fleetup will uninstall the platform:\n  cluster:    %s (%s, target %s)\n", p.Config.ClusterName, u.Kube.Config.Host, p.Target.Kind)
	list := func(what string, items []string) {
		if len(items) > 0 {
			fmt.Fprintf(&b, "  %-11s %s\n", what+":", strings.Join(items, ", "))
		}
	}
	var order []string
	for l := len(p.Graph.Levels) - 1; l >= 0; l-- {
		for _, a := range p.Graph.Levels[l] {
			if slices.Contains(inv.Addons, a) {
				order = append(order, a)
			}
		}
	}
	list("addons", order)
	list("helm", inv.Releases)
	list("objects", inv.Objects)
	list("namespaces", inv.Namespaces)
	if u.Options.KeepPVCs {
		fmt.Fprintf(&b, "  PVCs:       kept (--keep-pvcs)\n")
	} else {
		list("PVCs", inv.PVCs)
	}
	if u.Options.PurgeCRDs {
		list("CRDs", inv.CRDs)
		fmt.Fprintf(&b, "  custom resources: %d, in all namespaces\n", inv.CustomResources)
	} else {
		fmt.Fprintf(&b, "  CRDs:       kept (--purge-crds removes them and every custom resource)\n")
	}
	list("left alone", inv.Foreign)
	return b.String()
}

// Execute removes the platform after Prepare.
func (u *Uninstall) Execute(ctx context.Context) (UninstallResult, error) {
	if u.inv == nil {
		return UninstallResult{}, errors.New("uninstall: Execute before Prepare")
	}
	progress, err := record.Load(ctx, u.Kube, u.Plan.Config.ClusterName)
	if err != nil {
		return UninstallResult{}, err
	}
	// Recorded before anything is removed: the Applications that list
	// these CRDs go with the addons.
	if err := progress.BeginUninstall(ctx, u.inv.AddonCRDs); err != nil {
		return UninstallResult{}, err
	}
	env := &actions.Env{Plan: u.Plan, Kube: u.Kube, Helm: u.Helm, Report: u.Report}
	var found actions.Findings
	var done []string
	for _, s := range UninstallSteps(u.Options) {
		out, err := runStep(ctx, env, s, u.Redactor, "uninstall")
		found.Add(out.Findings)
		if err != nil {
			res := u.result(found)
			if ctx.Err() != nil {
				return res, &Interrupted{Command: "uninstall", Step: s.Name(), Done: done, Cause: context.Cause(ctx)}
			}
			return res, err
		}
		done = append(done, s.Name())
	}
	res := u.result(found)
	if len(found.Stuck) > 0 {
		// The record stays: it holds the addons' CRDs, which a rerun with
		// --force must still purge when the catalog names none.
		return res, &StuckError{Stuck: found.Stuck}
	}
	if err := progress.Remove(ctx, actions.Owner); err != nil {
		return res, err
	}
	return res, nil
}

func (u *Uninstall) result(f actions.Findings) UninstallResult {
	foreign := append([]string{}, f.Foreign...)
	sort.Strings(foreign)
	return UninstallResult{Removed: f.Removed, Foreign: foreign, Stuck: f.Stuck, ForcedOff: f.ForcedOff, Outside: Outside(u.Plan, u.inv, u.Options)}
}

// StuckError says which objects finalizers kept, and how to go on.
type StuckError struct{ Stuck []actions.Finalizers }

func (e *StuckError) Error() string {
	var lines []string
	for _, s := range e.Stuck {
		lines = append(lines, "  "+s.String())
	}
	return fmt.Sprintf("%d custom resources are blocked by finalizers and were kept, with their CRDs:\n%s\nTheir controllers are gone or stuck. Run `fleetup uninstall --purge-crds --force` to remove these finalizers (each one removed is listed)", len(e.Stuck), strings.Join(lines, "\n"))
}

// Outside lists what the platform may have left outside the cluster that
// uninstall does not remove, so nothing is left behind silently.
func Outside(p *plan.Plan, inv *Inventory, o actions.RemoveOptions) []string {
	var out []string
	for _, a := range p.Catalog.Installed() {
		if a.Chart() == "external-dns" {
			zone := p.Config.HostedZoneID
			if zone == "" {
				zone = "the zone of " + p.Config.Domain
			}
			out = append(out, fmt.Sprintf("DNS records external-dns created under %s in Route53 hosted zone %s: external-dns deletes them only while it runs and sees their sources go; check the zone for records with its TXT ownership markers", p.Config.Domain, zone))
		}
	}
	for _, lb := range inv.LoadBalancers {
		out = append(out, "cloud load balancer of Service "+lb+": deleted by the cloud controller when the Service went; check your cloud account if that controller was removed first")
	}
	if o.KeepPVCs && len(inv.PVCs) > 0 {
		out = append(out, fmt.Sprintf("PersistentVolumeClaims kept (--keep-pvcs): %s", strings.Join(inv.PVCs, ", ")))
	}
	if p.Config.Secrets.Backend == config.BackendAWS {
		for _, s := range p.Secrets.Items {
			out = append(out, "AWS Secrets Manager secret "+s.Name+" in "+p.Config.Region+": kept")
		}
	}
	if p.Config.Target == config.TargetEKS {
		out = append(out, "EKS cluster "+p.Config.ClusterName+": fleetup never creates or deletes it")
	}
	return out
}
