package main

import (
	"github.com/fleetup/fleetup/internal/cli"
	"github.com/spf13/cobra"
)

func newPlanCmd(g *cli.Global) *cobra.Command {
	p := &cli.Plan{Global: g}
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show everything install would do, offline: target, secrets, Helm releases, manifests, ApplicationSets and the addon graph",
		RunE:  func(cmd *cobra.Command, _ []string) error { return p.Run(cmd.Context()) },
	}
	cmd.Flags().BoolVar(&p.Live, "live", false, "also ask AWS (read only): account and identity, the EKS cluster, the Route53 zone, and whether each secret will be created, updated or left unchanged")
	cmd.Flags().StringVar(&p.OutDir, "out", "", "also write every rendered manifest and plan.json into this directory")
	return cmd
}
