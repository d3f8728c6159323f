package fleet

import (
	"context"
	"errors"
	"io"
	"regexp"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/fleetup/fleetup/internal/decode"
)

// FuzzFleetLoad: any content in any one file of the shipped example (the
// slot picks which) never panics the loader, every rejection is a list of
// errors positioned file:line:column in a fleet file, and an accepted
// fleet renders.
func FuzzFleetLoad(f *testing.F) {
	base := exampleFS(f)
	names := make([]string, 0, len(base))
	for n := range base {
		names = append(names, n)
	}
	sort.Strings(names)
	for i, n := range names {
		f.Add(uint8(i), base[n].Data)
	}
	for _, s := range []string{"", "~", "a: &a [*a]", "<<: {kubernetesVersion: v1.2}", "nodePools: {a: {enabled: on}}",
		"overrides: {nodePools: {workers: null}}", "name: x\nname: y\n", "? [a]\n: b\n", "layers: []\n", "tags: {y: n}",
		"provider: {flavour: eks, region: 1e400}", "\xff", "---\n---\n", "kubernetesVersion: !!binary aGk=",
		"overrides: &o {tags: *o}", "wave: 99999999999999999999"} {
		f.Add(uint8(0), []byte(s))
		f.Add(uint8(len(names)-1), []byte(s))
	}
	positioned := regexp.MustCompile(`^(fleet|packages)/[^:]+:[1-9][0-9]*:[1-9][0-9]*: `)
	f.Fuzz(func(t *testing.T, slot uint8, data []byte) {
		fsys := fstest.MapFS{}
		for n, file := range base {
			fsys[n] = file
		}
		fsys[names[int(slot)%len(names)]] = &fstest.MapFile{Data: data}
		fl, err := Load(context.Background(), fsys, "fleet", Options{})
		if err != nil {
			var es decode.Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("not a list of positioned errors: %T %v", err, err)
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !positioned.MatchString(line) {
					t.Fatalf("error line without file:line:column: %q", line)
				}
			}
			return
		}
		if err := WriteRenderText(io.Discard, fl.Clusters); err != nil {
			t.Fatal(err)
		}
		if err := WriteRenderJSON(io.Discard, fl, fl.Clusters); err != nil {
			t.Fatal(err)
		}
	})
}
