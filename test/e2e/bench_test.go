package e2e

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/argocd"
	"github.com/fleetup/fleetup/internal/bootstrap"
	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/cli"
	"github.com/fleetup/fleetup/internal/helm"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/report"
	"github.com/fleetup/fleetup/test/envtest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"
)

// Known kwok readiness delays of the diamond's addons. The graph's critical
// path is base -> left -> top.
var benchDelays = map[string]time.Duration{"base": 0, "left": 6 * time.Second, "right": 3 * time.Second, "top": 2 * time.Second}

// benchAnnotations give the addons' pods the delays above.
func benchAnnotations() map[string]string {
	ann := map[string]string{}
	for a, d := range benchDelays {
		if d > 0 {
			ann[a] = envtest.ReadyDelayAnnotation + "=" + d.String()
		}
	}
	return ann
}

// recorder is a Reporter that timestamps events.
type recorder struct {
	mu        sync.Mutex
	addonsAt  time.Time
	healthyAt map[string]time.Time
}

func (r *recorder) Step(name string, state report.StepState, _ string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if name == "addons" && state == report.StepRunning {
		r.addonsAt = time.Now()
	}
}

func (r *recorder) Addon(a report.AddonStatus) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if a.State == report.AddonHealthy {
		if _, ok := r.healthyAt[a.Name]; !ok {
			r.healthyAt[a.Name] = time.Now()
		}
	}
}

// BenchmarkInstall measures, on the diamond catalog with the delays above:
// the time from the addons step's start to all healthy for each strategy,
// against the critical path of the delays; and the report latency, from
// the moment an independent watch sees an Application turn healthy to the
// moment fleetup reports it.
//
//	FLEETUP_TESTENV=required go test ./test/e2e -run '^$' -bench Install -benchtime 3x
func BenchmarkInstall(b *testing.B) {
	if env == nil {
		b.Skip("needs the test environment")
	}
	critical := benchDelays["base"] + benchDelays["left"] + benchDelays["top"]
	for _, strategy := range []string{"gated", "parallel"} {
		b.Run(strategy, func(b *testing.B) {
			var total, lat []time.Duration
			for i := 0; i < b.N; i++ {
				d, l := installOnce(b, strategy)
				total = append(total, d)
				lat = append(lat, l...)
			}
			b.ReportMetric(seconds(median(total)), "s-to-healthy")
			b.ReportMetric(seconds(critical), "s-critical-path")
			b.ReportMetric(seconds(median(total)-critical), "s-over-critical")
			b.ReportMetric(float64(median(lat).Milliseconds()), "ms-report-latency-p50")
			b.ReportMetric(float64(maxOf(lat).Milliseconds()), "ms-report-latency-max")
		})
	}
}

func installOnce(b *testing.B, strategy string) (time.Duration, []time.Duration) {
	b.Helper()
	p := newPlatform(b, options{Strategy: strategy, PodAnnotations: benchAnnotations()})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	// An independent watch records when each Application turns healthy.
	seen := map[string]time.Time{}
	var mu sync.Mutex
	w, err := env.Client.Dynamic.Resource(kube.Applications).Namespace("argocd").Watch(ctx, metav1.ListOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Stop()
	go func() {
		for ev := range w.ResultChan() {
			if ev.Type != watch.Added && ev.Type != watch.Modified {
				continue
			}
			o, ok := ev.Object.(*unstructured.Unstructured)
			if !ok || !argocd.Read(o).Healthy() {
				continue
			}
			mu.Lock()
			if _, ok := seen[o.GetName()]; !ok {
				seen[o.GetName()] = time.Now()
			}
			mu.Unlock()
		}
	}()

	g := &cli.Global{ConfigFile: p.Config, Kubeconfig: env.Kubeconfig}
	pl, err := cli.Load(ctx, g)
	if err != nil {
		b.Fatal(err)
	}
	rec := &recorder{healthyAt: map[string]time.Time{}}
	inst := &bootstrap.Install{Plan: pl, Kube: env.Client, Helm: &helm.Releaser{Config: env.Config, CacheDir: b.TempDir()}, Report: rec, Redactor: &g.Redactor}
	if _, err := inst.Run(ctx); err != nil {
		b.Fatal(err)
	}
	var last time.Time
	var lat []time.Duration
	mu.Lock()
	defer mu.Unlock()
	for name, at := range rec.healthyAt {
		if at.After(last) {
			last = at
		}
		if w, ok := seen[argocd.ApplicationName(name, p.Cluster)]; ok && !w.After(at) {
			lat = append(lat, at.Sub(w))
		}
	}
	return last.Sub(rec.addonsAt), lat
}

func seconds(d time.Duration) float64 { return d.Seconds() }

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func maxOf(ds []time.Duration) time.Duration {
	var m time.Duration
	for _, d := range ds {
		m = max(m, d)
	}
	return m
}

// BenchmarkUninstall measures `fleetup uninstall` of the diamond platform
// (installed first, untimed): from the start until everything is removed.
//
//	FLEETUP_TESTENV=required go test ./test/e2e -run '^$' -bench Uninstall -benchtime 3x
func BenchmarkUninstall(b *testing.B) {
	if env == nil {
		b.Skip("needs the test environment")
	}
	var total []time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		p := newPlatform(b, options{})
		ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
		g := &cli.Global{ConfigFile: p.Config, Kubeconfig: env.Kubeconfig}
		pl, err := cli.Load(ctx, g)
		if err != nil {
			b.Fatal(err)
		}
		h := &helm.Releaser{Config: env.Config, CacheDir: b.TempDir()}
		inst := &bootstrap.Install{Plan: pl, Kube: env.Client, Helm: h, Report: &recorder{healthyAt: map[string]time.Time{}}, Redactor: &g.Redactor}
		if _, err := inst.Run(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		un := &bootstrap.Uninstall{Plan: pl, Kube: env.Client, Helm: h, Report: &recorder{healthyAt: map[string]time.Time{}}, Redactor: &g.Redactor, Options: actions.RemoveOptions{PurgeCRDs: true, FinalizerTimeout: time.Minute}}
		if err := un.Prepare(ctx); err != nil {
			b.Fatal(err)
		}
		if _, err := un.Execute(ctx); err != nil {
			b.Fatal(err)
		}
		total = append(total, time.Since(start))
		cancel()
	}
	b.ReportMetric(seconds(median(total)), "s-to-removed")
}
