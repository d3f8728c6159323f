// Package packages gives the fleetup binary the chart of this tree that
// `fleetup fleet init` writes into a platform repository lacking it (a
// CNOE fork, a new repository). Argo CD reads the tree from Git; this
// file belongs to no chart.
package packages

import "embed"

// FleetCluster is the fleet's chart, packages/fleet-cluster: what Argo CD
// renders for each workload cluster.
//
//go:embed all:fleet-cluster
var FleetCluster embed.FS
