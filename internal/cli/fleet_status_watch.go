package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fleetup/fleetup/internal/capi"
	"github.com/fleetup/fleetup/internal/fleet"
	"github.com/fleetup/fleetup/internal/kube"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
)

// statusResync re-evaluates a watch with no event: it picks up commits to
// the local clone (the revision clusters should run) and retries after
// an error.
const statusResync = time.Minute

// watchRetry is the pause before listing a resource again after the API
// server failed to answer.
const watchRetry = 2 * time.Second

// watch evaluates the fleet again on every change of the objects it
// reads, until every cluster is ready (exit 0) or ctx ends (exit 1).
func (fs *FleetStatus) watch(ctx context.Context, src *statusSource) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	changes := make(chan struct{}, 1)
	signal := func() {
		select {
		case changes <- struct{}{}:
		default: // one pending change covers them all
		}
	}
	// Watching starts before the first evaluation: no change is missed.
	watchHub(ctx, src.kc, signal)
	resync := func() <-chan time.Time { return time.After(statusResync) }
	if fs.Global.Output != "json" && useView(fs.Global, fs.IsTerminal) {
		return fs.watchView(ctx, cancel, func(ctx context.Context, show func(*FleetStatusReport, error) error) error {
			return runWatch(ctx, src.evaluate, changes, resync, show)
		})
	}
	return runWatch(ctx, src.evaluate, changes, resync, fs.lineShow())
}

// runWatch evaluates, shows, and waits for a change (or a resync), until
// an evaluation finds every cluster ready. An evaluation that fails is
// shown and tried again at the next change.
func runWatch(ctx context.Context, evaluate func(context.Context) (*FleetStatusReport, error), changes <-chan struct{},
	resync func() <-chan time.Time, show func(*FleetStatusReport, error) error) error {
	var last *FleetStatusReport
	for {
		rep, err := evaluate(ctx)
		if ctx.Err() != nil {
			return stopped(ctx, last)
		}
		if err := show(rep, err); err != nil {
			return err
		}
		if err == nil {
			if rep.Ready {
				return nil
			}
			last = rep
		}
		var tick <-chan time.Time
		if resync != nil {
			tick = resync()
		}
		select {
		case <-ctx.Done():
			return stopped(ctx, last)
		case <-changes:
		case <-tick:
		}
	}
}

// stopped is the error of a watch ended before every cluster was ready.
func stopped(ctx context.Context, last *FleetStatusReport) error {
	msg := "fleet status --watch stopped before every cluster was ready"
	if last != nil {
		msg += " (" + statusSummary(last) + ")"
	}
	return fmt.Errorf("%s: %w", msg, context.Cause(ctx))
}

// lineShow prints, without a terminal, a line per cluster whose state or
// reason changed (as install's lines), or with -o json the whole
// document again, on one line, whenever a cluster changed.
func (fs *FleetStatus) lineShow() func(*FleetStatusReport, error) error {
	g := fs.Global
	w := &redactingWriter{w: g.Stdout, g: g}
	now := fs.Now
	if now == nil {
		now = time.Now
	}
	var prev *FleetStatusReport
	return func(rep *FleetStatusReport, err error) error {
		t := now()
		if err != nil {
			return writeLines(w, []statusLine{{Time: t.UTC().Format(time.RFC3339), Kind: "error", Name: "fleet", State: "unread", Message: fleetFirstLine(err)}}, g.LogFormat == "json")
		}
		lines := changedLines(prev, rep, t)
		if prev == nil && rep.Tracked.Note != "" {
			g.noteLine(rep.Tracked.Note)
		}
		prev = rep
		switch {
		case len(lines) == 0:
			return nil
		case g.Output == "json":
			data, err := jsonLine(rep)
			if err != nil {
				return err
			}
			_, err = w.Write(data)
			return err
		}
		if rep.Ready {
			lines = append(lines, statusLine{Time: t.UTC().Format(time.RFC3339), Kind: "fleet", Name: rep.Fleet + "/", State: "ready", Message: "every cluster is as Git says"})
		}
		return writeLines(w, lines, g.LogFormat == "json")
	}
}

// watchHub watches, each in its own goroutine until ctx ends, what fleet
// status reads: Argo CD's Applications and cluster secrets and Cluster
// API's objects; signal is called on every change. Kinds the hub does not
// serve are left out.
func watchHub(ctx context.Context, kc *kube.Client, signal func()) {
	type target struct {
		ri  dynamic.ResourceInterface
		sel string
	}
	targets := []target{
		{kc.Dynamic.Resource(kube.Applications).Namespace(fleetNamespace), ""},
		{kc.Dynamic.Resource(kube.Secrets).Namespace(fleetNamespace), fleet.ClusterLabel},
		{kc.Dynamic.Resource(capi.Clusters), ""},
		{kc.Dynamic.Resource(capi.MachineDeployments), ""},
		{kc.Dynamic.Resource(capi.MachinePools), ""},
	}
	// Control planes by kind: the hub's preferred version of each.
	for _, kind := range []string{"KubeadmControlPlane", "AWSManagedControlPlane"} {
		if m, err := kc.Mapper.RESTMapping(schema.GroupKind{Group: "controlplane." + capi.Group, Kind: kind}); err == nil {
			targets = append(targets, target{kc.Dynamic.Resource(m.Resource), ""})
		}
	}
	for _, t := range targets {
		go watchResource(ctx, t.ri, t.sel, signal)
	}
}

// watchResource lists (for a resource version) then watches ri, again
// after the watch ends; signal on every event, and after every restart
// (what changed in between is seen by the next evaluation).
func watchResource(ctx context.Context, ri dynamic.ResourceInterface, sel string, signal func()) {
	for ctx.Err() == nil {
		list, err := ri.List(ctx, metav1.ListOptions{LabelSelector: sel, Limit: 1})
		if notServedList(err) {
			return
		}
		var w watch.Interface
		if err == nil {
			w, err = ri.Watch(ctx, metav1.ListOptions{LabelSelector: sel, ResourceVersion: list.GetResourceVersion(), AllowWatchBookmarks: true})
		}
		if err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(watchRetry):
			}
			continue
		}
		drain(w, signal)
		signal()
	}
}

// drain signals every event of w but bookmarks, until it ends or reports
// an error (an expired resource version: list again).
func drain(w watch.Interface, signal func()) {
	defer w.Stop()
	for ev := range w.ResultChan() {
		switch ev.Type {
		case watch.Error:
			return
		case watch.Bookmark:
		default:
			signal()
		}
	}
}

var errInterrupted = errors.New("interrupted by ctrl+c")
