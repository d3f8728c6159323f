package config

import (
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"

	"github.com/fleetup/fleetup/internal/decode"
	"k8s.io/apimachinery/pkg/util/validation"
)

var (
	// partition-prefixed regions: us-west-2, us-gov-west-1, cn-north-1, us-isob-east-1, eu-central-2
	regionRE = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-(north|south|east|west|central|northeast|northwest|southeast|southwest)-[0-9]{1,2}$`)
	// Route53 zone IDs are "Z" plus upper-case letters and digits; the
	// "/hostedzone/" form the API returns is accepted too.
	zoneRE = regexp.MustCompile(`^(/hostedzone/)?Z[A-Z0-9]{4,31}$`)
	// scp-like Git URLs: git@github.com:org/repo.git
	scpRE = regexp.MustCompile(`^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^/].*$`)
	// Secrets Manager name characters.
	secretNameRE = regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]+$`)
)

// knownRegions feeds "did you mean" hints; a well-formed region missing
// here is still accepted (AWS adds regions).
var knownRegions = []string{
	"us-east-1", "us-east-2", "us-west-1", "us-west-2", "af-south-1", "ap-east-1", "ap-east-2",
	"ap-south-1", "ap-south-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
	"ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-7",
	"ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3",
	"eu-south-1", "eu-south-2", "eu-north-1", "il-central-1", "me-south-1", "me-central-1", "mx-central-1",
	"sa-east-1", "us-gov-east-1", "us-gov-west-1", "cn-north-1", "cn-northwest-1",
}

func validate(c *Config, res *decode.Result) {
	add := func(path string, msg, expected, hint string) {
		res.Add(path, &decode.ValueError{Msg: msg, Expected: expected, Hint: hint})
	}
	placeholder := func(path, v string) bool {
		if strings.Contains(v, "REPLACE_ME") || strings.ContainsAny(v, "<>") {
			add(path, fmt.Sprintf("%q is a placeholder", v), "your own value", "replace it with the real value")
			return true
		}
		return false
	}

	if c.ClusterName == "" {
		add("cluster_name", "missing", "the cluster's name, a DNS-1123 label such as \"platform-hub\"", "")
	} else if !placeholder("cluster_name", c.ClusterName) {
		if errs := validation.IsDNS1123Label(c.ClusterName); len(errs) > 0 {
			add("cluster_name", fmt.Sprintf("%q is not a DNS-1123 label", c.ClusterName), "lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters", lowerHint(c.ClusterName))
		}
	}

	validateRepo(c, add, placeholder)

	if f := c.Kind.ConfigFile; f != "" {
		if _, err := os.Stat(c.Resolve(f)); err != nil {
			add("kind.config_file", fmt.Sprintf("cannot read %q: %v", f, err), "a kind Cluster config file (relative to config.yaml)", "")
		}
	}

	needsRegion := c.Target == TargetEKS || c.Secrets.Backend == BackendAWS
	switch {
	case c.Region == "" && needsRegion:
		why := "target eks"
		if c.Target != TargetEKS {
			why = "the aws-secretsmanager backend"
		}
		add("region", "missing", "an AWS region such as us-west-2, needed by "+why, "")
	case c.Region != "" && !placeholder("region", c.Region):
		if !regionRE.MatchString(c.Region) {
			add("region", fmt.Sprintf("%q is not an AWS region", c.Region), "a region such as us-west-2", decode.DidYouMean(c.Region, knownRegions))
		}
	}

	if c.Domain != "" && !placeholder("domain", c.Domain) {
		d := strings.TrimSuffix(c.Domain, ".")
		if errs := validation.IsDNS1123Subdomain(d); len(errs) > 0 || !strings.Contains(d, ".") {
			add("domain", fmt.Sprintf("%q is not a DNS name", c.Domain), "a domain such as platform.example.com", lowerHint(c.Domain))
		}
	}
	if c.HostedZoneID != "" && !placeholder("route53_hosted_zone_id", c.HostedZoneID) {
		if !zoneRE.MatchString(c.HostedZoneID) {
			hint := ""
			if up := strings.ToUpper(c.HostedZoneID); zoneRE.MatchString(up) {
				hint = fmt.Sprintf("zone IDs are upper case: %q", up)
			}
			add("route53_hosted_zone_id", fmt.Sprintf("%q is not a Route53 hosted zone ID", c.HostedZoneID), "an ID such as Z0123456789ABCDEFGHIJ", hint)
		}
	}
	for _, k := range decode.SortedKeys(c.Tags) {
		switch {
		case len(k) == 0 || len(k) > 128:
			add("tags."+k, "tag key length out of range", "1 to 128 characters", "")
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			add("tags."+k, "tag keys may not start with aws:", "a key of your own", "")
		case len(c.Tags[k]) > 256:
			add("tags."+k, "tag value too long", "at most 256 characters", "")
		}
	}
	validateClusterLabels(c, add)
	validateSecrets(c, add)
}

