package cli

import (
	"bytes"
	"flag"
	"os"
	"testing"
)

var updateStatus = flag.Bool("update", false, "rewrite testdata/fleet-status.golden.json")

// TestFleetStatusJSONGolden holds `fleet status -o json` to its
// documented schema (version 1): the whole document of the five states,
// as the command prints it. A field renamed or removed fails here; one
// added is a deliberate change of the golden file (go test -update) and
// of docs/fleet.md.
func TestFleetStatusJSONGolden(t *testing.T) {
	gits := shippedGit(t, commitC1)
	rep := judgeFleet("fleet", TrackedRevision{Revision: "HEAD", Commit: commitC1}, gits, statusHub(t, gits))
	var b bytes.Buffer
	if err := writeFleetJSON(&redactingWriter{w: &b, g: &Global{}}, rep); err != nil {
		t.Fatal(err)
	}
	const golden = "testdata/fleet-status.golden.json"
	if *updateStatus {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Errorf("fleet status -o json differs from %s (go test -run TestFleetStatusJSONGolden -update rewrites it):\n%s", golden, b.String())
	}
}
