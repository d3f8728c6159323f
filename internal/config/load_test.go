package config

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/decode"
)

// cnoeConfig is the CNOE AWS reference implementation's config.yaml with its
// placeholders filled in: it must load unchanged.
const cnoeConfig = `### Config for CNOE AWS Reference Implementation ###
repo: 
  url: "https://github.com/cnoe-punkwalker/reference-implementation-aws"
  revision: "HEAD"
  basepath: "packages"
cluster_name: "cnoe-ref-impl"
auto_mode: "true"
region: "us-west-2"
domain: example.com
route53_hosted_zone_id: ZXYZZ1234ABCDEF5GHIJKL
path_routing: "true"
tags:
  githubRepo: "github.com/cnoe-io/reference-implementation-aws"
  env: "dev"
  project: "cnoe"
`

func parse(t *testing.T, data string) (*Config, error) {
	t.Helper()
	return Parse("config.yaml", t.TempDir(), []byte(data))
}

func TestCNOEConfigLoadsUnchanged(t *testing.T) {
	cfg, err := parse(t, cnoeConfig)
	if err != nil {
		t.Fatalf("CNOE config rejected:\n%v", err)
	}
	if cfg.ClusterName != "cnoe-ref-impl" || !bool(cfg.AutoMode) || !bool(cfg.PathRouting) || cfg.Region != "us-west-2" {
		t.Errorf("decoded %+v", cfg)
	}
	// Defaults for fleetup's own sections.
	if cfg.Target != TargetEKS || cfg.Secrets.Backend != BackendAWS || cfg.Secrets.Prefix != "cnoe-ref-impl" ||
		cfg.Secrets.StoreName != "aws-secretsmanager" || cfg.Strategy != StrategyGated || cfg.Timeouts.Addon.D().Minutes() != 15 {
		t.Errorf("defaults: %+v", cfg)
	}
}

func TestShippedConfigLoads(t *testing.T) {
	cfg, err := Load("../../config.yaml")
	if err != nil {
		t.Fatalf("shipped config.yaml rejected:\n%v", err)
	}
	if cfg.Addons["external-dns"].Values["policy"] != "sync" {
		t.Errorf("addon override not decoded: %+v", cfg.Addons)
	}
}

func TestBooleansAsStringsOrBooleans(t *testing.T) {
	for _, v := range []string{`true`, `"true"`, `True`, `"TRUE"`} {
		cfg, err := parse(t, strings.Replace(cnoeConfig, `auto_mode: "true"`, "auto_mode: "+v, 1))
		if err != nil || !bool(cfg.AutoMode) {
			t.Errorf("auto_mode: %s -> %v, %v", v, cfg, err)
		}
	}
	cfg, err := parse(t, strings.Replace(cnoeConfig, `auto_mode: "true"`, `auto_mode: false`, 1))
	if err != nil || bool(cfg.AutoMode) {
		t.Errorf("auto_mode: false -> %v", err)
	}
}

var posRE = regexp.MustCompile(`^config\.yaml:[0-9]+:[0-9]+: `)

