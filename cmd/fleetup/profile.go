package main

import (
	"github.com/fleetup/fleetup/internal/cli"
	"github.com/spf13/cobra"
)

func newProfileCmd(g *cli.Global) *cobra.Command {
	fl := &cli.Fleet{Global: g}
	cmd := &cobra.Command{
		Use:   "profile",
		Short: "List the fleet's profiles and show one: its values and the clusters made from it",
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.PersistentFlags().StringVar(&fl.Dir, "fleet-dir", "", "the fleet directory (default: fleet/ next to config.yaml)")
	list := &cli.ProfileList{}
	listCmd := &cobra.Command{
		Use:   "list",
		Short: "List the profiles and the clusters made from each, offline",
		Args:  fleetArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			list.Fleet = *fl
			return list.Run(cmd.Context())
		},
	}
	show := &cli.ProfileShow{}
	showCmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a profile's values with the line that sets each, and the clusters made from it (a change to the profile rolls out to all of them), offline",
		Args:  fleetArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			show.Fleet, show.Name = *fl, args[0]
			return show.Run(cmd.Context())
		},
	}
	for _, c := range []*cobra.Command{listCmd, showCmd} {
		c.Long = c.Short + "\n\n" + exitCodesHelp
		cmd.AddCommand(c)
	}
	return cmd
}
