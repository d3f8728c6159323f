package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/aws"
	"github.com/fleetup/fleetup/internal/cli"
	"github.com/fleetup/fleetup/internal/kind"
	"github.com/fleetup/fleetup/internal/plan"
	"github.com/fleetup/fleetup/internal/redact"
	"github.com/fleetup/fleetup/test/awsserver"
)

// awsEnv points the standard AWS variables at a test server (as a user
// would point them at a VPC endpoint) for the shipped config's region.
func awsEnv(t *testing.T) *awsserver.Server {
	t.Helper()
	s := awsserver.Start(t, "us-west-2")
	t.Setenv("AWS_ENDPOINT_URL", s.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", awsserver.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", awsserver.SecretAccessKey)
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_REGION", "eu-north-1") // config.yaml's region must win
	s.AddCluster(awsserver.Cluster{Name: "platform-hub", Status: "ACTIVE", Endpoint: "https://platform-hub.eks.example.test", Version: "1.34", CA: []byte("ca")})
	s.AddZone(awsserver.Zone{ID: "Z0123456789ABCDEFGHIJ", Name: "example.com."})
	return s
}

// TestPlanLive: plan --live shows account, identity, region and cluster
// from the AWS calls, and each secret's create/unchanged, never a value.
func TestPlanLive(t *testing.T) {
	s := awsEnv(t)
	code, out, errOut := fleetup(t, "plan", "--live", "--config", shipped)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"account     " + s.Account, "identity    " + s.ARN, "endpoint    https://platform-hub.eks.example.test", "region      us-west-2", "cnoe-ref-impl/config  [create]"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan --live lacks %q:\n%s", want, out)
		}
	}
	// Written once (as install's secrets step does), the secret is unchanged.
	c, err := aws.New(context.Background(), aws.Options{Region: "us-west-2"})
	if err != nil {
		t.Fatal(err)
	}
	pl := loadShipped(t)
	want, err := planSecrets(pl)
	if err != nil {
		t.Fatal(err)
	}
	for _, sec := range want {
		if _, err := c.Sync(context.Background(), sec); err != nil {
			t.Fatal(err)
		}
	}
	_, out, _ = fleetup(t, "plan", "--live", "--config", shipped)
	if !strings.Contains(out, "cnoe-ref-impl/config  [unchanged]") {
		t.Errorf("after the write, plan --live does not say unchanged:\n%s", out)
	}
	for _, call := range s.Calls() {
		if strings.HasSuffix(call, "PutSecretValue") || strings.HasSuffix(call, "CreateSecret") {
			continue // the Sync above
		}
		if !strings.Contains(call, ":Get") && !strings.Contains(call, ":Describe") && !strings.Contains(call, ":List") && call != "sts:GetCallerIdentity" {
			t.Errorf("plan --live wrote to AWS: %s", call)
		}
	}
}

func TestPlanLiveDenied(t *testing.T) {
	s := awsEnv(t)
	s.Deny("eks:DescribeCluster")
	code, _, errOut := fleetup(t, "plan", "--live", "--config", shipped)
	if code != 1 || !strings.Contains(errOut, `"eks:DescribeCluster"`) {
		t.Errorf("exit %d, stderr: %s", code, errOut)
	}
}

// TestToken prints an exec credential whose token is an EKS token.
func TestToken(t *testing.T) {
	awsEnv(t)
	code, out, errOut := fleetup(t, "token", "--cluster-name", "platform-hub", "--region", "us-west-2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var cred struct {
		Kind   string
		Status struct{ Token, ExpirationTimestamp string }
	}
	if err := json.Unmarshal([]byte(out), &cred); err != nil {
		t.Fatal(err)
	}
	raw, ok := strings.CutPrefix(cred.Status.Token, "k8s-aws-v1.")
	if cred.Kind != "ExecCredential" || !ok || cred.Status.ExpirationTimestamp == "" {
		t.Fatalf("credential: %s", out)
	}
	if u, err := base64.RawURLEncoding.DecodeString(raw); err != nil || !strings.Contains(string(u), "Action=GetCallerIdentity") {
		t.Errorf("token URL: %s %v", u, err)
	}
	if code, _, _ := fleetup(t, "token"); code != 2 {
		t.Errorf("token without flags: exit %d", code)
	}
}

// TestKindWithoutRuntime: --target kind on a machine without a container
// runtime fails before changing anything, saying what is missing.
func TestKindWithoutRuntime(t *testing.T) {
	if hasRuntime() {
		t.Skip("this machine has a container runtime")
	}
	code, _, errOut := fleetup(t, "install", "--yes", "--target", "kind", "--config", shipped)
	if code != 1 || !strings.Contains(errOut, "container runtime") || !strings.Contains(errOut, "target: kubeconfig") {
		t.Errorf("exit %d: %s", code, errOut)
	}
	if code, _, errOut := fleetup(t, "plan", "--target", "kind", "--config", shipped); code != 0 {
		t.Errorf("plan --target kind: exit %d: %s", code, errOut)
	}
	if code, _, _ := fleetup(t, "plan", "--target", "gke", "--config", shipped); code != 2 {
		t.Errorf("--target gke: exit %d, want 2", code)
	}
}

func loadShipped(t *testing.T) *plan.Plan {
	t.Helper()
	g := &cli.Global{ConfigFile: shipped}
	pl, err := cli.Load(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	return pl
}

func planSecrets(pl *plan.Plan) ([]aws.Secret, error) {
	return plan.AWSSecrets(pl.Config, &redact.Redactor{})
}

func hasRuntime() bool { return kind.Runtime() == nil }

// TestTargetFlagTakesItsBackend: --target kind on the shipped (eks, AWS
// backend) config plans the kubernetes backend and no AWS account.
func TestTargetFlagTakesItsBackend(t *testing.T) {
	code, out, errOut := fleetup(t, "plan", "--target", "kind", "--config", shipped)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"target      kind", "account     none (no cloud account used)", "backend kubernetes"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan --target kind lacks %q", want)
		}
	}
}

// TestUninstallNeedsApproval: without a terminal and without --yes,
// uninstall changes nothing and exits 2.
func TestUninstallNeedsApproval(t *testing.T) {
	code, _, errOut := fleetup(t, "uninstall", "--config", shipped)
	if code != 2 || !strings.Contains(errOut, "--yes") {
		t.Errorf("exit %d: %s", code, errOut)
	}
	if code, _, errOut := fleetup(t, "uninstall", "--yes", "--force", "--config", shipped); code != 2 || !strings.Contains(errOut, "--purge-crds") {
		t.Errorf("--force without --purge-crds: exit %d: %s", code, errOut)
	}
}

// TestProfile: --profile picks credentials from the shared files, as the
// SDK's standard chain does.
func TestProfile(t *testing.T) {
	s := awsEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	dir := t.TempDir()
	creds := dir + "/credentials"
	if err := os.WriteFile(creds, []byte("[platform]\naws_access_key_id = "+awsserver.AccessKeyID+"\naws_secret_access_key = "+awsserver.SecretAccessKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
	if code, _, errOut := fleetup(t, "plan", "--live", "--config", shipped); code != 1 {
		t.Errorf("without --profile there are no credentials: exit %d %s", code, errOut)
	}
	code, out, errOut := fleetup(t, "plan", "--live", "--profile", "platform", "--config", shipped)
	if code != 0 || !strings.Contains(out, "account     "+s.Account) {
		t.Errorf("--profile platform: exit %d %s", code, errOut)
	}
}
