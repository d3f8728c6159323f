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
	cmd.AddCommand(newFleetDiffCmd(&fl), newFleetRolloutCmd(&fl), newFleetStatusCmd(&fl))

	// fleet init: the scaffold, written and committed.
	in := &cli.FleetInit{}
	install := false
	initCmd := &cobra.Command{
		Use:   "init",
		Short: "Write a new fleet (fleet.yaml, an example profile, one example file per inventory layer, and the fleet chart where the repository lacks it) and commit it; never overwrites a file, and changes nothing on a fleet already initialised",
		Args:  fleetArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			in.Fleet = fl
			if install {
				in.Install = &cli.Install{Global: g}
			}
			return in.Run(cmd.Context())
		},
	}
	initCmd.Long = initCmd.Short + "\n\n" + exitCodesHelp
	gitFlags(initCmd.Flags(), &in.Git)
	initCmd.Flags().BoolVar(&install, "install", false, "then hand the fleet to Argo CD as fleetup install does (its plan, approval and waits): the ApplicationSet over fleet/clusters/*.yaml and the catalog's Cluster API addons")
	cmd.AddCommand(initCmd)
	return cmd
}

// newFleetDiffCmd is `fleet diff [BASE [HEAD]]`.
func newFleetDiffCmd(fl *cli.Fleet) *cobra.Command {
	d := &cli.FleetDiff{}
	diff := &cobra.Command{
		Use:   "diff [BASE [HEAD]]",
		Short: "Show the blast radius of a fleet change before it is committed, offline from Git: the clusters that change by wave, every changed value and the file that set it, what Cluster API will do, the addons gained and lost",
		Long: `Show the blast radius of a fleet change, offline, reading Git with go-git.

  fleet diff              the last commit (HEAD) against the working tree
  fleet diff BASE         revision BASE against the working tree
  fleet diff BASE HEAD    revision BASE against revision HEAD

Revisions are what git rev-parse reads: HEAD~1, a branch, a tag, a hash.
A BASE where the fleet does not exist yet shows every cluster as added.
Either side invalid: its problems with file:line:column, exit 2.

Exit codes:
  0  success (with --exit-code: no cluster changes)
  1  failure (something fleetup tried did not work)
  2  usage or configuration error, an unknown revision, an invalid fleet
  3  with --exit-code: at least one cluster is added, removed or changed`,
		Args: fleetArgs(cobra.MaximumNArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			d.Fleet, d.Revisions = *fl, args
			return d.Run(cmd.Context())
		},
	}
	diff.Flags().BoolVar(&d.ExitCode, "exit-code", false, "exit 3 when a cluster changes, 0 when none does (as git diff --exit-code)")
	return diff
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
