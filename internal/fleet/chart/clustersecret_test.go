package chart

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"github.com/fleetup/fleetup/internal/helm"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/yaml"
)

// The ExternalSecret's template runs in External Secrets, not in Helm.
// These tests run it as External Secrets v0.20.4 does (pkg/template/v2):
// text/template with missingkey=error, sprig's functions without env and
// expandenv, its own fromYaml and toYaml, the data as strings; a
// templateFrom literal is executed once and its output read as a map of
// strings (scope KeysAndValues). The end-to-end test runs the real
// controller on the same objects.

func esoFuncs() template.FuncMap {
	fm := sprig.TxtFuncMap()
	delete(fm, "env")
	delete(fm, "expandenv")
	fm["fromYaml"] = func(s string) map[string]any {
		m := map[string]any{}
		if err := yaml.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	fm["toYaml"] = func(v any) string {
		data, err := yaml.Marshal(v)
		if err != nil {
			return ""
		}
		return strings.TrimSuffix(string(data), "\n")
	}
	return fm
}

// runLiteral executes a templateFrom literal on the ExternalSecret's data.
func runLiteral(literal string, data map[string]string) (map[string]string, error) {
	t, err := template.New("literal").Option("missingkey=error").Funcs(esoFuncs()).Parse(literal)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return nil, err
	}
	out := map[string]string{}
	if err := yaml.Unmarshal(buf.Bytes(), &out); err != nil {
		return nil, err
	}
	return out, nil
}

// literalOf is the template of a rendered ExternalSecret.
func literalOf(t *testing.T, ms []helm.Manifest, name string) string {
	t.Helper()
	es := find(t, ms, "ExternalSecret", name)
	from, _ := dig(es, "spec", "target", "template", "templateFrom").([]any)
	if len(from) != 1 {
		t.Fatalf("templateFrom %v", from)
	}
	lit, _ := dig(from[0], "literal").(string)
	if lit == "" {
		t.Fatal("no literal")
	}
	return lit
}

var (
	caPEM   = []byte("-----BEGIN CERTIFICATE-----\nMIIBfake-ca\n-----END CERTIFICATE-----\n")
	certPEM = []byte("-----BEGIN CERTIFICATE-----\nMIIBfake-client\n-----END CERTIFICATE-----\n")
	keyPEM  = []byte("-----BEGIN EC PRIVATE KEY-----\nfake-key\n-----END EC PRIVATE KEY-----\n")
	b64     = base64.StdEncoding.EncodeToString
)

// kubeconfig writes a kubeconfig as client-go writes it (Cluster API's
// and CAPA's controllers use clientcmd.Write).
func kubeconfig(t *testing.T, cluster, user string, auth *clientcmdapi.AuthInfo, extra func(*clientcmdapi.Config)) string {
	t.Helper()
	ctx := user + "@" + cluster
	cfg := clientcmdapi.Config{
		Clusters:       map[string]*clientcmdapi.Cluster{cluster: {Server: "https://" + cluster + ".example.test:6443", CertificateAuthorityData: caPEM}},
		AuthInfos:      map[string]*clientcmdapi.AuthInfo{user: auth},
		Contexts:       map[string]*clientcmdapi.Context{ctx: {Cluster: cluster, AuthInfo: user}},
		CurrentContext: ctx,
	}
	if extra != nil {
		extra(&cfg)
	}
	data, err := clientcmd.Write(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func argoConfig(t *testing.T, out map[string]string) map[string]any {
	t.Helper()
	var cfg map[string]any
	if err := json.Unmarshal([]byte(out["config"]), &cfg); err != nil {
		t.Fatalf("config is not JSON: %v: %q", err, out["config"])
	}
	return cfg
}

// TestEKSClusterSecret: from the kubeconfig CAPA writes (a 15-minute STS
// token), the secret gets the server, the CA and awsAuthConfig with the
// EKS cluster's name and the role: never the token.
func TestEKSClusterSecret(t *testing.T) {
	f, ch := loadRepo(t, repoRoot)
	lit := literalOf(t, render(t, ch, f, "prod-acme-fra"), "fleet-prod-acme-fra")
	const token = "k8s-aws-v1.aHR0cHM6Ly9zdHMuZXUtY2VudHJhbC0xLmFtYXpvbmF3cy5jb20vP0FjdGlvbj1HZXRDYWxsZXJJZGVudGl0eQ"
	kc := kubeconfig(t, "prod-acme-fra", "prod-acme-fra-capi-admin", &clientcmdapi.AuthInfo{Token: token}, nil)
	out, err := runLiteral(lit, map[string]string{"kubeconfig": kc})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"awsAuthConfig":   map[string]any{"clusterName": "prod-acme-fra", "roleARN": "arn:aws:iam::111122223333:role/fleetup-argocd-workloads"},
		"tlsClientConfig": map[string]any{"caData": b64(caPEM)},
	}
	if got := argoConfig(t, out); !reflect.DeepEqual(got, want) {
		t.Errorf("config %v, want %v", got, want)
	}
	if out["name"] != "prod-acme-fra" || out["server"] != "https://prod-acme-fra.example.test:6443" || len(out) != 3 {
		t.Errorf("secret data %v", out)
	}
	for k, v := range out {
		if strings.Contains(v, "k8s-aws-v1") {
			t.Errorf("%s holds CAPA's token", k)
		}
	}
}

// TestCertificateClusterSecret: a kubeadm cluster's kubeconfig (Cluster
// API's: client certificate and key) becomes tlsClientConfig.
func TestCertificateClusterSecret(t *testing.T) {
	f, ch := loadRepo(t, repoRoot)
	lit := literalOf(t, render(t, ch, f, "dev-acme-fra"), "fleet-dev-acme-fra")
	kc := kubeconfig(t, "dev-acme-fra", "dev-acme-fra-admin", &clientcmdapi.AuthInfo{ClientCertificateData: certPEM, ClientKeyData: keyPEM}, nil)
	out, err := runLiteral(lit, map[string]string{"kubeconfig": kc})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"tlsClientConfig": map[string]any{"caData": b64(caPEM), "certData": b64(certPEM), "keyData": b64(keyPEM)}}
	if got := argoConfig(t, out); !reflect.DeepEqual(got, want) {
		t.Errorf("config %v, want %v", got, want)
	}

	// A token is not how Cluster API's kubeadm clusters authenticate.
	kc = kubeconfig(t, "dev-acme-fra", "dev-acme-fra-admin", &clientcmdapi.AuthInfo{Token: "abc"}, nil)
	if _, err := runLiteral(lit, map[string]string{"kubeconfig": kc}); err == nil || !strings.Contains(err.Error(), `Secret dev-acme-fra/dev-acme-fra-kubeconfig: the kubeconfig's user "dev-acme-fra-admin" has no client-certificate-data and client-key-data`) {
		t.Errorf("err = %v", err)
	}
}

