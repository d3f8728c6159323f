// Package addons lets the addons go and waits on their dependency graph.
// With strategy gated an addon's switch (the enable_<addon> label on the
// hub cluster secret, see package gate) turns "true" only once its own
// dependencies are healthy; with parallel all are on from the start.
// The decisions are the pure Machine's; this file is the thin loop around
// it: an informer (watch) on the Applications, a timer for deadlines, and
// the switch writes.
package addons

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/fleetup/fleetup/internal/argocd"
	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/bootstrap/actions/gate"
	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"
)

// Action is the addons step.
type Action struct{ now func() time.Time }

// New makes the step; now is its clock (nil: time.Now).
func New(now func() time.Time) Action {
	if now == nil {
		now = time.Now
	}
	return Action{now: now}
}

// Name implements actions.Action.
func (Action) Name() string { return "addons" }

// Describe implements actions.Action.
func (Action) Describe(p *plan.Plan) string {
	gate := "switch each addon on (label enable_<addon> on the hub cluster secret) once its dependencies are healthy, and wait for all"
	if p.Strategy == string(config.StrategyParallel) {
		gate = "switch every addon on at once and wait for all"
	}
	if n := p.Gating.Note(); n != "" {
		gate += "; " + n
	}
	return gate + " (strategy " + p.Strategy + ")"
}

// Failed is the outcome when some addons failed: each with its reason and
// last condition, and the addons blocked behind them.
type Failed struct {
	Failed             map[string]string   // addon -> reason and last condition
	Blocked            map[string][]string // addon -> failed dependencies
	Namespace, Cluster string
}

func (f *Failed) Error() string {
	var b strings.Builder
	names := make([]string, 0, len(f.Failed))
	for n := range f.Failed {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintf(&b, "%d addon(s) failed:", len(names))
	for _, n := range names {
		fmt.Fprintf(&b, "\n  %s: %s\n    look further: kubectl -n %s describe application %s", n, f.Failed[n], f.Namespace, argocd.ApplicationName(n, f.Cluster))
	}
	if len(f.Blocked) > 0 {
		var bl []string
		for n, by := range f.Blocked {
			bl = append(bl, fmt.Sprintf("%s (waits on %s)", n, strings.Join(by, ", ")))
		}
		sort.Strings(bl)
		fmt.Fprintf(&b, "\n  blocked, not started: %s", strings.Join(bl, "; "))
	}
	return b.String()
}

// Rules are the plan's health rules.
func RulesOf(p *plan.Plan) Rules {
	cfg := p.Config
	return Rules{
		Graph:    p.DAG,
		Timeout:  func(n string) time.Duration { return p.Catalog.Get(n).Timeout(cfg.Timeouts.Addon.D()) },
		Grace:    cfg.Timeouts.DegradedGrace.D(),
		Parallel: cfg.Strategy == config.StrategyParallel,
	}
}

// Run implements actions.Action.
func (a Action) Run(ctx context.Context, env *actions.Env) (actions.Outcome, error) {
	var out actions.Outcome
	p := env.Plan
	ns := p.ArgoNamespace()
	on, err := gate.Read(ctx, env)
	if err != nil {
		return out, err
	}
	m := NewMachine(RulesOf(p), on, a.now())

	changed := make(chan struct{}, 1)
	notify := func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	// The informer's reflector lists again and resumes its watch by itself
	// after the API server was unreachable.
	// Every Application of the namespace: a CNOE fork's carry no label of
	// fleetup's; they are read by name.
	factory := dynamicinformer.NewFilteredDynamicSharedInformerFactory(env.Kube.Dynamic, 0, ns, nil)
	inf := factory.ForResource(kube.Applications).Informer()
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { notify() },
		UpdateFunc: func(any, any) { notify() },
		DeleteFunc: func(any) { notify() },
	}); err != nil {
		return out, err
	}
	ctx, cancel := context.WithCancel(ctx)
	// Shutdown waits for the informers, which stop only once ctx is done.
	defer func() {
		cancel()
		factory.Shutdown()
	}()
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		return out, fmt.Errorf("addons: watching Applications: %w", context.Cause(ctx))
	}
	store := inf.GetStore()

	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		apps := map[string]*argocd.Application{}
		objs := map[string]*unstructured.Unstructured{}
		for _, n := range p.DAG.Nodes() {
			if obj, ok, _ := store.GetByKey(ns + "/" + argocd.ApplicationName(n, p.Config.ClusterName)); ok {
				u := obj.(*unstructured.Unstructured)
				app := argocd.Read(u)
				apps[n], objs[n] = &app, u
			}
		}
		d := m.Step(a.now(), apps)
		if len(d.SwitchOn) > 0 {
			if err := gate.Write(ctx, env, m.On()); err != nil {
				return out, fmt.Errorf("addons: %w", err)
			}
			out.Changed = true
		}
		failed := map[string]bool{}
		for _, n := range d.NewlyFailed {
			failed[n] = true
		}
		for _, r := range d.Reports {
			if failed[r.Name] {
				r = m.Explain(r.Name, notReady(notCurrent(ctx, env.Kube, objs[r.Name])))
			}
			env.Report.Addon(r)
		}
		if d.Done {
			// Not silently: the switches did not hold these back.
			out.Summary = p.Gating.Note()
			return out, m.Result(ns, p.Config.ClusterName)
		}
		if !d.Next.IsZero() {
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
			timer.Reset(max(d.Next.Sub(a.now()), 0))
		}
		select {
		case <-ctx.Done():
			return out, fmt.Errorf("addons: stopped waiting (%w); not healthy yet: %s", context.Cause(ctx), strings.Join(m.Pending(), ", "))
		case <-changed:
		case <-timer.C:
		}
	}
}
