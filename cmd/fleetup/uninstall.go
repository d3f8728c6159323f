package main

import (
	"github.com/fleetup/fleetup/internal/cli"
	"github.com/spf13/cobra"
)

func newUninstallCmd(g *cli.Global) *cobra.Command {
	un := &cli.Uninstall{Global: g}
	cmd := &cobra.Command{
		Use:   "uninstall",
		Short: "Remove the platform: addons in reverse dependency order, then External Secrets and Argo CD, what fleetup applied and the namespaces it created",
		Long: `Remove the platform fleetup installed. Addons go in reverse dependency
order, each waited for until its Application and resources are gone; then
Argo CD and External Secrets are uninstalled with Helm, and the objects and
namespaces fleetup created are deleted. Only objects with fleetup's labels
are deleted; others of the same name are reported and left alone. A rerun
after an interruption finishes the job. With target kind, the kind cluster
is deleted too when fleetup created it.`,
		RunE: func(cmd *cobra.Command, _ []string) error { return un.Run(cmd.Context()) },
	}
	f := cmd.Flags()
	f.DurationVar(&un.Timeout, "timeout", 0, "overall time limit (default: timeouts.uninstall from config.yaml)")
	f.BoolVar(&un.KeepPVCs, "keep-pvcs", false, "keep the PersistentVolumeClaims of stateful addons")
	f.BoolVar(&un.PurgeCRDs, "purge-crds", false, "delete every custom resource of the catalog's CRD groups, then the CRDs")
	f.BoolVar(&un.Force, "force", false, "with --purge-crds: remove finalizers that still block after --finalizer-timeout, listing each")
	f.BoolVar(&un.DeleteSecrets, "delete-secrets", false, "aws-secretsmanager backend: also delete the platform secrets (with AWS's recovery window)")
	f.IntVar(&un.RecoveryWindowDays, "recovery-window-days", 0, "with --delete-secrets: days the secrets stay restorable, 7 to 30 (default: AWS's 30)")
	f.BoolVar(&un.ForceDeleteWithoutRecovery, "force-delete-without-recovery", false, "with --delete-secrets: delete at once, without a recovery window")
	f.DurationVar(&un.FinalizerTimeout, "finalizer-timeout", 0, "how long a custom resource may take to be deleted before it is reported (default 2m)")
	return cmd
}
