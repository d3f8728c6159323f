package e2e

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// outageAt is the stdout of a fleetup process: when marker appears it
// stops the API server for d, in a goroutine, while fleetup goes on.
type outageAt struct {
	ctx    context.Context
	marker string
	d      time.Duration
	done   chan error

	mu      sync.Mutex
	out     bytes.Buffer
	started bool
}

func newOutageAt(ctx context.Context, marker string, d time.Duration) *outageAt {
	return &outageAt{ctx: ctx, marker: marker, d: d, done: make(chan error, 1)}
}

func (w *outageAt) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.out.Write(p)
	// The whole output is searched: the marker may span two writes.
	if !w.started && strings.Contains(w.out.String(), w.marker) {
		w.started = true
		go func() { w.done <- env.Outage(w.ctx, w.d) }()
	}
	return len(p), nil
}

func (w *outageAt) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.out.String()
}

// wait returns the outage's result; false when it never began.
func (w *outageAt) wait() (bool, error) {
	w.mu.Lock()
	started := w.started
	w.mu.Unlock()
	if !started {
		return false, nil
	}
	return true, <-w.done
}

// klogLine is client-go's own log format ("E1123 19:30:00.000000 ...").
var klogLine = regexp.MustCompile(`(?m)^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+ `)

// runThroughOutage runs the fleetup binary with args on p, stopping the
// API server for 20 s when marker appears in its output; it fails the test
// unless fleetup exits 0, the outage happened and none of client-go's log
// lines reached fleetup's output.
func runThroughOutage(t *testing.T, p *platform, marker string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	stdout := newOutageAt(ctx, marker, 20*time.Second)
	stderr := &syncBuffer{}
	cmd := exec.CommandContext(ctx, fleetupBinary(t), append(args, "--yes", "--config", p.Config, "--kubeconfig", env.Kubeconfig)...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	// The API server is back before anything else is checked.
	started, outageErr := stdout.wait()
	t.Logf("fleetup %s:\n%s\nstderr:\n%s", strings.Join(args, " "), stdout, stderr)
	if outageErr != nil {
		t.Fatalf("outage: %v", outageErr)
	}
	if !started {
		t.Fatalf("fleetup %s ended before %q: no outage happened (%v)", args[0], marker, err)
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		// The log above may be cut by CI: the end of the output again.
		t.Fatalf("fleetup %s exited %d through a 20 s API server outage; its last lines:\n%s\nstderr:\n%s", args[0], exit.ExitCode(), lastLines(stdout.String(), 15), lastLines(stderr.String(), 15))
	} else if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{stdout.String(), stderr.String()} {
		if l := klogLine.FindString(out); l != "" {
			t.Errorf("client-go log line in fleetup's output: %q", l)
		}
	}
	return stdout.String()
}

// TestInstallThroughAPIServerOutage: `fleetup install` whose API server is
// gone for 20 s as the addons step begins (the switches applied, the
// Applications watched) finishes with a healthy platform.
func TestInstallThroughAPIServerOutage(t *testing.T) {
	env.Need(t)
	p := newPlatform(t, options{})
	out := runThroughOutage(t, p, "step  addons", "install")
	if !strings.Contains(out, "platform installed") {
		t.Errorf("install output lacks %q", "platform installed")
	}
	requireHealthy(t, p)
}

// TestUninstallThroughAPIServerOutage: `fleetup uninstall` whose API server
// is gone for 20 s as the addons' removal begins removes everything.
func TestUninstallThroughAPIServerOutage(t *testing.T) {
	env.Need(t)
	p := newPlatform(t, options{})
	if _, err := p.install(timeout(t, 8*time.Minute), t, nil); err != nil {
		t.Fatalf("install: %v", err)
	}
	runThroughOutage(t, p, "step  remove-addons", "uninstall")
	requireGone(t, p)
}

// lastLines is the end of s, n lines at most.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
