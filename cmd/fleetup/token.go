package main

import (
	"github.com/fleetup/fleetup/internal/cli"
	"github.com/spf13/cobra"
)

func newTokenCmd(g *cli.Global) *cobra.Command {
	t := &cli.Token{Global: g}
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Print an EKS bearer token as a kubectl exec credential (used by kubeconfigs from install --write-kubeconfig)",
		RunE:  func(cmd *cobra.Command, _ []string) error { return t.Run(cmd.Context()) },
	}
	cmd.Flags().StringVar(&t.ClusterName, "cluster-name", "", "EKS cluster name")
	cmd.Flags().StringVar(&t.Region, "region", "", "AWS region of the cluster")
	return cmd
}
