package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/fleetup/fleetup/internal/cli"
	"github.com/fleetup/fleetup/internal/fleet"
	"github.com/fleetup/fleetup/internal/fleet/scaffold"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/util/validation"
)

// A command annotated with layerFlags gets a flag per layer of the fleet
// (addLayerFlags); each such flag is annotated with its layer.
const (
	layerFlags = "fleetup.dev/layer-flags"
	layerOf    = "fleetup.dev/layer"
)

func newClusterCmd(g *cli.Global) *cobra.Command {
	fl := &cli.Fleet{Global: g}
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Create, list, show and delete the fleet's workload clusters: files under fleet/clusters/, committed with Git",
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.PersistentFlags().StringVar(&fl.Dir, "fleet-dir", "", "the fleet directory (default: fleet/ next to config.yaml)")

	list := &cli.ClusterList{}
	listCmd := &cobra.Command{
		Use:   "list",
		Short: "List the fleet's clusters from Git (profile, layers, wave, flavour, version, bundle) and, where the hub is reachable, whether Argo CD has each registered and its addons' health",
		Args:  fleetArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			list.Fleet = *fl
			return list.Run(cmd.Context())
		},
	}
	listCmd.Flags().BoolVar(&list.Offline, "offline", false, "show the Git view only: do not contact the hub")

	get := &cli.ClusterGet{}
	getCmd := &cobra.Command{
		Use:   "get NAME",
		Short: "Show one cluster from Git and, where the hub is reachable, its Argo CD cluster secret, its fleet-NAME Application and each addon's Application",
		Args:  fleetArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			get.Fleet, get.Name = *fl, args[0]
			return get.Run(cmd.Context())
		},
	}
	getCmd.Flags().BoolVar(&get.Offline, "offline", false, "show the Git view only: do not contact the hub")

	del := &cli.ClusterDelete{}
	deleteCmd := &cobra.Command{
		Use: "delete NAME",
		Short: "Delete a cluster, after approval (--yes), in two commits: decommission: true in fleet/clusters/NAME.yaml, so that Argo CD removes its addons; " +
			"once they are gone, the file, so that Argo CD deregisters it and Cluster API deletes it. Waits for each (a rerun goes on where it stopped)",
		Args: fleetArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			del.Fleet, del.Name = *fl, args[0]
			return del.Run(cmd.Context())
		},
	}
	gitFlags(deleteCmd.Flags(), &del.Git)
	deleteCmd.Flags().BoolVar(&del.NoWait, "no-wait", false, "commit the next step and return without waiting for the hub; run the command again for the next")
	deleteCmd.Flags().DurationVar(&del.Timeout, "timeout", cli.DefaultDeleteTimeout, "how long each wait may take: for the addons to leave the cluster, then for the hub to delete it")

	for _, c := range []*cobra.Command{newClusterCreateCmd(fl), listCmd, getCmd, deleteCmd} {
		c.Long = c.Short + "\n\n" + exitCodesHelp
		cmd.AddCommand(c)
	}
	return cmd
}

