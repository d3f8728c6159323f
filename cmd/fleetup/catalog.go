package main

import (
	"github.com/fleetup/fleetup/internal/cli"
	"github.com/spf13/cobra"
)

const outdatedExitCodes = `Exit codes (as helm and npm outdated):
  0  every chart is pinned to its newest version; with --update, the pins
     were updated (or none was behind) and every repository answered
  1  an addon is behind, its pinned version is not offered, or its
     repository could not be read (every other addon is still reported)
  2  usage or configuration error (nothing was changed)`

func newCatalogCmd(g *cli.Global) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "catalog",
		Short: "Check the addon catalog (packages/addons/values.yaml) against the chart repositories",
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	o := &cli.CatalogOutdated{Global: g}
	out := &cobra.Command{
		Use:   "outdated",
		Short: "For each addon, the pinned chart version and the newest versions its Helm repository or OCI registry offers (within the pin's major, and of all); --update rewrites the pins, keeping every comment",
		Long: `For each addon of the catalog, the pinned chart version (defaultVersion as
packages/addons/values.yaml writes it), the newest version with the same
major (MINOR) and the newest of all (MAJOR), read from the chart's Helm
repository (index.yaml) or OCI registry (tag list). Pre-releases count only
when the pin is one. An addon from a directory of this repository has
nothing to check; one whose repository cannot be read is reported as an
error and the others are still checked.

--update rewrites the pins of the addons that are behind to their newest
minor version (--major: newest version), changing only those version
strings in the file; it then checks the catalog still loads.

` + outdatedExitCodes,
		Args: fleetArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return o.Run(cmd.Context()) },
	}
	out.Flags().BoolVar(&o.Update, "update", false, "rewrite the pins of the addons that are behind in packages/addons/values.yaml")
	out.Flags().BoolVar(&o.Major, "major", false, "with --update: move to the newest version, across major versions")
	cmd.AddCommand(out)
	return cmd
}
