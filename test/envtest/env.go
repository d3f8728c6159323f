package envtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fleetup/fleetup/internal/kube"
	"k8s.io/client-go/rest"
)

// Options chooses what runs.
type Options struct {
	// Nodes is the number of kwok nodes (default 3).
	Nodes int
	// ArgoCD starts redis and the three Argo CD controllers.
	ArgoCD bool
	// ESO starts the External Secrets controller.
	ESO bool
	// ESOEnv is extra environment for the External Secrets controller,
	// e.g. AWS endpoints of a test server.
	ESOEnv []string
	// Timeout bounds start-up (default 3 minutes).
	Timeout time.Duration
	// Log receives progress lines (default: discarded).
	Log io.Writer
}

// Env is a running environment. Everything it started is stopped by Stop.
type Env struct {
	// Dir holds data, certificates and logs/<component>.log.
	Dir string
	// Kubeconfig is a kubeconfig file for the admin user.
	Kubeconfig string
	// Config is the admin REST config.
	Config *rest.Config
	// Client is a fleetup kube client for the admin user.
	Client *kube.Client
	// Server is the API server URL; CACert its serving certificate (PEM);
	// Token the admin bearer token.
	Server string
	CACert []byte
	Token  string
	// ArgoNamespace is where Argo CD runs ("argocd") when enabled.
	ArgoNamespace string

	bins  *Binaries
	opts  Options
	ports map[string]int
	mu    sync.Mutex
	procs []*process
	log   io.Writer
	// hub is the first cluster; workloads are started on demand.
	hub         *Cluster
	workloadsMu sync.Mutex
	workloads   map[string]*Cluster
	// Cluster API is started on demand, once (ClusterAPI).
	capiMu      sync.Mutex
	capiStarted bool
	capiErr     error
	// closers release what outlives the processes' start (locks), after
	// the processes are stopped.
	closers []func() error
}

// Start brings up the environment; on error everything started is stopped.
func Start(ctx context.Context, opts Options) (*Env, error) {
	if opts.Nodes == 0 {
		opts.Nodes = 3
	}
	if opts.Timeout == 0 {
		opts.Timeout = 3 * time.Minute
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	bins, err := FindBinaries()
	if err != nil {
		return nil, err
	}
	removeStale()
	dir, err := os.MkdirTemp("", "fleetup-envtest-")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "owner.pid"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return nil, err
	}
	e := &Env{Dir: dir, bins: bins, opts: opts, log: opts.Log, ArgoNamespace: "argocd"}
	ctx, cancel := context.WithTimeoutCause(ctx, opts.Timeout, errors.New("test environment start-up timed out"))
	defer cancel()
	if err := e.start(ctx); err != nil {
		tails := e.Tails(20)
		e.Stop()
		return nil, fmt.Errorf("start test environment: %w\n%s", err, tails)
	}
	return e, nil
}

