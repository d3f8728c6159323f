package main

import (
	"github.com/fleetup/fleetup/internal/cli"
	"github.com/spf13/cobra"
)

func newInstallCmd(g *cli.Global) *cobra.Command {
	in := &cli.Install{Global: g}
	cmd := &cobra.Command{
		Use:   "install",
		Short: "Install the platform: secrets, Argo CD and External Secrets, bootstrap manifests, ApplicationSets, then wait on the addon graph until Argo CD manages everything",
		RunE:  func(cmd *cobra.Command, _ []string) error { return in.Run(cmd.Context()) },
	}
	cmd.Flags().DurationVar(&in.Timeout, "timeout", 0, "overall time limit (default: timeouts.install from config.yaml)")
	cmd.Flags().StringVar(&in.WriteKubeconfig, "write-kubeconfig", "", "also write a kubeconfig for the target cluster to this file (mode 0600); none is written otherwise")
	cmd.Flags().StringVar(&in.Strategy, "strategy", "", "gated or parallel (default: strategy from config.yaml)")
	cmd.Flags().BoolVar(&in.Adopt, "adopt", false, "take over a platform installed without fleetup (CNOE's install.sh): its Helm releases are upgraded in place and its namespaces and objects get fleetup's labels, after preflight lists them and you approve; no addon is redeployed (docs/cnoe.md)")
	return cmd
}
