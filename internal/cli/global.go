// Package cli holds the actions behind fleetup's commands, one type per
// command with a Run method and its options injected (cmd/fleetup only
// wires flags to them).
package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/decode"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/redact"
	"github.com/fleetup/fleetup/internal/report"
)

// Exit codes, documented in --help.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// Global is the state shared by every command: global flags and streams.
type Global struct {
	ConfigFile string
	Kubeconfig string
	Context    string
	// Target overrides config.yaml's target (--target).
	Target string
	// Profile is the AWS shared config profile (--profile).
	Profile   string
	Output    string
	Yes       bool
	LogFormat string
	Verbose   int

	Stdin          io.Reader
	Stdout, Stderr io.Writer

	// Redactor masks every secret value read during this run.
	Redactor redact.Redactor
	// Observe, when set, also receives every step and addon report (tests
	// record them instead of parsing printed lines).
	Observe report.Reporter
}

// reporter is the printed reporter for w, and Observe when set.
func (g *Global) reporter(w io.Writer) report.Reporter {
	return g.observed(&report.LineReporter{W: w, JSON: g.LogFormat == "json"})
}

// observed is r, and Observe when set.
func (g *Global) observed(r report.Reporter) report.Reporter {
	if g.Observe == nil {
		return r
	}
	return report.Tee{r, g.Observe}
}

// Validate checks the global flags.
func (g *Global) Validate() error {
	if g.Output != "text" && g.Output != "json" {
		return Usage(fmt.Errorf("--output %q: expected text or json", g.Output))
	}
	if g.LogFormat != "text" && g.LogFormat != "json" {
		return Usage(fmt.Errorf("--log-format %q: expected text or json", g.LogFormat))
	}
	switch config.Target(g.Target) {
	case "", config.TargetEKS, config.TargetKind, config.TargetKubeconfig:
	default:
		return Usage(fmt.Errorf("--target %q: expected eks, kind or kubeconfig", g.Target))
	}
	return nil
}

// Kube connects to the cluster of --kubeconfig/--context.
func (g *Global) Kube() (*kube.Client, error) {
	rc, err := kube.RESTConfig(g.Kubeconfig, g.Context)
	if err != nil {
		return nil, err
	}
	return kube.New(rc)
}

// Redact masks known secrets in s.
func (g *Global) Redact(s string) string { return g.Redactor.String(s) }

// UsageError marks a mistake in the command line: exit code 2.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usage wraps err as a usage error.
func Usage(err error) error { return &UsageError{Err: err} }

// ExitCode maps an error to fleetup's exit codes: usage and configuration
// errors are 2, everything else 1.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ue *UsageError
	var de decode.Errors
	var one *decode.Error
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	if errors.As(err, &ue) || errors.As(err, &de) || errors.As(err, &one) {
		return ExitUsage
	}
	return ExitFailure
}