// validateClusterLabels: label syntax, and none of the labels fleetup
// and Argo CD set themselves, which an extra label would silently change.
func validateClusterLabels(c *Config, add func(string, string, string, string)) {
	for _, k := range decode.SortedKeys(c.ClusterLabels) {
		p := "cluster_labels." + k
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			add(p, fmt.Sprintf("%q is not a label key: %s", k, strings.Join(errs, "; ")), "a Kubernetes label key such as team or example.com/tier", "")
			continue
		}
		if errs := validation.IsValidLabelValue(c.ClusterLabels[k]); len(errs) > 0 {
			add(p, fmt.Sprintf("%q is not a label value: %s", c.ClusterLabels[k], strings.Join(errs, "; ")), "at most 63 letters, digits, '-', '_' or '.'", "")
			continue
		}
		if reservedClusterLabel(k) {
			add(p, fmt.Sprintf("%s is set by fleetup", k), "a label of your own", "the enable_<addon> switches are set by install; config.yaml's addons section switches an addon")
		}
	}
}

// reservedClusterLabel: what fleetup puts on the hub's cluster secret.
func reservedClusterLabel(k string) bool {
	switch k {
	case "argocd.argoproj.io/secret-type", "clusterName", "environment", "clusterClass", "path_routing", "auto_mode", "app.kubernetes.io/managed-by", "fleetup.dev/hub", "fleetup.dev/managed":
		return true
	}
	return strings.HasPrefix(k, "enable_")
}

func validateRepo(c *Config, add func(string, string, string, string), placeholder func(string, string) bool) {
	u := c.Repo.URL
	if u == "" {
		add("repo.url", "missing", "the Git URL of your fork (https://, ssh:// or file://)", "")
		return
	}
	if placeholder("repo.url", u) {
		return
	}
	if scpRE.MatchString(u) && !strings.Contains(u, "://") {
		return // git@host:org/repo.git
	}
	p, err := url.Parse(u)
	if err != nil {
		add("repo.url", fmt.Sprintf("%q does not parse: %v", u, err), "a Git URL (https://, ssh:// or file://)", "")
		return
	}
	switch p.Scheme {
	case "https", "ssh":
		if p.Host == "" {
			add("repo.url", fmt.Sprintf("%q has no host", u), "a URL such as https://github.com/org/repo", "")
		} else if p.User != nil {
			if _, hasPassword := p.User.Password(); hasPassword {
				add("repo.url", "the URL contains a password", "a URL without credentials", "put credentials in secrets.github_token or secrets.github_apps")
			}
		}
	case "file":
		if p.Host != "" && p.Host != "localhost" || !strings.HasPrefix(p.Path, "/") {
			add("repo.url", fmt.Sprintf("%q is not an absolute file URL", u), "file:///absolute/path/to/repo", "")
		}
	case "http":
		add("repo.url", fmt.Sprintf("%q uses plain http", u), "https://, ssh:// or file://", "use https://"+strings.TrimPrefix(u, "http://"))
	case "":
		add("repo.url", fmt.Sprintf("%q has no scheme", u), "https://, ssh:// or file://", fmt.Sprintf("did you mean %q?", "https://"+u))
	default:
		add("repo.url", fmt.Sprintf("scheme %q is not supported", p.Scheme), "https://, ssh:// or file://", decode.DidYouMean(p.Scheme, []string{"https", "ssh", "file"}))
	}
	if strings.HasPrefix(c.Repo.BasePath, "/") || strings.Contains(c.Repo.BasePath, "..") {
		add("repo.basepath", fmt.Sprintf("%q is not a relative path inside the repository", c.Repo.BasePath), "a path such as packages", "")
	}
}

