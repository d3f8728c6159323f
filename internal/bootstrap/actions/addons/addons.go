// Package addons switches the addons on and waits on their dependency
// graph. With strategy gated an addon's switch (the enable_<addon> label on
// the hub cluster secret, which its ApplicationSet selects on) is set only
// once its own dependencies are healthy; with parallel all are set at once.
// Applications are followed with an informer (watch); deadlines are timers.
package addons

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/catalog"
	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"
)

// GateManager is the field manager that owns the enable_<addon> labels.
const GateManager = "fleetup-gate"

// Action is the addons step.
type Action struct {
	// Now is the clock (tests may replace it); time.Now by default.
	Now func() time.Time
}

// Name implements actions.Action.
func (Action) Name() string { return "addons" }

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
		fmt.Fprintf(&b, "\n  %s: %s\n    look further: kubectl -n %s describe application %s", n, f.Failed[n], f.Namespace, actions.ApplicationName(n, f.Cluster))
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

type tracker struct {
	addon         *catalog.Addon
	state         actions.AddonState
	msg           string
	waitingOn     []string
	since         time.Time
	started       time.Time
	degradedSince time.Time
	app           *actions.Application
	obj           *unstructured.Unstructured
}

// Execute implements actions.Action.
func (a Action) Execute(ac *actions.Context) error {
	now := a.Now
	if now == nil {
		now = time.Now
	}
	p := ac.Plan
	cfg := p.Config
	ns := p.ArgoNamespace()
	g := p.DAG
	tr := map[string]*tracker{}
	for _, ad := range p.Catalog.Installed() {
		tr[ad.Name] = &tracker{addon: ad}
	}

	enabled, err := currentSwitches(ac, ns)
	if err != nil {
		return err
	}
	for n := range enabled {
		if t, ok := tr[n]; ok {
			t.started = now() // resumed: its timeout counts from now
		}
	}

	changed := make(chan struct{}, 1)
	notify := func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	factory := dynamicinformer.NewFilteredDynamicSharedInformerFactory(ac.Kube.Dynamic, 0, ns, func(o *metav1.ListOptions) {
		o.LabelSelector = plan.LabelManaged + "=true"
	})
	inf := factory.ForResource(kube.Applications).Informer()
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { notify() },
		UpdateFunc: func(any, any) { notify() },
		DeleteFunc: func(any) { notify() },
	}); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ac.Ctx)
	defer cancel()
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		return fmt.Errorf("addons: watching Applications: %w", context.Cause(ctx))
	}
	store := inf.GetStore()

	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		t := now()
		// Read every Application into its tracker.
		for n, k := range tr {
			k.app, k.obj = nil, nil
			if obj, ok, _ := store.GetByKey(ns + "/" + actions.ApplicationName(n, cfg.ClusterName)); ok {
				k.obj = obj.(*unstructured.Unstructured)
				app := actions.ReadApplication(k.obj)
				k.app = &app
			}
		}
		healthy, failed := map[string]bool{}, map[string]bool{}
		for n, k := range tr {
			switch {
			case k.state == actions.AddonFailed:
				failed[n] = true
			case k.app != nil && k.app.Healthy():
				healthy[n] = true
			}
		}
		// Switch on what may start.
		var toEnable []string
		if cfg.Strategy == config.StrategyParallel {
			toEnable = g.Nodes()
		} else {
			toEnable = g.Ready(healthy)
		}
		added := false
		for _, n := range toEnable {
			if !enabled[n] && !failed[n] {
				enabled[n] = true
				tr[n].started = t
				added = true
			}
		}
		if added {
			if err := setSwitches(ac, ns, enabled); err != nil {
				return err
			}
			ac.Changed = true
		}
		// Classify and report.
		blockedBy := g.BlockedBy(failed)
		waiting := g.Waiting(healthy)
		next := time.Time{}
		done, newFailure := true, false
		for _, n := range g.Nodes() {
			k := tr[n]
			st, msg, deps := a.classify(k, enabled[n], blockedBy[n], waiting[n], cfg, t)
			if st == actions.AddonFailed && k.state != actions.AddonFailed {
				newFailure = true
				msg = withResources(msg, notCurrent(ctx, ac.Kube, k.obj))
			}
			if st == actions.AddonDegraded {
				dl := k.degradedSince.Add(cfg.Timeouts.DegradedGrace.D())
				if next.IsZero() || dl.Before(next) {
					next = dl
				}
			}
			if enabled[n] && st != actions.AddonHealthy && st != actions.AddonFailed {
				dl := k.started.Add(k.addon.Timeout(cfg.Timeouts.Addon.D()))
				if next.IsZero() || dl.Before(next) {
					next = dl
				}
			}
			if st != k.state || msg != k.msg || !slices.Equal(deps, k.waitingOn) {
				if st != k.state {
					k.since = t
				}
				k.state, k.msg, k.waitingOn = st, msg, deps
				rep := actions.AddonStatus{Name: n, State: st, Message: msg, WaitingOn: deps, Since: k.since, Started: k.started}
				if k.app != nil {
					rep.Sync, rep.Health = k.app.Sync, k.app.Health
				}
				ac.Report.Addon(rep)
			}
			if st != actions.AddonHealthy && st != actions.AddonFailed && st != actions.AddonBlocked {
				done = false
			}
		}
		if newFailure {
			continue // its dependants are blocked now: classify again at once
		}
		if done {
			return outcome(tr, ns, cfg.ClusterName)
		}
		if !next.IsZero() {
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
			timer.Reset(max(next.Sub(now()), 0))
		}
		select {
		case <-ctx.Done():
			return interrupted(ctx, tr)
		case <-changed:
		case <-timer.C:
		}
	}
}

