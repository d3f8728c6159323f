package config

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/config.schema.json")

const schemaFile = "../../docs/config.schema.json"

// TestSchemaIsCurrent keeps the published schema equal to the one generated
// from the Go types (make schema regenerates it).
func TestSchemaIsCurrent(t *testing.T) {
	got, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(schemaFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatalf("%v (run make schema)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("docs/config.schema.json is out of date: run make schema")
	}
}

// TestSchemaDescribesEveryKey checks the schema against the decoder on the
// points editors rely on: closed objects, enums and required keys.
func TestSchemaDescribesEveryKey(t *testing.T) {
	raw, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	props := s["properties"].(map[string]any)
	for _, k := range []string{"repo", "cluster_name", "auto_mode", "region", "domain", "route53_hosted_zone_id", "path_routing", "tags", "target", "secrets", "addons", "timeouts", "strategy"} {
		p, ok := props[k].(map[string]any)
		if !ok {
			t.Errorf("schema lacks %s", k)
			continue
		}
		if p["description"] == nil {
			t.Errorf("%s has no description", k)
		}
	}
	if s["additionalProperties"] != false {
		t.Error("top level is not closed")
	}
	if enum := props["target"].(map[string]any)["enum"]; len(enum.([]any)) != 3 {
		t.Errorf("target enum = %v", enum)
	}
	if req := s["required"].([]any); len(req) != 2 {
		t.Errorf("required = %v", req)
	}
}
