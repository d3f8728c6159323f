package main

import (
	"time"

	"github.com/fleetup/fleetup/internal/cli"
	"github.com/spf13/cobra"
)

// newFleetRolloutCmd is `fleet rollout [REV]`.
func newFleetRolloutCmd(fl *cli.Fleet) *cobra.Command {
	r := &cli.FleetRollout{}
	cmd := &cobra.Command{
		Use:   "rollout [REV]",
		Short: "Take a committed fleet change to the clusters wave by wave: pin each wave's clusters to REV (a commit per wave) and start the next wave only when they all run it, healthy; resumable",
		Long: `Take a committed change of the fleet to its clusters, wave by wave.

Each cluster file gets "revision: <commit>": the fleet's ApplicationSet
renders a pinned cluster's chart, profile and layer files at that commit,
so a change committed later reaches no pinned cluster until it is rolled
out. For each wave in order (clusters without a wave last) the wave's
clusters are pinned to REV in one commit, and the command waits until
every one of them runs REV, healthy: its Application applied REV, Synced
and Healthy; Cluster API converged; its addons healthy. The first wave
with a failed cluster stops the rollout, naming the cluster and the
condition; later waves are untouched.

REV is what git rev-parse reads; without it, the rollout recorded in the
hub if one was stopped while running (Ctrl-C, a killed process, another
machine), else HEAD. The progress is recorded in the hub
(fleetup-system/fleet-rollout), so running the command again resumes.
Commit a fix and run it again to go on after a failure.

Exit codes:
  0  every wave runs REV, healthy
  1  a wave failed, or something fleetup tried did not work
  2  usage or configuration error (nothing was pinned)`,
		Args: fleetArgs(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			r.Fleet = *fl
			if len(args) == 1 {
				r.Revision = args[0]
			}
			return r.Run(cmd.Context())
		},
	}
	cmd.Flags().BoolVar(&r.Push, "push", false, "push each wave's pin commit to the branch's remote (Argo CD reads the remote)")
	cmd.Flags().DurationVar(&r.WaveTimeout, "wave-timeout", 30*time.Minute, "how long a wave may take, from its pin to its last cluster healthy")
	return cmd
}
