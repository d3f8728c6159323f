package e2e

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/bootstrap"
	"github.com/fleetup/fleetup/internal/bootstrap/actions/preflight"
	"github.com/fleetup/fleetup/internal/cli"
	"github.com/fleetup/fleetup/test/envtest"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestPreflightReportsAllAndChangesNothing: a foreign object under a name
// fleetup would use, a second cluster secret for the hub and an unreachable
// repository are all reported, and the cluster is left untouched.
func TestPreflightReportsAllAndChangesNothing(t *testing.T) {
	env.Need(t)
	p := newPlatform(t, options{})
	foreign := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "cluster-" + p.Cluster, Namespace: "argocd"}, StringData: map[string]string{"x": "y"}}
	if _, err := env.Client.Typed.CoreV1().Secrets("argocd").Create(context.Background(), foreign, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		env.Client.Typed.CoreV1().Secrets("argocd").Delete(context.Background(), foreign.Name, metav1.DeleteOptions{})
	})
	// Someone registered the hub by hand: a second cluster secret for the
	// in-cluster server under this cluster's name.
	dup := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "dup-" + p.Cluster, Namespace: "argocd", Labels: map[string]string{"argocd.argoproj.io/secret-type": "cluster"}},
		StringData: map[string]string{"name": p.Cluster, "server": "https://kubernetes.default.svc"},
	}
	if _, err := env.Client.Typed.CoreV1().Secrets("argocd").Create(context.Background(), dup, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		env.Client.Typed.CoreV1().Secrets("argocd").Delete(context.Background(), dup.Name, metav1.DeleteOptions{})
	})
	cfg, _ := os.ReadFile(p.Config)
	broken := strings.Replace(string(cfg), "url: file://"+p.RepoDir, "url: file:///nonexistent/repo", 1)
	if err := os.WriteFile(p.Config, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := p.install(timeout(t, 2*time.Minute), t, nil)
	var pf *preflight.Failed
	if !errors.As(err, &pf) {
		t.Fatalf("want a preflight failure, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"nothing was changed", "Secret argocd/cluster-" + p.Cluster + " exists and was not created by fleetup", "packages repository file:///nonexistent/repo: not a Git repository", "Secret argocd/dup-" + p.Cluster + " is a second Argo CD cluster secret"} {
		if !strings.Contains(msg, want) {
			t.Errorf("preflight error lacks %q:\n%s", want, msg)
		}
	}
	if _, err := env.Client.Typed.CoreV1().Namespaces().Get(context.Background(), p.NS+"-secrets", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("secrets namespace exists after a failed preflight: %v", err)
	}
	if _, err := env.Client.Typed.CoreV1().ConfigMaps("fleetup-system").Get(context.Background(), "install-"+p.Cluster, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("progress recorded after a failed preflight: %v", err)
	}
}

// TestApprovalRefusedChangesNothing: answering no at the prompt exits 2.
func TestApprovalRefusedChangesNothing(t *testing.T) {
	env.Need(t)
	p := newPlatform(t, options{})
	_, err := p.install(timeout(t, 2*time.Minute), t, func(in *cli.Install) {
		in.Global.Yes = false
		in.Global.Stdin = strings.NewReader("n\n")
		in.IsTerminal = func() bool { return true }
	})
	if !errors.Is(err, bootstrap.ErrNotApproved) || cli.ExitCode(err) != 2 {
		t.Fatalf("err = %v (exit %d), want not approved, exit 2", err, cli.ExitCode(err))
	}
	if _, err := env.Client.Typed.CoreV1().Namespaces().Get(context.Background(), p.NS+"-secrets", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("changes made without approval: %v", err)
	}
}

// TestTimeoutSaysHowToResume: an install stopped by its overall timeout
// says which steps finished and how to resume; the rerun finishes. top is
// not ready before the fix is committed, so the timeout lands in the
// addons step however slow the machine is, as long as the six steps before
// it fit in a minute.
func TestTimeoutSaysHowToResume(t *testing.T) {
	env.Need(t)
	p := newPlatform(t, options{PodAnnotations: map[string]string{"top": envtest.ReadyDelayAnnotation + "=10m"}})
	_, err := p.install(timeout(t, 5*time.Minute), t, func(in *cli.Install) { in.Timeout = time.Minute })
	var it *bootstrap.Interrupted
	if !errors.As(err, &it) {
		t.Fatalf("want an interrupted install, got %v", err)
	}
	for _, want := range []string{"install stopped during addons", "install timed out after 1m0s", "finished steps: namespaces, secrets, argo-cd, external-secrets, bootstrap, gitops", "Run `fleetup install` again to resume"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if cli.ExitCode(err) != 1 {
		t.Errorf("exit code %d", cli.ExitCode(err))
	}
	// status of the unfinished install: installing, top not healthy yet.
	if st, code := p.status(t); st.Phase != "installing" || code != 1 {
		t.Errorf("status of the interrupted install: phase %s exit %d", st.Phase, code)
	}
	// The fix: top's pods are ready at once.
	catalog := filepath.Join(p.RepoDir, "packages", "addons", "values.yaml")
	b, err := os.ReadFile(catalog)
	if err != nil {
		t.Fatal(err)
	}
	fixed := strings.Replace(string(b), `"10m"`, `"1s"`, 1)
	if fixed == string(b) {
		t.Fatal("top's delay not found in the catalog")
	}
	if err := os.WriteFile(catalog, []byte(fixed), 0o644); err != nil {
		t.Fatal(err)
	}
	envtest.Commit(t, p.RepoDir, "top: ready at once")
	if _, err := p.install(timeout(t, 5*time.Minute), t, nil); err != nil {
		t.Fatalf("rerun: %v", err)
	}
	requireHealthy(t, p)
}
