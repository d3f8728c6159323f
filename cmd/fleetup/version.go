package main

import (
	"github.com/fleetup/fleetup/internal/cli"
	"github.com/spf13/cobra"
)

func newVersionCmd(g *cli.Global) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print fleetup's version and the versions of the libraries it embeds",
		RunE:  func(cmd *cobra.Command, _ []string) error { return cli.Version(g) },
	}
}