// TestExistingClusterSecret: an existing cluster's kubeconfig: its
// current context among several, a bearer token, and the refusals, whose
// messages name the Secret and never its content.
func TestExistingClusterSecret(t *testing.T) {
	root := copyRepo(t)
	write(t, root, "fleet/inventory/provider/existing.yaml", "provider:\n  flavour: existing\n  kubeconfigSecret: edge-admin\n")
	write(t, root, "fleet/clusters/edge-acme-fra.yaml", "name: edge-acme-fra\nprofile: standard\nenvironment: prod\ncustomer: acme\nsite: fra\nprovider: existing\n")
	f, ch := loadRepo(t, root)
	ms := render(t, ch, f, "edge-acme-fra")
	if got := kinds(ms); !reflect.DeepEqual(got, registration) {
		t.Errorf("an existing cluster renders %v, want the registration only", got)
	}
	es := find(t, ms, "ExternalSecret", "fleet-edge-acme-fra")
	if dig(es, "spec", "data", "0", "remoteRef", "key") != "edge-admin" {
		t.Errorf("reads %v", dig(es, "spec", "data"))
	}
	lit := literalOf(t, ms, "fleet-edge-acme-fra")

	const token = "eyJhbGciOiJSUzI1NiJ9.secret-token"
	other := func(cfg *clientcmdapi.Config) {
		cfg.Clusters["staging"] = &clientcmdapi.Cluster{Server: "https://staging.example.test"}
		cfg.AuthInfos["staging-admin"] = &clientcmdapi.AuthInfo{Token: "wrong"}
		cfg.Contexts["staging"] = &clientcmdapi.Context{Cluster: "staging", AuthInfo: "staging-admin"}
	}
	kc := kubeconfig(t, "edge", "edge-admin", &clientcmdapi.AuthInfo{Token: token}, other)
	out, err := runLiteral(lit, map[string]string{"kubeconfig": kc})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"bearerToken": token, "tlsClientConfig": map[string]any{"caData": b64(caPEM)}}
	if got := argoConfig(t, out); !reflect.DeepEqual(got, want) || out["server"] != "https://edge.example.test:6443" || out["name"] != "edge-acme-fra" {
		t.Errorf("data %v, config %v, want %v", out, got, want)
	}

	for _, tc := range []struct {
		name, kubeconfig, want string
	}{
		{"exec plugin", kubeconfig(t, "edge", "edge-admin", &clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{Command: "aws", APIVersion: "client.authentication.k8s.io/v1beta1"}}, nil),
			`the kubeconfig's user "edge-admin" has no client-certificate-data and client-key-data nor token`},
		{"CA file", kubeconfig(t, "edge", "edge-admin", &clientcmdapi.AuthInfo{Token: token}, func(c *clientcmdapi.Config) {
			c.Clusters["edge"].CertificateAuthorityData = nil
			c.Clusters["edge"].CertificateAuthority = "/etc/ca.pem"
		}), `the kubeconfig's cluster "edge" names a CA file`},
		{"no current context", kubeconfig(t, "edge", "edge-admin", &clientcmdapi.AuthInfo{Token: token}, func(c *clientcmdapi.Config) {
			other(c)
			c.CurrentContext = ""
		}), "the kubeconfig has no current-context, and not exactly one context"},
		{"not YAML", "clusters: [" + token, "key value is not a kubeconfig (not YAML)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runLiteral(lit, map[string]string{"kubeconfig": tc.kubeconfig})
			if err == nil || !strings.Contains(err.Error(), "Secret edge-acme-fra/edge-admin: "+tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "secret-token") {
				t.Errorf("the message shows the token: %v", err)
			}
		})
	}
}

// TestOnlyContext: a kubeconfig without current-context but one context
// uses that one.
func TestOnlyContext(t *testing.T) {
	f, ch := loadRepo(t, repoRoot)
	lit := literalOf(t, render(t, ch, f, "dev-acme-fra"), "fleet-dev-acme-fra")
	kc := kubeconfig(t, "dev-acme-fra", "dev-acme-fra-admin", &clientcmdapi.AuthInfo{ClientCertificateData: certPEM, ClientKeyData: keyPEM}, func(c *clientcmdapi.Config) {
		c.CurrentContext = ""
	})
	out, err := runLiteral(lit, map[string]string{"kubeconfig": kc})
	if err != nil || out["server"] != "https://dev-acme-fra.example.test:6443" {
		t.Fatalf("%v, %v", out, err)
	}
}