func newClusterCreateCmd(fl *cli.Fleet) *cobra.Command {
	c := &cli.ClusterCreate{}
	var wave int
	var layerArgs []string
	cmd := &cobra.Command{
		Use: "create NAME --profile PROFILE --<layer> NAME... [--wave N] [--set key=value...]",
		Short: "Write fleet/clusters/NAME.yaml (a profile, one name per inventory layer, a wave, overrides) and commit it, once the fleet with it is valid; " +
			"the layer flags are those of fleet/fleet.yaml",
		Args:        fleetArgs(cobra.ExactArgs(1)),
		Annotations: map[string]string{layerFlags: "true"},
		RunE: func(cmd *cobra.Command, args []string) error {
			c.Fleet, c.Name = *fl, args[0]
			c.Layers, c.LayerFlags = map[string]string{}, map[string]bool{}
			cmd.Flags().VisitAll(func(f *pflag.Flag) {
				if l := f.Annotations[layerOf]; len(l) == 1 {
					c.LayerFlags[l[0]] = true
					if f.Changed {
						c.Layers[l[0]] = f.Value.String()
					}
				}
			})
			for _, kv := range layerArgs {
				layer, name, ok := strings.Cut(kv, "=")
				if !ok || layer == "" || name == "" {
					return cli.Usage(fmt.Errorf("--layer %q: expected LAYER=NAME", kv))
				}
				if old := c.Layers[layer]; old != "" && old != name {
					return cli.Usage(fmt.Errorf("layer %s given twice: %s and %s", layer, old, name))
				}
				c.Layers[layer] = name
			}
			if cmd.Flags().Changed("wave") {
				c.Wave = &wave
			}
			return c.Run(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringVar(&c.Profile, "profile", "", "the profile the cluster is made from (fleet/profiles/PROFILE.yaml)")
	f.IntVar(&wave, "wave", 0, "the rollout wave, 0 to 1000 (default: none)")
	f.StringArrayVar(&c.Set, "set", nil, "an override with helm --set syntax and types, e.g. nodePools.workers.replicas=5 (repeatable)")
	f.StringArrayVar(&c.SetString, "set-string", nil, "an override whose value stays a string, as helm --set-string, e.g. tags.tier=1 (repeatable)")
	f.StringArrayVar(&layerArgs, "layer", nil, "a layer's value as LAYER=NAME, for a layer whose name another flag has (repeatable)")
	gitFlags(f, &c.Git)
	return cmd
}

func gitFlags(f *pflag.FlagSet, o *cli.GitOptions) {
	f.BoolVar(&o.NoCommit, "no-commit", false, "write the files and leave committing them to you")
	f.BoolVar(&o.Push, "push", false, "push the commit to the branch's remote")
}

// addLayerFlags gives the command that args run, when it asks for them,
// a flag per layer of the fleet args point at: fleet.yaml is read before
// the command line is parsed. A fleet.yaml that does not read gets the
// default layers; the command reports its problems.
func addLayerFlags(root *cobra.Command, args []string) {
	// cobra adds its help command only when it runs: `help cluster
	// create` is looked up as `cluster create`.
	if len(args) > 0 && args[0] == "help" {
		args = args[1:]
	}
	cmd, _, err := root.Find(args)
	if err != nil || cmd.Annotations[layerFlags] != "true" {
		return
	}
	configFile, dir := prescan(cmd, args)
	if dir == "" {
		dir = filepath.Join(filepath.Dir(configFile), cli.FleetDir)
	}
	layers := fleet.DefaultLayers()
	if abs, err := filepath.Abs(dir); err == nil {
		if ls, err := scaffold.Layers(os.DirFS(filepath.Dir(abs)), filepath.Base(abs)); err == nil {
			layers = ls
		}
	}
	taken := cmd.InheritedFlags()
	for _, l := range layers {
		if len(validation.IsDNS1123Label(l)) > 0 || cmd.Flags().Lookup(l) != nil || taken.Lookup(l) != nil {
			continue // the loader reports a bad name; a taken one is given with --layer
		}
		cmd.Flags().String(l, "", fmt.Sprintf("the cluster's %s: a name in fleet/inventory/%s/", l, l))
		cmd.Flags().Lookup(l).Annotations = map[string][]string{layerOf: {l}}
	}
}

// prescan reads --config and --fleet-dir from args with the flags cmd
// knows, so that flags taking no value do not swallow the next argument.
func prescan(cmd *cobra.Command, args []string) (configFile, fleetDir string) {
	pre := pflag.NewFlagSet("prescan", pflag.ContinueOnError)
	pre.ParseErrorsAllowlist.UnknownFlags = true
	pre.SetOutput(io.Discard)
	define := func(f *pflag.Flag) {
		if pre.Lookup(f.Name) == nil {
			pre.StringP(f.Name, f.Shorthand, f.DefValue, "")
			pre.Lookup(f.Name).NoOptDefVal = f.NoOptDefVal
		}
	}
	// cobra adds --help only when the command runs: without it here,
	// pflag would stop at --help before reading --config.
	pre.BoolP("help", "h", false, "")
	cmd.Flags().VisitAll(define)
	cmd.InheritedFlags().VisitAll(define)
	if err := pre.Parse(args); err != nil {
		return "config.yaml", ""
	}
	get := func(name string) string {
		if f := pre.Lookup(name); f != nil {
			return f.Value.String()
		}
		return ""
	}
	return get("config"), get("fleet-dir")
}
