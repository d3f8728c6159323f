// Package stages is the addon dependency graph: topological order, levels,
// the critical path, what is ready and what is blocked. Pure code; the
// install pipeline drives its waits from it.
package stages

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Graph is a directed acyclic graph of named nodes; an edge a -> b means
// "a depends on b". Node order is the order given to New, and every listing
// keeps it, so output is stable.
type Graph struct {
	names []string
	index map[string]int
	deps  [][]int // node -> the nodes it depends on
	rdeps [][]int // node -> the nodes that depend on it
}

// UnknownError is a dependency on a node that does not exist.
type UnknownError struct{ Node, Dep string }

func (e *UnknownError) Error() string {
	return fmt.Sprintf("%s depends on unknown %s", e.Node, e.Dep)
}

// CycleError names one cycle, first node repeated at the end.
type CycleError struct{ Cycle []string }

func (e *CycleError) Error() string {
	return "dependency cycle: " + strings.Join(e.Cycle, " -> ")
}

// New builds a graph. deps maps a node to the nodes it depends on; a node
// missing from deps has none. It fails on a duplicate node, an unknown
// dependency or a cycle.
func New(nodes []string, deps map[string][]string) (*Graph, error) {
	g := &Graph{names: append([]string(nil), nodes...), index: make(map[string]int, len(nodes))}
	for i, n := range nodes {
		if _, dup := g.index[n]; dup {
			return nil, fmt.Errorf("duplicate node %s", n)
		}
		g.index[n] = i
	}
	g.deps = make([][]int, len(nodes))
	g.rdeps = make([][]int, len(nodes))
	for i, n := range nodes {
		seen := map[int]bool{}
		for _, d := range deps[n] {
			j, ok := g.index[d]
			if !ok {
				return nil, &UnknownError{Node: n, Dep: d}
			}
			if seen[j] {
				continue
			}
			seen[j] = true
			g.deps[i] = append(g.deps[i], j)
			g.rdeps[j] = append(g.rdeps[j], i)
		}
	}
	for i := range g.rdeps {
		sort.Ints(g.rdeps[i])
	}
	if c := g.findCycle(); c != nil {
		return nil, &CycleError{Cycle: c}
	}
	return g, nil
}

// findCycle returns one cycle in dependency direction, or nil.
func (g *Graph) findCycle() []string {
	const (
		white = iota
		grey
		black
	)
	color := make([]int, len(g.names))
	var stack []int
	var cycle []string
	var visit func(int) bool
	visit = func(n int) bool {
		color[n] = grey
		stack = append(stack, n)
		for _, d := range g.deps[n] {
			switch color[d] {
			case grey:
				start := len(stack) - 1
				for stack[start] != d {
					start--
				}
				for _, s := range stack[start:] {
					cycle = append(cycle, g.names[s])
				}
				cycle = append(cycle, g.names[d])
				return true
			case white:
				if visit(d) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[n] = black
		return false
	}
	for i := range g.names {
		if color[i] == white && visit(i) {
			return cycle
		}
	}
	return nil
}

// Len is the number of nodes.
func (g *Graph) Len() int { return len(g.names) }

// Nodes lists the nodes in input order.
func (g *Graph) Nodes() []string { return append([]string(nil), g.names...) }

// Has reports whether n is a node.
func (g *Graph) Has(n string) bool { _, ok := g.index[n]; return ok }

func (g *Graph) namesOf(ids []int) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = g.names[id]
	}
	return out
}

// Deps lists what n depends on directly.
func (g *Graph) Deps(n string) []string { return g.namesOf(g.deps[g.index[n]]) }

// Dependents lists what depends on n directly.
func (g *Graph) Dependents(n string) []string { return g.namesOf(g.rdeps[g.index[n]]) }

// Order is a topological order, dependencies first; among nodes free at the
// same time, input order wins.
func (g *Graph) Order() []string {
	indeg := make([]int, len(g.names))
	for i := range g.names {
		indeg[i] = len(g.deps[i])
	}
	var out []string
	done := make([]bool, len(g.names))
	for len(out) < len(g.names) {
		for i := range g.names {
			if !done[i] && indeg[i] == 0 {
				done[i] = true
				out = append(out, g.names[i])
				for _, r := range g.rdeps[i] {
					indeg[r]--
				}
				break // restart so the earliest free node always goes next
			}
		}
	}
	return out
}

