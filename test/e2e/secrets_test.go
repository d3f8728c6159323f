package e2e

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/cli"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestSecrets: `fleetup secrets` reads the credentials the catalog
// declares from the cluster, masked unless --show; Argo CD's initial admin
// password needs no declaration; a credential not there exits 1 and says
// so; an addon that is not installed is a usage error with a hint.
func TestSecrets(t *testing.T) {
	env.Need(t)
	p := newPlatform(t, options{})
	run := func(show bool, output string, addons ...string) (string, error) {
		out := &syncBuffer{}
		g := &cli.Global{ConfigFile: p.Config, Kubeconfig: env.Kubeconfig, Output: output, Stdout: out, Stderr: out}
		err := (&cli.Secrets{Global: g, Addons: addons, Show: show}).Run(timeout(t, 2*time.Minute))
		return out.String(), err
	}
	var exit *cli.ExitError
	// The fixture's argocd (chart argo-cd) declares none: Argo CD's own
	// initial admin Secret, which no Argo CD server wrote here.
	out, err := run(false, "text")
	if !errors.As(err, &exit) || !strings.Contains(out, "argocd  admin  admin") || !strings.Contains(out, "not there") || !strings.Contains(out, "argocd/argocd-initial-admin-secret (key password)") {
		t.Fatalf("Argo CD's default credential, not there: %v\n%s", err, out)
	}

	ns := p.NS + "-creds"
	commitCatalog(t, p, "argocd's credentials", func(s string) string {
		return strings.Replace(s, "argocd:\n  enabled: true\n", "argocd:\n  enabled: true\n  credentials:\n    - {name: operator, secret: ops, namespace: "+ns+", usernameKey: user, passwordKey: pass}\n", 1)
	})
	cs := env.Client.Typed.CoreV1()
	if _, err := cs.Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })
	const password = "s3cret-Pa55"
	if _, err := cs.Secrets(ns).Create(context.Background(), &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "ops"}, Data: map[string][]byte{"user": []byte("alice"), "pass": []byte(password)}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	out, err = run(false, "text", "argocd")
	if err != nil || !strings.Contains(out, "operator  alice") || !strings.Contains(out, "********") || strings.Contains(out, password) {
		t.Errorf("masked: %v\n%s", err, out)
	}
	out, err = run(true, "text", "argocd")
	if err != nil || !strings.Contains(out, password) {
		t.Errorf("--show: %v\n%s", err, out)
	}
	out, err = run(true, "json")
	if err != nil || !strings.Contains(out, `"password": "`+password+`"`) || !strings.Contains(out, `"found": true`) {
		t.Errorf("-o json --show: %v\n%s", err, out)
	}
	out, err = run(false, "json")
	if err != nil || strings.Contains(out, password) || strings.Contains(out, `"password"`) {
		t.Errorf("-o json without --show shows the password: %v\n%s", err, out)
	}
	if _, err := run(false, "text", "argocdd"); err == nil || !strings.Contains(err.Error(), `did you mean "argocd"`) {
		t.Errorf("an addon not installed: %v", err)
	}
}
