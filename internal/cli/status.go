package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/fleetup/fleetup/internal/argocd"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	"github.com/fleetup/fleetup/internal/status"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"
)

// Status is `fleetup status`.
type Status struct {
	Global *Global
	Watch  bool
}

// ExitError ends the command with a code and no further message (the
// output already said everything), e.g. status of an unhealthy platform.
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// Run prints the status; exit code 0 only when every addon is healthy.
func (s *Status) Run(ctx context.Context) error {
	g := s.Global
	pl, kc, err := g.loadInstalled(ctx)
	if err != nil {
		return err
	}
	out := &redactingWriter{w: g.Stdout, g: g}
	st, err := status.Read(ctx, kc, pl)
	if err != nil {
		return err
	}
	if err := s.print(out, st); err != nil {
		return err
	}
	if s.Watch {
		if st, err = s.watch(ctx, kc, pl, out, st); err != nil {
			return err
		}
	}
	if !st.Healthy() {
		return &ExitError{Code: ExitFailure}
	}
	return nil
}

func (s *Status) print(w io.Writer, st *status.Status) error {
	if s.Global.Output == "json" {
		enc := json.NewEncoder(w)
		if !s.Watch {
			enc.SetIndent("", "  ")
		}
		return enc.Encode(st)
	}
	handoff := "no"
	if st.HandOff {
		handoff = "yes"
	}
	fmt.Fprintf(w, "%s: %s (Argo CD manages itself, External Secrets and the catalog: %s)\n", st.Cluster, st.Phase, handoff)
	c := st.Catalog
	rev := c.Revision
	if len(rev) > 8 {
		rev = rev[:8]
	}
	fmt.Fprintf(w, "catalog from Git: Application %s %s (sync %s, health %s, revision %s)", c.Application, c.State, dash(c.Sync), dash(c.Health), dash(rev))
	if c.Message != "" && c.State != "healthy" {
		fmt.Fprintf(w, ": %s", argocd.OneLine(c.Message, 160))
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LEVEL\tADDON\tSTATE\tSYNC\tHEALTH\tOPERATION\tSINCE\tMESSAGE")
	for _, a := range st.Addons {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Level, a.Name, a.State, dash(a.Sync), dash(a.Health), dash(a.Operation), dash(a.Since), argocd.OneLine(a.Message, 120))
	}
	return tw.Flush()
}

// watch redraws on every change of the platform's Applications or its
// cluster secret, until ctx ends (Ctrl-C).
func (s *Status) watch(ctx context.Context, kc *kube.Client, pl *plan.Plan, w io.Writer, last *status.Status) (*status.Status, error) {
	ns := pl.ArgoNamespace()
	changed := make(chan struct{}, 1)
	notify := func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	handler := cache.ResourceEventHandlerFuncs{AddFunc: func(any) { notify() }, UpdateFunc: func(any, any) { notify() }, DeleteFunc: func(any) { notify() }}
	apps := dynamicinformer.NewFilteredDynamicSharedInformerFactory(kc.Dynamic, 0, ns, nil)
	if _, err := apps.ForResource(kube.Applications).Informer().AddEventHandler(handler); err != nil {
		return last, err
	}
	if _, err := apps.ForResource(kube.Secrets).Informer().AddEventHandler(handler); err != nil {
		return last, err
	}
	apps.Start(ctx.Done())
	prev, _ := json.Marshal(last)
	for {
		select {
		case <-ctx.Done():
			return last, nil
		case <-changed:
		}
		st, err := status.Read(ctx, kc, pl)
		if err != nil {
			if ctx.Err() != nil {
				return last, nil
			}
			return last, err
		}
		cur, _ := json.Marshal(st)
		if string(cur) == string(prev) {
			continue
		}
		prev, last = cur, st
		if s.Global.Output != "json" {
			fmt.Fprintf(w, "\n--- %s\n", time.Now().UTC().Format(time.RFC3339))
		}
		if err := s.print(w, st); err != nil {
			return last, err
		}
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
