package fleet

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/decode"
	"gopkg.in/yaml.v3"
)

// trickyValues are files where YAML 1.1 (Helm's go-yaml v2) and yaml.v3
// may read a value differently, or where JSON changes what go-yaml v2
// read; each is `key: <scalar>` or a small structure.
var trickyValues = []string{
	"a: yes", "a: no", "a: on", "a: off", "a: y", "a: n", "a: Y", "a: NO", "a: On", "a: True", "a: FALSE", "a: true",
	"a: 0x1F", "a: 0o17", "a: 017", "a: 0b101", "a: -0b101", "a: 1e3", "a: 1E3", "a: 1.5e-3", "a: 1_000", "a: +5", "a: -5", "a: -0",
	"a: 0", "a: 00", "a: 123456789012345", "a: 1234567890123456", "a: 12345678901234567890", "a: 99999999999999999999999",
	"a: 1.5", "a: -0.0", "a: 0.1", "a: 1.", "a: .5", "a: .inf", "a: -.inf", "a: .nan", "a: .NaN", "a: 1.2.3",
	"a: ~", "a: null", "a: Null", "a:", "a: ''", `a: ""`,
	"a: 2001-12-14", "a: 2001-12-14T21:59:43.10Z", "a: 2001-12-14 21:59:43.10 -5", "a: 2001-12-14x", "a: 1234-x", "a: 12345-6",
	`a: "1"`, "a: '1'", `a: "yes"`, "a: 'on'", `a: "0x1F"`, `a: "\x80"`, `a: "\u00e9"`, `a: "tab\there"`, `a: "<b>&"`,
	"a: 10.0.0.0/16", "a: v1.34", "a: m7i.large", "a: -x", "a: +x", "a: 0xZZ", "a: 1-2", "a: 1_", "a: =", "a: <<", "a: !x",
	"a: &x 1\nb: *x", "base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3", "c: {<<: [{x: 1}, {x: 2, z: 3}], y: 1}", "c: {y: 1, <<: {y: 2}}",
	"a: !!str 1", "a: !!int 1", "a: !!float 1", "a: !!binary aGk=", "a: !!timestamp 2001-12-14", "a: !custom x",
	"a: |\n  line\n  two\n", "a: >\n  folded\n  text\n", "a: 'multi\n  line'", "a: plain\n  continued",
	"1: a", "yes: b", "on: c", "~: d", "null: e", "1.5: f", `"1": g`, "'<<': h", "true: i", "? [a]\n: b", "? {a: 1}\n: b",
	"a: 1\na: 2", "a: {b: 1, b: 2}", "a: []", "a: {}", "a: [1, [2, {b: yes}], {}]", "a: [~, '', 1.0, -1]",
	"k.with.dots: 1\n\"quoted key\": 2\n'single': 3", "a: !!null ''", "a: !!bool true", "a: !!str", "a: 'it''s'",
	"a: !", "a: ! 1", "a: ! yes", `a: "wow!"`,
}

// helmValueInputs are the value files the equality tests read: the
// shipped fleet, the shipped chart's values.yaml, the merge tests' files
// and the tricky values.
func helmValueInputs(t *testing.T) []string {
	t.Helper()
	var inputs []string
	for _, f := range exampleFS(t) {
		inputs = append(inputs, string(f.Data))
	}
	if data, err := os.ReadFile(filepath.Join("..", "..", DefaultChart, "values.yaml")); err == nil {
		inputs = append(inputs, string(data))
	}
	for _, c := range append(mergeCases(), pairCases()...) {
		inputs = append(inputs, c.chart)
		inputs = append(inputs, c.files...)
	}
	return append(inputs, trickyValues...)
}

// TestHelmValuesEqualsHelmRead: the single parse gives exactly what Helm's
// reader (sigs.k8s.io/yaml) gives, for every input it takes; and what Helm
// cannot read, it does not take.
func TestHelmValuesEqualsHelmRead(t *testing.T) {
	for _, in := range helmValueInputs(t) {
		checkHelmValues(t, []byte(in))
	}
}

// checkHelmValues compares the single parse of data with Helm's reader.
func checkHelmValues(t *testing.T, data []byte) {
	t.Helper()
	root, err := decode.Parse("f.yaml", data)
	if err != nil || root.Kind != yaml.MappingNode {
		return // the loader stops before reading values
	}
	want, wantErr := helmRead(data)
	got, gotErr := helmValues(root, data)
	if (wantErr != nil) != (gotErr != nil) || !reflect.DeepEqual(got, want) {
		t.Errorf("%q: single parse %#v, %v; Helm reads %#v, %v", data, got, gotErr, want, wantErr)
	}
	if _, fast := agreedValue(root); fast && wantErr != nil {
		t.Errorf("%q: taken from yaml.v3's tree, but Helm cannot read it: %v", data, wantErr)
	}
}

// TestHelmValuesSinglePass: the shipped fleet's files and the synthetic
// fleet's are read in one pass (the point of helmValues), and the values
// where the readers may differ are left to Helm's reader.
func TestHelmValuesSinglePass(t *testing.T) {
	dir := t.TempDir()
	writeSyntheticFleet(t, dir, 20)
	files := map[string][]byte{}
	for name, f := range exampleFS(t) {
		files[name] = f.Data
	}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files[p], err = os.ReadFile(p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		root, err := decode.Parse(name, data)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := agreedValue(root); !ok {
			t.Errorf("%s is parsed twice", name)
		}
	}
	for _, in := range []string{"a: yes", "a: 0x1F", "a: 1e3", "a: 2001-12-14", "a: &x 1\nb: *x", "c: {<<: {x: 1}}", "a: !!str 1", "a: |\n  x\n", "1: a", "a: 1.2.3"} {
		root, err := decode.Parse("f.yaml", []byte(in))
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := agreedValue(root); ok {
			t.Errorf("%q is taken from yaml.v3's tree; it is one for Helm's reader", in)
		}
	}
	for _, in := range []string{"a: 1.5", "a: '1'", `a: "yes"`, "a: ~", "a: 10.0.0.0/16", "a: [1, {b: c}]", "a: -7", "a: ON-call"} {
		root, err := decode.Parse("f.yaml", []byte(in))
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := agreedValue(root); !ok {
			t.Errorf("%q is parsed twice", in)
		}
	}
}

// FuzzHelmValues: whatever the file, the single parse agrees with Helm's
// reader whenever it is taken.
func FuzzHelmValues(f *testing.F) {
	for _, in := range trickyValues {
		f.Add([]byte(in))
		f.Add([]byte(strings.ReplaceAll(in, "a:", "x: {a:") + "}"))
	}
	f.Add([]byte("a: [1, {b: yes}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkHelmValues(t, data)
	})
}
