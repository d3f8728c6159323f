package stages

import (
	"errors"
	"fmt"
	"math/rand"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// diamond: d depends on b and c, which both depend on a.
func diamond(t *testing.T) *Graph {
	t.Helper()
	g, err := New([]string{"a", "b", "c", "d"}, map[string][]string{"b": {"a"}, "c": {"a"}, "d": {"b", "c"}})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestOrderAndLevels(t *testing.T) {
	g := diamond(t)
	if got, want := g.Order(), []string{"a", "b", "c", "d"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Order = %v, want %v", got, want)
	}
	if got, want := g.Levels(), [][]string{{"a"}, {"b", "c"}, {"d"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("Levels = %v, want %v", got, want)
	}
	if got, want := g.Reverse(), []string{"d", "c", "b", "a"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Reverse = %v, want %v", got, want)
	}
	if g.Level("d") != 2 || g.Level("a") != 0 {
		t.Errorf("Level(d)=%d Level(a)=%d", g.Level("d"), g.Level("a"))
	}
	if got := g.Deps("d"); !reflect.DeepEqual(got, []string{"b", "c"}) {
		t.Errorf("Deps(d) = %v", got)
	}
	if got := g.Dependents("a"); !reflect.DeepEqual(got, []string{"b", "c"}) {
		t.Errorf("Dependents(a) = %v", got)
	}
	if got := len(g.Edges()); got != 4 {
		t.Errorf("Edges = %d, want 4", got)
	}
}

func TestOrderKeepsInputOrderAmongFreeNodes(t *testing.T) {
	g, err := New([]string{"z", "y", "x"}, map[string][]string{"z": {"x"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := g.Order(), []string{"y", "x", "z"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Order = %v, want %v", got, want)
	}
}

func TestEmptyGraph(t *testing.T) {
	g, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Order()) != 0 || len(g.Levels()) != 0 || len(g.Ready(nil)) != 0 {
		t.Error("empty graph should have nothing")
	}
	path, d := g.CriticalPath(nil)
	if path != nil || d != 0 {
		t.Errorf("CriticalPath = %v %v", path, d)
	}
}

func TestCycleIsNamed(t *testing.T) {
	cases := []struct {
		nodes []string
		deps  map[string][]string
		want  string
	}{
		{[]string{"a", "b", "c"}, map[string][]string{"a": {"b"}, "b": {"c"}, "c": {"a"}}, "a -> b -> c -> a"},
		{[]string{"a"}, map[string][]string{"a": {"a"}}, "a -> a"},
		{[]string{"x", "a", "b"}, map[string][]string{"x": {"a"}, "a": {"b"}, "b": {"a"}}, "a -> b -> a"},
	}
	for _, c := range cases {
		_, err := New(c.nodes, c.deps)
		var ce *CycleError
		if !errors.As(err, &ce) {
			t.Fatalf("%v: err = %v, want a CycleError", c.deps, err)
		}
		if got := strings.Join(ce.Cycle, " -> "); got != c.want {
			t.Errorf("cycle = %q, want %q", got, c.want)
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("message %q does not name the cycle", err)
		}
	}
}

func TestUnknownAndDuplicate(t *testing.T) {
	_, err := New([]string{"a"}, map[string][]string{"a": {"nope"}})
	var ue *UnknownError
	if !errors.As(err, &ue) || ue.Dep != "nope" || ue.Node != "a" {
		t.Errorf("err = %v, want UnknownError a -> nope", err)
	}
	if _, err := New([]string{"a", "a"}, nil); err == nil {
		t.Error("duplicate node accepted")
	}
	g, err := New([]string{"a", "b"}, map[string][]string{"b": {"a", "a"}})
	if err != nil || len(g.Deps("b")) != 1 {
		t.Errorf("repeated dependency not folded: %v %v", err, g)
	}
}

func TestReadyWaitingBlocked(t *testing.T) {
	g := diamond(t)
	if got := g.Ready(map[string]bool{}); !reflect.DeepEqual(got, []string{"a"}) {
		t.Errorf("Ready(none) = %v", got)
	}
	done := map[string]bool{"a": true, "b": true}
	if got := g.Ready(done); !reflect.DeepEqual(got, []string{"c"}) {
		t.Errorf("Ready(a,b) = %v", got)
	}
	if got := g.Waiting(done); !reflect.DeepEqual(got, map[string][]string{"d": {"c"}}) {
		t.Errorf("Waiting(a,b) = %v", got)
	}
	if got := g.BlockedBy(map[string]bool{"b": true}); !reflect.DeepEqual(got, map[string][]string{"d": {"b"}}) {
		t.Errorf("BlockedBy(b) = %v", got)
	}
	if got := g.BlockedBy(map[string]bool{"a": true}); !reflect.DeepEqual(got, map[string][]string{"b": {"a"}, "c": {"a"}, "d": {"a"}}) {
		t.Errorf("BlockedBy(a) = %v", got)
	}
	if got := g.BlockedBy(map[string]bool{"b": true, "c": true}); !reflect.DeepEqual(got, map[string][]string{"d": {"b", "c"}}) {
		t.Errorf("BlockedBy(b,c) = %v", got)
	}
}

func TestCriticalPath(t *testing.T) {
	g := diamond(t)
	s := time.Second
	path, d := g.CriticalPath(map[string]time.Duration{"a": 2 * s, "b": 1 * s, "c": 5 * s, "d": 1 * s})
	if !reflect.DeepEqual(path, []string{"a", "c", "d"}) || d != 8*s {
		t.Errorf("CriticalPath = %v %v, want [a c d] 8s", path, d)
	}
	path, d = g.CriticalPath(map[string]time.Duration{"a": 1 * s, "b": 9 * s, "c": 1 * s, "d": 1 * s})
	if !reflect.DeepEqual(path, []string{"a", "b", "d"}) || d != 11*s {
		t.Errorf("CriticalPath = %v %v, want [a b d] 11s", path, d)
	}
	// A lone slow node beats a chain.
	g2, _ := New([]string{"x", "y", "slow"}, map[string][]string{"y": {"x"}})
	path, d = g2.CriticalPath(map[string]time.Duration{"x": s, "y": s, "slow": 10 * s})
	if !reflect.DeepEqual(path, []string{"slow"}) || d != 10*s {
		t.Errorf("CriticalPath = %v %v, want [slow] 10s", path, d)
	}
}

// randomDAG builds a graph whose edges only go from higher to lower index,
// so it is acyclic by construction; the names are shuffled.
func randomDAG(r *rand.Rand, n int, p float64) ([]string, map[string][]string) {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("n%02d", i)
	}
	deps := map[string][]string{}
	for i := 0; i < n; i++ {
		for j := 0; j < i; j++ {
			if r.Float64() < p {
				deps[names[i]] = append(deps[names[i]], names[j])
			}
		}
	}
	r.Shuffle(n, func(i, j int) { names[i], names[j] = names[j], names[i] })
	return names, deps
}

// TestPropertiesOnRandomGraphs checks the invariants that the install and
// uninstall schedulers rely on, over many random DAGs.
func TestPropertiesOnRandomGraphs(t *testing.T) {
	r := rand.New(rand.NewSource(42))
	for iter := 0; iter < 500; iter++ {
		n := r.Intn(25)
		names, deps := randomDAG(r, n, r.Float64()*0.5)
		g, err := New(names, deps)
		if err != nil {
			t.Fatalf("acyclic graph rejected: %v", err)
		}
		pos := map[string]int{}
		for i, v := range g.Order() {
			pos[v] = i
		}
		if len(pos) != n {
			t.Fatalf("Order has %d distinct nodes, want %d", len(pos), n)
		}
		level := map[string]int{}
		for l, nodes := range g.Levels() {
			if len(nodes) == 0 {
				t.Fatalf("empty level %d", l)
			}
			for _, v := range nodes {
				level[v] = l
			}
		}
		for v, ds := range deps {
			maxDep := -1
			for _, d := range ds {
				if pos[d] >= pos[v] {
					t.Fatalf("Order puts %s before its dependency %s", v, d)
				}
				if level[d] >= level[v] {
					t.Fatalf("level(%s)=%d not above level(%s)=%d", v, level[v], d, level[d])
				}
				maxDep = max(maxDep, level[d])
			}
			if level[v] != maxDep+1 {
				t.Fatalf("level(%s)=%d, want %d", v, level[v], maxDep+1)
			}
		}
		// A gated schedule that starts every ready node and finishes them
		// in random order visits everything exactly once.
		done := map[string]bool{}
		for steps := 0; len(done) < n; steps++ {
			ready := g.Ready(done)
			if len(ready) == 0 {
				t.Fatalf("schedule stuck with %d/%d done", len(done), n)
			}
			for _, v := range ready {
				for _, d := range g.Deps(v) {
					if !done[d] {
						t.Fatalf("%s ready before %s done", v, d)
					}
				}
			}
			done[ready[r.Intn(len(ready))]] = true
			if steps > n {
				t.Fatal("schedule did not terminate")
			}
		}
		// Critical path: a real chain, and no node finishes later than it.
		dur := map[string]time.Duration{}
		for _, v := range names {
			dur[v] = time.Duration(r.Intn(10)) * time.Second
		}
		path, total := g.CriticalPath(dur)
		var sum time.Duration
		for i, v := range path {
			sum += dur[v]
			if i > 0 && !slices.Contains(g.Deps(v), path[i-1]) {
				t.Fatalf("critical path %v: %s does not depend on %s", path, v, path[i-1])
			}
		}
		if n > 0 && sum != total {
			t.Fatalf("critical path %v sums to %v, reported %v", path, sum, total)
		}
		for _, v := range names {
			if f := finishTime(g, dur, v); f > total {
				t.Fatalf("%s finishes at %v after the critical path's %v", v, f, total)
			}
		}
		// Everything blocked by a failed node transitively depends on it.
		if n > 0 {
			failed := names[r.Intn(n)]
			for v, by := range g.BlockedBy(map[string]bool{failed: true}) {
				if !reflect.DeepEqual(by, []string{failed}) || !dependsOn(g, v, failed) {
					t.Fatalf("%s reported blocked by %v", v, by)
				}
			}
		}
	}
}

func TestRandomCyclesAreFound(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	for iter := 0; iter < 300; iter++ {
		n := 2 + r.Intn(15)
		names, deps := randomDAG(r, n, 0.3)
		// Close a cycle through a random chain of nodes.
		k := 1 + r.Intn(n)
		chain := r.Perm(n)[:k]
		for i := range chain {
			from, to := names[chain[i]], names[chain[(i+1)%k]]
			deps[from] = append(deps[from], to)
		}
		_, err := New(names, deps)
		var ce *CycleError
		if !errors.As(err, &ce) {
			t.Fatalf("cycle not found: %v", err)
		}
		c := ce.Cycle
		if c[0] != c[len(c)-1] || len(c) < 2 {
			t.Fatalf("cycle %v does not close", c)
		}
		for i := 0; i+1 < len(c); i++ {
			if !slices.Contains(deps[c[i]], c[i+1]) {
				t.Fatalf("cycle %v uses a missing edge %s -> %s", c, c[i], c[i+1])
			}
		}
	}
}

func finishTime(g *Graph, dur map[string]time.Duration, v string) time.Duration {
	var start time.Duration
	for _, d := range g.Deps(v) {
		start = max(start, finishTime(g, dur, d))
	}
	return start + dur[v]
}

func dependsOn(g *Graph, v, target string) bool {
	for _, d := range g.Deps(v) {
		if d == target || dependsOn(g, d, target) {
			return true
		}
	}
	return false
}
