package main

import (
	"github.com/fleetup/fleetup/internal/cli"
	"github.com/spf13/cobra"
)

func newStatusCmd(g *cli.Global) *cobra.Command {
	s := &cli.Status{Global: g}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the platform at a glance: each addon's sync, health, operation, what it waits on and its last message; exit 0 only when all are healthy",
		RunE:  func(cmd *cobra.Command, _ []string) error { return s.Run(cmd.Context()) },
	}
	cmd.Flags().BoolVarP(&s.Watch, "watch", "w", false, "keep watching and print again on every change (Ctrl-C to stop)")
	return cmd
}
