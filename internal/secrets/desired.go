// Package secrets builds the platform's secrets from config.yaml and the
// credential files, in CNOE's names and JSON layout: <prefix>/config (the
// config.yaml keys) and <prefix>/github-app (one entry per credential file).
// The values never leave this package except to a secret backend.
package secrets

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/decode"
	"github.com/fleetup/fleetup/internal/redact"
)

// Secret is one secret to write: a JSON object of string-keyed values.
type Secret struct {
	// Name in Secrets Manager: <prefix>/config, <prefix>/github-app.
	Name string
	// KubernetesName is the Secret's name with the kubernetes backend
	// (slashes are not allowed there): <prefix>-config.
	KubernetesName string
	Description    string
	// Value is the secret's JSON document, nested as CNOE writes it.
	Value map[string]any
}

// Keys lists the secret's properties in ExternalSecret `property` form
// (repo.url, argocd-github.privateKey), sorted.
func (s Secret) Keys() []string {
	flat := Flatten(s.Value)
	keys := make([]string, 0, len(flat))
	for k := range flat {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// JSON is the Secrets Manager SecretString.
func (s Secret) JSON() (string, error) {
	b, err := json.Marshal(s.Value)
	if err != nil {
		return "", fmt.Errorf("encode secret %s: %w", s.Name, err)
	}
	return string(b), nil
}

// Flatten turns nested maps into dotted keys with string values: the layout
// of the kubernetes backend, where ESO's `property` names a data key.
func Flatten(v map[string]any) map[string]string {
	out := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch t := v.(type) {
		case map[string]any:
			for k, val := range t {
				key := k
				if prefix != "" {
					key = prefix + "." + k
				}
				walk(key, val)
			}
		case string:
			out[prefix] = t
		case nil:
			out[prefix] = ""
		default:
			b, _ := json.Marshal(t)
			out[prefix] = string(b)
		}
	}
	walk("", v)
	return out
}

// GitHubApp is a GitHub App credential file (CNOE's private/*.yaml).
type GitHubApp struct {
	URL            string `yaml:"url" required:"true"`
	AppID          string `yaml:"appId" required:"true"`
	InstallationID string `yaml:"installationId" required:"true"`
	PrivateKey     string `yaml:"privateKey" required:"true"`
}

// GitHubToken is a GitHub token credential file.
type GitHubToken struct {
	URL   string `yaml:"url" required:"true"`
	Token string `yaml:"token" required:"true"`
}

// Desired builds the secrets for cfg and registers every credential value
// with red so it is masked wherever it might be printed.
func Desired(cfg *config.Config, red *redact.Redactor) ([]Secret, error) {
	s := cfg.Secrets
	out := []Secret{{
		Name:           s.Prefix + "/config",
		KubernetesName: kubeName(s.Prefix, "config"),
		Description:    "Platform configuration from config.yaml, written by fleetup",
		Value:          ConfigValue(cfg),
	}}
	creds := map[string]any{}
	listed := map[string]bool{}
	for i, a := range s.GitHubApps {
		listed[cfg.Resolve(a.File)] = true
		var app GitHubApp
		if err := readCredential(cfg, fmt.Sprintf("secrets.github_apps[%d].file", i), a.File, &app); err != nil {
			return nil, err
		}
		red.Add(app.PrivateKey, app.AppID, app.InstallationID)
		creds[a.Name] = map[string]any{"url": app.URL, "appId": app.AppID, "installationId": app.InstallationID, "privateKey": app.PrivateKey}
	}
	if t := s.GitHubToken; t != nil {
		var tok GitHubToken
		if err := readCredential(cfg, "secrets.github_token.file", t.File, &tok); err != nil {
			return nil, err
		}
		red.Add(tok.Token)
		creds[t.Name] = map[string]any{"url": tok.URL, "token": tok.Token}
		listed[cfg.Resolve(t.File)] = true
	}
	if err := addPrivate(cfg, listed, red, creds); err != nil {
		return nil, err
	}
	if len(creds) > 0 {
		out = append(out, Secret{
			Name:           s.Prefix + "/github-app",
			KubernetesName: kubeName(s.Prefix, "github-app"),
			Description:    "Git credentials for Argo CD, written by fleetup",
			Value:          creds,
		})
	}
	return out, nil
}

func kubeName(prefix, name string) string {
	b := []byte(prefix + "-" + name)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			if c >= 'A' && c <= 'Z' {
				b[i] = c + 'a' - 'A'
			} else {
				b[i] = '-'
			}
		}
	}
	return string(b)
}

// ConfigValue is config.yaml's CNOE keys as the <prefix>/config document.
// Booleans are strings, as the CNOE manifests that read them expect.
func ConfigValue(cfg *config.Config) map[string]any {
	tags := map[string]any{}
	for k, v := range cfg.Tags {
		tags[k] = v
	}
	return map[string]any{
		"repo": map[string]any{
			"url":      cfg.Repo.URL,
			"revision": cfg.Repo.Revision,
			"basepath": cfg.Repo.BasePath,
		},
		"cluster_name":           cfg.ClusterName,
		"auto_mode":              cfg.AutoMode.String(),
		"region":                 cfg.Region,
		"domain":                 cfg.Domain,
		"route53_hosted_zone_id": cfg.HostedZoneID,
		"path_routing":           cfg.PathRouting.String(),
		"tags":                   tags,
	}
}

// readCredential decodes a credential file strictly. Errors name keys and
// positions only, never values.
func readCredential(cfg *config.Config, field, file string, out any) error {
	path := cfg.Resolve(file)
	data, err := os.ReadFile(path)
	if err != nil {
		return cfg.ErrorAt(field, &decode.ValueError{Msg: fmt.Sprintf("cannot read %s: %v", file, err), Expected: "a readable credential file"})
	}
	root, err := decode.Parse(file, data)
	if err != nil {
		return err
	}
	res := &decode.Result{File: file}
	decode.Into(res, "", root, out)
	missing := requiredMissing(out)
	for _, m := range missing {
		res.Add(m, &decode.ValueError{Msg: "missing", Expected: "a value for " + m})
	}
	return res.Errors.Err()
}

func requiredMissing(v any) []string {
	var out []string
	switch t := v.(type) {
	case *GitHubApp:
		for k, val := range map[string]string{"url": t.URL, "appId": t.AppID, "installationId": t.InstallationID, "privateKey": t.PrivateKey} {
			if val == "" {
				out = append(out, k)
			}
		}
	case *GitHubToken:
		for k, val := range map[string]string{"url": t.URL, "token": t.Token} {
			if val == "" {
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}