// classify decides one addon's state at time t.
func (a Action) classify(k *tracker, on bool, blockedBy, waitingOn []string, cfg *config.Config, t time.Time) (actions.AddonState, string, []string) {
	if k.state == actions.AddonFailed {
		return k.state, k.msg, nil // failure is final for this run
	}
	if len(blockedBy) > 0 {
		return actions.AddonBlocked, "blocked by " + strings.Join(blockedBy, ", "), blockedBy
	}
	if !on {
		return actions.AddonWaiting, "waiting on " + strings.Join(waitingOn, ", "), waitingOn
	}
	timeout := k.addon.Timeout(cfg.Timeouts.Addon.D())
	over := t.Sub(k.started) >= timeout
	app := k.app
	if app == nil {
		if over {
			return actions.AddonFailed, fmt.Sprintf("no Application %s after %v: is the ApplicationSet generating it? (last condition: none)", k.addon.Name, timeout), nil
		}
		return actions.AddonStarting, "switched on, waiting for its Application", nil
	}
	st, msg := app.State()
	switch st {
	case actions.AddonHealthy:
		k.degradedSince = time.Time{}
		return st, "", nil
	case actions.AddonFailed:
		return st, msg + " (last condition: " + app.Summary() + ")", nil
	case actions.AddonDegraded:
		if k.degradedSince.IsZero() {
			k.degradedSince = t
		}
		if t.Sub(k.degradedSince) >= cfg.Timeouts.DegradedGrace.D() {
			return actions.AddonFailed, fmt.Sprintf("Degraded for %v (last condition: %s)", cfg.Timeouts.DegradedGrace.D(), app.Summary()), nil
		}
		return st, msg, nil
	}
	k.degradedSince = time.Time{}
	if over {
		return actions.AddonFailed, fmt.Sprintf("not healthy after %v (last condition: %s)", timeout, app.Summary()), nil
	}
	return st, msg, nil
}

func outcome(tr map[string]*tracker, ns, cluster string) error {
	f := &Failed{Failed: map[string]string{}, Blocked: map[string][]string{}, Namespace: ns, Cluster: cluster}
	for n, k := range tr {
		switch k.state {
		case actions.AddonFailed:
			f.Failed[n] = k.msg
		case actions.AddonBlocked:
			f.Blocked[n] = k.waitingOn
		}
	}
	if len(f.Failed) == 0 {
		return nil
	}
	return f
}

func interrupted(ctx context.Context, tr map[string]*tracker) error {
	var pending []string
	for n, k := range tr {
		if k.state != actions.AddonHealthy {
			pending = append(pending, fmt.Sprintf("%s (%s)", n, k.state))
		}
	}
	sort.Strings(pending)
	return fmt.Errorf("addons: stopped waiting (%w); not healthy yet: %s", context.Cause(ctx), strings.Join(pending, ", "))
}

func clusterSecret(ns, cluster string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("v1")
	u.SetKind("Secret")
	u.SetNamespace(ns)
	u.SetName(plan.ClusterSecretName(cluster))
	return u
}

// currentSwitches reads which addons are already on (a resumed run).
func currentSwitches(ac *actions.Context, ns string) (map[string]bool, error) {
	on := map[string]bool{}
	cur, err := ac.Kube.Get(ac.Ctx, clusterSecret(ns, ac.Plan.Config.ClusterName))
	if err != nil {
		return nil, fmt.Errorf("addons: read cluster secret: %w", err)
	}
	if cur == nil {
		return on, nil
	}
	for _, ad := range ac.Plan.Catalog.Installed() {
		if cur.GetLabels()[ad.LabelName()] == "true" {
			on[ad.Name] = true
		}
	}
	return on, nil
}

// setSwitches applies the enable_<addon> labels of every switched-on addon
// under the gate field manager.
func setSwitches(ac *actions.Context, ns string, enabled map[string]bool) error {
	u := clusterSecret(ns, ac.Plan.Config.ClusterName)
	labels := map[string]string{}
	for _, ad := range ac.Plan.Catalog.Installed() {
		if enabled[ad.Name] {
			labels[ad.LabelName()] = "true"
		}
	}
	u.SetLabels(labels)
	if _, err := ac.Kube.ApplyAs(ac.Ctx, u, GateManager); err != nil {
		return fmt.Errorf("addons: switch on: %w", err)
	}
	return nil
}