// depth is the length of the longest dependency chain below each node.
func (g *Graph) depth() []int {
	d := make([]int, len(g.names))
	for _, n := range g.Order() {
		i := g.index[n]
		for _, dep := range g.deps[i] {
			if d[dep]+1 > d[i] {
				d[i] = d[dep] + 1
			}
		}
	}
	return d
}

// Levels groups nodes by the length of their longest dependency chain:
// level 0 has no dependencies, level k depends on something at level k-1.
func (g *Graph) Levels() [][]string {
	d := g.depth()
	var levels [][]string
	for i, n := range g.names {
		for len(levels) <= d[i] {
			levels = append(levels, nil)
		}
		levels[d[i]] = append(levels[d[i]], n)
	}
	return levels
}

// Level returns n's level.
func (g *Graph) Level(n string) int { return g.depth()[g.index[n]] }

// CriticalPath returns the chain of nodes whose durations add up to the
// longest time from start to all done, dependencies first, and that time.
// A node missing from durations counts as zero.
func (g *Graph) CriticalPath(durations map[string]time.Duration) ([]string, time.Duration) {
	finish := make([]time.Duration, len(g.names))
	prev := make([]int, len(g.names))
	for _, n := range g.Order() {
		i := g.index[n]
		prev[i] = -1
		var start time.Duration
		for _, d := range g.deps[i] {
			if finish[d] > start || (finish[d] == start && prev[i] == -1) {
				start, prev[i] = finish[d], d
			}
		}
		finish[i] = start + durations[n]
	}
	end, last := time.Duration(0), -1
	for i := range g.names {
		if last == -1 || finish[i] > end {
			end, last = finish[i], i
		}
	}
	var path []string
	for i := last; i >= 0; i = prev[i] {
		path = append([]string{g.names[i]}, path...)
	}
	return path, end
}

// Ready lists the nodes not in done whose dependencies are all in done:
// what a gated schedule may start now.
func (g *Graph) Ready(done map[string]bool) []string {
	var out []string
	for i, n := range g.names {
		if done[n] {
			continue
		}
		ok := true
		for _, d := range g.deps[i] {
			if !done[g.names[d]] {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, n)
		}
	}
	return out
}

// Waiting maps each node that is not done and not ready to the direct
// dependencies it still waits for.
func (g *Graph) Waiting(done map[string]bool) map[string][]string {
	out := map[string][]string{}
	for i, n := range g.names {
		if done[n] {
			continue
		}
		var missing []string
		for _, d := range g.deps[i] {
			if !done[g.names[d]] {
				missing = append(missing, g.names[d])
			}
		}
		if len(missing) > 0 {
			out[n] = missing
		}
	}
	return out
}

// BlockedBy maps every node that transitively depends on a failed node to
// the failed nodes that block it. Failed nodes themselves are not listed.
func (g *Graph) BlockedBy(failed map[string]bool) map[string][]string {
	out := map[string][]string{}
	for _, n := range g.Order() {
		i := g.index[n]
		if failed[n] {
			continue
		}
		set := map[string]bool{}
		for _, d := range g.deps[i] {
			dn := g.names[d]
			if failed[dn] {
				set[dn] = true
			}
			for _, b := range out[dn] {
				set[b] = true
			}
		}
		if len(set) > 0 {
			var bs []string
			for _, m := range g.names {
				if set[m] {
					bs = append(bs, m)
				}
			}
			out[n] = bs
		}
	}
	return out
}

// Reverse is the order for tearing down: dependants before what they need.
func (g *Graph) Reverse() []string {
	o := g.Order()
	for i, j := 0, len(o)-1; i < j; i, j = i+1, j-1 {
		o[i], o[j] = o[j], o[i]
	}
	return o
}

// Edges lists every edge as [node, dependency] in node order.
func (g *Graph) Edges() [][2]string {
	var out [][2]string
	for i, n := range g.names {
		for _, d := range g.deps[i] {
			out = append(out, [2]string{n, g.names[d]})
		}
	}
	return out
}