// TestMalformedConfigs is the varied set of bad inputs: every one gets a
// positioned error naming the field, what was expected and, where one
// exists, a hint.
func TestMalformedConfigs(t *testing.T) {
	with := func(old, new string) string { return strings.Replace(cnoeConfig, old, new, 1) }
	cases := []struct {
		name, data string
		want       []string // substrings of the error, the first is "line:col: path"
	}{
		{"empty file", "", []string{"config.yaml:1:1: file is empty"}},
		{"only comments", "# nothing\n", []string{"config.yaml:1:1: file is empty"}},
		{"binary garbage", "\x7fELF\x02\x01\x01\x00\x00\x00", []string{"config.yaml:1:1: file is not UTF-8 text"}},
		{"invalid utf8", "repo:\n  url: \xff\xfe\n", []string{"config.yaml:2:8: file is not UTF-8 text"}},
		{"not a mapping", "- a\n- b\n", []string{"config.yaml:1:1: got a list", "expected a mapping"}},
		{"syntax error", "repo:\n  url: x\n bad: [\n", []string{"config.yaml:", "invalid YAML"}},
		{"tab indentation", "repo:\n\turl: x\n", []string{"config.yaml:2:", "invalid YAML"}},
		{"second document", cnoeConfig + "---\nfoo: 1\n", []string{"config.yaml:16:1: a second YAML document"}},
		{"unknown key with hint", with(`cluster_name: "cnoe-ref-impl"`, `clustr_name: "cnoe-ref-impl"`), []string{"config.yaml:6:1: clustr_name: unknown key", `did you mean "cluster_name"?`}},
		{"unknown nested key", with(`  basepath: "packages"`, `  base_path: "packages"`), []string{"config.yaml:5:3: repo.base_path: unknown key", `did you mean "basepath"?`}},
		{"old CNOE key", with("domain: example.com", "domain_name: example.com"), []string{"config.yaml:9:1: domain_name: unknown key", `did you mean "domain"?`}},
		{"duplicate key", cnoeConfig + "region: eu-west-1\n", []string{"config.yaml:16:1: region: duplicate key"}},
		{"mapping for string", with(`region: "us-west-2"`, "region:\n  name: us-west-2"), []string{"config.yaml:9:3: region: got a mapping", "expected a string"}},
		{"string for mapping", with("repo: \n  url: \"https://github.com/cnoe-punkwalker/reference-implementation-aws\"\n  revision: \"HEAD\"\n  basepath: \"packages\"", `repo: "https://github.com/x/y"`), []string{"config.yaml:2:7: repo: got the string", "expected a mapping"}},
		{"list for tags", with("tags:\n", "tags: [a, b]\nx:\n"), []string{"tags: got a list", "expected a mapping"}},
		{"bad boolean", with(`auto_mode: "true"`, `auto_mode: "yes"`), []string{"config.yaml:7:12: auto_mode: got the string \"yes\"", "expected true or false"}},
		{"bad cluster name", with(`cluster_name: "cnoe-ref-impl"`, `cluster_name: "CNOE_Ref_Impl"`), []string{"config.yaml:6:15: cluster_name: \"CNOE_Ref_Impl\" is not a DNS-1123 label", `did you mean "cnoe-ref-impl"?`}},
		{"long cluster name", with(`cluster_name: "cnoe-ref-impl"`, `cluster_name: "`+strings.Repeat("a", 64)+`"`), []string{"config.yaml:6:15: cluster_name:", "at most 63 characters"}},
		{"missing cluster name", with(`cluster_name: "cnoe-ref-impl"`, ``), []string{"cluster_name: missing"}},
		{"bad region", with(`region: "us-west-2"`, `region: "us-wset-2"`), []string{"config.yaml:8:9: region: \"us-wset-2\" is not an AWS region", `did you mean "us-west-2"?`}},
		{"region upper case", with(`region: "us-west-2"`, `region: "US-WEST-2"`), []string{"region: \"US-WEST-2\" is not an AWS region", `did you mean "us-west-2"?`}},
		{"missing region for eks", with(`region: "us-west-2"`, ``), []string{"region: missing", "needed by target eks"}},
		{"bad domain", with("domain: example.com", "domain: exa mple"), []string{"config.yaml:9:9: domain: \"exa mple\" is not a DNS name"}},
		{"domain without dot", with("domain: example.com", "domain: localhost"), []string{"domain: \"localhost\" is not a DNS name"}},
		{"placeholder", with("domain: example.com", "domain: <REPLACE_ME_example.com>"), []string{"domain: \"<REPLACE_ME_example.com>\" is a placeholder", "replace it"}},
		{"lower-case zone", with("route53_hosted_zone_id: ZXYZZ1234ABCDEF5GHIJKL", "route53_hosted_zone_id: zxyzz1234abcdef"), []string{"config.yaml:10:25: route53_hosted_zone_id:", `zone IDs are upper case: "ZXYZZ1234ABCDEF"`}},
		{"bad zone", with("route53_hosted_zone_id: ZXYZZ1234ABCDEF5GHIJKL", "route53_hosted_zone_id: 12-34"), []string{"route53_hosted_zone_id: \"12-34\" is not a Route53 hosted zone ID"}},
		{"http repo", with(`url: "https://github.com/cnoe-punkwalker`, `url: "http://github.com/cnoe-punkwalker`), []string{"config.yaml:3:8: repo.url:", "plain http", "use https://github.com"}},
		{"repo without scheme, newlines quoted", with(`url: "https://github.com/cnoe-punkwalker/reference-implementation-aws"`, `url: "#\n\n"`), []string{`did you mean "https://#\n\n"?`}},
		{"repo without scheme", with(`url: "https://github.com/cnoe-punkwalker/reference-implementation-aws"`, `url: "github.com/org/repo"`), []string{"repo.url: \"github.com/org/repo\" has no scheme", `did you mean "https://github.com/org/repo"?`}},
		{"repo bad scheme", with(`url: "https://github.com/cnoe-punkwalker/reference-implementation-aws"`, `url: "htps://github.com/org/repo"`), []string{"repo.url: scheme \"htps\" is not supported", `did you mean "https"?`}},
		{"repo relative file url", with(`url: "https://github.com/cnoe-punkwalker/reference-implementation-aws"`, `url: "file://repo"`), []string{"repo.url: \"file://repo\" is not an absolute file URL"}},
		{"repo with password", with(`url: "https://github.com/cnoe-punkwalker/reference-implementation-aws"`, `url: "https://u:p4ss@github.com/org/repo"`), []string{"repo.url: the URL contains a password"}},
		{"basepath escapes", with(`basepath: "packages"`, `basepath: "../elsewhere"`), []string{"repo.basepath: \"../elsewhere\" is not a relative path"}},
		{"bad target", cnoeConfig + "target: ekz\n", []string{"config.yaml:16:9: target: \"ekz\" is not allowed", "one of eks, kind, kubeconfig", `did you mean "eks"?`}},
		{"bad strategy", cnoeConfig + "strategy: gate\n", []string{"strategy: \"gate\" is not allowed", `did you mean "gated"?`}},
		{"bad backend", cnoeConfig + "secrets:\n  backend: aws-secrets-manager\n", []string{"config.yaml:17:12: secrets.backend:", `did you mean "aws-secretsmanager"?`}},
		{"duration without unit", cnoeConfig + "timeouts:\n  addon: 10\n", []string{"config.yaml:17:10: timeouts.addon: \"10\" is not a duration", `add a unit, e.g. "10s"`}},
		{"negative duration", cnoeConfig + "timeouts:\n  install: -5m\n", []string{"timeouts.install: \"-5m\" is not positive"}},
		{"addon override wrong type", cnoeConfig + "addons:\n  cert-manager:\n    enabled: maybe\n", []string{"config.yaml:18:14: addons.cert-manager.enabled: got the string \"maybe\""}},
		{"addon override unknown key", cnoeConfig + "addons:\n  cert-manager:\n    verison: 1.2.3\n", []string{"addons.cert-manager.verison: unknown key", `did you mean "version"?`}},
		{"missing credential file", cnoeConfig + "secrets:\n  github_apps:\n    - name: argocd-github\n      file: private/nope.yaml\n", []string{"config.yaml:19:13: secrets.github_apps[0].file: file \"private/nope.yaml\" does not exist"}},
		{"credential without name", cnoeConfig + "secrets:\n  github_token:\n    file: t.yaml\n", []string{"secrets.github_token.name: missing"}},
		{"bad tag key", cnoeConfig[:len(cnoeConfig)-1] + "\n  aws:owner: me\n", []string{"tags.aws:owner: tag keys may not start with aws:"}},
		{"cluster label fleetup sets", cnoeConfig + "cluster_labels:\n  enable_argocd: \"false\"\n", []string{"cluster_labels.enable_argocd: enable_argocd is set by fleetup", "config.yaml's addons section switches an addon"}},
		{"bad cluster label key", cnoeConfig + "cluster_labels:\n  \"a b\": x\n", []string{`cluster_labels.a b: "a b" is not a label key`}},
		{"bad cluster label value", cnoeConfig + "cluster_labels:\n  team: \"x y\"\n", []string{`cluster_labels.team: "x y" is not a label value`}},
		{"bad secret prefix", cnoeConfig + "secrets:\n  prefix: \"my prefix!\"\n", []string{"secrets.prefix: \"my prefix!\" is not a valid secret name prefix"}},
		{"alias bomb", "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\naddons:\n  x:\n    values:\n      e: [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n", []string{"config.yaml:1:1: a: unknown key"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parse(t, c.data)
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			var es decode.Errors
			var e *decode.Error
			if !errors.As(err, &es) && !errors.As(err, &e) {
				t.Fatalf("error is %T, want decode.Error(s): %v", err, err)
			}
			for _, line := range strings.Split(msg, "\n") {
				if !posRE.MatchString(line) {
					t.Errorf("line without file:line:column: %q", line)
				}
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error\n  %s\ndoes not contain %q", strings.ReplaceAll(msg, "\n", "\n  "), w)
				}
			}
		})
	}
}

