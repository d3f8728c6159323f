package main

import (
	"github.com/fleetup/fleetup/internal/cli"
	"github.com/spf13/cobra"
)

func newSecretsCmd(g *cli.Global) *cobra.Command {
	s := &cli.Secrets{Global: g}
	cmd := &cobra.Command{
		Use:   "secrets [ADDON...]",
		Short: "Show the initial credentials the installed addons keep in the cluster (Argo CD's admin password, ...), masked unless --show; exit 1 when one is not there",
		RunE: func(cmd *cobra.Command, args []string) error {
			s.Addons = args
			return s.Run(cmd.Context())
		},
	}
	cmd.Flags().BoolVar(&s.Show, "show", false, "print the passwords")
	return cmd
}
