package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/fleetup/fleetup/internal/cli"
	"github.com/fleetup/fleetup/internal/decode"
	"github.com/spf13/cobra"
	"k8s.io/klog/v2"
)

const exitCodesHelp = `Exit codes:
  0  success
  1  failure (something fleetup tried did not work)
  2  usage or configuration error (nothing was changed)`

// run executes one command line and returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	g := &cli.Global{Stdin: stdin, Stdout: stdout, Stderr: stderr}
	root := newRoot(g)
	addLayerFlags(root, args)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return cli.ExitOK
	}
	code := cli.ExitCode(err)
	var silent *cli.ExitError
	if errors.As(err, &silent) {
		return code // the output already said why
	}
	msg := err.Error()
	var de decode.Errors
	var one *decode.Error
	if errors.As(err, &de) || errors.As(err, &one) {
		msg = "invalid configuration:\n" + msg
	}
	fmt.Fprintln(stderr, "Error: "+g.Redact(msg))
	return code
}

func newRoot(g *cli.Global) *cobra.Command {
	root := &cobra.Command{
		Use:   "fleetup",
		Short: "Bootstrap a GitOps platform (Argo CD, External Secrets, addons) onto a Kubernetes cluster",
		Long: `fleetup reads config.yaml and the packages catalog, shows what it is about to
do, and installs Argo CD and External Secrets, the platform's secrets and the
addon ApplicationSets, waiting on the addons' dependency graph until Argo CD
manages everything.

` + exitCodesHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	f := root.PersistentFlags()
	f.StringVar(&g.ConfigFile, "config", "config.yaml", "path to config.yaml")
	f.StringVar(&g.Kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
	f.StringVar(&g.Context, "context", "", "kubeconfig context to use")
	f.StringVar(&g.Target, "target", "", "eks, kind or kubeconfig (default: target from config.yaml)")
	f.StringVar(&g.Profile, "profile", "", "AWS shared config profile (default: the standard credential chain)")
	f.StringVarP(&g.Output, "output", "o", "text", "output format: text or json")
	f.BoolVar(&g.Yes, "yes", false, "answer yes to the approval prompt (required without a terminal)")
	f.StringVar(&g.LogFormat, "log-format", "text", "log format without a terminal: text or json")
	f.CountVarP(&g.Verbose, "verbose", "v", "more detail (repeat for more)")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		routeKlog(g)
		return g.Validate()
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return cli.Usage(err) })
	root.SetHelpTemplate(root.HelpTemplate())

	root.AddCommand(newPlanCmd(g), newInstallCmd(g), newUninstallCmd(g), newStatusCmd(g), newSecretsCmd(g), newURLsCmd(g), newTokenCmd(g), newVersionCmd(g))
	root.AddCommand(newFleetCmd(g))
	root.AddCommand(newClusterCmd(g), newProfileCmd(g), newCatalogCmd(g))
	root.CompletionOptions.DisableDefaultCmd = true
	root.AddCommand(newCompletionCmd(root))
	// Runnable so that an unknown command reaches Args (exit 2) instead of
	// cobra printing help and exiting 0.
	root.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	root.Args = cobra.NoArgs
	for _, c := range append(root.Commands(), root) {
		if c != root {
			long := c.Long
			if long == "" {
				long = c.Short
			}
			c.Long = long + "\n\n" + exitCodesHelp
		}
		if c.Args == nil {
			c.Args = cobra.NoArgs
		}
		// Unknown commands and bad arguments are usage errors (exit 2).
		check := c.Args
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				return cli.Usage(err)
			}
			return nil
		}
	}
	return root
}

// routeKlog keeps client-go's own log lines (a reflector's "Failed to
// watch ... connection refused" while the API server restarts) out of
// fleetup's text and JSON output: discarded, or on stderr with -v.
func routeKlog(g *cli.Global) {
	var h slog.Handler = slog.DiscardHandler
	if g.Verbose > 0 {
		h = slog.NewTextHandler(g.Stderr, nil)
		if g.LogFormat == "json" {
			h = slog.NewJSONHandler(g.Stderr, nil)
		}
	}
	klog.SetSlogLogger(slog.New(h))
}