func TestAllErrorsReportedAtOnce(t *testing.T) {
	data := strings.NewReplacer(`region: "us-west-2"`, `region: "mars-1"`, "domain: example.com", "domain: bad_domain").Replace(cnoeConfig)
	_, err := parse(t, data)
	var es decode.Errors
	if !errors.As(err, &es) || len(es) != 2 {
		t.Fatalf("want 2 errors, got %v", err)
	}
}

func TestCredentialFilePermissions(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "app.yaml")
	if err := os.WriteFile(file, []byte("url: https://github.com/org\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	data := cnoeConfig + "secrets:\n  github_apps:\n    - name: argocd-github\n      file: app.yaml\n"
	_, err := Parse("config.yaml", dir, []byte(data))
	if err == nil || !strings.Contains(err.Error(), "readable by every user") || !strings.Contains(err.Error(), "chmod 600 app.yaml") {
		t.Fatalf("world-readable credential file: %v", err)
	}
	if err := os.Chmod(file, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Parse("config.yaml", dir, []byte(data)); err != nil {
		t.Fatalf("0600 credential file rejected: %v", err)
	}
}

func TestBackendDefaultsFollowTarget(t *testing.T) {
	cfg, err := parse(t, strings.Replace(cnoeConfig, `region: "us-west-2"`, "target: kind", 1))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Secrets.Backend != BackendKubernetes || cfg.Secrets.StoreName != "fleetup-kubernetes" || cfg.Secrets.Namespace != "fleetup-secrets" {
		t.Errorf("kind defaults: %+v", cfg.Secrets)
	}
	_, err = parse(t, strings.Replace(cnoeConfig, `region: "us-west-2"`, "target: kind\nsecrets:\n  backend: aws-secretsmanager", 1))
	if err == nil || !strings.Contains(err.Error(), "needed by the aws-secretsmanager backend") {
		t.Errorf("aws backend without region: %v", err)
	}
}

func TestReposURLForms(t *testing.T) {
	for _, u := range []string{"https://github.com/o/r", "https://github.com/o/r.git", "ssh://git@github.com/o/r.git", "git@github.com:o/r.git", "file:///srv/git/platform", "https://git.example.com:8443/o/r"} {
		if _, err := parse(t, strings.Replace(cnoeConfig, "https://github.com/cnoe-punkwalker/reference-implementation-aws", u, 1)); err != nil {
			t.Errorf("%s rejected: %v", u, err)
		}
	}
}
