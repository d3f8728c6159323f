package fleet

import (
	"fmt"
	"net"
	"regexp"
	"slices"
	"strings"

	"github.com/fleetup/fleetup/internal/decode"
	"k8s.io/apimachinery/pkg/util/validation"
)

// knownAddons are the catalog's addon names; nil when not checked.
type knownAddons []string

var (
	versionRE  = regexp.MustCompile(`^v?[0-9]+\.[0-9]+(\.[0-9]+)?$`)
	instanceRE = regexp.MustCompile(`^[a-z][a-z0-9-]*\.[a-z0-9-]+$`)
	regionRE   = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	roleARNRE  = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$`)
)

// validateValues checks the values one file sets, each on its own; what
// only the merged result can tell is checked per cluster (effective.go).
// base is the path of the values in their file ("" or "overrides").
func validateValues(res *decode.Result, base string, v *Values, known knownAddons) decode.Errors {
	before := len(res.Errors)
	add := func(path, msg, expected, hint string) {
		res.Add(path, &decode.ValueError{Msg: msg, Expected: expected, Hint: hint})
	}
	if base != "" {
		base += "."
	}
	if s := v.KubernetesVersion; s != "" && !versionRE.MatchString(s) {
		add(base+"kubernetesVersion", fmt.Sprintf("%q is not a Kubernetes version", s), `a version such as "v1.34"`, "")
	}
	if e := v.EndpointAccess; e != nil {
		for i, c := range e.PublicCIDRs {
			if _, _, err := net.ParseCIDR(c); err != nil {
				add(fmt.Sprintf("%sendpointAccess.publicCIDRs[%d]", base, i), fmt.Sprintf("%q is not a CIDR block", c), `a CIDR block such as "203.0.113.0/24"`, "")
			}
		}
	}
	for _, name := range decode.SortedKeys(v.NodePools) {
		path := base + "nodePools." + name
		if errs := validation.IsDNS1123Label(name); len(errs) > 0 {
			add(path, fmt.Sprintf("%q is not a node pool name", name), "a DNS-1123 label (it names the pool's MachinePool)", "")
		}
		if p := v.NodePools[name]; p != nil {
			validatePool(path, p, add)
		}
	}
	for _, name := range decode.SortedKeys(v.Addons) {
		if known != nil && !slices.Contains(known, name) {
			add(base+"addons."+name, fmt.Sprintf("%q is not an addon of the catalog", name), "one of "+strings.Join(known, ", "), decode.DidYouMean(name, known))
		}
	}
	for _, k := range decode.SortedKeys(v.Tags) {
		switch {
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			add(base+"tags."+k, fmt.Sprintf("tag key %q uses the reserved aws: prefix", k), "a tag key of your own", "")
		case len(k) > 128 || len(v.Tags[k]) > 256:
			add(base+"tags."+k, "tag too long", "keys of at most 128 and values of at most 256 characters", "")
		}
	}
	if p := v.Provider; p != nil {
		validateProvider(base+"provider", p, add)
	}
	if r := v.Registration; r != nil {
		validateRegistration(base+"registration", r, add)
	}
	return res.Errors[before:]
}

func validatePool(path string, p *NodePool, add func(path, msg, expected, hint string)) {
	if s := p.InstanceType; s != "" && !instanceRE.MatchString(s) {
		add(path+".instanceType", fmt.Sprintf("%q is not an EC2 instance type", s), `an instance type such as "m7i.xlarge"`, "")
	}
	nonNegative := func(field string, n *int, min int) {
		if n != nil && *n < min {
			add(path+"."+field, fmt.Sprintf("%d is too small", *n), fmt.Sprintf("at least %d", min), "")
		}
	}
	nonNegative("diskSize", p.DiskSize, 1)
	nonNegative("replicas", p.Replicas, 0)
	if s := p.Scaling; s != nil {
		nonNegative("scaling.minSize", s.MinSize, 0)
		nonNegative("scaling.maxSize", s.MaxSize, 1)
		if s.MinSize != nil && s.MaxSize != nil && *s.MinSize > *s.MaxSize {
			add(path+".scaling.minSize", fmt.Sprintf("minSize %d is above maxSize %d", *s.MinSize, *s.MaxSize), "minSize <= maxSize", "")
		}
	}
	for _, k := range decode.SortedKeys(p.Labels) {
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			add(path+".labels."+k, fmt.Sprintf("%q is not a label key: %s", k, errs[0]), "a Kubernetes label key", "")
		} else if errs := validation.IsValidLabelValue(p.Labels[k]); len(errs) > 0 {
			add(path+".labels."+k, fmt.Sprintf("%q is not a label value: %s", p.Labels[k], errs[0]), "a Kubernetes label value", "")
		}
	}
	for _, k := range decode.SortedKeys(p.Taints) {
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			add(path+".taints."+k, fmt.Sprintf("%q is not a taint key: %s", k, errs[0]), "a Kubernetes taint key", "")
		} else if t := p.Taints[k]; t != nil && len(validation.IsValidLabelValue(t.Value)) > 0 {
			add(path+".taints."+k+".value", fmt.Sprintf("%q is not a taint value", t.Value), "at most 63 letters, digits, '-', '_' or '.'", "")
		}
	}
}

func validateProvider(path string, p *Provider, add func(path, msg, expected, hint string)) {
	if s := p.Region; s != "" && !regionRE.MatchString(s) {
		add(path+".region", fmt.Sprintf("%q is not an AWS region", s), "an AWS region: <area>-<direction>-<n>", "the region config.yaml's region has the same form")
	}
	if s := p.RoleARN; s != "" && !roleARNRE.MatchString(s) {
		add(path+".roleARN", fmt.Sprintf("%q is not an IAM role ARN", s), `"arn:aws:iam::<12-digit account>:role/<name>"`, "")
	}
	for _, f := range [][2]string{{"identity", p.Identity}, {"kubeconfigSecret", p.KubeconfigSecret}} {
		if f[1] != "" && len(validation.IsDNS1123Subdomain(f[1])) > 0 {
			add(path+"."+f[0], fmt.Sprintf("%q is not an object name", f[1]), "a DNS-1123 subdomain", "")
		}
	}
}
