// Package redact keeps secret values out of everything fleetup prints,
// logs or writes: by key name for structured values, and by known value for
// free text.
package redact

import (
	"sort"
	"strings"
)

// Mask replaces a secret value.
const Mask = "<redacted>"

var (
	// Words that mark a value key as holding a credential in common charts
	// (adminPassword, clientSecret, privateKey, apiKey, githubToken, ...).
	secretWords = []string{"password", "passwd", "secret", "token", "privatekey", "apikey", "credential", "clientkey", "bearer"}
	// Keys that only point at a credential (existingSecret, secretName,
	// tokenFile, passwordSecretKeyRef) or switch one on are safe to show.
	exemptPrefixes = []string{"existing", "create", "enable", "use"}
	exemptSuffixes = []string{"name", "ref", "file", "path", "enabled", "namespace", "annotations", "labels", "mountpath", "secretkey", "ttl", "url", "endpoint", "type"}
)

// IsSecretKey reports whether a value key is likely to hold a credential.
func IsSecretKey(key string) bool {
	k := strings.ToLower(strings.NewReplacer("-", "", "_", "", ".", "").Replace(key))
	for _, p := range exemptPrefixes {
		if strings.HasPrefix(k, p) {
			return false
		}
	}
	for _, s := range exemptSuffixes {
		if strings.HasSuffix(k, s) {
			return false
		}
	}
	for _, w := range secretWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// Values returns a copy of v with the scalar values of secret-looking keys
// replaced by Mask. Maps and lists under such keys are walked, not masked
// whole, so their structure stays visible.
func Values(v any) any {
	return walk("", v)
}

func walk(key string, v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, val := range t {
			out[k] = walk(k, val)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, val := range t {
			out[i] = walk(key, val)
		}
		return out
	case nil:
		return nil
	case string:
		if key != "" && IsSecretKey(key) && t != "" {
			return Mask
		}
		return t
	default:
		if key != "" && IsSecretKey(key) {
			return Mask
		}
		return t
	}
}

// Redactor masks known secret values in free text: everything fleetup read
// from credential files is registered before anything is printed.
type Redactor struct {
	secrets []string
}

// Add registers secret values; short values (under 4 characters) are not
// masked in text because they would garble unrelated output.
func (r *Redactor) Add(values ...string) {
	for _, v := range values {
		v = strings.TrimSpace(v)
		if len(v) < 4 {
			continue
		}
		r.secrets = append(r.secrets, v)
		// Multi-line values (private keys) also appear line by line.
		for _, line := range strings.Split(v, "\n") {
			if l := strings.TrimSpace(line); len(l) >= 16 {
				r.secrets = append(r.secrets, l)
			}
		}
	}
	// Longest first, so a value is masked whole before its parts.
	sort.Slice(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
}

// String masks every registered value in s.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	for _, v := range r.secrets {
		s = strings.ReplaceAll(s, v, Mask)
	}
	return s
}
