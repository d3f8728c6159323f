package config

import (
	"os"
	"testing"

	"github.com/fleetup/fleetup/internal/decode/decodetest"
)

// FuzzParse: no input panics, and every rejection is a positioned
// decode error (never a stack trace or an unpositioned message).
func FuzzParse(f *testing.F) {
	if data, err := os.ReadFile("../../config.yaml"); err == nil {
		f.Add(data)
	}
	f.Add([]byte(cnoeConfig))
	for _, s := range []string{
		"", "\x00", "---\n---\n", "repo: [", "a: &a [*a]", "<<: {repo: {url: x}}",
		"repo:\n  url: file:///x\ncluster_name: a\ntarget: kind\n",
		"timeouts:\n  addon: 1h2m3s\n", "tags: {a: 1, b: [x]}", "addons: {x: {values: {a: !!binary aGk=}}}",
		"cluster_name: !!int 12", "region: 1e400", "? [a]\n: b\n",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("config.yaml", dir, data)
		if err == nil {
			if cfg.ClusterName == "" || cfg.Repo.URL == "" {
				t.Fatalf("accepted a config without cluster_name or repo.url: %q", data)
			}
			return
		}
		decodetest.RequirePositioned(t, err, "config.yaml")
	})
}
