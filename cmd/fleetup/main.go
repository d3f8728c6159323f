// Command fleetup bootstraps a GitOps platform (Argo CD, External Secrets
// and an addon catalog) onto a management cluster. This package only wires
// the command line; the work is done in internal/.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
