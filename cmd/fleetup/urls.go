package main

import (
	"github.com/fleetup/fleetup/internal/cli"
	"github.com/spf13/cobra"
)

func newURLsCmd(g *cli.Global) *cobra.Command {
	u := &cli.URLs{Global: g}
	return &cobra.Command{
		Use:   "urls",
		Short: "Show every UI of the platform (Argo CD, ...) with its URL, read from the routes of the cluster's Gateways; exit 1 when none has one yet",
		RunE: func(cmd *cobra.Command, _ []string) error {
			return u.Run(cmd.Context())
		},
	}
}
