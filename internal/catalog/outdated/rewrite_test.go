package outdated

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/catalog"
)

const shipped = "../../../packages/addons/values.yaml"

// bump is a newer version written as v is (a "v" kept).
func bump(v string) string {
	p, err := parse(v)
	if err != nil {
		panic(err)
	}
	prefix := ""
	if strings.HasPrefix(v, "v") {
		prefix = "v"
	}
	return fmt.Sprintf("%s%d.%d.%d", prefix, p.sv.Major()+1, p.sv.Minor(), p.sv.Patch())
}

// TestRewriteShippedCatalog bumps every pinned entry of the shipped catalog
// and checks the file differs only on those lines, each exactly as
// expected, and still parses with the new pins.
func TestRewriteShippedCatalog(t *testing.T) {
	data, err := os.ReadFile(shipped)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Parse("values.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	pins := map[string]string{}
	for _, a := range cat.Addons {
		if a.DefaultVersion != "" {
			pins[a.Name] = bump(a.DefaultVersion)
		}
	}
	if len(pins) < 6 {
		t.Fatalf("only %d pinned addons in the shipped catalog", len(pins))
	}
	out, err := Rewrite("values.yaml", data, pins)
	if err != nil {
		t.Fatal(err)
	}
	before, after := strings.Split(string(data), "\n"), strings.Split(string(out), "\n")
	if len(before) != len(after) {
		t.Fatalf("%d lines became %d", len(before), len(after))
	}
	// The expected line of each pin: the old one with the version replaced.
	want := map[int]string{}
	for _, a := range cat.Addons {
		if to, ok := pins[a.Name]; ok {
			for i := a.Pos.Line; i < len(before); i++ {
				if strings.Contains(before[i], "defaultVersion:") {
					want[i] = strings.Replace(before[i], `"`+a.DefaultVersion+`"`, `"`+to+`"`, 1)
					break
				}
			}
		}
	}
	changed := 0
	for i := range before {
		exp, isPin := want[i]
		if !isPin {
			exp = before[i]
		}
		if after[i] != exp {
			t.Errorf("line %d: %q, want %q", i+1, after[i], exp)
		}
		if before[i] != after[i] {
			changed++
		}
	}
	if changed != len(pins) {
		t.Errorf("%d lines changed, want %d", changed, len(pins))
	}
	re, err := catalog.Parse("values.yaml", out)
	if err != nil {
		t.Fatalf("the rewritten catalog does not parse: %v", err)
	}
	for _, a := range re.Addons {
		if pins[a.Name] != a.DefaultVersion {
			t.Errorf("%s: defaultVersion %q, want %q", a.Name, a.DefaultVersion, pins[a.Name])
		}
	}
}

// TestRewriteStyles keeps each quoting style, flow mappings, comments on
// the line and non-ASCII text before the value.
func TestRewriteStyles(t *testing.T) {
	in := `# pins
a:
  enabled: true
  defaultVersion: 1.0.0   # plain, a comment after
b: {enabled: true, chartName: "bé", defaultVersion: 'v2.0.0'}
c:
  enabled: true
  defaultVersion: "3.0.0-rc.1"
d:
  enabled: true
  defaultVersion: "9.9.9"
`
	out, err := Rewrite("f.yaml", []byte(in), map[string]string{"a": "1.1.0", "b": "v2.3.0", "c": "3.0.0-rc.2"})
	if err != nil {
		t.Fatal(err)
	}
	want := `# pins
a:
  enabled: true
  defaultVersion: 1.1.0   # plain, a comment after
b: {enabled: true, chartName: "bé", defaultVersion: 'v2.3.0'}
c:
  enabled: true
  defaultVersion: "3.0.0-rc.2"
d:
  enabled: true
  defaultVersion: "9.9.9"
`
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}

func TestRewriteRefuses(t *testing.T) {
	for name, tc := range map[string]struct {
		in   string
		pins map[string]string
		want string
	}{
		"no such addon":    {"a:\n  enabled: true\n  defaultVersion: 1.0.0\n", map[string]string{"b": "1.1.0"}, "addon b has no defaultVersion"},
		"escaped":          {"a:\n  enabled: true\n  defaultVersion: \"1.0\\x2e0\"\n", map[string]string{"a": "1.1.0"}, "not written plainly"},
		"block scalar":     {"a:\n  enabled: true\n  defaultVersion: |\n    1.0.0\n", map[string]string{"a": "1.1.0"}, "block or tagged"},
		"through an alias": {"x: &e {enabled: true, defaultVersion: 1.0.0}\na: *e\n", map[string]string{"a": "1.1.0"}, "has no defaultVersion"},
	} {
		t.Run(name, func(t *testing.T) {
			out, err := Rewrite("f.yaml", []byte(tc.in), tc.pins)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q (out %q)", err, tc.want, out)
			}
		})
	}
}
