package envtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/kube"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
)

// capiFieldManager owns the CRDs' conversion webhooks and the webhook
// configurations, so that InstallCRDs (which strips conversion, as the
// fleetup field manager) never takes them away while the managers run.
const capiFieldManager = "envtest-cluster-api"

// capiManager is one Cluster API controller manager: its binary in the
// cache and its provider's kustomize config directory in its module (CRDs,
// webhook configurations, name prefix and labels).
type capiManager struct {
	name, bin string
	module    string
	config    string
	env       []string
}

// clusterAPIManagers are the core controllers, the kubeadm bootstrap and
// control plane providers, and the docker provider whose in-memory backend
// simulates machines, etcd and one API server per workload cluster.
// POD_IP is the address the in-memory API servers listen on and that goes
// into the clusters' endpoints and kubeconfigs. With no Docker daemon the
// docker provider's DevMachineTemplate controller logs an error every few
// seconds (it asks Docker for the host's capacity); in-memory machines do
// not need it.
func clusterAPIManagers() []capiManager {
	return []capiManager{
		{name: "capi-core", bin: "cluster-api-manager", module: "sigs.k8s.io/cluster-api", config: "core/config"},
		{name: "capi-kubeadm-bootstrap", bin: "kubeadm-bootstrap-manager", module: "sigs.k8s.io/cluster-api", config: "bootstrap/kubeadm/config"},
		{name: "capi-kubeadm-control-plane", bin: "kubeadm-control-plane-manager", module: "sigs.k8s.io/cluster-api", config: "controlplane/kubeadm/config"},
		{name: "capi-docker", bin: "docker-manager", module: "sigs.k8s.io/cluster-api/test", config: "infrastructure/docker/config",
			env: []string{"POD_IP=127.0.0.1"}},
	}
}

// capiPorts of one manager, all on 127.0.0.1.
type capiPorts struct{ webhook, health, diagnostics int }

// ClusterAPIBinaries are the managers' paths in the cache, or an error
// saying how to build them.
func ClusterAPIBinaries() (map[string]string, error) {
	dir := filepath.Join(CacheDir(), "cluster-api-"+parseVersions()["CLUSTER_API_VERSION"], "bin")
	out := map[string]string{}
	for _, m := range clusterAPIManagers() {
		p := filepath.Join(dir, m.bin)
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("the Cluster API managers are not built (missing %s): run `make testenv` (about 5 minutes the first time)", p)
		}
		out[m.name] = p
	}
	return out, nil
}

// NeedClusterAPI skips t without the environment, and without the Cluster
// API binaries unless FLEETUP_TESTENV is "required"; otherwise it starts
// Cluster API (once per environment) and fails t if it cannot.
func (e *Env) NeedClusterAPI(t testing.TB) {
	t.Helper()
	e.Need(t)
	if _, err := ClusterAPIBinaries(); err != nil && os.Getenv(RequiredEnv) != "required" {
		t.Skip(err.Error())
	}
	// Waiting for another environment's docker provider may take as long
	// as the test binary is allowed to run.
	ctx := context.Background()
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if deadline, ok := d.Deadline(); ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, deadline)
			defer cancel()
		}
	}
	if err := e.ClusterAPI(ctx); err != nil {
		t.Fatal(err)
	}
}

// ClusterAPI starts Cluster API's managers against the environment's API
// server the first time it is called and returns once they are ready:
// their CRDs applied with conversion webhooks, their webhook servers
// answering on 127.0.0.1 behind webhook configurations, their controllers
// running. Later calls return at once (with the first call's error, if it
// failed: a half-started Cluster API is not started again).
//
// Only one environment per machine can run the docker provider at a time:
// its in-memory backend listens on fixed ports on every interface (19000
// for debugging, 20000 upwards for the workload API servers, which other
// environments' random ports avoid). A second environment waits for the
// first to stop, bounded by ctx.
func (e *Env) ClusterAPI(ctx context.Context) error {
	e.capiMu.Lock()
	defer e.capiMu.Unlock()
	if e.capiStarted {
		return e.capiErr
	}
	bins, err := ClusterAPIBinaries()
	if err != nil {
		return err // not sticky: nothing started
	}
	e.capiStarted = true
	begin := time.Now()
	e.capiErr = e.startClusterAPI(ctx, bins)
	if e.capiErr != nil {
		e.capiErr = fmt.Errorf("start Cluster API: %w\n%s", e.capiErr, e.Tails(20))
		return e.capiErr
	}
	e.logf("Cluster API ready in %v", time.Since(begin).Round(time.Millisecond))
	return nil
}

