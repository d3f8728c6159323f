package main

import (
	"github.com/fleetup/fleetup/internal/cli"
	"github.com/spf13/cobra"
)

// newFleetStatusCmd is `fleet status [--watch]`.
func newFleetStatusCmd(fl *cli.Fleet) *cobra.Command {
	s := &cli.FleetStatus{}
	cmd := &cobra.Command{
		Use:   "status [--watch]",
		Short: "Show every cluster of Git joined with what the hub runs (the revision Argo CD applied, Cluster API's phase and versions, registration, addons) and whether it is as Git says; exit 0 only when every cluster is",
		Long: `Show every cluster of the fleet (fleet/clusters/ in the working tree) joined
with the hub's state: the fleet-<cluster> Application and the revision it
applied, Cluster API's Cluster, control plane and workers, the Argo CD
cluster secret, the addons. Clusters the hub has and Git does not are
listed as orphaned or deleting.

A cluster is ready when Argo CD applied the commit it should run (its
pinned revision, or the tracked branch's commit in the local clone),
synced and healthy, Cluster API converged at the profile's Kubernetes
version, the cluster registered and every addon of its bundle healthy.
Otherwise it is progressing (with what it waits for), failed (with the
error), missing (nothing on the hub), orphaned or deleting.

--watch evaluates again on every change of those objects until every
cluster is ready: a redrawn table on a terminal, a line per change
otherwise (with -o json, the document again on one line).

Exit codes:
  0  every cluster is ready
  1  a cluster is not ready, the hub could not be read, or --watch was
     stopped before every cluster was ready
  2  usage or configuration error, an invalid fleet`,
		Args: fleetArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s.Fleet = *fl
			return s.Run(cmd.Context())
		},
	}
	cmd.Flags().BoolVarP(&s.Watch, "watch", "w", false, "keep evaluating on every change until every cluster is ready (Ctrl-C to stop)")
	return cmd
}
