package redact

import (
	"reflect"
	"strings"
	"testing"
)

func TestIsSecretKey(t *testing.T) {
	secret := []string{"password", "adminPassword", "clientSecret", "privateKey", "api_key", "githubToken", "token", "credentials", "server.secretkey.value"}
	safe := []string{"existingSecret", "secretName", "passwordSecretKeyRef", "tokenFile", "createSecret", "enabled", "domain", "name", "serviceAccount", "tokenTTL", "secretKey"}
	for _, k := range secret {
		if !IsSecretKey(k) {
			t.Errorf("%s not treated as secret", k)
		}
	}
	for _, k := range safe {
		if IsSecretKey(k) {
			t.Errorf("%s treated as secret", k)
		}
	}
}

func TestValues(t *testing.T) {
	in := map[string]any{
		"configs": map[string]any{"secret": map[string]any{"argocdServerAdminPassword": "hunter22", "extra": map[string]any{"k": "v"}}},
		"auth":    []any{map[string]any{"token": "abc123", "user": "me"}},
		"count":   int64(3),
		"apiKey":  int64(42),
	}
	got := Values(in)
	want := map[string]any{
		"configs": map[string]any{"secret": map[string]any{"argocdServerAdminPassword": Mask, "extra": map[string]any{"k": "v"}}},
		"auth":    []any{map[string]any{"token": Mask, "user": "me"}},
		"count":   int64(3),
		"apiKey":  Mask,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	if in["configs"].(map[string]any)["secret"].(map[string]any)["argocdServerAdminPassword"] != "hunter22" {
		t.Error("input modified")
	}
}

func TestRedactor(t *testing.T) {
	var r Redactor
	key := "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAwhateverwhateverwhatever\n-----END RSA PRIVATE KEY-----"
	r.Add("ghp_abcdefghijklmnop", "ab", key)
	out := r.String("token ghp_abcdefghijklmnop, short ab, line MIIEowIBAAKCAQEAwhateverwhateverwhatever, whole " + key)
	for _, leak := range []string{"ghp_abcdefghijklmnop", "MIIEowIBAAKCAQEA"} {
		if strings.Contains(out, leak) {
			t.Errorf("leaked %q in %q", leak, out)
		}
	}
	if !strings.Contains(out, "short ab") {
		t.Errorf("short value masked: %q", out)
	}
	var nilR *Redactor
	if nilR.String("x") != "x" {
		t.Error("nil redactor changes text")
	}
}
