package envtest

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"
)

// RequiredEnv, when set to "required" (make test does), turns a missing
// environment into a failure instead of skipped tests.
const RequiredEnv = "FLEETUP_TESTENV"

// Main runs a test package against one shared environment (call it from
// TestMain). With -short, or when the binaries are missing and
// FLEETUP_TESTENV is not "required", *env stays nil and tests that call
// Need skip. On failure the components' log tails are printed; the
// environment is always stopped, also on SIGINT/SIGTERM.
func Main(m *testing.M, opts Options, env **Env) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if !parseShort() {
		if _, err := FindBinaries(); err != nil && os.Getenv(RequiredEnv) != "required" {
			fmt.Fprintf(os.Stderr, "envtest: skipping environment tests: %v\n", err)
			return m.Run()
		}
		if opts.Log == nil && os.Getenv("FLEETUP_TESTENV_VERBOSE") != "" {
			opts.Log = os.Stderr
		}
		begin := time.Now()
		e, err := Start(ctx, opts)
		if err != nil && ctx.Err() == nil {
			// Start-up can lose a rare race for a port with another process;
			// one more try with fresh ports, saying why.
			fmt.Fprintf(os.Stderr, "envtest: start failed, trying once more with new ports: %v\n", err)
			begin = time.Now()
			e, err = Start(ctx, opts)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "envtest: %v\n", err)
			return 1
		}
		fmt.Fprintf(os.Stderr, "envtest: environment up in %v (%s)\n", time.Since(begin).Round(time.Millisecond), e.Dir)
		*env = e
		go func() {
			<-ctx.Done()
			e.Stop()
		}()
		defer e.Stop()
	}
	code := m.Run()
	if code != 0 && *env != nil {
		fmt.Fprintf(os.Stderr, "envtest: tests failed; component logs:\n%s", (*env).Tails(40))
	}
	return code
}

// parseShort reads -test.short before m.Run parses flags.
func parseShort() bool {
	for _, a := range os.Args[1:] {
		if a == "-test.short" || a == "-test.short=true" || a == "--test.short" {
			return true
		}
	}
	return false
}

// Need skips the test when the environment is not running.
func (e *Env) Need(t testing.TB) {
	t.Helper()
	if e == nil {
		t.Skip("needs the test environment (make testenv; not in -short mode)")
	}
}
