package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/cli"
	"github.com/fleetup/fleetup/internal/status"
)

// status runs `fleetup status -o json` in-process; it returns the decoded
// document, checked against the documented schema, and the exit code.
func (p *platform) status(t *testing.T) (*status.Status, int) {
	t.Helper()
	var out, errb bytes.Buffer
	g := &cli.Global{ConfigFile: p.Config, Kubeconfig: env.Kubeconfig, Output: "json", LogFormat: "text", Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := (&cli.Status{Global: g}).Run(ctx)
	code := cli.ExitCode(err)
	if err != nil && code != 1 {
		t.Fatalf("status: %v\n%s", err, errb.String())
	}
	checkStatusSchema(t, out.Bytes())
	var st status.Status
	if err := json.Unmarshal(out.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	return &st, code
}

// checkStatusSchema holds the JSON to docs/status.md: exactly these keys,
// with these types, in every state.
func checkStatusSchema(t *testing.T, doc []byte) {
	t.Helper()
	var top map[string]any
	if err := json.Unmarshal(doc, &top); err != nil {
		t.Fatalf("status is not JSON: %v\n%s", err, doc)
	}
	want := map[string]string{"schemaVersion": "string", "cluster": "string", "phase": "string", "handOff": "bool", "catalog": "object", "addons": "array"}
	checkKeys(t, "status", top, want)
	if top["schemaVersion"] != status.SchemaVersion {
		t.Errorf("schemaVersion %v", top["schemaVersion"])
	}
	if c, ok := top["catalog"].(map[string]any); ok {
		checkKeys(t, "catalog", c, map[string]string{"application": "string", "state": "string", "sync": "string", "health": "string", "revision": "string", "message": "string"})
	}
	phases := map[any]bool{status.PhaseNotInstalled: true, status.PhaseInstalling: true, status.PhaseHealthy: true, status.PhaseDegraded: true, status.PhaseUninstalling: true}
	if !phases[top["phase"]] {
		t.Errorf("phase %v", top["phase"])
	}
	for _, a := range top["addons"].([]any) {
		m := a.(map[string]any)
		addonKeys := map[string]string{"name": "string", "level": "number", "application": "string", "switchedOn": "bool", "state": "string", "sync": "string", "health": "string", "operation": "string", "waitingOn": "array", "message": "string"}
		if _, ok := m["since"]; ok {
			addonKeys["since"] = "string"
		}
		checkKeys(t, "addon", m, addonKeys)
		switch m["state"] {
		case "waiting", "starting", "syncing", "progressing", "healthy", "degraded", "failed", "removing", "removed":
		default:
			t.Errorf("addon %v: state %v is not documented", m["name"], m["state"])
		}
	}
}

func checkKeys(t *testing.T, what string, m map[string]any, want map[string]string) {
	t.Helper()
	if len(m) != len(want) {
		t.Errorf("%s has keys %v, want %v", what, keys(m), want)
	}
	for k, typ := range want {
		v, ok := m[k]
		if !ok {
			t.Errorf("%s lacks %s", what, k)
			continue
		}
		var got string
		switch v.(type) {
		case string:
			got = "string"
		case bool:
			got = "bool"
		case float64:
			got = "number"
		case []any:
			got = "array"
		case map[string]any:
			got = "object"
		}
		if got != typ {
			t.Errorf("%s.%s is %T, want %s", what, k, v, typ)
		}
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestStatusThroughAnInstall(t *testing.T) {
	env.Need(t)
	p := newPlatform(t, options{})
	st, code := p.status(t)
	if st.Phase != status.PhaseNotInstalled || code != 1 || len(st.Addons) != len(diamond) {
		t.Errorf("before install: phase %s exit %d addons %d", st.Phase, code, len(st.Addons))
	}
	if _, err := p.install(timeout(t, 8*time.Minute), t, nil); err != nil {
		t.Fatal(err)
	}
	st, code = p.status(t)
	if st.Phase != status.PhaseHealthy || !st.HandOff || code != 0 {
		t.Errorf("after install: phase %s handOff %v exit %d", st.Phase, st.HandOff, code)
	}
	for _, a := range st.Addons {
		// No operation is healthy too: the real External Secrets chart's
		// Application adopts fleetup's release with nothing to sync.
		if a.State != "healthy" || a.Sync != "Synced" || a.Health != "Healthy" || (a.Operation != "Succeeded" && a.Operation != "") || !a.SwitchedOn || a.Since == "" {
			t.Errorf("addon %+v", a)
		}
	}
}
