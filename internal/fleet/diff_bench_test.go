package fleet

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/gitrepo"
	"github.com/fleetup/fleetup/internal/gitrepo/gitrepotest"
	"sigs.k8s.io/yaml"
)

// benchProfiles gives each profile of the synthetic fleet 1,000 of its
// 10,000 clusters.
const benchProfiles = 10

// writeDiffBenchRepo commits a synthetic fleet of n clusters in a new
// repository at dir, then changes profile p3 in the working tree: a
// Kubernetes upgrade, a larger worker pool and a tag, which reach every
// cluster of that profile (n/10).
func writeDiffBenchRepo(tb testing.TB, dir string, n int) {
	tb.Helper()
	gitrepotest.Init(tb, dir)
	writeSyntheticFleetProfiles(tb, dir, n, benchProfiles)
	gitrepotest.CommitAll(tb, dir, "synthetic fleet")
	p := filepath.Join(dir, "fleet", "profiles", "p3.yaml")
	data, err := os.ReadFile(p)
	if err != nil {
		tb.Fatal(err)
	}
	changed := strings.NewReplacer(`kubernetesVersion: "v1.33"`, `kubernetesVersion: "v1.34"`,
		"replicas: 2, scaling: {minSize: 2, maxSize: 6}", "replicas: 3, scaling: {minSize: 3, maxSize: 9}",
		"profile: p3}", "profile: p3, tier: gold}").Replace(string(data))
	if changed == string(data) {
		tb.Fatal("the profile change changed nothing")
	}
	if err := os.WriteFile(p, []byte(changed), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// loadHEADAndWorkingTree loads the fleet at HEAD, read from Git, and in
// the working tree, read from disk: the working tree first, both through
// cache (nil: none), as `fleet diff` does.
func loadHEADAndWorkingTree(ctx context.Context, dir string, cache *LoadCache) (base, head *Fleet, err error) {
	repo, err := gitrepo.Open(dir)
	if err != nil {
		return nil, nil, err
	}
	snap, err := repo.Resolve(ctx, "HEAD")
	if err != nil {
		return nil, nil, err
	}
	if head, err = Load(ctx, DirFS(dir), "fleet", Options{Cache: cache}); err != nil {
		return nil, nil, err
	}
	if base, err = Load(ctx, snap.FS, "fleet", Options{Cache: cache}); err != nil {
		return nil, nil, err
	}
	return base, head, nil
}

// diffHEADWorkingTree is what `fleet diff` does with no revisions.
func diffHEADWorkingTree(ctx context.Context, dir string) (*Diff, error) {
	base, head, err := loadHEADAndWorkingTree(ctx, dir, NewLoadCache())
	if err != nil {
		return nil, err
	}
	return Compare(base, head), nil
}

// BenchmarkFleetDiff10000Clusters: `fleet diff` of a one-profile change
// that reaches 1,000 of 10,000 clusters (4 layers, 10 profiles), from
// opening the repository to the text and JSON output.
func BenchmarkFleetDiff10000Clusters(b *testing.B) {
	dir := b.TempDir()
	writeDiffBenchRepo(b, dir, 10000)
	ctx := context.Background()
	var live uint64
	cpu := cpuTime(b)
	for b.Loop() {
		d, err := diffHEADWorkingTree(ctx, dir)
		if err != nil {
			b.Fatal(err)
		}
		if d.Summary.Changed != 1000 || d.Summary.Unchanged != 9000 {
			b.Fatalf("summary %+v", d.Summary)
		}
		if err := WriteDiffText(io.Discard, d); err != nil {
			b.Fatal(err)
		}
		if err := WriteDiffJSON(io.Discard, d); err != nil {
			b.Fatal(err)
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		live = max(live, ms.HeapInuse)
		runtime.KeepAlive(d)
	}
	b.ReportMetric(float64(live)/(1<<20), "MiB-heap-inuse")
	b.ReportMetric((cpuTime(b)-cpu).Seconds()/float64(b.N), "cpu-s/op")
}

// cpuTime is the process's user and system CPU time so far: on shared
// cores the wall time depends on the neighbours, the CPU time does not.
func cpuTime(tb testing.TB) time.Duration {
	tb.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCompare10000Clusters: the comparison alone, both fleets loaded,
// the worst case: loaded apart, no value is shared.
func BenchmarkCompare10000Clusters(b *testing.B) {
	dir := b.TempDir()
	writeDiffBenchRepo(b, dir, 10000)
	base, head, err := loadHEADAndWorkingTree(context.Background(), dir, nil)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if d := Compare(base, head); d.Summary.Changed != 1000 {
			b.Fatalf("summary %+v", d.Summary)
		}
	}
}

// TestWriteDiffBenchRepo writes the benchmark's repository to
// $FLEETUP_DIFF_BENCH_DIR, for measuring the real command (peak memory
// with /usr/bin/time -v; docs/benchmarks.md).
func TestWriteDiffBenchRepo(t *testing.T) {
	dir := os.Getenv("FLEETUP_DIFF_BENCH_DIR")
	if dir == "" {
		t.Skip("FLEETUP_DIFF_BENCH_DIR is not set")
	}
	writeDiffBenchRepo(t, dir, 10000)
	d, err := diffHEADWorkingTree(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if d.Summary.Changed != 1000 {
		t.Fatalf("summary %+v", d.Summary)
	}
}

// BenchmarkHelmTemplateOneCluster is the anchor `fleet diff` is compared
// with: what Argo CD's repo-server does per Application before it can
// show a diff, `helm template` of the cluster's chart with its value
// files, here in-process with Helm's own loader and engine (a chart whose
// one template prints .Values, written afresh each time as a checkout
// would be). A lower bound: the real repo-server also starts a helm
// process per render and the real chart has more templates.
func BenchmarkHelmTemplateOneCluster(b *testing.B) {
	f, err := Load(context.Background(), exampleFS(b), "fleet", Options{})
	if err != nil {
		b.Fatal(err)
	}
	c := f.Cluster("prod-acme-fra")
	var files []string
	for _, s := range c.Sources[1 : len(c.Sources)-1] {
		data, err := os.ReadFile(filepath.Join("..", "..", s.File))
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, string(data))
	}
	own, err := yaml.Marshal(c.Own.Plain())
	if err != nil {
		b.Fatal(err)
	}
	files = append(files, string(own))
	for b.Loop() {
		helmTemplate(b, "", files...)
	}
}
