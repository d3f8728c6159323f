package main

import (
	"github.com/fleetup/fleetup/internal/cli"
	"github.com/spf13/cobra"
)

func newFleetCmd(g *cli.Global) *cobra.Command {
	fl := cli.Fleet{Global: g}
	cmd := &cobra.Command{
		Use:   "fleet",
		Short: "Check and show the fleet of workload clusters: profiles, inventory layers and clusters under fleet/",
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.PersistentFlags().StringVar(&fl.Dir, "fleet-dir", "", "the fleet directory (default: fleet/ next to config.yaml)")

	v := &cli.FleetValidate{}
	validate := &cobra.Command{
		Use:   "validate",
		Short: "Check every fleet file, offline: exit 0, or 2 with every problem found (file:line:column, field, what was expected, a hint)",
		Args:  fleetArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			v.Fleet = fl
			return v.Run(cmd.Context())
		},
	}
	r := &cli.FleetRender{}
	render := &cobra.Command{
		Use:   "render [CLUSTER...]",
		Short: "Print each cluster's effective values (chart < profile < layers < cluster, merged as Helm merges value files) with the file and line that set every value, and the manifests the fleet's chart renders from them, offline",
		Args:  fleetArgs(cobra.ArbitraryArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			r.Fleet, r.Clusters = fl, args
			return r.Run(cmd.Context())
		},
	}
	render.Flags().BoolVar(&r.ValuesOnly, "values-only", false, "print the values and their origins, not the manifests")
	render.Flags().BoolVar(&r.ManifestsOnly, "manifests-only", false, "print the manifests alone, as one YAML stream (with -o json: no values)")
	for _, c := range []*cobra.Command{validate, render} {
		c.Long = c.Short + "\n\n" + exitCodesHelp
	}
	cmd.AddCommand(validate, render)
	return cmd
}

// fleetArgs makes a bad argument list a usage error (exit 2); root does
// this for its direct subcommands only.
func fleetArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return cli.Usage(err)
		}
		return nil
	}
}
