package decode

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Bool is a boolean that also accepts the strings "true" and "false", as
// CNOE's config.yaml writes them (they become Kubernetes label values).
type Bool bool

// DecodeYAML implements Unmarshaler.
func (b *Bool) DecodeYAML(n *yaml.Node) error {
	v, ok := ParseBool(n)
	if !ok {
		return &ValueError{Msg: "got " + describe(n), Expected: `true or false (or the strings "true"/"false")`}
	}
	*b = Bool(v)
	return nil
}

// String is the label form, "true" or "false".
func (b Bool) String() string {
	if b {
		return "true"
	}
	return "false"
}

// JSONSchema describes the accepted forms.
func (Bool) JSONSchema() map[string]any {
	return map[string]any{"oneOf": []any{
		map[string]any{"type": "boolean"},
		map[string]any{"type": "string", "enum": []any{"true", "false", "True", "False", "TRUE", "FALSE"}},
	}}
}

// Duration is a time.Duration written as "90s", "10m" or "1h30m".
type Duration time.Duration

// DecodeYAML implements Unmarshaler.
func (d *Duration) DecodeYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return &ValueError{Msg: "got " + describe(n), Expected: `a duration such as "90s", "10m" or "1h"`}
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		hint := ""
		if _, numErr := fmt.Sscanf(n.Value, "%d", new(int)); numErr == nil {
			hint = fmt.Sprintf("add a unit, e.g. %q", n.Value+"s")
		}
		return &ValueError{Msg: fmt.Sprintf("%q is not a duration", n.Value), Expected: `a duration such as "90s", "10m" or "1h"`, Hint: hint}
	}
	if v <= 0 {
		return &ValueError{Msg: fmt.Sprintf("%q is not positive", n.Value), Expected: "a duration greater than zero"}
	}
	*d = Duration(v)
	return nil
}

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) String() string {
	s := time.Duration(d).String()
	// "10m0s" reads worse than "10m".
	s = strings.TrimSuffix(s, "0s")
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	if s == "" {
		return "0s"
	}
	return s
}

// MarshalJSON writes the duration as its string form.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// MarshalYAML writes the duration as its string form.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// JSONSchema describes the accepted form.
func (Duration) JSONSchema() map[string]any {
	return map[string]any{"type": "string", "pattern": `^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`}
}

// Enum decodes a string that must be one of a fixed set, with a hint for
// near misses.
func Enum(n *yaml.Node, allowed []string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", &ValueError{Msg: "got " + describe(n), Expected: "one of " + strings.Join(allowed, ", ")}
	}
	for _, a := range allowed {
		if n.Value == a {
			return a, nil
		}
	}
	return "", &ValueError{Msg: fmt.Sprintf("%q is not allowed", n.Value), Expected: "one of " + strings.Join(allowed, ", "), Hint: DidYouMean(n.Value, allowed)}
}
