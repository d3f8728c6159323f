// Package helmrelease installs or upgrades one of the two charts fleetup
// installs itself (Argo CD, External Secrets) with the Helm SDK, unless Argo
// CD already manages it: after the hand-off fleetup leaves it to Argo CD.
// The CRDs of the chart's crds/ that do not exist yet fleetup creates
// itself, with its labels, so uninstall --purge-crds knows them: Helm
// would create them untracked. Adopt (install --adopt) upgrades in place a
// release another installer made, so that it becomes fleetup's.
package helmrelease

import (
	"context"
	"fmt"

	"github.com/fleetup/fleetup/internal/argocd"
	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/helm"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Action installs the release of the addon whose chart is Chart.
type Action struct{ chart, title string }

// New makes the step for one of the plan's releases, by chart name;
// title names the software in the plan ("Argo CD").
func New(chart, title string) Action { return Action{chart: chart, title: title} }

// Name implements actions.Action.
func (a Action) Name() string { return a.chart }

// Describe implements actions.Action.
func (a Action) Describe(*plan.Plan) string {
	return "Helm install or upgrade of " + a.title + " (the chart's crds/ that are missing created by fleetup), wait for its workloads"
}

// Run implements actions.Action.
func (a Action) Run(ctx context.Context, env *actions.Env) (actions.Outcome, error) {
	r, err := a.release(env.Plan)
	if err != nil {
		return actions.Outcome{}, err
	}
	app := argocd.ApplicationName(r.Addon, env.Plan.Config.ClusterName)
	managed, err := handedOff(ctx, env, r.Addon)
	if err != nil {
		return actions.Outcome{}, err
	}
	if managed {
		return actions.Skip(fmt.Sprintf("Argo CD manages %s (Application %s is Synced and Healthy); left to it", r.Release, app)), nil
	}
	return converge(ctx, env, r)
}

func (a Action) release(p *plan.Plan) (plan.Release, error) {
	for _, r := range p.Releases {
		if r.Chart == a.chart {
			return r, nil
		}
	}
	return plan.Release{}, fmt.Errorf("no Helm release for chart %s in the plan", a.chart)
}

// Adopt takes over a release of the plan that another installer made
// (CNOE's install.sh runs `helm install`): it is upgraded in place with the
// plan's chart and values, which records it as fleetup's, even when Argo CD
// manages it already (its Application renders the same chart and values,
// so nothing changes in the cluster). It is never uninstalled or
// reinstalled: the workloads keep their identity.
func Adopt(ctx context.Context, env *actions.Env, r plan.Release) (actions.Outcome, error) {
	return converge(ctx, env, r)
}

// converge installs or upgrades r, with the missing CRDs of its crds/
// created by fleetup.
func converge(ctx context.Context, env *actions.Env, r plan.Release) (actions.Outcome, error) {
	var out actions.Outcome
	crds := kube.Counts{}
	res, err := env.Helm.Apply(ctx, helm.Spec{
		Name: r.Release, Namespace: r.Namespace, Source: r.Source, RepoRoot: env.Plan.Catalog.RepoRoot,
		Values: r.RawValues, Timeout: env.Plan.Config.Timeouts.Helm.D(),
		CRDs: func(ctx context.Context, objs []*unstructured.Unstructured) error {
			return applyCRDs(ctx, env, actions.ReleaseKey(r), objs, crds)
		},
	})
	if err != nil {
		return out, err
	}
	out.Changed = res.Action != helm.Unchanged || crds.Changed()
	out.Summary = fmt.Sprintf("release %s/%s %s: chart %s %s, revision %d, workloads ready", r.Namespace, r.Release, res.Action, r.Chart, res.ChartVersion, res.Revision)
	if len(crds) > 0 {
		out.Summary += fmt.Sprintf("; CRDs of crds/: %s", crds)
	}
	return out, nil
}

// applyCRDs creates the chart's CRDs that do not exist yet, with fleetup's
// labels and the release in ReleaseAnnotation, keeps those it created
// before at the chart's version, and waits until they are Established. A
// CRD that someone else created is left alone and unlabelled: it is not
// fleetup's to purge.
func applyCRDs(ctx context.Context, env *actions.Env, release string, objs []*unstructured.Unstructured, counts kube.Counts) error {
	var applied []*unstructured.Unstructured
	for _, o := range objs {
		cur, err := env.Kube.Get(ctx, o)
		if err != nil {
			return fmt.Errorf("CRDs of %s: %w", release, err)
		}
		if cur != nil && (!actions.Owner.Owns(cur) || cur.GetAnnotations()[actions.ReleaseAnnotation] != release) {
			continue
		}
		o = o.DeepCopy()
		labels, ann := o.GetLabels(), o.GetAnnotations()
		if labels == nil {
			labels = map[string]string{}
		}
		if ann == nil {
			ann = map[string]string{}
		}
		for k, v := range plan.ManagedLabelSet() {
			labels[k] = v
		}
		ann[actions.ReleaseAnnotation] = release
		o.SetLabels(labels)
		o.SetAnnotations(ann)
		if cur == nil {
			// Create, never apply, a missing one: one that another tool makes
			// in between must not be taken over (Helm creates them too).
			_, err := env.Kube.Dynamic.Resource(kube.CRDs).Create(ctx, o, metav1.CreateOptions{FieldManager: kube.FieldManager})
			if apierrors.IsAlreadyExists(err) {
				continue
			}
			if err != nil {
				return fmt.Errorf("CRDs of %s: create %s: %w", release, o.GetName(), err)
			}
			counts[kube.Created]++
			applied = append(applied, o)
			continue
		}
		ch, err := env.Kube.ApplyChange(ctx, o)
		if err != nil {
			return fmt.Errorf("CRDs of %s: %w", release, err)
		}
		counts[ch]++
		applied = append(applied, o)
	}
	ctx, cancel := context.WithTimeout(ctx, env.Plan.Config.Timeouts.Helm.D())
	defer cancel()
	for _, o := range applied {
		if _, err := env.Kube.WaitFor(ctx, kube.CRDs, "", o.GetName(), "CRD "+o.GetName()+" to be Established", kube.Established); err != nil {
			return fmt.Errorf("CRDs of %s: %w", release, err)
		}
	}
	if counts.Changed() {
		env.Kube.ResetMapper()
	}
	return nil
}

// handedOff reports whether Argo CD manages the addon now: its Application
// is healthy by fleetup's one definition.
func handedOff(ctx context.Context, env *actions.Env, addon string) (bool, error) {
	cur, err := env.GetApplication(ctx, addon)
	if err != nil || cur == nil {
		return false, err
	}
	return argocd.Read(cur).Healthy(), nil
}
