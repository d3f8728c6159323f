package chart

import (
	"context"
	"testing"
)

// BenchmarkRender: one eks cluster of the shipped fleet rendered with the
// chart (12 objects), as `fleet render` does per cluster.
func BenchmarkRender(b *testing.B) {
	f, ch := loadRepo(b, repoRoot)
	c := f.Cluster("prod-acme-fra")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ch.Render(ctx, c, testPlatform); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadChart: reading the chart from disk, once per run.
func BenchmarkLoadChart(b *testing.B) {
	f, _ := loadRepo(b, repoRoot)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(repoRoot, f); err != nil {
			b.Fatal(err)
		}
	}
}