func validateSecrets(c *Config, add func(string, string, string, string)) {
	s := c.Secrets
	if !secretNameRE.MatchString(s.Prefix) || len(s.Prefix) > 400 {
		add("secrets.prefix", fmt.Sprintf("%q is not a valid secret name prefix", s.Prefix), "letters, digits and /_+=.@-", "")
	}
	if errs := validation.IsDNS1123Label(s.Namespace); len(errs) > 0 {
		add("secrets.namespace", fmt.Sprintf("%q is not a namespace name", s.Namespace), "a DNS-1123 label", lowerHint(s.Namespace))
	}
	if errs := validation.IsDNS1123Subdomain(s.StoreName); len(errs) > 0 {
		add("secrets.store_name", fmt.Sprintf("%q is not a resource name", s.StoreName), "a DNS-1123 subdomain", lowerHint(s.StoreName))
	}
	if s.APIURL != "" {
		if u, err := url.Parse(s.APIURL); err != nil || u.Scheme != "https" || u.Host == "" {
			add("secrets.kubernetes_api_url", fmt.Sprintf("%q is not an https URL", s.APIURL), "the API server URL, e.g. https://kubernetes.default.svc", "")
		}
	}
	seen := map[string]bool{}
	type at struct {
		path string
		cred Credential
	}
	creds := make([]at, 0, len(s.GitHubApps)+1)
	for i, a := range s.GitHubApps {
		creds = append(creds, at{fmt.Sprintf("secrets.github_apps[%d]", i), a})
	}
	if s.GitHubToken != nil {
		creds = append(creds, at{"secrets.github_token", *s.GitHubToken})
	}
	for _, cr := range creds {
		if cr.cred.Name == "" {
			add(cr.path+".name", "missing", "a key name such as argocd-github", "")
		} else if !regexp.MustCompile(`^[A-Za-z0-9_.-]+$`).MatchString(cr.cred.Name) {
			add(cr.path+".name", fmt.Sprintf("%q is not a valid key", cr.cred.Name), "letters, digits, '.', '_' and '-'", "")
		} else if seen[cr.cred.Name] {
			add(cr.path+".name", fmt.Sprintf("%q is used twice", cr.cred.Name), "a unique name", "")
		}
		seen[cr.cred.Name] = true
		if cr.cred.File == "" {
			add(cr.path+".file", "missing", "the path of the credential file", "")
			continue
		}
		checkCredentialFile(c, cr.path+".file", cr.cred.File, add)
	}
}

func checkCredentialFile(c *Config, path, file string, add func(string, string, string, string)) {
	fi, err := os.Stat(c.Resolve(file))
	switch {
	case os.IsNotExist(err):
		add(path, fmt.Sprintf("file %q does not exist", file), "an existing credential file (relative to config.yaml)", "")
	case err != nil:
		add(path, fmt.Sprintf("cannot read %q: %v", file, err), "a readable credential file", "")
	case !fi.Mode().IsRegular():
		add(path, fmt.Sprintf("%q is not a regular file", file), "a credential file", "")
	case fi.Mode().Perm()&0o004 != 0:
		add(path, fmt.Sprintf("%q is readable by every user (mode %#o)", file, fi.Mode().Perm()), "a file only its owner (and group) can read", "run: chmod 600 "+file)
	}
}

func lowerHint(s string) string {
	l := strings.ToLower(strings.ReplaceAll(s, "_", "-"))
	if l != s {
		if len(validation.IsDNS1123Subdomain(l)) == 0 {
			return fmt.Sprintf("did you mean %q?", l)
		}
	}
	return ""
}
