package catalog

import (
	"maps"
	"strconv"

	"github.com/fleetup/fleetup/internal/config"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Cluster secret label and annotation keys of the gitops-bridge pattern,
// which the ApplicationSets' cluster generators read.
const (
	LabelSecretType   = "argocd.argoproj.io/secret-type"
	LabelClusterName  = "clusterName"
	LabelEnvironment  = "environment"
	LabelClusterClass = "clusterClass"
	LabelPathRouting  = "path_routing"
	LabelAutoMode     = "auto_mode"
	LabelManagedBy    = "app.kubernetes.io/managed-by"
	// LabelHub marks the hub's own cluster secret: fleetup's ApplicationSets
	// give the hub every catalog addon not switched off.
	LabelHub = "fleetup.dev/hub"
	// LabelFleet is "true" on the hub's secret when the repository has a
	// fleet: catalog entries that manage workload clusters (Cluster API
	// and its providers) select on it.
	LabelFleet     = "fleetup.dev/fleet"
	ManagedByValue = "fleetup"
)

// HubLabels are the labels of the hub cluster's Argo CD secret with every
// installed addon switched on, as after a finished install.
func HubLabels(cfg *config.Config, c *Catalog) map[string]string {
	return withSwitches(cfg, c, func(a *Addon) bool { return a.Selected })
}

// selectionLabels are what addon selectors are evaluated against: the
// hub's own labels plus every enabled addon's switch, so a CNOE selector on
// enable_<addon> behaves as it will once the addon is on.
func selectionLabels(cfg *config.Config, c *Catalog) map[string]string {
	return withSwitches(cfg, c, func(a *Addon) bool { return bool(a.Enabled) })
}

// withSwitches is the hub's labels plus enable_<addon> for addons where on.
func withSwitches(cfg *config.Config, c *Catalog, on func(*Addon) bool) map[string]string {
	l := baseLabels(cfg, c.Fleet)
	for _, a := range c.Addons {
		if on(a) {
			l[a.LabelName()] = "true"
		}
	}
	return l
}

// baseLabels is a pure function of config.yaml and whether the repository
// has a fleet, so plan, install and the ApplicationSets agree on it.
func baseLabels(cfg *config.Config, fleet bool) map[string]string {
	l := map[string]string{}
	for k, v := range cfg.ClusterLabels {
		l[k] = v
	}
	maps.Copy(l, map[string]string{
		LabelSecretType:   "cluster",
		LabelClusterName:  cfg.ClusterName,
		LabelEnvironment:  "control-plane",
		LabelClusterClass: "control-plane",
		LabelPathRouting:  cfg.PathRouting.String(),
		LabelAutoMode:     cfg.AutoMode.String(),
		LabelManagedBy:    ManagedByValue,
		LabelHub:          "true",
		LabelFleet:        strconv.FormatBool(fleet),
	})
	return l
}

// HubAnnotations are the hub cluster secret's annotations the addons'
// value templates read.
func HubAnnotations(cfg *config.Config) map[string]string {
	return map[string]string{
		"addons_repo_url":        cfg.Repo.URL,
		"addons_repo_revision":   cfg.Repo.Revision,
		"addons_repo_basepath":   cfg.Repo.BasePath,
		"domain":                 cfg.Domain,
		"route53_hosted_zone_id": cfg.HostedZoneID,
		"aws_region":             cfg.Region,
		"aws_cluster_name":       cfg.ClusterName,
	}
}

// Selects reports whether the addon's selector matches cluster labels.
func (a *Addon) Selects(clusterLabels map[string]string) (bool, error) {
	sel, err := a.selector()
	if err != nil || sel == nil {
		return sel == nil && err == nil, err
	}
	return sel.Matches(labels.Set(clusterLabels)), nil
}

func (a *Addon) selector() (labels.Selector, error) {
	if a.Selector == nil {
		return nil, nil
	}
	ls := &metav1.LabelSelector{MatchLabels: a.Selector.MatchLabels}
	for _, r := range a.Selector.MatchExpressions {
		ls.MatchExpressions = append(ls.MatchExpressions, metav1.LabelSelectorRequirement{
			Key: r.Key, Operator: metav1.LabelSelectorOperator(r.Operator), Values: r.Values,
		})
	}
	return metav1.LabelSelectorAsSelector(ls)
}

// SelectorString is the selector in kubectl's notation, e.g. "auto_mode in (false)".
func (a *Addon) SelectorString() string {
	sel, err := a.selector()
	if err != nil || sel == nil {
		return ""
	}
	return sel.String()
}