func (e *Env) startClusterAPI(ctx context.Context, bins map[string]string) error {
	if err := e.lockInMemoryPorts(ctx, filepath.Join(os.TempDir(), "fleetup-envtest-capd.lock")); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeoutCause(ctx, e.opts.Timeout, errors.New("the start of Cluster API timed out"))
	defer cancel()
	dir := filepath.Join(e.Dir, "cluster-api")
	certDir := filepath.Join(dir, "webhook-certs")
	ca, err := writeServingCert(certDir)
	if err != nil {
		return err
	}
	free, err := freePorts(3 * len(clusterAPIManagers()))
	if err != nil {
		return err
	}
	version := parseVersions()["CLUSTER_API_VERSION"]
	ports := map[string]capiPorts{}
	var crds, hooks []*unstructured.Unstructured
	for i, m := range clusterAPIManagers() {
		p := capiPorts{webhook: free[3*i], health: free[3*i+1], diagnostics: free[3*i+2]}
		ports[m.name] = p
		modDir, err := ModuleDir(ctx, m.module, version)
		if err != nil {
			return err
		}
		objs, hks, err := providerObjects(filepath.Join(modDir, filepath.FromSlash(m.config)), p.webhook, ca)
		if err != nil {
			return fmt.Errorf("%s@%s %s: %w", m.module, version, m.config, err)
		}
		crds, hooks = append(crds, objs...), append(hooks, hks...)
	}
	// The managers watch their types from the start: CRDs first.
	if err := e.applyAs(ctx, crds); err != nil {
		return err
	}
	for _, m := range clusterAPIManagers() {
		p := ports[m.name]
		if _, err := e.run(m.name, bins[m.name], []string{
			"--kubeconfig=" + e.Kubeconfig,
			"--leader-elect=false",
			"--webhook-port=" + strconv.Itoa(p.webhook),
			"--webhook-cert-dir=" + certDir,
			"--health-addr=" + addr(p.health),
			"--diagnostics-address=" + addr(p.diagnostics),
			"--insecure-diagnostics",
		}, m.env); err != nil {
			return err
		}
	}
	// readyz includes the webhook server's own check (it answers TLS).
	for _, m := range clusterAPIManagers() {
		url := "http://" + addr(ports[m.name].health) + "/readyz"
		if err := e.waitHTTP(ctx, m.name, url, "", func(body string) bool { return body == "ok" }); err != nil {
			return err
		}
	}
	// Registered once the servers answer, so no request meets a webhook
	// that is not there yet.
	return e.applyAs(ctx, hooks)
}

// applyAs applies objs as capiFieldManager, waiting for CRDs to be
// Established.
func (e *Env) applyAs(ctx context.Context, objs []*unstructured.Unstructured) error {
	for _, o := range objs {
		if _, err := e.Client.ApplyAs(ctx, o, capiFieldManager); err != nil {
			return err
		}
	}
	for _, o := range objs {
		if o.GetKind() != "CustomResourceDefinition" {
			continue
		}
		if _, err := e.Client.WaitFor(ctx, kube.CRDs, "", o.GetName(), "CRD "+o.GetName()+" to be Established", kube.Established); err != nil {
			return err
		}
	}
	e.Client.ResetMapper()
	return nil
}

// lockInMemoryPorts takes the machine-wide lock (file path) on the docker
// provider's fixed ports, held until the environment stops (or its process
// dies: the kernel releases it).
func (e *Env) lockInMemoryPorts(ctx context.Context, path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return fmt.Errorf("lock %s: %w", path, err)
	}
	waited := false
	err = wait.PollUntilContextCancel(ctx, 500*time.Millisecond, true, func(context.Context) (bool, error) {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if errors.Is(err, syscall.EWOULDBLOCK) {
			if !waited {
				e.logf("another test environment runs Cluster API's docker provider (%s): waiting for it to stop", path)
				waited = true
			}
			return false, nil
		}
		return err == nil, err
	})
	if err != nil {
		f.Close()
		return fmt.Errorf("waiting for the lock on the in-memory backend's ports (%s, held by another test environment running Cluster API): %w", path, err)
	}
	e.mu.Lock()
	e.closers = append(e.closers, f.Close)
	e.mu.Unlock()
	return nil
}
