package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/cli"
	"github.com/fleetup/fleetup/internal/kube"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// useAWS points fleetup (in-process) at the AWS test server.
func useAWS(t *testing.T) {
	for _, kv := range awsSrv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

// TestAWSSecretsManagerEndToEnd: install with the aws-secretsmanager
// backend writes the platform secrets through the real SDK to the AWS test
// server, the real External Secrets controller reads one back into a
// Kubernetes Secret through the ClusterSecretStore fleetup made, a second
// install writes nothing, and uninstall --delete-secrets schedules their
// deletion. The known token never appears in any output.
func TestAWSSecretsManagerEndToEnd(t *testing.T) {
	env.Need(t)
	useAWS(t)
	token := "ghp_FleetupE2EKnownToken0123456789abcdefXYZ"
	p := newPlatform(t, options{AWS: true, GitHubToken: token})
	var all strings.Builder
	out, err := p.install(timeout(t, 8*time.Minute), t, nil)
	all.WriteString(out)
	if err != nil {
		t.Fatalf("install: %v", err)
	}
	for _, want := range []string{"AWS account " + awsSrv.Account, awsSrv.ARN, "region " + awsSrv.Region, "AWS Secrets Manager in " + awsSrv.Region + ": 2 created"} {
		if !strings.Contains(out, want) {
			t.Errorf("install output lacks %q", want)
		}
	}
	value, tags, _, ok := awsSrv.SecretValue(p.Cluster + "/github-app")
	if !ok || !strings.Contains(value, token) || tags["project"] != "fleetup-e2e" {
		t.Fatalf("github-app secret in Secrets Manager: ok=%v tags=%v", ok, tags)
	}
	var cfgDoc map[string]any
	if v, _, _, _ := awsSrv.SecretValue(p.Cluster + "/config"); json.Unmarshal([]byte(v), &cfgDoc) != nil || cfgDoc["region"] != awsSrv.Region {
		t.Errorf("config secret: %s", v)
	}

	// The real External Secrets controller reads it back.
	ctx := context.Background()
	es := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
		"metadata": map[string]any{"name": "token", "namespace": p.NS},
		"spec": map[string]any{
			"refreshInterval": "1h",
			"secretStoreRef":  map[string]any{"kind": "ClusterSecretStore", "name": p.Cluster + "-store"},
			"target":          map[string]any{"name": "github-token"},
			"data":            []any{map[string]any{"secretKey": "token", "remoteRef": map[string]any{"key": p.Cluster + "/github-app", "property": "ci-token.token"}}},
		},
	}}
	if _, err := env.Client.Apply(ctx, es); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Client.WaitFor(timeout(t, time.Minute), kube.GVR("external-secrets.io", "v1", "externalsecrets"), p.NS, "token", "ExternalSecret token Ready", kube.ConditionTrue("Ready")); err != nil {
		t.Fatal(err)
	}
	sec, err := env.Client.Typed.CoreV1().Secrets(p.NS).Get(ctx, "github-token", metav1.GetOptions{})
	if err != nil || string(sec.Data["token"]) != token {
		t.Fatalf("secret read back by External Secrets: %v", err)
	}
	env.Client.Dynamic.Resource(kube.GVR("external-secrets.io", "v1", "externalsecrets")).Namespace(p.NS).Delete(ctx, "token", metav1.DeleteOptions{})

	// Second run, with JSON logs: compared, not written.
	before := len(awsSrv.Calls())
	out, err = p.install(timeout(t, 5*time.Minute), t, func(in *cli.Install) { in.Global.LogFormat = "json" })
	all.WriteString(out)
	if err != nil {
		t.Fatalf("second install: %v", err)
	}
	for _, call := range awsSrv.Calls()[before:] {
		if strings.Contains(call, "Put") || strings.Contains(call, "Create") {
			t.Errorf("second install wrote to Secrets Manager: %s", call)
		}
	}
	if !strings.Contains(out, `"name":"secrets","state":"done","message":"AWS Secrets Manager in `+awsSrv.Region+`: 0 created, 0 updated, 2 unchanged"`) {
		t.Error("the second install's JSON log does not report the secrets unchanged")
	}
	st := &syncBuffer{}
	g := &cli.Global{ConfigFile: p.Config, Kubeconfig: env.Kubeconfig, Output: "json", LogFormat: "json", Stdin: strings.NewReader(""), Stdout: st, Stderr: st}
	(&cli.Status{Global: g}).Run(ctx)
	all.WriteString(st.String())

	out, err = p.uninstall(timeout(t, 5*time.Minute), t, func(u *cli.Uninstall) { u.DeleteSecrets = true; u.RecoveryWindowDays = 7 })
	all.WriteString(out)
	if err != nil {
		t.Fatalf("uninstall: %v", err)
	}
	if !awsSrv.ScheduledForDeletion(p.Cluster+"/config") || !awsSrv.ScheduledForDeletion(p.Cluster+"/github-app") {
		t.Error("uninstall --delete-secrets did not schedule the secrets' deletion")
	}
	if !strings.Contains(out, "scheduled for deletion in 7 days") {
		t.Error("the deletion is not reported")
	}
	requireGone(t, p)
	if strings.Contains(all.String(), token) || strings.Contains(all.String(), "FleetupE2EKnownToken") {
		t.Error("the token appears in fleetup's output")
	}
}
