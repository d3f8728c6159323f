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
	cmd.Flags().StringVar(&p.OutDir, "out", "", "also write every rendered manifest and plan.json into this directory")
	return cmd
}