func (e *Env) logf(format string, args ...any) {
	fmt.Fprintf(e.log, "%s envtest: %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

func (e *Env) start(ctx context.Context) error {
	names := []string{"etcd", "etcd-peer", "apiserver", "kcm", "scheduler", "kwok", "redis", "repo", "repo-metrics", "app-metrics", "appset-metrics", "appset-probe", "appset-webhook", "eso-metrics", "eso-health"}
	ports, err := freePorts(len(names))
	if err != nil {
		return err
	}
	e.ports = map[string]int{}
	for i, n := range names {
		e.ports[n] = ports[i]
	}
	begin := time.Now()
	if err := e.startControlPlane(ctx); err != nil {
		return err
	}
	e.logf("control plane ready in %v", time.Since(begin).Round(time.Millisecond))
	if err := e.startKwok(ctx, e.hub, "kwok"); err != nil {
		return err
	}
	e.logf("%d kwok nodes ready in %v", e.opts.Nodes, time.Since(begin).Round(time.Millisecond))
	if e.opts.ArgoCD {
		if err := e.startArgoCD(ctx); err != nil {
			return err
		}
		e.logf("Argo CD ready in %v", time.Since(begin).Round(time.Millisecond))
	}
	if e.opts.ESO {
		if err := e.startESO(ctx); err != nil {
			return err
		}
		e.logf("External Secrets ready in %v", time.Since(begin).Round(time.Millisecond))
	}
	// A component that answered its readiness probe and then died (a port
	// taken, a bad flag) must fail the start, not the tests later.
	return e.settle(ctx)
}

// settle checks, through each component's own endpoint, that every one is
// still serving, then that none has exited.
func (e *Env) settle(ctx context.Context) error {
	// component name -> its port's key in e.ports
	checks := [][2]string{{"kube-apiserver", "apiserver"}, {"kwok", "kwok"}}
	if e.opts.ArgoCD {
		checks = append(checks, [2]string{"argocd-repo-server", "repo"}, [2]string{"argocd-application-controller", "app-metrics"}, [2]string{"argocd-applicationset-controller", "appset-probe"})
	}
	if e.opts.ESO {
		checks = append(checks, [2]string{"external-secrets (metrics)", "eso-metrics"}, [2]string{"external-secrets (health)", "eso-health"})
	}
	for _, c := range checks {
		if err := e.waitTCP(ctx, c[0], e.ports[c[1]]); err != nil {
			return err
		}
	}
	return e.checkAlive()
}

func (e *Env) run(name, bin string, args, env []string) (*process, error) {
	p, err := start(e.Dir, name, bin, args, env)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.procs = append(e.procs, p)
	e.mu.Unlock()
	return p, nil
}

// Stop kills every process the environment started, newest first, and
// removes its directory unless FLEETUP_TESTENV_KEEP is set.
func (e *Env) Stop() {
	e.mu.Lock()
	procs, closers := e.procs, e.closers
	e.procs, e.closers = nil, nil
	e.mu.Unlock()
	for i := len(procs) - 1; i >= 0; i-- {
		procs[i].stop(5 * time.Second)
	}
	for _, c := range closers {
		_ = c()
	}
	if os.Getenv("FLEETUP_TESTENV_KEEP") == "" {
		os.RemoveAll(e.Dir)
	}
}

// PIDs lists the process IDs the environment started (for leak checks).
func (e *Env) PIDs() []int {
	e.mu.Lock()
	defer e.mu.Unlock()
	var pids []int
	for _, p := range e.procs {
		pids = append(pids, p.cmd.Process.Pid)
	}
	return pids
}

// Tails returns the last n log lines of every component, for failures.
func (e *Env) Tails(n int) string {
	e.mu.Lock()
	procs := append([]*process(nil), e.procs...)
	e.mu.Unlock()
	sort.Slice(procs, func(i, j int) bool { return procs[i].name < procs[j].name })
	var b strings.Builder
	for _, p := range procs {
		state := "running"
		if done, err := p.exited(); done {
			state = fmt.Sprintf("exited: %v", err)
		}
		fmt.Fprintf(&b, "----- %s (%s), last %d lines of %s -----\n%s\n", p.name, state, n, p.logPath, p.tail(n))
	}
	return b.String()
}

// checkAlive fails when a component already exited.
func (e *Env) checkAlive() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, p := range e.procs {
		if done, err := p.exited(); done {
			return fmt.Errorf("%s exited: %v", p.name, err)
		}
	}
	return nil
}

// removeStale deletes directories of environments whose test process died
// without cleaning up (SIGKILL, a hard timeout); their components died with
// it (Pdeathsig).
func removeStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "fleetup-envtest-*"))
	for _, d := range dirs {
		data, err := os.ReadFile(filepath.Join(d, "owner.pid"))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
		if err != nil || pid <= 0 {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			os.RemoveAll(d)
		}
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return hex.EncodeToString(b)
}
